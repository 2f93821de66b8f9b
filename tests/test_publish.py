"""`python -m sitegen.publish`: content/ committed in batches under GitHub's push limit, big files left
out; the build's warning near GitHub's 1 GB; no file tells anyone to `pip install sitegen`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sitegen.publish import Change, batches, publish
from sitegen.sizes import size_warnings
from tests.test_build import make_channel

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bot",
    "GIT_AUTHOR_EMAIL": "bot@example.org",
    "GIT_COMMITTER_NAME": "bot",
    "GIT_COMMITTER_EMAIL": "bot@example.org",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clone of a bare repository with one commit holding content/.gitkeep."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    origin = tmp_path / "origin.git"
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(work)], check=True, capture_output=True)
    (work / "content").mkdir()
    (work / "content" / ".gitkeep").touch()
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "start")
    git(work, "push", "-q", "origin", "HEAD:main")
    git(work, "branch", "-q", "--set-upstream-to=origin/main")
    return work


def git(folder: Path, *args: str) -> str:
    """Run git in ``folder``; return what it printed."""
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout


def origin_log(work: Path) -> list[str]:
    """Commit subjects on the bare repository's main branch, oldest first."""
    return git(work.parent / "origin.git", "log", "--reverse", "--format=%s", "main").splitlines()


def add_post(work: Path, channel: str, post: int, media_bytes: int = 0) -> None:
    """A post's Markdown file, and a media file of ``media_bytes`` (sparse: no disk used) if asked."""
    posts = work / "content" / channel / "posts"
    posts.mkdir(parents=True, exist_ok=True)
    (posts / f"{post}.md").write_text(f"---\nid: {post}\n---\nPost {post}\n")
    if media_bytes:
        media = work / "content" / channel / "media" / str(post)
        media.mkdir(parents=True, exist_ok=True)
        with open(media / "1.jpg", "wb") as handle:
            handle.truncate(media_bytes)


def test_batches_keep_each_post_whole_and_under_the_limit() -> None:
    changes = [
        Change("content/a/channel.yml", 300),
        Change("content/a/media/1/1.jpg", 400),
        Change("content/a/media/1/2.jpg", 400),
        Change("content/a/media/2.mp4", 700),
        Change("content/a/posts/1.md", 100),
        Change("content/a/posts/2.md", 100),
        Change("content/a/posts/3.md", 100),
    ]
    groups = batches(changes, "content", limit=1000)
    paths = [[change.path for change in batch] for batch in groups]
    # Post 1 (900 bytes) never splits; post 2 (800) does not fit beside it; post 3 joins post 2.
    assert paths == [
        ["content/a/channel.yml"],
        ["content/a/media/1/1.jpg", "content/a/media/1/2.jpg", "content/a/posts/1.md"],
        ["content/a/media/2.mp4", "content/a/posts/2.md", "content/a/posts/3.md"],
    ]
    assert all(sum(c.size for c in batch) <= 1000 for batch in groups)
    # One post larger than the limit is a batch of its own.
    assert len(batches([Change("content/a/media/9/1.mp4", 5000)], "content", limit=1000)) == 1


def test_publish_pushes_batch_after_batch_and_never_a_file_over_95_mb(repo: Path) -> None:
    for post in range(1, 6):
        add_post(repo, "chan", post, media_bytes=30_000_000)  # 5 x 30 MB of media
    add_post(repo, "chan", 6, media_bytes=96_000_000)  # too big for GitHub
    result = publish(repo, "content", limit=70_000_000)
    assert [change.path for change in result.skipped] == ["content/chan/media/6/1.jpg"]
    assert len(result.commits) == 3  # 2 + 2 + 1 posts (post 6's Markdown rides in the last one)
    assert origin_log(repo) == [
        "start",
        "Archive new posts (1/3)",
        "Archive new posts (2/3)",
        "Archive new posts (3/3)",
    ]
    pushed = git(repo.parent / "origin.git", "ls-tree", "-r", "-l", "main").splitlines()
    sizes = {line.split()[-1]: int(line.split()[3]) for line in pushed}
    assert "content/chan/media/6/1.jpg" not in sizes and "content/chan/posts/6.md" in sizes
    assert max(sizes.values()) == 30_000_000
    # Each push carried at most the limit: every commit's new blobs stay under 70 MB.
    for commit in result.commits:
        listing = git(repo, "diff-tree", "-r", "--no-commit-id", "--root", commit).splitlines()
        added = sum(os.path.getsize(repo / line.split("\t")[1]) for line in listing)
        assert added <= 70_000_000


