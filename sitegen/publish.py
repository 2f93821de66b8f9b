"""The git side of the GitHub workflow: commit what changed in content/ and push it in batches.

GitHub refuses a push of more than 2 GB and any file over 100 MB, and a refused push would fail
every later run too. So the files that changed are committed in batches of at most
``BATCH_BYTES`` (a post's Markdown file and its media always together), each batch is pushed
before the next one is made, and a file over ``MAX_FILE_BYTES`` is never committed: it is left
out with a warning (lower ``[scrape] max_media_size``). A run that changed nothing but the
``scraped_at`` time of channel.yml makes no commit.

The workflow runs ``python -m sitegen.publish content`` in the repository's root; git does the
work, this module only decides what goes into which commit.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 95_000_000  # GitHub refuses files over 100 MB
BATCH_BYTES = 500_000_000  # GitHub refuses pushes over 2 GB
MESSAGE = "Archive new posts"

# content/<channel>/posts/<id>.md and content/<channel>/media/<id>/... belong to one post.
POST_PART = re.compile(r"^(?P<channel>[^/]+)/(?:posts/(?P<post>\d+)\.md|media/(?P<media>\d+)(?:/|[._-]))")


@dataclass
class Change:
    """One changed path under the folder: its path relative to the repository, and its size now."""

    path: str
    size: int  # 0 for a deleted file
    status: str = "??"  # git's two-letter status: " M" changed, "??" new, " D" deleted


@dataclass
class PublishResult:
    """What :func:`publish` did."""

    commits: list[str] = field(default_factory=list)  # commit ids, oldest first
    skipped: list[Change] = field(default_factory=list)  # files too big to commit


def git(repo: Path, *args: str, capture: bool = False) -> str:
    """Run one git command in ``repo``; stop with its message when it fails."""
    result = subprocess.run(
        ["git", *args], cwd=repo, check=False, text=True, capture_output=capture, encoding="utf-8"
    )
    if result.returncode != 0:
        detail = (result.stderr or "").strip() if capture else ""
        raise PublishError(f"git {' '.join(args[:2])} failed" + (f": {detail}" if detail else ""))
    return result.stdout if capture else ""


class PublishError(Exception):
    """A git command failed."""


def changed_files(repo: Path, folder: str) -> list[Change]:
    """Every file under ``folder`` that differs from the last commit (new, changed or deleted)."""
    out = git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", folder, capture=True)
    entries = out.split("\0")
    changes: list[Change] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:  # a rename names its source next
            index += 1
        full = repo / path
        changes.append(Change(path, full.stat().st_size if full.is_file() else 0, status))
    return sorted(changes, key=lambda change: change.path)


def only_scrape_times(repo: Path, changes: Sequence[Change]) -> bool:
    """Whether the only change is ``scraped_at`` in channel.yml files: a run that found nothing new.

    Such a run is not worth a commit (one every few hours, for nothing) nor a new build cache.
    """
    if not changes or any(c.status != " M" or not c.path.endswith("/channel.yml") for c in changes):
        return False
    diff = git(repo, "diff", "--unified=0", "--no-color", "--", *[c.path for c in changes], capture=True)
    lines = [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return all(line[1:].startswith("scraped_at:") for line in lines)


def post_key(path: str, folder: str) -> str:
    """The post a path belongs to (``channel/id``), or the path itself for channel-level files."""
    relative = path[len(folder.rstrip("/")) + 1 :] if path.startswith(folder.rstrip("/") + "/") else path
    found = POST_PART.match(relative)
    if not found:
        return relative
    return f"{found['channel']}/{found['post'] or found['media']}"


def batches(changes: Sequence[Change], folder: str, limit: int = BATCH_BYTES) -> list[list[Change]]:
    """Group changes into batches of at most ``limit`` bytes, never splitting one post's files.

    A post bigger than ``limit`` on its own makes a batch of its own.
    """
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(post_key(change.path, folder), []).append(change)
    result: list[list[Change]] = []
    current: list[Change] = []
    size = 0
    for group in groups.values():
        group_size = sum(change.size for change in group)
        if current and size + group_size > limit:
            result.append(current)
            current, size = [], 0
        current.extend(group)
        size += group_size
    if current:
        result.append(current)
    return result


def push(repo: Path) -> None:
    """Push the current branch; when someone pushed meanwhile, rebase onto it once and push again."""
    try:
        git(repo, "push", "--quiet", capture=True)
    except PublishError:
        git(repo, "pull", "--rebase", "--quiet", capture=True)
        git(repo, "push", "--quiet", capture=True)


def publish(
    repo: Path,
    folder: str = "content",
    limit: int = BATCH_BYTES,
    max_file: int = MAX_FILE_BYTES,
    message: str = MESSAGE,
) -> PublishResult:
    """Commit what changed under ``folder`` in batches of at most ``limit`` bytes, pushing each."""
    result = PublishResult()
    changes = changed_files(repo, folder)
    if only_scrape_times(repo, changes):
        git(repo, "checkout", "--quiet", "--", *[change.path for change in changes])
        return result
    result.skipped = [change for change in changes if change.size > max_file]
    wanted = [change for change in changes if change.size <= max_file]
    groups = batches(wanted, folder, limit)
    for number, batch in enumerate(groups, 1):
        paths = [change.path for change in batch]
        for start in range(0, len(paths), 1000):  # keep each command line short
            git(repo, "add", "--all", "--", *paths[start : start + 1000])
        label = message if len(groups) == 1 else f"{message} ({number}/{len(groups)})"
        git(repo, "commit", "--quiet", "--no-verify", "-m", label)
        result.commits.append(git(repo, "rev-parse", "HEAD", capture=True).strip())
        push(repo)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sitegen.publish [FOLDER]``: commit and push FOLDER's changes; print what happened."""
    parser = argparse.ArgumentParser(prog="python -m sitegen.publish", description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default="content")
    parser.add_argument("--batch-mb", type=int, default=BATCH_BYTES // 1_000_000, help="MB per push")
    parser.add_argument("--max-file-mb", type=int, default=MAX_FILE_BYTES // 1_000_000, help="MB per file")
    args = parser.parse_args(argv)
    repo = Path.cwd()
    try:
        result = publish(repo, args.folder, args.batch_mb * 1_000_000, args.max_file_mb * 1_000_000)
    except PublishError as exc:
        print(f"::error title=Commit failed::{exc}")  # workflow commands are read from stdout
        return 1
    for change in result.skipped:
        print(
            f"::warning title=File too big for GitHub::{change.path} ({change.size / 1e6:.0f} MB) is not "
            f"committed: GitHub refuses files over 100 MB. Lower [scrape] max_media_size in sitegen.toml."
        )
    if not result.commits:
        print("No new posts.")
    else:
        print(f"Committed and pushed {len(result.commits)} commit(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
