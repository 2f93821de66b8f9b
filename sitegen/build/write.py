"""Build step 4: put files into output/ — only the bytes that changed, media hard-linked when possible.

output/ holds a manifest of the files the last build wrote, so a later build removes the files
it no longer makes (a post deleted from content/) and never touches anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from sitegen.build.load import BuildError
from sitegen.files import TEMP_PREFIX, atomic_write_bytes, read_bytes, write_if_changed

MANIFEST = ".sitegen-manifest.json"

Link = tuple[int, int, int]  # a media file hard-linked into output/: its device, inode and size


def read_manifest(output: Path | str) -> list[str]:
    """The files the last build made in ``output``, relative to it (OSError, ValueError: unreadable)."""
    with open(os.path.join(output, MANIFEST), encoding="utf-8") as handle:
        made = json.load(handle)
    if not isinstance(made, list):
        raise ValueError("not a list")
    return made


def changed_outputs(output: str, sizes: dict[str, int], links: dict[str, Link]) -> list[str] | None:
    """The files of the last build (its manifest) that are not as it left them: gone, another size
    (``sizes``: its pages), another file (``links``: its hard-linked media); and the files of
    ``sizes`` and ``links`` it does not list. None when there is no manifest to go by."""
    try:
        made = read_manifest(output)
    except (OSError, ValueError):
        return None
    prefix = output.rstrip(os.sep) + os.sep  # plain strings: a join costs more than the stat here
    stat, size_of, link_of = os.stat, sizes.get, links.get
    changed = []
    for path in made:
        try:
            st = stat(prefix + path)
        except (OSError, TypeError, ValueError):
            changed.append(path)
            continue
        size = size_of(path)
        if size is not None:
            if st.st_size != size:
                changed.append(path)
            continue
        link = link_of(path)
        if link is not None and link != (st.st_dev, st.st_ino, st.st_size):
            changed.append(path)
    listed = set(made)
    changed += [path for path in sizes if path not in listed]
    changed += [path for path in links if path not in listed]
    return changed


def prepare_output(output: Path, content: Path, clean: bool) -> None:
    """Check the output folder can be used (and empty it with ``clean``); refuse dangerous choices."""
    out, src = output.resolve(), content.resolve()
    if out == src or out in src.parents or src in out.parents:
        raise BuildError(
            f"output folder '{output}' and content folder '{content}' must not contain each other"
        )
    if out.exists() and not out.is_dir():
        raise BuildError(f"output '{output}' is a file, not a folder: remove it or pass --output DIR")
    if clean and out.exists():
        if any(out.iterdir()) and not (out / MANIFEST).exists():
            raise BuildError(
                f"refusing to --clean '{output}': it is not empty and was not made by sitegen (no {MANIFEST})"
            )
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f"{TEMP_PREFIX}probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BuildError(f"cannot write to output folder '{output}': {exc.strerror}") from None


_known_folders: set[str] = set()  # output folders this process saw in place: a hint, checked by use


def forget_folders() -> None:
    """Drop the folder hints before a build (a folder may have gone since the last one)."""
    _known_folders.clear()


def write_output_file(path: Path | str, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds these bytes; say whether it wrote.

    No fsync: output/ is rebuilt from content/, and 100,000 fsyncs take minutes. A cold build
    makes most folders itself; a file in a folder it has just made cannot exist yet, so it skips
    the look at the old file (system calls are most of the cost of writing a page).
    """
    folder = os.path.dirname(path)
    if folder not in _known_folders:
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
        else:
            _known_folders.add(folder)
            atomic_write_bytes(path, data, durable=False)
            return True
        _known_folders.add(folder)
    return write_if_changed(path, data, durable=False)


