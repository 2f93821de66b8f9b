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


def size_warnings(content_dir: Path, output_dir: Path, limit: int = GITHUB_LIMIT) -> list[str]:
    """One warning per folder that is near ``limit``: the archive (the repository) and the site."""
    warnings = []
    for folder, what in ((content_dir, "the archive, committed to git"), (output_dir, "the site")):
        size, files = folder_size(folder)
        if size >= NEAR * limit:
            warnings.append(
                f"{folder.name}/ ({what}) holds {size / 1e9:.2f} GB in {files:,} files; GitHub asks "
                f"repositories to stay under {limit / 1e9:g} GB and GitHub Pages publishes at most "
                f"{limit / 1e9:g} GB: lower [scrape] max_media_size or set media = false in sitegen.toml"
            )
    return warnings
