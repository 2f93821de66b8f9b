"""The build cache: skip reading, rendering and writing what has not changed since the last build.

Stores in ``.sitegen-cache/`` beside the output folder (``--clean`` drops it), one set per output:

- ``files-<output>.pickle``: each post file's size, mtime, ctime and inode with its key (a hash of
  the file's bytes and of sitegen's own code), so an unchanged file is not read again (an edit
  changes the ctime even if it puts the mtime back);
- ``index-<output>.pickle``: each post's *head* (id, date, tags, media: what every build needs of
  every post) and where its *detail* is in the post store;
- ``posts-<output>.frames``: each post's detail (the parsed post, its HTML, title, summary), read
  only for the posts of the pages a build renders;
- ``pages-<output>.sqlite``: the site key (templates, settings, code, channels), the state of each
  facet of each post and channel, and for each page what its render read (context variables and
  post and channel facets, see :class:`sitegen.build.pages.READS`), indexed by what was read, and
  the file's size;
- ``state-<output>.pickle``: the fingerprint of the last build's inputs, its report, its pages'
  sizes and its hard-linked media (device, inode, size), which a forked child holds against
  output/ while the build reads the content (:func:`sitegen.build.write.changed_outputs`).

A page is rendered again only when something it read changed. Parsing and rendering of what is
left run in worker processes (fork) when there is enough of it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib.util
import os
import pickle
import re
import shutil
import signal
import sqlite3
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, TypeVar

from sitegen.build.forked import Forked
from sitegen.build.load import BuildError, ChannelSource, list_media, load_content
from sitegen.build.write import Link, changed_outputs
from sitegen.config import Config
from sitegen.content import CHANNEL_FILE, POSTS_DIR, channel_dirs, parse_post_file
from sitegen.files import TEMP_PREFIX, UnsafePathError, check_relative, read_bytes, remove_in_flight
from sitegen.progress import NoProgress, ProgressSink

if TYPE_CHECKING:  # only for annotations: a build with nothing to do never loads them
    from sitegen.build.pages import Page, ReadKey, Section
    from sitegen.build.render import QuietBytecodeCache

CACHE_DIR = ".sitegen-cache"
PACKAGE = Path(__file__).resolve().parents[1]  # sitegen/: its code, theme and strings shape every page
PARALLEL_MIN = 100  # below this many items, worker processes cost more than they save
SAVE_IN_CHILD = 1000  # fewer page records are written sooner than a large build's process is forked
KEEP_PARSED = 10_000  # posts parsed by one build up to this many keep their details in memory too
_T = TypeVar("_T")
_R = TypeVar("_R")


def default_jobs() -> int:
    """How many processes the build may use: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


# Parts of sitegen that never shape the built site: editing them keeps the cache.
NOT_BUILD = frozenset({"telegram", "scrape.py", "cli.py", "init.py", "scaffold", "serve.py"})


def tree_digest(folder: Path, skip: frozenset[str] = frozenset()) -> str:
    """A hash of every file's path and bytes below ``folder`` (code, templates, strings)."""
    parts = []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and "__pycache__" not in relative.parts and relative.parts[0] not in skip:
                parts += [relative.as_posix().encode(), path.read_bytes()]
    return _digest(*parts)


# The libraries that shape pages: import name -> distribution name (as its .dist-info folder has it)
PARSERS = {
    "markdown_it": "markdown_it_py",
    "linkify_it": "linkify_it_py",
    "yaml": "pyyaml",
    "jinja2": "jinja2",
    "markupsafe": "markupsafe",
}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def library_versions(modules: Sequence[str]) -> str:
    """The installed version of each library (by import name: see :data:`PARSERS`), read from the
    name of its ``.dist-info`` folder beside it without importing it or importlib.metadata (50 ms
    of imports for a build with nothing to do); importlib.metadata when the folder is not there."""
    versions = []
    listed: dict[str, list[str]] = {}
    for module in modules:
        distribution = PARSERS[module]
        spec = importlib.util.find_spec(module)
        found = None
        if spec is not None and spec.origin:
            folder = os.path.dirname(os.path.dirname(spec.origin))  # site-packages
            if folder not in listed:
                with contextlib.suppress(OSError):
                    listed[folder] = [n for n in os.listdir(folder) if n.endswith(".dist-info")]
            for name in listed.get(folder, ()):
                project, _, version = name.removesuffix(".dist-info").partition("-")
                if _normalized(project) == distribution:
                    found = version
                    break
        if found is None:
            from importlib import metadata

            found = metadata.version(distribution)
        versions.append(f"{module} {found}")
    return "\n".join(versions)


def code_version() -> str:
    """What, besides content, shapes the built site: sitegen's build code, theme, strings, parsers."""
    return _digest(tree_digest(PACKAGE, NOT_BUILD).encode(), library_versions(list(PARSERS)).encode())


# --- parallel map ------------------------------------------------------------------------------

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # inherited by forked workers
_frozen = False  # the build froze the objects it made (see freeze_objects)


def freeze_objects() -> None:
    """Put every object made so far out of the cycle collector's reach, until :func:`thaw_objects`
    (gc.get_freeze_count would walk them all to say so: a flag instead)."""
    global _frozen
    gc.freeze()
    _frozen = True


def thaw_objects() -> None:
    """Give the objects :func:`freeze_objects` froze back to the cycle collector."""
    global _frozen
    gc.unfreeze()
    _frozen = False