class OutputWriter:
    """Writes files into output/, counts what changed, and remembers every file it made and its size."""

    def __init__(
        self, output: Path, changed: set[str] | None = None, last_links: dict[str, Link] | None = None
    ) -> None:
        self.output = output
        self.made: set[str] = set()
        self.sizes: dict[str, int] = {}  # path -> bytes, of every file made (for the size warnings)
        self.links: dict[str, Link] = {}  # the media hard-linked into place, for the next build
        self.written = 0
        self.changed = changed  # the last build's files that are not as it left them (None: unknown)
        self.last_links = last_links or {}

    def write(self, path: str, data: bytes) -> None:
        """Write one file (``path`` relative to output/) unless it already holds these bytes."""
        self.made.add(path)
        self.sizes[path] = len(data)
        try:
            if write_output_file(self.output / path, data):
                self.written += 1
        except OSError as exc:
            raise BuildError(f"cannot write '{self.output / path}': {exc.strerror}") from None

    def keep(self, path: str, size: int, written: bool = False) -> None:
        """Record a file put in place by someone else (a cache hit, a render worker) as made by this build."""
        self.made.add(path)
        self.sizes[path] = size
        self.written += written

    def keep_link(self, path: str, device: int, inode: int) -> bool:
        """Keep the media file at ``path`` without a system call if the last build hard-linked it
        from this very file (``device`` and ``inode`` of the source, as listed) and it is still as
        that build left it; say whether it did."""
        link = self.last_links.get(path)
        if link is None or self.changed is None or link[0] != device or link[1] != inode:
            return False
        if path in self.changed:
            return False
        self.made.add(path)
        self.sizes[path] = link[2]
        self.links[path] = link
        return True

    def link(self, path: str, source: str) -> None:
        """Put a copy of the file ``source`` at ``path``: a hard link when possible, else a copy."""
        self.made.add(path)
        target = os.path.join(self.output, path)  # strings: pathlib costs more than the system calls
        try:
            src_stat = os.stat(source)
            self.sizes[path] = src_stat.st_size
            try:
                dst_stat = os.stat(target)
            except FileNotFoundError:
                dst_stat = None
            same = (src_stat.st_dev, src_stat.st_ino, src_stat.st_size)
            if dst_stat is not None:
                if (src_stat.st_dev, src_stat.st_ino) == (dst_stat.st_dev, dst_stat.st_ino):
                    self.links[path] = same
                    return
                copied = path not in self.last_links  # not linked last time: a copy (another device)
                if copied and src_stat.st_size == dst_stat.st_size and src_stat.st_mtime <= dst_stat.st_mtime:
                    return
                os.unlink(target)
            try:
                _link(source, target)
                self.links[path] = same
            except OSError:
                atomic_write_bytes(target, read_bytes(source))
            self.written += 1
        except OSError as exc:
            raise BuildError(f"cannot copy '{source}' to '{target}': {exc.strerror}") from None

    def copy_tree(self, prefix: str, folder: Path) -> None:
        """Copy every file of ``folder`` into output/``prefix``/."""
        for source in sorted(folder.rglob("*")):
            if source.is_file():
                self.link(f"{prefix}/{source.relative_to(folder).as_posix()}", os.fspath(source))

    def finish(self, keep: tuple[str, ...] = ()) -> int:
        """Remove files the previous build made and this one did not; save the manifest; count removals.

        Files below a ``keep`` prefix (a channel that failed to load) stay, and stay in the manifest.
        """
        manifest = self.output / MANIFEST
        old: set[str] = set()
        with contextlib.suppress(OSError, ValueError, TypeError):
            old = set(read_manifest(self.output))
        removed = 0
        for stale in sorted(old - self.made):
            if ".." in stale.split("/"):
                continue
            if keep and stale.startswith(keep):
                self.made.add(stale)
                continue
            target = self.output / stale
            if target.is_file():
                target.unlink()
                removed += 1
                _prune_empty(target.parent, self.output)
        # one path a line (no indent: the fast encoder)
        data = json.dumps(sorted(self.made), ensure_ascii=False, separators=(",\n", ":"))
        atomic_write_bytes(manifest, data.encode())
        return removed


def _link(source: str, target: str) -> None:
    """Hard-link ``source`` to ``target``, making the target's folder only when it is missing."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.link(source, target)


def _is_empty(folder: Path) -> bool:
    """Whether ``folder`` is an empty folder (one entry read at most: a channel's holds 100,000)."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def _prune_empty(folder: Path, stop: Path) -> None:
    while folder != stop and _is_empty(folder):
        folder.rmdir()
        folder = folder.parent
