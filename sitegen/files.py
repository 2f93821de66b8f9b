"""Small file-system helpers shared by every stage: atomic writes and safe paths."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".sitegen-tmp-"


class UnsafePathError(ValueError):
    """A path taken from content would land outside the folder it belongs to."""


_OPEN_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_OPEN_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_temp_names = itertools.count()
# Temp files this process has opened and not yet renamed or removed. A signal can land between the
# open and the block that removes the file on failure; the handlers that end a build remove these.
_in_flight: set[str] = set()


def _open_temp(folder: str) -> tuple[int, str]:
    """Create a new, empty temp file in ``folder`` (made when missing): its descriptor and path.

    Names come from the process id and a counter (forked workers have their own ids), and
    ``O_EXCL`` never reuses a name a killed process left behind. The mode is a plain open()'s.
    """
    made = False
    while True:
        tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{next(_temp_names)}")
        _in_flight.add(tmp)  # before the open: a signal right after it still finds the file
        try:
            return os.open(tmp, _OPEN_NEW, 0o666), tmp
        except OSError as exc:
            _in_flight.discard(tmp)  # not opened, whatever the reason
            if isinstance(exc, FileExistsError):
                continue
            if made or not isinstance(exc, FileNotFoundError):
                raise
        os.makedirs(folder, exist_ok=True)
        made = True


@contextlib.contextmanager
def _temp_then_rename(path: Path | str, durable: bool) -> Iterator[int]:
    """Yield the descriptor of a new temp file beside ``path``; rename it to ``path`` when the block
    ends, or remove it when the block raises (Ctrl-C and SystemExit included)."""
    path = os.fspath(path)
    fd, tmp = _open_temp(os.path.dirname(path) or ".")
    try:
        try:
            yield fd
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        _in_flight.discard(tmp)


def remove_in_flight() -> None:
    """Remove the temp files this process opened and has not finished: for the handlers that end
    it on a signal, which may land before a write's own cleanup is in place."""
    for tmp in list(_in_flight):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        _in_flight.discard(tmp)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def atomic_write_bytes(path: Path | str, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` through a temp file and a rename, so readers never see half a file.

    ``durable=False`` skips the fsync: still atomic for readers, but a power cut may lose the file;
    fine for build output, which a rebuild recreates (and 100,000 fsyncs take minutes).
    Plain ``os`` calls: a site has thousands of files, and each call here is a system call.
    """
    with _temp_then_rename(path, durable) as fd:
        write_all(fd, data)


def atomic_copy(source: Path | str, path: Path | str, durable: bool = True) -> int:
    """Copy the file ``source`` to ``path`` through a temp file and a rename; return its size.

    The source is opened without following a symlink at its last step (the caller resolved it).
    """
    size = 0
    with _temp_then_rename(path, durable) as fd:
        src = os.open(source, _OPEN_READ | getattr(os, "O_NOFOLLOW", 0))
        try:
            while chunk := os.read(src, 1 << 20):
                write_all(fd, chunk)
                size += len(chunk)
        finally:
            os.close(src)
    return size


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_bytes(path: Path | str) -> bytes:
    """A file's bytes with the fewest system calls (no buffering layer, no isatty probe)."""
    fd = os.open(path, _OPEN_READ)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_if_changed(path: Path | str, data: bytes, durable: bool = True) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes; say if it wrote."""
    try:
        if os.stat(path).st_size == len(data) and read_bytes(path) == data:
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


def check_relative(relative: str) -> list[str]:
    """The parts of a relative path from content, refusing anything that could escape its folder.

    Absolute paths, ``..`` parts, backslashes and NUL bytes are refused with :class:`UnsafePathError`.
    """
    if not relative or relative.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", relative):
        raise UnsafePathError(f"not a relative path: {relative!r}")
    parts = relative.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _SAFE_PART.match(part):
            raise UnsafePathError(f"unsafe path: {relative!r}")
    return parts


def safe_relative(root: Path, relative: str) -> Path:
    """Join a relative path from content onto ``root``, refusing anything that escapes it
    (see :func:`check_relative`)."""
    return root.joinpath(*check_relative(relative))
