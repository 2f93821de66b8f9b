"""The build cache: skip reading, rendering and writing what has not changed since the last build.

Stores in ``.sitegen-cache/`` beside the output folder (``--clean`` drops it), one set per output:

- ``posts-<output>.frames``: each post file's parsed front matter and rendered Markdown, keyed by a
  hash of the file's bytes and of sitegen's own code;
- ``files-<output>.pickle``: each post file's size, mtime, ctime and inode with that key, so an
  unchanged file is not read again (an edit changes the ctime even if it puts the mtime back);
- ``pages-<output>.pickle``: the site key (templates, settings, code, channels), the state of each
  facet of each post and channel, and for each page what its render read (context variables and
  post and channel facets, see :class:`sitegen.build.pages.READS`) and the file's size;
- ``state-<output>.pickle``: the fingerprint of the last build's inputs, its report and page sizes.

A page is rendered again only when something it read changed. Parsing and rendering of what is
left run in worker processes (fork) when there is enough of it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import pickle
import shutil
import signal
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sitegen.build.load import BuildError, ChannelSource, file_names, load_content
from sitegen.build.write import MANIFEST
from sitegen.config import Config
from sitegen.content import CHANNEL_FILE, MEDIA_DIR, POSTS_DIR, channel_dirs, parse_post_file
from sitegen.files import TEMP_PREFIX, read_bytes
from sitegen.model import Post
from sitegen.progress import NoProgress, ProgressSink

if TYPE_CHECKING:  # only for annotations: a build with nothing to do never loads them
    from sitegen.build.pages import Page, Section
    from sitegen.build.render import QuietBytecodeCache

CACHE_DIR = ".sitegen-cache"
PACKAGE = Path(__file__).resolve().parents[1]  # sitegen/: its code, theme and strings shape every page
PARALLEL_MIN = 100  # below this many items, worker processes cost more than they save
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


def code_version() -> str:
    """What, besides content, shapes the built site: sitegen's build code, theme, strings, parsers."""
    names = ("markdown-it-py", "linkify-it-py", "PyYAML", "Jinja2", "MarkupSafe")
    versions = [metadata.version(name) for name in names]
    return _digest(tree_digest(PACKAGE, NOT_BUILD).encode(), " ".join(versions).encode())


# --- parallel map ------------------------------------------------------------------------------

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # inherited by forked workers