def test_publish_cli_says_no_new_posts_and_warns_about_big_files(repo: Path) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sitegen.publish", "content"], cwd=repo, capture_output=True, text=True
        )

    done = run()
    assert done.returncode == 0 and done.stdout.strip() == "No new posts."
    add_post(repo, "chan", 1, media_bytes=100_000_000)
    done = run()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("::warning title=File too big for GitHub::content/chan/media/1/1.jpg (100 MB)")
    assert lines[1] == "Committed and pushed 1 commit(s)."
    assert origin_log(repo) == ["start", "Archive new posts"]


def test_publish_skips_a_run_that_only_moved_scraped_at(repo: Path) -> None:
    channel = repo / "content" / "chan" / "channel.yml"
    channel.parent.mkdir(parents=True)
    channel.write_text("username: chan\nscraped_at: 2026-01-01T00:00:00+00:00\n")
    assert len(publish(repo).commits) == 1
    channel.write_text("username: chan\nscraped_at: 2026-01-02T00:00:00+00:00\n")
    assert publish(repo).commits == []
    assert git(repo, "status", "--porcelain") == ""
    # Anything else in the same file is a change worth a commit.
    channel.write_text("username: chan\ntitle: New title\nscraped_at: 2026-01-03T00:00:00+00:00\n")
    assert len(publish(repo).commits) == 1
    # So is a post deleted from content/.
    add_post(repo, "chan", 1)
    publish(repo)
    (repo / "content" / "chan" / "posts" / "1.md").unlink()
    assert len(publish(repo).commits) == 1
    assert "content/chan/posts/1.md" not in git(repo, "ls-files")


def test_build_warns_once_with_figures_near_githubs_1_gb(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=2)
    big = tmp_path / "content" / "novosti" / "extra.bin"
    with open(big, "wb") as handle:
        handle.truncate(850_000_000)  # sparse: counts as 850 MB, uses no disk
    done = subprocess.run(
        [sys.executable, "-c", "from sitegen.cli import main; main()", "build", "--no-search"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "GB" in line]
    assert len(warnings) == 1, done.stderr
    assert re.match(
        r"warning: content/ \(the archive, committed to git\) holds 0\.85 GB in \d+ files", warnings[0]
    )
    assert "max_media_size" in warnings[0]


def test_size_warnings_name_the_site_too_and_stay_quiet_below_the_mark(tmp_path: Path) -> None:
    content, output = tmp_path / "content", tmp_path / "output"
    content.mkdir()
    output.mkdir()
    (content / "a").write_bytes(b"x" * 700)
    (output / "b").write_bytes(b"x" * 790)
    assert size_warnings(content, output, limit=1000) == []
    (output / "c").write_bytes(b"x" * 10)
    (warning,) = size_warnings(content, output, limit=1000)
    assert warning.startswith("output/ (the site) holds 0.00 GB in 2 files")


def test_nothing_tells_anyone_to_pip_install_sitegen(repo_dir: Path) -> None:
    # The index name "sitegen" belongs to an unrelated project; ours is telegram-sitegen.
    listed = subprocess.run(
        ["git", "-C", str(repo_dir), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    wrong = re.compile(r"pip3? install (--\S+ )*[\"']?sitegen\b(?![-.\w])|SITEGEN_PIP_SPEC: \"sitegen\"")
    offenders = []
    for name in listed:
        path = repo_dir / name
        if path.suffix in {".md", ".py", ".yml", ".toml", ".sh", ".txt", ""} and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            offenders += [f"{name}: {m.group(0)}" for m in wrong.finditer(text) if "test_publish" not in name]
    assert offenders == []
