"""Small file-system helpers shared by every stage: atomic writes and safe paths."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

TEMP_PREFIX = ".sitegen-tmp-"


def _file_mode() -> int:
    """The mode a plain open() would give a new file: 0o666 less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()  # mkstemp makes 0o600 files; a site's files must be readable by a web server


class UnsafePathError(ValueError):
    """A path taken from content would land outside the folder it belongs to."""


def atomic_write_bytes(path: Path, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename, so readers never see half a file.

    ``durable=False`` skips the fsync: still atomic for readers, but a power cut may lose the file;
    fine for build output, which a rebuild recreates (and 100,000 fsyncs take minutes).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_if_changed(path: Path, data: bytes, durable: bool = True) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes; say if it wrote."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write_bytes(path, data, durable)
    return True


def remove_temp_files(folder: Path) -> int:
    """Delete temp files a killed process left behind below ``folder``; return how many."""
    count = 0
    if not folder.is_dir():
        return 0
    for tmp in folder.rglob(TEMP_PREFIX + "*"):
        try:
            tmp.unlink()
            count += 1
        except OSError:
            pass
    return count


_SAFE_PART = re.compile(r"^[^/\\\x00]+$")


def safe_relative(root: Path, relative: str) -> Path:
    """Join a relative path from content onto ``root``, refusing anything that escapes it.

    Absolute paths, ``..`` parts, backslashes and NUL bytes are refused with :class:`UnsafePathError`.
    """
    if not relative or relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative):
        raise UnsafePathError(f"not a relative path: {relative!r}")
    parts = relative.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _SAFE_PART.match(part):
            raise UnsafePathError(f"unsafe path: {relative!r}")
    return root.joinpath(*parts)