def _quiet_worker() -> None:
    """In a worker: Ctrl-C is the parent's to handle; termination unwinds (temp files removed), silently."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_quietly)


def _exit_quietly(signum: int, frame: Any) -> None:
    remove_in_flight()  # a temp file the signal caught between its open and its cleanup
    raise SystemExit(1)  # multiprocessing ends a worker on SystemExit without printing anything


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    func, items = _WORK  # type: ignore[misc]
    return [func(item) for item in items[bounds[0] : bounds[1]]]


def parallel_map(
    func: Callable[[_T], _R],
    items: Sequence[_T],
    jobs: int,
    cost: int | None = None,
    meanwhile: Callable[[], Any] | None = None,
) -> Iterator[list[_R]]:
    """Apply ``func`` to every item, in ``jobs`` forked processes when there is enough work
    (``cost``: its size in simple items, when items differ; by default one per item).

    Yields lists of results in order, chunk by chunk (for progress). Workers inherit ``func`` and
    ``items`` through fork, so nothing but the results is pickled. ``meanwhile``: work for this
    process while the workers start, called once they are (never without workers).
    """
    global _WORK
    work = len(items) if cost is None else cost
    if jobs <= 1 or work < PARALLEL_MIN or len(items) < jobs or "fork" not in _start_methods():
        step = max(1, len(items) // 50)
        for start in range(0, len(items), step):
            yield [func(item) for item in items[start : start + step]]
        return
    chunks = chunk_bounds(len(items), jobs, 16 if cost is None else 1)  # uneven items: down to one
    _WORK = (func, items)
    frozen = _frozen  # what the build froze stays frozen (see steps.build_changed)
    gc.freeze()  # workers then leave the inherited objects' pages shared instead of copying them
    try:
        with get_context("fork").Pool(jobs, initializer=_quiet_worker) as pool:
            results = pool.imap(_run_chunk, chunks)
            if meanwhile is not None:
                meanwhile()
            yield from results
            # Done: let the workers end on their own. The with-block's exit would SIGTERM them,
            # and a worker ended by SIGTERM while it holds the task queue's lock (SystemExit
            # raised between taking the lock and Python seeing it) leaves the others blocked forever.
            pool.close()
            pool.join()
    finally:
        _WORK = None
        if not frozen:
            gc.unfreeze()


def chunk_bounds(count: int, jobs: int, least: int) -> list[tuple[int, int]]:
    """(start, end) of the chunks ``count`` items are handed out in: each a share of what is left
    (at most 500 items, at least ``least``), so they shrink towards the end and the workers finish
    together instead of one waiting for the other's last big chunk."""
    bounds, start = [], 0
    while start < count:
        size = max(least, min(500, (count - start) // (jobs * 4)))
        bounds.append((start, min(count, start + size)))
        start += size
    return bounds


def _start_methods() -> list[str]:
    from multiprocessing import get_all_start_methods

    return get_all_start_methods()


def _list_all_media(folders: list[str]) -> dict[str, dict[str, int]]:
    """:func:`sitegen.build.load.list_media` of each channel folder, by folder."""
    return {folder: list_media(Path(folder)) for folder in folders}


# --- posts -------------------------------------------------------------------------------------


def post_key(version: str, channel: str, name: str, data: bytes) -> str:
    """The cache key of a post file: its channel, name and bytes, and the code that reads it."""
    return _digest(channel.encode(), name.encode(), version.encode(), data)


Stamp = tuple[int, int, int, int]  # a file's size, mtime, ctime and inode


def scan_posts(
    folder: str, channel: str, known: dict[str, tuple[Stamp, str]], version: str
) -> tuple[list[tuple[str, Stamp, str]], list[str], int, int]:
    """The post files of a posts folder held against ``known`` (name -> (stamp, key)): the files
    new or changed, with their stamps and keys (read and hashed), the names gone, and the files'
    bytes and count.

    A file whose size, mtime, ctime and inode are those in ``known`` keeps its key without being
    read: an edit, even one that puts the old mtime back, changes the ctime; a checkout that only
    resets mtimes costs one read of each file, and keys stay the same.
    """
    fd = os.open(folder, os.O_RDONLY)  # listed and stat'ed by name in the folder: no paths walked
    stamps: dict[str, Stamp] = {}
    size, name = 0, ""
    try:
        with os.scandir(fd if os.scandir in os.supports_fd else folder) as found:
            for entry in found:
                name = entry.name
                if name.endswith(".md"):
                    st = entry.stat()
                    if S_ISREG(st.st_mode):
                        stamps[name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                        size += st.st_size
    except OSError as exc:
        raise BuildError(f"{folder}/{name}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    changes = []
    get = known.get
    new = 0
    for name, stamp in stamps.items():
        old = get(name)
        if old is None or old[0] != stamp:
            new += old is None
            path = os.path.join(folder, name)  # strings: pathlib costs more than hashing here
            try:
                key = post_key(version, channel, name, read_bytes(path))
            except OSError as exc:
                raise BuildError(f"{path}: cannot read: {exc.strerror}") from None
            changes.append((name, stamp, key))
    gone = [name for name in known if name not in stamps] if len(known) + new != len(stamps) else []
    return changes, gone, size, len(stamps)


def _scan_all_posts(
    folders: list[tuple[str, str]], known: dict[str, dict[str, tuple[Stamp, str]]], version: str
) -> dict[str, Any]:
    """:func:`scan_posts` of each (posts folder, channel), by folder; a folder it cannot read is left
    out (the build reads it again, and reports the error)."""
    found = {}
    for folder, channel in folders:
        if os.path.isdir(folder):
            with contextlib.suppress(BuildError):
                found[folder] = scan_posts(folder, channel, known.get(folder, {}), version)
    return found


def _warm_up() -> None:
    """Load Markdown and compile its patterns here, before workers fork: they inherit them."""
    from sitegen.build.markdown import markdown_to_html
    from sitegen.build.pages import post_detail  # noqa: F401

    markdown_to_html("**warm** ||up|| #tag https://example.org", "c")


def parse_detail(path: str | Path, channel: str, data: bytes | None = None) -> tuple[Any, Any]:
    """Parse and render one post file: its head and its detail (see pages.PostHead, PostDetail).

    A media path that would leave the channel folder stops the build here, so no head in the
    cache has one."""
    from sitegen.build.markdown import markdown_to_html  # Markdown loads only when a post is new
    from sitegen.build.pages import head_files, post_detail, post_head

    if data is None:
        try:
            data = read_bytes(path)
        except OSError as exc:
            raise BuildError(f"{path}: cannot read: {exc.strerror}") from None
    post = parse_post_file(Path(path), data)
    post.channel = channel
    detail, tags = post_detail(post, markdown_to_html(post.text, channel))
    head = post_head(post, tags)
    for file, what in head_files(head):
        try:
            check_relative(file)
        except UnsafePathError as exc:
            raise BuildError(f"{path}: media {what}: {exc}") from None
    return head, detail


def _parse(item: tuple[str, str, str]) -> tuple[str, Any, bytes]:
    """Read, parse and render one post file: its key (of the bytes read here), head and pickled detail."""
    path, channel, version = item
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise BuildError(f"{path}: cannot read: {exc.strerror}") from None
    head, detail = parse_detail(path, channel, data)
    blob = pickle.dumps(detail, protocol=pickle.HIGHEST_PROTOCOL)
    return post_key(version, channel, os.path.basename(path), data), head, blob


def _save_page_store(cache: BuildCache, pages: set[str]) -> str:
    """Write ``cache``'s page store (see :meth:`BuildCache.save_pages`) through a connection of its
    own; "" when written, else why not (the warning the build reports)."""
    store = PageStore(cache.page_store.path, cache.version)
    try:
        if cache.reset:
            known: Any = ()
        elif cache.last_state is not None:  # the state is saved right after the page store
            known = cache.last_sizes
        else:
            known = store.paths()
        gone = [path for path in known if path not in pages and path not in cache.records]
        store.save(cache.site_key, cache.states, cache.records, gone, cache.reset)
    except (sqlite3.Error, OSError) as exc:
        cache.fail(exc)
        return cache.warning or "cannot write the build cache"
    finally:
        store.close()
    return ""


def _dump(path: Path, value: Any) -> None:
    """Pickle ``value`` straight into a temp file beside ``path`` (no copy in memory), then rename
    it into place; on failure the temp file is removed and the OSError raised."""
    tmp = path.with_name(f"{TEMP_PREFIX}{path.name}")
    try:
        with tmp.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


class FolderStore:
    """A cache of ``{folder: {name: value}}`` on disk: a pickle of the whole, and a log of the
    changes of the builds since, so a build that changed a few posts writes a few entries instead
    of 100,000 (the log is folded into a new whole once it is long).

    Each log frame carries the generation of the whole it follows: frames of another one, or one
    cut short by a killed build, are never applied. Values must be plain data, equal when they
    mean the same; a stale value is harmless to the stores kept here (each is checked by use).
    """

    _FRAME = struct.Struct("<I")

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.log = path.with_name(path.name + ".log")
        self.version = version
        self.generation = b""  # of the whole on disk; b"": none
        self.logged = 0  # entries in the log
        self.log_end = 0  # where the log's last whole frame ends
        self.data: dict[str, dict[str, Any]] = {}

    def load(self) -> dict[str, dict[str, Any]]:
        """The stored data (empty when there is none of this version)."""
        self.data, self.generation, self.logged, self.log_end = {}, b"", 0, 0
        try:
            with self.path.open("rb") as handle:
                version, generation, data = pickle.load(handle)
        except Exception:  # missing, another layout, broken: start over
            return self.data
        if version != self.version:
            return self.data
        self.data, self.generation = data, generation
        try:
            log = self.log.read_bytes()
        except OSError:
            log = b""
        self._replay(log)
        return self.data

    def _replay(self, log: bytes) -> None:
        pos, head = 0, self._FRAME.size
        while pos + head <= len(log):
            (length,) = self._FRAME.unpack_from(log, pos)
            if pos + head + length > len(log):
                break  # cut short
            try:
                generation, changes = pickle.loads(log[pos + head : pos + head + length])
            except Exception:
                break
            if generation != self.generation:
                break
            for folder, changed, removed in changes:
                if changed is None:
                    self.data.pop(folder, None)
                    continue
                entries = self.data.setdefault(folder, {})
                entries.update(changed)
                for name in removed:
                    entries.pop(name, None)
                self.logged += len(changed) + len(removed)
            pos += head + length
        self.log_end = pos

    def save(self, data: dict[str, dict[str, Any]], touched: dict[str, set[str]] | None = None) -> None:
        """Store ``data``: the changes since :meth:`load` appended to the log, or a new whole.

        ``touched``: for a folder it names, only those entries can have been added or changed
        (the others are compared only for removal: 100,000 comparisons saved)."""
        changes: list[tuple[str, dict[str, Any] | None, list[str]]] = []
        count = 0
        hints = touched or {}
        for folder in self.data.keys() | data.keys():
            old, new = self.data.get(folder), data.get(folder)
            if new is None:
                changes.append((folder, None, []))
                continue
            if old is None:
                old = {}
            get = old.get
            names = hints.get(folder)
            if names is not None and folder in self.data:
                candidates = ((name, new[name]) for name in names if name in new)
            else:
                candidates = iter(new.items())
            changed = {
                name: value for name, value in candidates if get(name) is not value and get(name) != value
            }
            removed = list(old.keys() - new.keys())
            if changed or removed or folder not in self.data:
                changes.append((folder, changed, removed))
                count += len(changed) + len(removed)
        if not changes:
            return
        total = sum(len(entries) for entries in data.values())
        if not self.generation or self.logged + count > max(1000, total // 10):
            self._write_whole(data)
        else:
            self._append(changes)
            self.logged += count
        self.data = data

    def _write_whole(self, data: dict[str, dict[str, Any]]) -> None:
        generation = os.urandom(8)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _dump(self.path, (self.version, generation, data))
        self.log.unlink(missing_ok=True)
        self.generation, self.logged, self.log_end = generation, 0, 0

    def _append(self, changes: list[tuple[str, dict[str, Any] | None, list[str]]]) -> None:
        blob = pickle.dumps((self.generation, changes), protocol=pickle.HIGHEST_PROTOCOL)
        with open(self.log, "r+b" if self.log.exists() else "wb") as handle:
            handle.truncate(self.log_end)  # drop a frame a killed build left half-written
            handle.seek(self.log_end)
            handle.write(self._FRAME.pack(len(blob)) + blob)
            self.log_end = handle.tell()


def _common_prefix(old: list[Any], new: list[Any]) -> int:
    """How many leading items two lists share."""
    limit = min(len(old), len(new))
    if old[:limit] == new[:limit]:  # a post added at the end: one comparison in C
        return limit
    for i in range(limit):
        if old[i] != new[i]:
            return i
    return limit


def _common_suffix(old: list[Any], new: list[Any], limit: int) -> int:
    """How many trailing items two lists share, at most ``limit``."""
    if limit and old[len(old) - limit :] == new[len(new) - limit :]:
        return limit
    for k in range(limit):
        if old[len(old) - 1 - k] != new[len(new) - 1 - k]:
            return k
    return limit


def _neighbour_states(ids: list[int], files: list[Any], start: int, end: int) -> dict[int, tuple[Any, ...]]:
    """Each post's (file, older, newer) for the posts at ``start``..``end`` of a channel's list."""
    last = len(ids) - 1
    return {
        ids[i]: (files[i], ids[i - 1] if i else None, ids[i + 1] if i < last else None)
        for i in range(max(0, start), min(end, len(ids)))
    }


POST_FACETS = ("file", "older", "newer")  # a post's facets whose state a build compares
GONE = (None, None, None)  # the state of a post that is not there


def changed_post_facets(
    old: tuple[list[int], list[Any]], new: tuple[list[int], list[Any]]
) -> set[tuple[int, str]]:
    """(post id, facet) of each post of a channel whose "file", "older" or "newer" facet differs
    between two builds' :func:`sitegen.build.pages.post_states`.

    Posts in the run of ids both lists begin with, and in the run both end with, keep their
    neighbours (but for the run's edge) and need only their files compared, in C when unchanged;
    the posts between the runs (new, gone or moved), and the edges, are compared whole."""
    (old_ids, old_files), (new_ids, new_files) = old, new
    m, n = len(old_ids), len(new_ids)
    p = _common_prefix(old_ids, new_ids)
    s = _common_suffix(old_ids, new_ids, min(m, n) - p)
    found: set[tuple[int, str]] = set()
    for old_range, new_range in (((0, p), (0, p)), ((m - s, m), (n - s, n))):
        a, b = old_files[slice(*old_range)], new_files[slice(*new_range)]
        if a != b:
            ids = new_ids[slice(*new_range)]
            found.update((number, "file") for number, x, y in zip(ids, a, b, strict=True) if x != y)
    before = _neighbour_states(old_ids, old_files, p - 1, m - s + 1)  # the edges of both runs too
    after = _neighbour_states(new_ids, new_files, p - 1, n - s + 1)
    for number in before.keys() | after.keys():
        a, b = before.get(number, GONE), after.get(number, GONE)
        found.update((number, facet) for facet, x, y in zip(POST_FACETS, a, b, strict=True) if x != y)
    return found


_FRAME = struct.Struct("<HI")  # a frame: key length, detail length, the key (ASCII), the pickled detail


def _frame(key: str, blob: bytes) -> bytes:
    data = key.encode("ascii")
    return _FRAME.pack(len(data), len(blob)) + data + blob


@dataclass(slots=True)
class PostEntry:
    """One post file as the build knows it: its head, its key, and its detail when this build
    parsed it, else where the detail lies in the :class:`PostStore` (offset and size of its frame)."""

    name: str  # the file's name, <id>.md
    key: str
    head: Any  # pages.PostHead
    offset: int = -1
    size: int = 0
    detail: Any = None  # pages.PostDetail
    store: PostStore | None = None  # where the detail is, with the posts folder and the channel
    folder: str = ""
    channel: str = ""
    loaded: tuple[str, Any, int, int] | None = None  # the index's record this entry was made from

    def record(self) -> tuple[str, Any, int, int]:
        """The post's record in the index: key, head, and where its detail is in the store."""
        loaded = self.loaded
        if loaded is not None and loaded[2] == self.offset and loaded[3] == self.size:
            return loaded  # the same tuple: the index store sees it unchanged at a glance
        return (self.key, self.head, self.offset, self.size)

    def __call__(self) -> Any:
        """The post's detail, from the store (or its file): a post view's ``load``."""
        path = os.path.join(self.folder, self.name)
        if self.store is None:
            return parse_detail(path, self.channel)[1]
        return self.store.detail(self.key, self.offset, self.size, path, self.channel)


class PostStore:
    """Parsed posts' details on disk: a version header, then (key, pickled detail) frames, appended
    as posts arrive; the :class:`PostIndex` says where each post's frame is.

    A build reads only the frames of the posts whose pages it renders (:meth:`detail`), and a frame
    names its key, so a frame that is not the expected one (a store rewritten or cut short by a
    killed build) is never taken for it: the post file is parsed again. Frames of posts no longer in
    content/ are dropped by a compaction once they make up a fifth of the file.
    """

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version
        self.fresh = not self._header_ok()  # start a new file: missing, another version, or broken
        self._handle: tuple[int, Any] | None = None  # (pid, open file): one per forked worker

    def _header_ok(self) -> bool:
        try:
            with self.path.open("rb") as handle:
                return pickle.load(handle) == self.version
        except Exception:  # any unreadable store is simply rebuilt
            return False

    def _read(self, offset: int, size: int) -> bytes:
        pid = os.getpid()
        if self._handle is None or self._handle[0] != pid:
            self._handle = (pid, self.path.open("rb"))
        handle = self._handle[1]
        handle.seek(offset)
        return handle.read(size)

    def close(self) -> None:
        """Close the file this process reads frames from."""
        if self._handle is not None and self._handle[0] == os.getpid():
            self._handle[1].close()
        self._handle = None

    def frame(self, key: str, offset: int, size: int) -> bytes | None:
        """The pickled detail of the frame at ``offset`` if it is the frame of ``key``, else None."""
        if self.fresh or offset < 0:
            return None
        try:
            data = self._read(offset, size)
        except OSError:
            return None
        head = _FRAME.size
        if len(data) != size or size < head:
            return None
        key_length, length = _FRAME.unpack_from(data)
        if data[head : head + key_length] != key.encode("ascii") or head + key_length + length != size:
            return None
        return data[head + key_length :]

    def detail(self, key: str, offset: int, size: int, path: str, channel: str) -> Any:
        """A post's detail from its frame, or from its file when the frame is gone."""
        blob = self.frame(key, offset, size)
        if blob is not None:
            with contextlib.suppress(Exception):  # a frame a killed build left half-written
                return pickle.loads(blob)
        return parse_detail(path, channel)[1]

    def append(self, frames: list[tuple[str, bytes]]) -> list[tuple[int, int]]:
        """Add new posts' frames (a new file when there is none of this version); their places."""
        if self.fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("wb") as handle:
                pickle.dump(self.version, handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.fresh = False
        places = []
        with self.path.open("ab") as handle:
            offset = handle.tell()
            data = [_frame(key, blob) for key, blob in frames]
            for frame in data:
                places.append((offset, len(frame)))
                offset += len(frame)
            handle.write(b"".join(data))
        return places

    def compact(self, live: list[PostEntry]) -> bool:
        """Rewrite the file with only the frames of ``live`` posts once the others are many; their
        new places are set on the entries. Says whether it rewrote the file."""
        if self.fresh:
            return False
        try:
            total = self.path.stat().st_size
        except OSError:
            return False
        used = sum(entry.size for entry in live if entry.offset >= 0)
        if total - used <= max(1_000_000, total // 5):
            return False
        self.close()
        tmp = self.path.with_name(f"{TEMP_PREFIX}{self.path.name}")
        with self.path.open("rb") as source, tmp.open("wb") as target:
            pickle.dump(self.version, target, protocol=pickle.HIGHEST_PROTOCOL)
            for entry in sorted(live, key=lambda e: e.offset):
                if entry.offset < 0:
                    continue
                source.seek(entry.offset)
                data = source.read(entry.size)
                if len(data) != entry.size:  # cut short: the post is parsed again when needed
                    entry.offset = -1
                    continue
                entry.offset = target.tell()
                target.write(data)
        os.replace(tmp, self.path)
        return True


def _context_blob(page: Page, names: tuple[str, ...]) -> bytes:
    """What a page's render read of its own context (see pages.context_values), as the store keeps it."""
    from sitegen.build.pages import context_values

    return pickle.dumps(context_values(page, names), protocol=pickle.HIGHEST_PROTOCOL)


def read_key(key: ReadKey) -> str:
    """A read key as the page store keeps it: "<post id or -1> <facet> <channel>"."""
    return f"{key[1]} {key[2]} {key[0]}"


class PageStore:
    """What each page of the last build was rendered from, in SQLite, so a build looks up only the
    pages that read something that changed instead of loading every page's record.

    - ``page``: each page's template, what it read of its own context (names, and their values as
      plain data: not kept for pages whose context follows from their path), its read keys and
      its file's size;
    - ``reads``: (read key, page) for every key each page read, the index to find the pages to
      render again from the keys whose state changed;
    - ``meta``: the store's version, the site key and the state of every facet of every post and
      channel (see :meth:`BuildCache.set_site`).

    A build's changes are written in one transaction at its end: a killed build leaves the last one.
    """

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value BLOB)",
        "CREATE TABLE IF NOT EXISTS page(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL,"
        " template TEXT, size INTEGER, names TEXT, vals BLOB, reads TEXT)",
        "CREATE TABLE IF NOT EXISTS reads(key TEXT, page INTEGER, PRIMARY KEY(key, page)) WITHOUT ROWID",
    )

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = self._open()
            except sqlite3.Error:  # unreadable (a broken file): start over
                for suffix in ("", "-journal", "-wal"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path)
        try:
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("PRAGMA synchronous=OFF")  # a cache: losing it costs a full build, nothing more
            for statement in self.SCHEMA:
                db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE name='version'").fetchone()
            if row is None or row[0] != self.version:
                db.execute("DELETE FROM page")
                db.execute("DELETE FROM reads")
                db.execute("DELETE FROM meta")
                db.execute("INSERT INTO meta VALUES('version', ?)", (self.version,))
                db.commit()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def site(self) -> tuple[str, dict[str, Any]]:
        """The last build's site key and facet states ("" and {} when there is none)."""
        db = self._connect()
        rows = dict(db.execute("SELECT name, value FROM meta WHERE name IN ('site', 'states')").fetchall())
        try:
            states = pickle.loads(rows["states"]) if "states" in rows else {}
        except Exception:
            return "", {}
        return rows.get("site", ""), states

    def known(self) -> dict[str, tuple[str, int, str, bytes]]:
        """The pages of the last build whose context is not fixed by their path: path -> (template,
        size, context names, their values). (The others: :attr:`BuildCache.last_sizes`.)"""
        query = "SELECT path, template, size, names, vals FROM page WHERE vals NOT NULL"
        rows = self._connect().execute(query)
        return {row[0]: row[1:] for row in rows}

    def paths(self) -> list[str]:
        """Every page of the last build."""
        return [row[0] for row in self._connect().execute("SELECT path FROM page")]

    def reading(self, keys: set[ReadKey]) -> set[str]:
        """The paths of the pages that read any of ``keys``."""
        db = self._connect()
        db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted(key TEXT PRIMARY KEY)")
        db.execute("DELETE FROM wanted")
        db.executemany("INSERT OR IGNORE INTO wanted VALUES(?)", [(read_key(k),) for k in keys])
        query = "SELECT DISTINCT path FROM reads JOIN wanted USING(key) JOIN page ON page.id = reads.page"
        found = {row[0] for row in db.execute(query)}
        db.execute("DELETE FROM wanted")
        return found

    def save(
        self,
        site: str,
        states: dict[str, Any],
        records: dict[str, tuple[str, int, str | None, bytes | None, list[str]]],
        gone: list[str],
        reset: bool,
    ) -> None:
        """Write a build's changes: the pages it rendered (``records``: path -> (template, size,
        names, values, read keys)), the pages it no longer makes (``gone``), the site key and the
        states; ``reset``: every page record of the last build is dropped first."""
        db = self._connect()
        with db:
            if reset:
                db.execute("DELETE FROM page")
                db.execute("DELETE FROM reads")
            stale = list(records) + gone
            for start in range(0, len(stale), 500):
                chunk = stale[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT id, reads FROM page WHERE path IN ({marks})", chunk).fetchall()
                db.executemany(
                    "DELETE FROM reads WHERE key=? AND page=?",
                    [(key, page) for page, reads in rows for key in (reads or "").split("\n") if key],
                )
                db.execute(f"DELETE FROM page WHERE path IN ({marks})", chunk)
            pages = []
            for path, (template, size, names, values, reads) in records.items():
                pages.append((path, template, size, names, values, "\n".join(reads)))
            db.executemany(
                "INSERT INTO page(path, template, size, names, vals, reads) VALUES(?, ?, ?, ?, ?, ?)", pages
            )
            ids: dict[str, int] = {}
            paths = list(records)
            for start in range(0, len(paths), 500):
                chunk = paths[start : start + 500]
                marks = ",".join("?" * len(chunk))
                ids.update(db.execute(f"SELECT path, id FROM page WHERE path IN ({marks})", chunk))
            db.executemany(
                "INSERT OR IGNORE INTO reads VALUES(?, ?)",
                [(key, ids[path]) for path, record in records.items() for key in record[4]],
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES('site', ?)", (site,))
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES('states', ?)",
                (pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL),),
            )

    def close(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()
            self._db = None


class BuildCache:
    """The stores of ``.sitegen-cache/`` for one output folder."""

    def __init__(self, cfg: Config, clean: bool = False) -> None:
        self.folder = cfg.output_dir.parent / CACHE_DIR
        self.progress: ProgressSink = NoProgress()  # the build's: a bar while new posts are parsed
        if clean and self.folder.is_dir():
            shutil.rmtree(self.folder)
        self.version = code_version()
        name = _digest(str(cfg.output_dir.resolve()).encode())[:12]  # per output: no thrashing
        self.posts_file = self.folder / f"posts-{name}.frames"
        self.index_file = self.folder / f"index-{name}.pickle"
        self.state_file = self.folder / f"state-{name}.pickle"
        self.stats_file = self.folder / f"files-{name}.pickle"
        self.stats_store = FolderStore(self.stats_file, self.version)
        # the store's data stays as loaded (save() compares with it): this dict's folders are replaced
        self.file_stats: dict[str, dict[str, tuple[tuple[int, int, int, int], str]]] = dict(
            self.stats_store.load()
        )
        self.stats_changed = False
        self.hashed: list[tuple[str, str]] = []  # (folder, name) of the post files read this build
        self.posts_tally: dict[str, tuple[int, int]] = {}  # posts folder -> (bytes, files), by hash_posts
        self.output = cfg.output_dir
        self.scanned: dict[Path, list[tuple[str, str]]] = {}
        self.media: dict[Path, dict[str, int]] = {}  # each channel's media files, listed by fingerprint()
        self.posts = PostStore(self.posts_file, self.version)
        self.index_store = FolderStore(self.index_file, self.version)
        self.index: dict[str, dict[str, tuple[str, Any, int, int]]] | None = None  # see _load_index
        self.entries: dict[str, list[PostEntry]] = {}  # this build's posts, by posts folder
        self.parsed: dict[str, set[str]] = {}  # the post files parsed this build, by posts folder
        self.kept = 0  # parsed posts whose details this build keeps in memory (see read_posts)
        self.page_store = PageStore(self.folder / f"pages-{name}.sqlite", self.version)
        self.states: dict[str, Any] = {}
        self.changed: set[Any] = set()
        self.reset = True  # every page is rendered: no site key of the last build, or another one
        self.records: dict[str, tuple[str, int, str | None, bytes | None, list[str]]] = {}
        self.sizes: dict[str, int] = {}  # each page's file size, for the next no-op check
        self.last_sizes: dict[str, int] = {}  # the same, of the last build (see start_check())
        self.last_links: dict[str, Link] = {}  # the media the last build hard-linked into output/
        self.last_state: Any = None  # (fingerprint, report) of the last build
        self.scan: Forked | None = None  # the post files held against file_stats, in a child process
        self.check: Forked | None = None  # changed_outputs(), worked out in another
        self.listing: Forked | None = None  # the media of every channel, listed in another
        self.output_changes: set[str] | None = None  # see changed_outputs()
        self.jobs = 1  # processes the build may use (start_check)
        self.jobs_started: list[Forked] = []  # other work of this build in child processes (fork)
        self.saving: tuple[Forked, set[str]] | None = None  # the page store being written (save_pages)
        self.search_file = self.folder / f"search-size-{name}.pickle"
        self.search_tally: dict[str, object] = self._load(self.search_file, {})  # see sizes.folder_tally
        self.site_key = ""
        self.warning = ""  # set when the cache cannot be written: the build goes on without it
        self.templates: QuietBytecodeCache | None = None

    def _load(self, path: Path, empty: Any) -> Any:
        """A store saved by this very code, or ``empty``."""
        try:
            with path.open("rb") as handle:
                version, data = pickle.load(handle)
        except (
            OSError,
            EOFError,
            ValueError,
            TypeError,
            pickle.UnpicklingError,
            AttributeError,
            ImportError,
        ):
            return empty
        return data if version == self.version else empty

    def _save(self, path: Path, data: Any) -> None:
        """Save ``data`` with this code's version (see :func:`_dump`); a failure: no cache."""
        try:
            _dump(path, (self.version, data))
        except OSError as exc:
            self.fail(exc)

    # posts

    def read_posts(
        self, channel_dir: Path, jobs: int, meanwhile: list[Callable[[], Any]] | None = None
    ) -> list[PostEntry]:
        """A channel's posts, oldest first: each post file's key, head and where its detail is.

        Only files whose bytes are new to the cache are parsed (in parallel when there are many);
        their details go to the post store, and are loaded again only for the pages that show them
        (a build that parsed at most :data:`KEEP_PARSED` posts keeps theirs in memory as well).
        ``meanwhile``: work for this process while the first workers parse, taken from the list.
        """
        channel = channel_dir.name
        keys = self.scanned.pop(channel_dir, None)
        if keys is None:
            keys = self.hash_posts(channel_dir)
        folder = str(channel_dir / POSTS_DIR)
        known = self._load_index().get(folder, {})
        store = self.posts
        entries: list[PostEntry] = []
        work = []
        for name, key in keys:
            old = known.get(name)
            if old is not None and old[0] == key:
                entries.append(
                    PostEntry(name, key, old[1], old[2], old[3], None, store, folder, channel, old)
                )
            else:
                work.append((os.path.join(folder, name), channel, self.version))
        self.parsed[folder] = {os.path.basename(path) for path, _, _ in work}
        # A few thousand parsed posts' details are kept (a post's detail is read for two or three
        # pages in a cold build); more would hold too much memory (about 8 KB a post).
        keep = self.kept + len(work) <= KEEP_PARSED  # over all channels
        self.kept += len(work) if keep else 0
        if work:
            _warm_up()
            self.progress.begin(f"Parsing posts of @{channel}", len(work))
        done = 0
        todo = meanwhile if meanwhile is not None else []

        def take_meanwhile() -> None:  # once: the list is left empty for the other channels
            while todo:
                todo.pop()()

        for chunk in parallel_map(_parse, work, jobs, meanwhile=take_meanwhile):
            self.progress.advance(len(chunk))
            places: list[tuple[int, int]] = []
            if not self.warning:
                try:
                    places = self.posts.append([(key, blob) for key, _, blob in chunk])
                except OSError as exc:
                    self.fail(exc)
            for i, (key, head, blob) in enumerate(chunk):
                name = os.path.basename(work[done + i][0])
                entry = PostEntry(name, key, head, store=store, folder=folder, channel=channel)
                if places:  # in the store: loaded from there when a page needs it
                    entry.offset, entry.size = places[i]
                if keep or not places:  # and kept: the workers that render inherit it
                    entry.detail = pickle.loads(blob)
                entries.append(entry)
            done += len(chunk)
        entries.sort(key=lambda e: e.head[0])
        self.entries[folder] = entries
        return entries

    def hash_posts(self, channel_dir: Path) -> list[tuple[str, str]]:
        """Each post file of a channel (its name) with its cache key (a hash of its bytes), by name.

        A file whose size, mtime, ctime and inode are those of the last build keeps its key
        without being read (see :func:`scan_posts`). The files are looked at by the child process
        :meth:`start_check` started, when there is one; here otherwise, or when it failed.
        """
        posts_dir = channel_dir / POSTS_DIR
        if not posts_dir.is_dir():
            return []
        folder = str(posts_dir)
        known = self.file_stats.get(folder, {})
        scans = self.scan.result() if self.scan is not None else None
        found = scans.pop(folder, None) if isinstance(scans, dict) else None  # held against known: once
        if found is None:  # no child, or it could not read this folder: here, with the error
            found = scan_posts(folder, channel_dir.name, known, self.version)
        changes, gone, size, count = found
        seen = known
        if changes or gone:
            seen = dict(known)  # the unchanged entries stay the same tuples: the store sees them at a glance
            for name, stamp, key in changes:
                seen[name] = (stamp, key)  # a tuple, as marshal brings it back
                self.hashed.append((folder, name))
            for name in gone:
                del seen[name]
            self.stats_changed = True
        self.posts_tally[folder] = (size, count)
        self.file_stats[folder] = seen
        return [(name, seen[name][1]) for name in sorted(seen)]  # names come nearly sorted: cheap

    def save_file_stats(self) -> None:
        """Remember each post file's size, times and inode with its key, for the next build.

        Files changed in the last two seconds are left out (read again next time): an edit in
        the same clock tick as the hashing would otherwise keep its stale key.
        """
        if not self.stats_changed or self.warning:
            return
        recent = time.time_ns() - 2_000_000_000
        stats = dict(self.file_stats)
        touched: dict[str, set[str]] = {folder: set() for folder in stats}  # only files read can differ
        for folder, name in self.hashed:
            touched.setdefault(folder, set()).add(name)
        for folder, name in self.hashed:  # only a file read this build can be that new
            stat = stats.get(folder, {}).get(name)
            if stat is not None and (stat[0][1] >= recent or stat[0][2] >= recent):
                if stats[folder] is self.file_stats[folder]:
                    stats[folder] = dict(stats[folder])
                del stats[folder][name]
        self.hashed.clear()
        try:
            self.stats_store.save(stats, touched)
        except OSError as exc:
            self.fail(exc)
        self.stats_changed = False

    def list_media(self, channel_dir: Path) -> dict[str, int]:
        """A channel's media files (as :func:`sitegen.build.load.list_media`), listed once a build
        (by the child process :meth:`start_check` started, when there is one)."""
        media = self.media.get(channel_dir)
        if media is None:
            listed = self.listing.result() if self.listing is not None else None
            media = listed.get(str(channel_dir)) if isinstance(listed, dict) else None
            if media is None:
                media = list_media(channel_dir)
            self.media[channel_dir] = media
        return media

    # the whole site

    def fingerprint(self, cfg: Config) -> str | None:
        """A hash of everything a build reads: post and channel files, media names, templates, settings."""
        if not cfg.content_dir.is_dir():
            return None
        parts = [self.version.encode(), repr(cfg).encode(), tree_digest(cfg.templates_dir).encode()]
        for channel_dir in channel_dirs(cfg.content_dir):
            keys = self.scanned[channel_dir] = self.hash_posts(channel_dir)
            header = channel_dir / CHANNEL_FILE
            parts += [channel_dir.name.encode(), header.read_bytes() if header.is_file() else b"-"]
            media = self.list_media(channel_dir)  # and their inodes: a file replaced is a change
            parts += ["\n".join(f"{name} {inode}" for name, inode in media.items()).encode()]
            parts.append("\n".join([key for _, key in keys]).encode())  # one part: 100,000 keys
        return _digest(*parts)

    def start_check(self, content: Path, jobs: int) -> None:
        """Load the last build's state, and start two passes of system calls in child processes
        (when ``jobs`` allows) while this one reads the post files: the output folder held
        against that state (:func:`changed_outputs`), and every channel's media listed."""
        self.jobs = jobs
        channels = channel_dirs(content)
        posts = [(str(folder / POSTS_DIR), folder.name) for folder in channels]
        self.scan = Forked(_scan_all_posts, posts, self.file_stats, self.version, jobs=jobs)
        self.listing = Forked(_list_all_media, [str(folder) for folder in channels], jobs=jobs)
        state = self._load(self.state_file, None)
        if state is None:
            return
        self.last_state = state[:2]
        self.last_sizes, self.last_links = state[2], state[3]
        self.check = Forked(
            changed_outputs, os.fspath(self.output), self.last_sizes, self.last_links, jobs=jobs
        )

    def changed_outputs(self) -> set[str] | None:
        """The last build's output files that are not as it left them (None: unknown, so none is trusted)."""
        if self.check is not None:
            found = self.check.result()
            self.output_changes = None if found is None else set(found)
            self.check = None
        return self.output_changes

    def fork(self, func: Callable[..., Any], *args: Any) -> Forked:
        """``func(*args)`` in a child process of this build (:class:`Forked`), stopped by :meth:`close`."""
        job = Forked(func, *args, jobs=self.jobs)
        self.jobs_started.append(job)
        return job

    def close(self) -> None:
        """Stop the child processes if they still run (a build that failed or was interrupted)."""
        for job in (self.scan, self.check, self.listing, *self.jobs_started):
            if job is not None:
                job.close()

    def unchanged(self, fingerprint: str | None) -> Any:
        """The last build's report if it built exactly this and its files are all still in place."""
        self.save_file_stats()
        if fingerprint is None or self.last_state is None or self.last_state[0] != fingerprint:
            return None
        if self.changed_outputs() != set():
            return None
        return self.last_state[1]

    def bytecode_cache(self) -> QuietBytecodeCache:
        """Where Jinja keeps compiled templates between builds (keyed by their source)."""
        from sitegen.build.render import QuietBytecodeCache  # Jinja loads only when pages render

        self.templates = QuietBytecodeCache(str(self.folder / "jinja"))
        return self.templates

    def forget_state(self) -> None:
        """Before a build changes output/: a killed build must not look finished."""
        self.state_file.unlink(missing_ok=True)

    def save_state(self, fingerprint: str | None, report: Any, links: dict[str, Link]) -> None:
        """After a whole build: what it built from, its report for the next no-op build, and the
        media it hard-linked (``links``)."""
        if fingerprint is not None and not self.warning:
            self._save(self.state_file, (fingerprint, report, self.sizes, links))
            self._save(self.search_file, self.search_tally)
        self.save_file_stats()

    def load_content(
        self,
        content_dir: Path,
        jobs: int,
        failures: dict[str, str] | None = None,
        meanwhile: Callable[[], Any] | None = None,
    ) -> list[ChannelSource]:
        """:func:`sitegen.build.load.load_content` through the cache: each post as a :class:`PostEntry`.

        ``failures``: channels that cannot be read are left out and recorded there (folder -> error).
        ``meanwhile``: work for this process while workers parse posts, if any do.
        """
        gc.disable()  # loading makes no garbage cycles, only objects that live on (see build_site)
        self._load_index()
        later = [meanwhile] if meanwhile is not None else []

        def read(channel_dir: Path) -> list[PostEntry]:
            return self.read_posts(channel_dir, jobs, later)

        sources = load_content(content_dir, read, failures, self.list_media)
        self.save_index()
        return sources

    def _load_index(self) -> dict[str, dict[str, tuple[str, Any, int, int]]]:
        """The post index, loaded once a build."""
        if self.index is None:
            self.index = dict(self.index_store.load()) if not self.posts.fresh else {}
        return self.index

    def read_ahead(self) -> None:
        """While a child process holds the post files against the last build (:meth:`start_check`):
        read what a build that changed something reads next, the post index and the build's code.
        A build that changed nothing has waited for the child instead."""
        if self.scan is not None and self.scan.pid:
            self._load_index()
            import sitegen.build.steps  # noqa: F401 - Markdown and Jinja, loaded here for later

    def save_index(self) -> None:
        """Save where each post's detail is (dropping dead frames from the store once they are many)."""
        if self.warning:
            return
        entries = {  # a channel that failed to load this time keeps its posts
            folder: [PostEntry(name, *value) for name, value in known.items()]
            for folder, known in self._load_index().items()
            if folder not in self.entries and os.path.isdir(folder)
        }
        entries.update(self.entries)
        try:
            compacted = self.posts.compact([entry for folder in entries.values() for entry in folder])
        except OSError as exc:
            self.fail(exc)
            return
        index = {
            folder: {e.name: e.record() for e in posts if e.offset >= 0} for folder, posts in entries.items()
        }
        touched = None if compacted else {folder: self.parsed.get(folder, set()) for folder in index}
        try:
            self.index_store.save(index, touched)  # only parsed posts can be new: see FolderStore.save
        except OSError as exc:
            self.fail(exc)
        self.index = {}

    # pages

    def set_site(self, cfg: Config, sections: list[Section], globals_: dict[str, Any]) -> None:
        """Compare this build's inputs with the last one's: what every page shares (templates,
        settings, code, channels) and the state of each facet of each post and channel, which
        :meth:`stale_pages` holds against what each page read."""
        from sitegen.build.pages import ALWAYS, post_states, section_state

        shared = {
            k: v for k, v in sorted(globals_.items()) if isinstance(v, (str, int, float, bool, type(None)))
        }
        self.site_key = _digest(
            self.version.encode(),  # the code, and the versions of Jinja, MarkupSafe and the parsers
            tree_digest(cfg.templates_dir).encode(),
            repr((cfg, shared, [s.name for s in sections])).encode(),
        )
        self.states = {s.name: (post_states(s.posts), section_state(s)) for s in sections}
        self.changed = {ALWAYS}
        try:
            last_site, last_states = self.page_store.site()
        except sqlite3.Error:
            last_site, last_states = "", {}
        self.reset = last_site != self.site_key
        if self.reset:
            return
        empty: tuple[tuple[list[int], list[Any]], dict[str, str]] = (([], []), {})
        for channel in last_states.keys() | self.states.keys():
            old_posts, old_facets = last_states.get(channel, empty)
            new_posts, new_facets = self.states.get(channel, empty)
            if old_posts != new_posts:
                changes = changed_post_facets(old_posts, new_posts)
                self.changed.update((channel, number, facet) for number, facet in changes)
            if old_facets != new_facets:
                for facet in old_facets.keys() | new_facets.keys():
                    if old_facets.get(facet) != new_facets.get(facet):
                        self.changed.add((channel, -1, facet))

    def stale_pages(self, pages: list[Page], output: Path) -> list[Page]:
        """The pages to render: all but those the output folder holds as this build would render
        them (the same template, the same values of the context variables they read, none of the
        post and channel facets they read changed, and the file in place with its size).

        A page whose context follows from its path (a post's page) is known by its size alone
        (:attr:`last_sizes`); only the few others' records are read from the page store."""
        known: dict[str, tuple[str, int, str, bytes]] = {}
        dirty: set[str] = set()
        last = self.last_sizes
        changed = self.changed_outputs()
        if self.reset:
            last = {}
        else:
            try:
                known = self.page_store.known()
                dirty = self.page_store.reading(self.changed)
            except sqlite3.Error:
                last = {}
        out = os.fspath(output) + os.sep
        todo = []
        sizes = self.sizes
        for page in pages:
            path = page.path
            if path in dirty:
                todo.append(page)
                continue
            if page.fixed:
                size = last.get(path)
            else:
                record = known.get(path)
                if record is None or record[0] != page.template:
                    todo.append(page)
                    continue
                names = tuple(record[2].split("\n")) if record[2] else ()
                if _context_blob(page, names) != record[3]:
                    todo.append(page)
                    continue
                size = record[1]
            if size is None:
                todo.append(page)
                continue
            if changed is not None and last.get(path) == size:  # held against the file by the output check
                if path in changed:
                    todo.append(page)
                    continue
            else:
                try:
                    if os.stat(out + path).st_size != size:
                        todo.append(page)
                        continue
                except OSError:
                    todo.append(page)
                    continue
            sizes[path] = size
        return todo

    def record_page(self, page: Page, names: tuple[str, ...], reads: frozenset[Any], size: int) -> None:
        """Remember what the file of ``page`` was rendered from: what the render read of the page's
        context (``names``) and of the posts and channels (``reads``)."""
        values = None if page.fixed else _context_blob(page, names)
        keys = [read_key(key) for key in reads]
        self.records[page.path] = (page.template, size, "\n".join(names), values, keys)
        self.sizes[page.path] = size

    def fail(self, exc: OSError | sqlite3.Error) -> None:
        """Go on without writing the cache (a read-only or full disk beside the output folder)."""
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        self.warning = f"cannot write the build cache in '{self.folder}' ({reason}): rebuilds start over"

    def save_pages(self, pages: set[str]) -> None:
        """Start writing the page store: the pages this build rendered, and those of the last build
        not in ``pages`` dropped. A child process writes many records while this one copies media
        and writes feeds (:meth:`save` waits for it); :meth:`save` writes a few itself."""
        self.page_store.close()  # the child opens its own connection
        jobs = self.jobs if len(self.records) >= SAVE_IN_CHILD else 1
        job = Forked(_save_page_store, self, pages, jobs=jobs)
        self.jobs_started.append(job)
        self.saving = (job, pages)

    def save(self, made: set[str]) -> None:
        """Write the compiled templates, once the page store is written (:meth:`save_pages`)."""
        if self.saving is not None:
            job, pages = self.saving
            self.saving = None
            problem = job.result()
            if problem is None:  # the child failed: here, then
                problem = _save_page_store(self, pages)
            if problem:
                self.warning = problem
        self.sizes = {path: size for path, size in self.sizes.items() if path in made}
        try:
            (self.folder / "jinja").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.fail(exc)
            return
        if self.templates:
            self.templates.flush()
