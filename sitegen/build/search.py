"""Build step: the full-text search index, made by Pagefind's bundled binary into output/pagefind/.

Only post pages carry ``data-pagefind-body``, so results are posts. Pagefind stems each page by
its ``<html lang>`` (Russian and English are in the standard build). The index is built in a
temporary folder beside the old one and swapped in, so a failed run leaves the last index
whole, and no stale fragments pile up. Everything runs offline.

Indexing takes seconds for thousands of posts, so it is skipped when no HTML file changed since
the last index was made (a stamp of the pages' sizes and modification times sits in the index).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from sitegen.build.load import BuildError
from sitegen.files import TEMP_PREFIX

INDEX_DIR = "pagefind"
STAMP = ".sitegen-stamp.json"  # inside the index folder: what the index was made from
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


def pages_stamp(output: Path, html_files: list[str]) -> str:
    """A digest of the HTML files' names, sizes and modification times."""
    digest = hashlib.sha256()
    for name in sorted(html_files):
        try:
            info = (output / name).stat()
        except OSError:
            continue
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def read_stamp(target: Path) -> dict[str, object]:
    """The stamp of an existing index, or {}."""
    try:
        data = json.loads((target / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_search_index(output: Path, html_files: list[str]) -> int:
    """Make ``output/pagefind`` current for these pages (skipped when none changed); count indexed pages."""
    target = output / INDEX_DIR
    stamp = pages_stamp(output, html_files)
    old = read_stamp(target)
    if (
        old.get("pages") == stamp
        and (target / "pagefind.js").is_file()
        and isinstance(old.get("indexed"), int)
    ):
        return old["indexed"]  # type: ignore[return-value]
    indexed = build_search_index(output)
    (target / STAMP).write_text(json.dumps({"pages": stamp, "indexed": indexed}), encoding="utf-8")
    return indexed


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
