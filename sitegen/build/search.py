"""Build step: the full-text search index, made by Pagefind's bundled binary into output/pagefind/.

Only post pages carry ``data-pagefind-body``, so results are posts. Pagefind stems each page by
its ``<html lang>`` (Russian and English are in the standard build). The index is built in a
temporary folder beside the old one and swapped in, so a failed run leaves the last index
whole, and no stale fragments pile up. Everything runs offline.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sitegen.build.load import BuildError
from sitegen.files import TEMP_PREFIX

INDEX_DIR = "pagefind"
TIMEOUT = 1800  # seconds; a very large archive indexes in well under a minute


def pagefind_executable() -> str:
    """The path of the pagefind binary that the ``pagefind[bin]`` package ships."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        get_executable = None  # type: ignore[assignment]
    found = get_executable() if get_executable else None
    if found is None or not Path(found).is_file():
        raise BuildError(
            "the search index needs Pagefind: pip install 'pagefind[bin]' (or build with --no-search)"
        )
    return str(found)


def build_search_index(output: Path) -> int:
    """Index the HTML of ``output`` into ``output/pagefind``; return the number of indexed pages."""
    target = output / INDEX_DIR
    fresh = output / f"{TEMP_PREFIX}{INDEX_DIR}"
    old = output / f"{TEMP_PREFIX}{INDEX_DIR}-old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    command = [pagefind_executable(), "--site", str(output), "--output-path", str(fresh)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        raise BuildError(f"the search indexer (Pagefind) failed to run: {exc}") from None
    if result.returncode != 0 or not (fresh / "pagefind.js").is_file():
        shutil.rmtree(fresh, ignore_errors=True)
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BuildError(
            f"the search indexer (Pagefind) failed: {detail[-1] if detail else result.returncode}"
        )
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return indexed_pages(result.stdout)


def indexed_pages(log: str) -> int:
    """The page count from Pagefind's summary ("Indexed 26 pages"), 0 if it is not there."""
    for line in log.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "Indexed" and words[1].isdigit() and words[2].startswith("page"):
            return int(words[1])
    return 0


def remove_search_index(output: Path) -> bool:
    """Remove an index an earlier build made (search is off now); only a folder Pagefind made."""
    target = output / INDEX_DIR
    if (target / "pagefind-entry.json").is_file():
        shutil.rmtree(target)
        return True
    return False
