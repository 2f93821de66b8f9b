"""How big the archive and the site are, against what GitHub accepts (a warning before it hurts).

GitHub Pages publishes sites up to 1 GB, and GitHub asks repositories to stay under about 1 GB
(content/ is what the workflow commits). The build warns once, with the figures, when either
folder passes ``NEAR`` of that.
"""

from __future__ import annotations

import os
from pathlib import Path

GITHUB_LIMIT = 1_000_000_000
NEAR = 0.8  # warn from 800 MB on


def folder_size(folder: Path) -> tuple[int, int]:
    """Total bytes and number of files under ``folder`` (0, 0 when it does not exist)."""
    total = count = 0
    stack = [os.fspath(folder)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
                    count += 1
    return total, count


Tally = tuple[int, int]  # (bytes, files)


def folder_tally(folder: Path, known: dict[str, object] | None = None) -> Tally:
    """:func:`folder_size` of a folder whose subfolders are replaced whole or have files added and
    removed, never edited in place (the search index's bundles): each subfolder's tally is
    remembered in ``known`` by its inode and time, so only the ones that changed are walked."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
        stamps = [(e, e.is_dir(follow_symlinks=False), e.stat(follow_symlinks=False)) for e in entries]
    except OSError:
        return 0, 0
    old = known.get("parts") if known is not None else None
    old = old if isinstance(old, dict) else {}
    parts: dict[str, tuple[int, int, int, int]] = {}
    for entry, is_dir, stat in stamps:
        if not is_dir:
            parts[entry.name] = (stat.st_ino, stat.st_mtime_ns, stat.st_size, 1)
            continue
        last = old.get(entry.name)
        if last is not None and tuple(last[:2]) == (stat.st_ino, stat.st_mtime_ns):
            parts[entry.name] = last
        else:
            parts[entry.name] = (stat.st_ino, stat.st_mtime_ns, *folder_size(Path(entry.path)))
    if known is not None:
        known.clear()
        known["parts"] = parts
    return sum(part[2] for part in parts.values()), sum(part[3] for part in parts.values())


def size_warnings(
    content_dir: Path,
    output_dir: Path,
    limit: int = GITHUB_LIMIT,
    content: Tally | None = None,
    output: Tally | None = None,
) -> list[str]:
    """One warning per folder that is near ``limit``: the archive (the repository) and the site.

    ``content`` and ``output``: the folders' (bytes, files) when the caller knows them (a build
    does, from the files it read and made); otherwise the folders are walked.
    """
    warnings = []
    for folder, tally, what in (
        (content_dir, content, "the archive, committed to git"),
        (output_dir, output, "the site"),
    ):
        size, files = tally if tally is not None else folder_size(folder)
        if size >= NEAR * limit:
            warnings.append(
                f"{folder.name}/ ({what}) holds {size / 1e9:.2f} GB in {files:,} files; GitHub asks "
                f"repositories to stay under {limit / 1e9:g} GB and GitHub Pages publishes at most "
                f"{limit / 1e9:g} GB: lower [scrape] max_media_size or set media = false in sitegen.toml"
            )
    return warnings