def _quiet_worker() -> None:
    """In a worker: Ctrl-C is the parent's to handle; termination unwinds (temp files removed), silently."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_quietly)


def _exit_quietly(signum: int, frame: Any) -> None:
    raise SystemExit(1)  # multiprocessing ends a worker on SystemExit without printing anything


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    func, items = _WORK  # type: ignore[misc]
    return [func(item) for item in items[bounds[0] : bounds[1]]]


def parallel_map(
    func: Callable[[_T], _R], items: Sequence[_T], jobs: int, cost: int | None = None
) -> Iterator[list[_R]]:
    """Apply ``func`` to every item, in ``jobs`` forked processes when there is enough work
    (``cost``: its size in simple items, when items differ; by default one per item).

    Yields lists of results in order, chunk by chunk (for progress). Workers inherit ``func`` and
    ``items`` through fork, so nothing but the results is pickled.
    """
    global _WORK
    work = len(items) if cost is None else cost
    if jobs <= 1 or work < PARALLEL_MIN or len(items) < jobs or "fork" not in _start_methods():
        step = max(1, len(items) // 50)
        for start in range(0, len(items), step):
            yield [func(item) for item in items[start : start + step]]
        return
    size = max(16 if cost is None else 1, min(500, len(items) // (jobs * 8)))  # uneven items: small chunks
    chunks = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _WORK = (func, items)
    gc.freeze()  # workers then leave the inherited objects' pages shared instead of copying them
    try:
        with get_context("fork").Pool(jobs, initializer=_quiet_worker) as pool:
            yield from pool.imap(_run_chunk, chunks)
            # Done: let the workers end on their own. The with-block's exit would SIGTERM them,
            # and a worker ended by SIGTERM while it holds the task queue's lock (SystemExit
            # raised between taking the lock and Python seeing it) leaves the others blocked forever.
            pool.close()
            pool.join()
    finally:
        _WORK = None
        gc.unfreeze()


def _start_methods() -> list[str]:
    from multiprocessing import get_all_start_methods

    return get_all_start_methods()


# --- posts -------------------------------------------------------------------------------------


def post_key(version: str, channel: str, name: str, data: bytes) -> str:
    """The cache key of a post file: its channel, name and bytes, and the code that reads it."""
    return _digest(channel.encode(), name.encode(), version.encode(), data)


def _warm_up() -> None:
    """Load Markdown and compile its patterns here, before workers fork: they inherit them."""
    from sitegen.build.markdown import markdown_to_html
    from sitegen.build.pages import post_texts  # noqa: F401

    markdown_to_html("**warm** ||up|| #tag https://example.org", "c")


def _parse(item: tuple[Path, str, str]) -> tuple[str, bytes]:
    """Read, parse and render one post file: its key (of the bytes read here) and its cached form."""
    from sitegen.build.markdown import markdown_to_html  # Markdown loads only when a post is new
    from sitegen.build.pages import post_texts

    path, channel, version = item
    try:
        data = read_bytes(path)
    except OSError as exc:
        raise BuildError(f"{path}: cannot read: {exc.strerror}") from None
    post = parse_post_file(path, data)
    post.channel = channel
    body = markdown_to_html(post.text, channel)
    blob = pickle.dumps((post, body, post_texts(post, body)), protocol=pickle.HIGHEST_PROTOCOL)
    return post_key(version, channel, path.name, data), blob


POST_FACETS = ("file", "older", "newer", "reply")  # the order of pages.post_state's items
GONE = (None, None, None, None)  # the state of a post that is not there


_FRAME = struct.Struct("<HI")  # a frame: key length, post length, the key (ASCII), the pickled post


def _frame(key: str, blob: bytes) -> bytes:
    data = key.encode("ascii")
    return _FRAME.pack(len(data), len(blob)) + data + blob


class PostStore:
    """Parsed posts on disk: a version header, then (key, pickled post) frames, appended as posts arrive.

    Reading streams the file and unpickles only the wanted posts (the others are skipped by a seek),
    and new posts are appended, so neither a rebuild nor a cold build holds the whole store in
    memory. Frames of posts no longer in content/ are dropped by a compaction once they make up a
    fifth of the file.
    """

    def __init__(self, path: Path, version: str) -> None:
        self.path = path
        self.version = version
        self.frames = 0  # frames in the file, live or not
        self.used: set[str] = set()
        self.fresh = not self._header_ok()  # start a new file: missing, another version, or broken
        self.broken = False

    def _header_ok(self) -> bool:
        try:
            with self.path.open("rb") as handle:
                return pickle.load(handle) == self.version
        except Exception:  # any unreadable store is simply rebuilt
            return False

    def _frames(self, handle: Any, wanted: set[str] | None) -> Iterator[tuple[str, bytes | None]]:
        """Each frame after the header: its key and bytes (None: not wanted, skipped). Sets
        ``broken`` at a frame cut short (a build killed while appending): the rest is dropped."""
        read, seek, size = handle.read, handle.seek, _FRAME.size
        while head := read(size):
            if len(head) < size:
                self.broken = True
                return
            key_length, length = _FRAME.unpack(head)
            key = read(key_length).decode("ascii", "replace")
            if wanted is None or key in wanted:
                blob = read(length)
                if len(key) < key_length or len(blob) < length:
                    self.broken = True
                    return
                yield key, blob
            else:
                seek(length, 1)
                yield key, None

    def load(self, wanted: set[str]) -> dict[str, Any]:
        """Unpickle the posts of ``wanted`` keys that the store holds."""
        found: dict[str, Any] = {}
        if self.fresh:
            return found
        frames = 0
        with self.path.open("rb") as handle:
            pickle.load(handle)
            for key, blob in self._frames(handle, wanted):
                frames += 1
                if blob is not None and key not in found:
                    try:
                        found[key] = pickle.loads(blob)
                    except Exception:  # a frame a killed build left half-written
                        self.broken = True
                        break
        self.frames = frames
        self.used.update(found)
        return found

    def append(self, frames: list[tuple[str, bytes]]) -> None:
        """Add new posts' frames (a new file when the old one cannot be appended to)."""
        if self.fresh or self.broken:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("wb") as handle:
                pickle.dump(self.version, handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.fresh = self.broken = False
            self.frames = 0
            self.used.clear()
        with self.path.open("ab") as handle:
            handle.write(b"".join(_frame(key, blob) for key, blob in frames))
        self.frames += len(frames)
        self.used.update(key for key, _ in frames)

    def compact(self, live: set[str]) -> None:
        """Rewrite the file without the frames of posts outside ``live`` once they are many."""
        dead = self.frames - len(live & self.used)
        if self.fresh or (not self.broken and dead <= max(100, self.frames // 5)):
            return
        tmp = self.path.with_name(f"{TEMP_PREFIX}{self.path.name}")
        kept: set[str] = set()
        with self.path.open("rb") as source, tmp.open("wb") as target:
            pickle.dump(pickle.load(source), target, protocol=pickle.HIGHEST_PROTOCOL)
            for key, blob in self._frames(source, live):
                if blob is not None and key not in kept:
                    kept.add(key)
                    target.write(_frame(key, blob))
        os.replace(tmp, self.path)
        self.frames = len(kept)
        self.broken = False


class BuildCache:
    """The two stores of ``.sitegen-cache/`` for one output folder."""

    def __init__(self, cfg: Config, clean: bool = False) -> None:
        self.folder = cfg.output_dir.parent / CACHE_DIR
        self.progress: ProgressSink = NoProgress()  # the build's: a bar while new posts are parsed
        if clean and self.folder.is_dir():
            shutil.rmtree(self.folder)
        self.version = code_version()
        out = str(cfg.output_dir.resolve()).encode()
        self.pages_file = self.folder / f"pages-{_digest(out)[:12]}.pickle"
        self.posts_file = self.folder / f"posts-{_digest(out)[:12]}.frames"  # per output: no thrashing
        self.state_file = self.folder / f"state-{_digest(out)[:12]}.pickle"
        self.stats_file = self.folder / f"files-{_digest(out)[:12]}.pickle"
        self.file_stats: dict[str, dict[str, tuple[int, int, int, int, str]]] = self._load(
            self.stats_file, {}
        )
        self.stats_changed = False
        self.output = cfg.output_dir
        self.scanned: dict[Path, list[tuple[str, str]]] = {}
        self.posts = PostStore(self.posts_file, self.version)
        self._last: tuple[str, dict[str, Any], dict[str, Any]] | None = None
        self.states: dict[str, Any] = {}
        self.changed: set[Any] = set()
        self._keys: dict[Any, Any] = {}
        self.used: set[str] = set()
        self.site_key = ""
        self.warning = ""  # set when the cache cannot be written: the build goes on without it
        self.templates: QuietBytecodeCache | None = None

    @property
    def last(self) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The last build's site key, post and channel facet states, and pages (see set_site);
        loaded on first use, so a build with nothing to do never reads them."""
        if self._last is None:
            self._last = self._load(self.pages_file, ("", {}, {}))
        return self._last

    @property
    def pages(self) -> dict[str, tuple[str, tuple[str, ...], Any, frozenset[Any], int]]:
        """path -> (template, context names read, their values, post and channel reads, file size)."""
        return self.last[2]

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
        """Pickle ``data`` straight into a temp file (no copy in memory), then rename it into place."""
        tmp = path.with_name(f"{TEMP_PREFIX}{path.name}")
        try:
            with tmp.open("wb") as handle:
                pickle.dump((self.version, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            self.fail(exc)

    # posts

    def read_posts(self, channel_dir: Path, jobs: int) -> tuple[list[Post], dict[int, tuple[str, str]]]:
        """A channel's posts, oldest first, and each post's (HTML, file hash, title/summary/tags) by id.

        Only files whose bytes are new to the cache are parsed (in parallel when there are many).
        """
        channel = channel_dir.name
        keys = self.scanned.pop(channel_dir, None)
        if keys is None:
            keys = self.hash_posts(channel_dir)
        if not keys:
            return [], {}
        loaded = self.posts.load({key for _, key in keys})
        missing = [i for i, (_, key) in enumerate(keys) if key not in loaded]
        work = [(Path(keys[i][0]), channel, self.version) for i in missing]
        if work:
            _warm_up()
            self.progress.begin(f"Parsing posts of @{channel}", len(work))
        done = 0
        for chunk in parallel_map(_parse, work, jobs):
            self.progress.advance(len(chunk))
            for i, (key, blob) in zip(missing[done : done + len(chunk)], chunk, strict=True):
                keys[i] = (keys[i][0], key)  # the bytes the worker read, should the file have just changed
                loaded[key] = pickle.loads(blob)
            if not self.warning:
                try:
                    self.posts.append(chunk)
                except OSError as exc:
                    self.fail(exc)
            done += len(chunk)
        posts, bodies = [], {}
        for _, key in keys:
            post, body, texts = loaded.pop(key)
            self.used.add(key)
            posts.append(post)
            bodies[post.id] = (body, key, texts)
        posts.sort(key=lambda p: p.id)
        return posts, bodies

    def hash_posts(self, channel_dir: Path) -> list[tuple[str, str]]:
        """Each post file of a channel with its cache key (a hash of its bytes).

        A file whose size, mtime, ctime and inode are those of the last build keeps its key
        without being read: an edit, even one that puts the old mtime back, changes the ctime; a
        checkout that only resets mtimes costs one read of each file, and keys stay the same.
        """
        posts_dir = channel_dir / POSTS_DIR
        if not posts_dir.is_dir():
            return []
        folder = str(posts_dir)
        known = self.file_stats.get(folder, {})
        seen: dict[str, tuple[int, int, int, int, str]] = {}
        keys = []
        entries = sorted((e.name, e) for e in os.scandir(folder) if e.name.endswith(".md") and e.is_file())
        for name, entry in entries:
            path = os.path.join(folder, name)  # strings: pathlib costs more than hashing here
            try:
                st = entry.stat()
                stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
                old = known.get(name)
                if old is not None and old[:4] == stamp:
                    key = old[4]
                else:
                    key = post_key(self.version, channel_dir.name, name, read_bytes(path))
                    self.stats_changed = True
            except OSError as exc:
                raise BuildError(f"{path}: cannot read: {exc.strerror}") from None
            seen[name] = (*stamp, key)
            keys.append((path, key))
        if len(seen) != len(known):
            self.stats_changed = True
        self.file_stats[folder] = seen
        return keys

    def save_file_stats(self) -> None:
        """Remember each post file's size, times and inode with its key, for the next build.

        Files changed in the last two seconds are left out (read again next time): an edit in
        the same clock tick as the hashing would otherwise keep its stale key.
        """
        if not self.stats_changed or self.warning:
            return
        recent = time.time_ns() - 2_000_000_000
        stats = {
            folder: {name: v for name, v in files.items() if v[1] < recent and v[2] < recent}
            for folder, files in self.file_stats.items()
        }
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
        self._save(self.stats_file, stats)
        self.stats_changed = False

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
            parts += ["\n".join(file_names(channel_dir / MEDIA_DIR)).encode()]
            parts += [key.encode() for _, key in keys]
        return _digest(*parts)

    def unchanged(self, fingerprint: str | None) -> Any:
        """The last build's report if it built exactly this and its files are all still in place."""
        self.save_file_stats()
        state = self._load(self.state_file, None)
        if fingerprint is None or state is None or state[0] != fingerprint:
            return None
        sizes = state[2]
        try:
            made = json.loads((self.output / MANIFEST).read_text(encoding="utf-8"))
            output = os.fspath(self.output)
            for path in made:
                size = os.stat(os.path.join(output, path)).st_size  # strings: pathlib costs more here
                if sizes.get(path, size) != size:
                    return None
        except (OSError, ValueError, TypeError):
            return None
        return state[1]

    def bytecode_cache(self) -> QuietBytecodeCache:
        """Where Jinja keeps compiled templates between builds (keyed by their source)."""
        from sitegen.build.render import QuietBytecodeCache  # Jinja loads only when pages render

        self.templates = QuietBytecodeCache(str(self.folder / "jinja"))
        return self.templates

    def forget_state(self) -> None:
        """Before a build changes output/: a killed build must not look finished."""
        self.state_file.unlink(missing_ok=True)

    def save_state(self, fingerprint: str | None, report: Any) -> None:
        """After a whole build: what it built from, and its report for the next no-op build."""
        if fingerprint is not None:
            sizes = {path: known[4] for path, known in self.pages.items()}
            self._save(self.state_file, (fingerprint, report, sizes))
        self.save_file_stats()

    def load_content(
        self, content_dir: Path, jobs: int, failures: dict[str, str] | None = None
    ) -> tuple[list[ChannelSource], dict[Path, Any]]:
        """:func:`sitegen.build.load.load_content` through the cache; also each post's (HTML, file hash).

        ``failures``: channels that cannot be read are left out and recorded there (folder -> error).
        """
        bodies: dict[Path, Any] = {}
        gc.disable()  # loading makes no garbage cycles, only objects that live on (steps.make_sections)

        def read(channel_dir: Path) -> list[Post]:
            posts, bodies[channel_dir] = self.read_posts(channel_dir, jobs)
            return posts

        sources = load_content(content_dir, read, failures)
        self.save_posts()
        return sources, bodies

    def save_posts(self) -> None:
        """Drop the store's posts that this build did not read, once they are many."""
        try:
            self.posts.compact(self.used)
        except OSError as exc:
            self.fail(exc)

    # pages

    def set_site(self, cfg: Config, sections: list[Section], globals_: dict[str, Any]) -> None:
        """Compare this build's inputs with the last one's: what every page shares (templates,
        settings, code, channels) and the state of each facet of each post and channel, which
        :meth:`is_fresh` holds against what each page read."""
        from sitegen.build.pages import ALWAYS, post_state, section_state

        shared = {
            k: v for k, v in sorted(globals_.items()) if isinstance(v, (str, int, float, bool, type(None)))
        }
        versions = [metadata.version(name) for name in ("Jinja2", "MarkupSafe")]
        self.site_key = _digest(
            self.version.encode(),
            tree_digest(cfg.templates_dir).encode(),
            repr((cfg, shared, [s.name for s in sections], versions)).encode(),
        )
        self.states = {
            s.name: ({v.post.id: post_state(v) for v in s.posts}, section_state(s)) for s in sections
        }
        last_site, last_states, _ = self.last
        self.changed = {ALWAYS}
        if last_site != self.site_key:
            self.pages.clear()
            return
        for channel in last_states.keys() | self.states.keys():
            old_posts, old_facets = last_states.get(channel, ({}, {}))
            new_posts, new_facets = self.states.get(channel, ({}, {}))
            if old_posts != new_posts:
                for number in old_posts.keys() | new_posts.keys():
                    old, new = old_posts.get(number, GONE), new_posts.get(number, GONE)
                    if old != new:
                        self.changed.update(
                            (channel, number, facet)
                            for facet, a, b in zip(POST_FACETS, old, new, strict=False)
                            if a != b
                        )
            if old_facets != new_facets:
                for facet in old_facets.keys() | new_facets.keys():
                    if old_facets.get(facet) != new_facets.get(facet):
                        self.changed.add((channel, -1, facet))

    def is_fresh(self, page: Page, output: Path) -> bool:
        """Whether the output folder holds ``page`` as this build would render it: the same
        template, the same values of the context variables it read, none of the post and channel
        facets it read changed, and the file in place with its size."""
        from sitegen.build.pages import context_values

        known = self.pages.get(page.path)
        if known is None or known[0] != page.template or not self.changed.isdisjoint(known[3]):
            return False
        if context_values(page, known[1]) != known[2]:
            return False
        try:
            return os.stat(os.path.join(output, page.path)).st_size == known[4]
        except OSError:
            return False

    def record_page(self, page: Page, names: tuple[str, ...], reads: frozenset[Any], size: int) -> None:
        """Remember what the file of ``page`` was rendered from: what the render read of the page's
        context (``names``) and of the posts and channels (``reads``)."""
        from sitegen.build.pages import context_values

        shared = self._keys  # one object per read key, shared by the pages that read it (memory, pickle)
        reads = frozenset([shared.setdefault(key, key) for key in reads])
        self.pages[page.path] = (page.template, names, context_values(page, names), reads, size)

    def fail(self, exc: OSError) -> None:
        """Go on without writing the cache (a read-only or full disk beside the output folder)."""
        self.warning = (
            f"cannot write the build cache in '{self.folder}' ({exc.strerror}): rebuilds start over"
        )

    def save(self, made: set[str]) -> None:
        """Write the page store, keeping only the pages of this build, and the compiled templates."""
        try:
            (self.folder / "jinja").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.fail(exc)
            return
        if self.templates:
            self.templates.flush()
        pages = {path: v for path, v in self.pages.items() if path in made}
        self._save(self.pages_file, (self.site_key, self.states, pages))
