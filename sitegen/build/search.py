"""Build step: the full-text search index, made by Pagefind's bundled binary into output/pagefind/.

Pagefind does not read the site's pages: it reads one small *search record* per post (its title,
text, channel filter; nothing that changes with views, reactions or navigation), kept in
``.sitegen-cache/search-<output>/`` (one file per tier) and written out at the path of the post's
page only while Pagefind indexes them, so result URLs are the pages'. A spoiler's text never
reaches a record: a placeholder stands in its place. New records are made in the build's worker
processes.

The records are split into *tiers*, each indexed into a bundle of its own that the search page
merges in the browser (Pagefind's ``mergeIndex``, listed in ``output/pagefind/bundles.json``):

- ``recent``: the posts of the newest post's month (taken from the content, never the clock, so a
  cold and an incremental build agree);
- ``archive-1``, ``archive-2``...: every older post, oldest first (by date, then path),
  :data:`SHARD_SIZE` posts a bundle (the last one holds the rest). Each archive bundle is padded
  to the whole archive's statistics, ``recent`` to the whole site's (for the words it holds), and
  every bundle is cut in index chunks where one index of the archive is, so the bundles find and
  rank what one single index does.

Pagefind holds its whole index in memory (about 45 KB a post), so a bundle of more than
:data:`PART_SIZE` posts is indexed in parts, two Pagefind runs at a time, and the parts merged into
the bundle one run makes: at 100,000 posts the whole build's memory peaks at about 1.1 GB.

A build rewrites only the records of added, changed and deleted posts, and runs Pagefind only on
a tier whose records changed: a new post re-indexes its month, not the archive. The first post of
a new month moves the last month's posts to the end of the archive: the last archive bundle (or a
new one) is indexed again, and the others only padded again, without Pagefind. (Deleting an
archived post, or adding one to an old month, moves the posts after it by one place: every later
bundle is indexed again.) Each bundle is made in a temporary
folder and swapped in, so a failed run leaves the last one whole. Everything runs offline.
"""

from __future__ import annotations

import bisect
import functools
import gc
import gzip
import hashlib
import html
import json
import os
import pickle
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sitegen.build.cache import parallel_map
from sitegen.build.excerpt import hide_spoilers
from sitegen.build.forked import Forked
from sitegen.build.load import BuildError
from sitegen.build.pages import plain_text, post_title
from sitegen.files import TEMP_PREFIX, atomic_write_bytes, write_all, write_if_changed

INDEX_DIR = "pagefind"
RECENT = "recent"  # the newest month's bundle: the primary one, whose UI the search page loads
ARCHIVE = "archive-"  # archive-1, archive-2...: older posts, oldest first, SHARD_SIZE a bundle
SHARD_SIZE = 20_000  # posts per archive bundle (a new month indexes the last one again)
PART_SIZE = 5_000  # records per Pagefind run (~45 KB of memory a record): a tier in parts, merged
BUNDLES = "bundles.json"  # output/pagefind/bundles.json: the bundles the search page merges
STAMP = ".sitegen-stamp.json"  # inside a bundle: the digest of the records it was made from
FIRST_FILES = ("pagefind.js", "pagefind-entry.json")  # a bundle's files the search page loads first
STATE = "records.pickle"  # inside the records folder: how the posts were split (their tiers: beside it)
RECORD_VERSION = "9"  # bump when the records or this state change: every record is made again
TIMEOUT = 1800  # seconds
PARALLEL_RECORDS = 50_000  # posts: up to this many, new records are made in the build's workers
SHARED_MIN = 500  # records: fewer are not worth a child holding the site (see make_records)


@dataclass(frozen=True, slots=True)
class SearchText:
    """What the index needs of the site besides the posts: the language and its strings."""

    language: str  # the <html lang> Pagefind stems by
    filter_label: str  # the channel filter's name ("Channel", "Канал")
    spoiler: str  # the placeholder indexed instead of a spoiler's text
    date_label: str = "Date"  # the name results show their date under
    # a post's date as results show it (the site's language; the view's local date, in its time zone)
    date_format: Callable[[Any], str] = field(default=str, repr=False, compare=False)


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


# --- records -----------------------------------------------------------------------------------


def record_title(view: Any, body: str, kind_title: str) -> str:
    """The result's title: the post's title, made again from the body without its spoilers."""
    if view.title_key:
        return kind_title
    return post_title(view.post, plain_text(body))


ELLIPSIS = "…"
HAIR_SPACE = "\u200a"


def index_title(title: str) -> str:
    """``title`` as the index reads it: a shortened title's "…" apart from its last word (by a
    hair space, which readers hardly see), so the word is indexed as the word it is."""
    if title.endswith(ELLIPSIS) and len(title) > 1 and not title[-2].isspace():
        return title[:-1] + HAIR_SPACE + ELLIPSIS
    return title


def post_extras(post: Any) -> list[str]:
    """The searchable words a post page shows besides its text: forward, files, card, poll, place, buttons."""
    parts: list[str] = []
    if post.forwarded_from:
        parts += [post.forwarded_from.name or "", post.forwarded_from.author or ""]
    for item in post.media:
        parts += [item.performer or "", item.title or ""]
    if post.link_preview:
        lp = post.link_preview
        parts += [lp.site or "", lp.title or "", lp.description or ""]
    if post.poll:
        parts += [post.poll.question or ""] + [option.text for option in post.poll.options]
    if post.location:
        parts += [post.location.title or "", post.location.address or ""]
    for row in post.buttons:
        parts += [button.text for button in row]
    return [part for part in parts if part]


def search_record(view: Any, channel_name: str, text: SearchText, kind_title: str) -> bytes:
    """The minimal HTML document Pagefind indexes for one post (``view`` is a PostView)."""
    body = hide_spoilers(view.html, f"[{html.escape(text.spoiler)}]")
    title = index_title(record_title(view, body, kind_title))
    extras = "".join(f"<p>{html.escape(part)}</p>" for part in post_extras(view.post))
    esc = html.escape
    # the body repeats the title (its first line): then the title is not text, as on the post page
    ignore = " data-pagefind-ignore" if view.html else ""
    return (
        f'<!doctype html><html lang="{esc(text.language)}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head><body><main data-pagefind-body>"
        f'<h1 data-pagefind-meta="title"{ignore}>{esc(title)}</h1>'
        f'<span hidden data-pagefind-ignore data-pagefind-filter="{esc(text.filter_label)}">'
        f"{esc(channel_name)}</span>"
        f'<span hidden data-pagefind-ignore data-pagefind-meta="{esc(text.date_label)}">'
        f"{esc(text.date_format(view.local_date))}</span>\n{body}{extras}</main></body></html>\n"
    ).encode()


def archive_order(views: list[tuple[str, Any]], start: datetime | None) -> list[str]:
    """The paths of the posts older than ``start`` (the newest month's first moment), oldest first
    (by date, then path): the archive, in the order its bundles take it."""
    if start is None:
        return []
    older = [(view.local_date, view.path) for _, view in views if view.local_date < start]
    older.sort()  # (one channel's posts come sorted: a pass)
    return [path for _, path in older]


class Split:
    """How a build splits its posts in tiers: the archive (``order``, oldest first, see
    :func:`archive_order`) in bundles of ``size`` posts, every other post in ``recent``."""

    def __init__(self, order: list[str], size: int) -> None:
        self.order, self.size = order, size
        self._ranks: dict[str, int] | None = None

    def archived(self, path: str) -> int | None:
        """The place of ``path`` in the archive, None when it is not there."""
        if self._ranks is None:
            self._ranks = {path: rank for rank, path in enumerate(self.order)}
        return self._ranks.get(path)

    def tier_of(self, path: str) -> str:
        """The tier of the post at ``path``: its archive bundle, else ``recent``."""
        rank = self.archived(path)
        return RECENT if rank is None else f"{ARCHIVE}{rank // self.size + 1}"


def site_key(text: SearchText, views: list[tuple[str, Any]]) -> str:
    """What every record is made with besides its post file: this code's record format, the
    site's strings, its channels' names and its time zone (a change remakes every record)."""
    names = sorted({name for name, _ in views})
    zone = str(views[0][1].local_date.tzinfo) if views else ""
    parts = f"{RECORD_VERSION}\0{text!r}\0{names!r}\0{zone}"
    return hashlib.blake2b(parts.encode(), digest_size=16).hexdigest()


def record_key(view: Any) -> str:
    """What a record is made from besides :func:`site_key`: the post file's hash (which covers
    sitegen's code). An empty file hash (no cache) falls back to a hash of the post's HTML, date
    and fields."""
    if view.digest:
        return view.digest
    parts = [str(view.local_date), view.html, repr(view.post)]
    return "=" + hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=16).hexdigest()


# --- the records folder ------------------------------------------------------------------------
# The records are not files: each tier's are kept in one file of the records folder
# (tier-<tier>.pickle: path -> (record hash, record)), written out as files only for the Pagefind
# run that indexes the tier, into a folder made for it in sorted order and removed after.


def records_folder(output: Path, cache_folder: Path) -> Path:
    """Where the records of the site built into ``output`` live, inside the build cache."""
    out = str(output.resolve()).encode()
    return cache_folder / f"search-{hashlib.blake2b(out, digest_size=6).hexdigest()}"


@dataclass
class RecordsState:
    """What the records folder holds besides each tier's records: what the posts were split by,
    each post's record key, and each tier's digest and size."""

    site: str  # site_key
    month: tuple[int, int] | None
    size: int  # SHARD_SIZE: posts per archive bundle
    order: list[str]  # the archive's posts, oldest first (see archive_order)
    keys: dict[str, str]  # path -> record key
    digests: dict[str, tuple[str, int]]  # tier -> (digest of its records' paths and hashes, count)


Records = dict[str, tuple[str, bytes]]  # path -> (record hash, record)


def _tier_file(folder: Path, tier: str) -> Path:
    return folder / f"tier-{tier}.pickle"


def _load_state(folder: Path, site: str) -> RecordsState | None:
    """The state of the last build; None when unknown, of another version or made for other strings."""
    try:
        with (folder / STATE).open("rb") as handle:
            version, state = pickle.load(handle)
    except Exception:  # missing or unreadable: every record is made again
        return None
    if version != RECORD_VERSION or not isinstance(state, RecordsState) or state.site != site:
        return None
    if any(not _tier_file(folder, tier).is_file() for tier in state.digests):
        return None
    return state


def load_records(folder: Path, tier: str) -> Records:
    """A tier's records (path -> (record hash, record)), as the last build left them."""
    with _tier_file(folder, tier).open("rb") as handle:
        records = pickle.load(handle)
    if not isinstance(records, dict):
        raise ValueError(f"{_tier_file(folder, tier)}: not the records of a tier")
    return records


def _staged_file(folder: Path, tier: str) -> Path:
    """Where a tier's new records wait until the build has read every old tier it needs."""
    return folder / f"tier-{tier}.pickle.new"


def _save_records(path: Path, records: Records) -> None:
    data = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write_bytes(path, data, durable=False)


def _clear_folder(folder: Path) -> None:
    """Remove what a records folder holds of unknown age (Pagefind's own indexes stay: raw/)."""
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            if entry.name != RAW:
                shutil.rmtree(entry.path)
        elif entry.name.startswith(("records", "tier-", "layout")):
            os.unlink(entry.path)


_RECORD_WORK: tuple[SearchText, Any] | None = None  # (text, kind_titles), inherited by forked workers


def _make_record(item: tuple[str, Any]) -> tuple[str, bytes]:
    name, view = item
    text, kind_titles = _RECORD_WORK  # type: ignore[misc]
    title = kind_titles(view.title_key) if view.title_key else view.title
    data = search_record(view, name, text, title)
    return hashlib.blake2b(data, digest_size=16).hexdigest(), data


def _make_records(items: list[tuple[str, Any]]) -> list[tuple[str, bytes]]:
    """The records of ``items`` made in this process, in order (see :func:`make_records`)."""
    return [_make_record(item) for item in items]


def make_records(
    items: list[tuple[str, Any]], text: SearchText, kind_titles: Any, jobs: int, shared: bool = False
) -> list[tuple[str, bytes]]:
    """The records of ``items`` (channel name, view) as (hash, record), made in ``jobs`` forked
    processes when many; with ``shared``, half of them in one forked child while this process
    makes the other half (two processes holding the site, not ``jobs`` + 1)."""
    global _RECORD_WORK
    _RECORD_WORK = (text, kind_titles)
    try:
        if not shared:
            return [record for chunk in parallel_map(_make_record, items, jobs) for record in chunk]
        half = len(items) // 2
        child = Forked(_make_records, items[half:], jobs=jobs if half >= SHARED_MIN else 1)
        try:
            mine = _make_records(items[:half])
            theirs = child.result()
        finally:
            child.close()
        if theirs is None:  # the child failed: made here (an error is raised here, plainly)
            theirs = _make_records(items[half:])
        return mine + theirs
    finally:
        _RECORD_WORK = None


def _digest(records: Records) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(records):
        digest.update(f"{path}\0{records[path][0]}\n".encode())
    return digest.hexdigest()


@dataclass
class RecordsUpdate:
    """What :func:`update_records` did: records made, moved and removed; each tier's digest and size."""

    written: int
    moved: int
    removed: int
    digests: dict[str, str]  # tier -> digest of its records' paths and hashes
    counts: dict[str, int]

    @property
    def tiers(self) -> list[str]:
        """The tiers, the primary one (``recent``) first."""
        return sorted(self.digests, key=lambda tier: (tier != RECENT, len(tier), tier))


def update_records(
    folder: Path, sections: list[Any], text: SearchText, kind_titles: Any, jobs: int = 1
) -> RecordsUpdate:
    """Bring the records folder in line with the posts: make new and changed records, drop the rest.

    ``kind_titles(key)`` translates a title made from a post's kind ("Photo"). A record is made
    only for a post file that changed since the last build (views and reactions are not in it),
    and a tier's file is written only when its records changed: a build that changed nothing
    searchable writes nothing, and no tier's digest changes. Only the tiers that changed are read.
    """
    folder.mkdir(parents=True, exist_ok=True)
    views = [(section.channel.name, view) for section in sections for view in section.posts]
    site = site_key(text, views)
    old = _load_state(folder, site)
    if old is None:  # no state: whatever is in the folder is of unknown age
        _clear_folder(folder)
    # one pass or two in C each: this runs for every post on every build that changed anything
    newest = max((view.local_date for _, view in views), default=None)
    month = (newest.year, newest.month) if newest else None
    start = newest.replace(day=1, hour=0, minute=0, second=0, microsecond=0, fold=0) if newest else None
    keys = {view.path: view.digest or record_key(view) for _, view in views}
    old_keys = old.keys if old else {}
    if old_keys == keys:
        stale: list[tuple[str, Any]] = []
    else:
        get = old_keys.get
        stale = [(name, view) for name, view in views if get(view.path) != keys[view.path]]
    gone = old_keys.keys() - keys.keys()
    as_before = old is not None and old.month == month and old.size == SHARD_SIZE
    if old is not None and as_before and not stale and not gone:
        digests = {tier: digest for tier, (digest, _) in old.digests.items()}
        counts = {tier: count for tier, (_, count) in old.digests.items()}
        return RecordsUpdate(0, 0, 0, digests, counts)
    old_split = Split(old.order, old.size) if old else Split([], SHARD_SIZE)
    newest_only = start is not None and not gone  # only posts of the newest month changed (a new post)
    newest_only = newest_only and all(
        view.local_date >= start and old_split.archived(view.path) is None for _, view in stale
    )
    split = old_split if as_before and newest_only else Split(archive_order(views, start), SHARD_SIZE)
    # each forked worker holds the site as this process does: at 100,000 posts three such
    # processes are 1.5 GB; a large site's records are made here and in one child
    shared = len(views) > PARALLEL_RECORDS
    same = old is not None and as_before and (split.order is old.order or split.order == old.order)
    digests = {tier: digest for tier, (digest, _) in old.digests.items()} if old else {}
    counts = {tier: count for tier, (_, count) in old.digests.items()} if old else {}
    # each tier's posts to place (the same split: only the new and changed ones; else every post)
    placed: dict[str, list[tuple[str, Any]]] = {}
    for name, view in stale if same else views:
        placed.setdefault(split.tier_of(view.path), []).append((name, view))
    old_tiers = _OldTiers(folder, old, old_split)
    touched = set(placed) | {old_tiers.tier_of(path) for path in gone}
    if not same:  # (a tier of the last split that no post is in now is removed)
        touched |= set(digests)
    is_stale = {view.path for _, view in stale}
    written = moved = 0
    # Each tier's new records wait beside its old ones until every tier is made: a post that moves
    # between tiers is read from the one it was in, whichever of the two is made first. Without
    # the state, a build killed meanwhile starts the records over.
    (folder / STATE).unlink(missing_ok=True)
    made: list[tuple[str, bool]] = []  # (tier, False: no records left)
    for tier in sorted(touched):  # one tier's records in memory at a time
        records = old_tiers.take(tier) if same else {}
        for path in gone:
            records.pop(path, None)
        todo = [item for item in placed.get(tier, ()) if item[1].path in is_stale]
        if not same:  # the records already made, from the tiers they were in (each read once)
            by_tier: dict[str, list[str]] = {}
            for _, view in placed.get(tier, ()):
                if view.path not in is_stale:
                    by_tier.setdefault(old_tiers.tier_of(view.path), []).append(view.path)
            for source, paths in sorted(by_tier.items()):
                before = old_tiers.records(source)
                records.update((path, before[path]) for path in paths)
                moved += len(paths)
        for (_, view), record in zip(todo, make_records(todo, text, kind_titles, jobs, shared), strict=True):
            records[view.path] = record
        written += len(todo)
        digest = _digest(records)
        if records and (digests.get(tier) != digest or not _tier_file(folder, tier).is_file()):
            _save_records(_staged_file(folder, tier), records)
            made.append((tier, True))
        if records:
            digests[tier], counts[tier] = digest, len(records)
        else:
            digests.pop(tier, None), counts.pop(tier, None)
            made.append((tier, False))
    for tier, kept in made:
        if kept:
            os.replace(_staged_file(folder, tier), _tier_file(folder, tier))
        else:
            _tier_file(folder, tier).unlink(missing_ok=True)
    tiers = {tier: (digests[tier], counts[tier]) for tier in digests}
    state = RecordsState(site, month, SHARD_SIZE, split.order, keys, tiers)
    data = pickle.dumps((RECORD_VERSION, state), protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write_bytes(folder / STATE, data, durable=False)
    return RecordsUpdate(written, moved, len(gone), digests, counts)


class _OldTiers:
    """The records of the last build's tiers, read one tier at a time (the newest month's kept)."""

    def __init__(self, folder: Path, old: RecordsState | None, split: Split) -> None:
        self.folder, self.old, self.split = folder, old, split
        self.recent: Records | None = None
        self.loaded: tuple[str, Records] | None = None

    def _recent(self) -> Records:
        if self.recent is None:
            has = self.old is not None and RECENT in self.old.digests
            self.recent = load_records(self.folder, RECENT) if has else {}
        return self.recent

    def tier_of(self, path: str) -> str:
        """The tier a post was in (by the last build's split)."""
        return self.split.tier_of(path)

    def take(self, tier: str) -> Records:
        """A tier's records, to change (read again if asked for again)."""
        if self.old is None or tier not in self.old.digests:
            return {}
        if tier == RECENT:
            records, self.recent = self._recent(), None
            return records
        return load_records(self.folder, tier)

    def records(self, tier: str) -> Records:
        """A tier's records, to read (the last one asked for kept)."""
        if tier == RECENT:
            return self._recent()
        if self.loaded is None or self.loaded[0] != tier:
            self.loaded = None
            self.loaded = (tier, load_records(self.folder, tier))
        return self.loaded[1]


def write_records(records: Records, site: Path) -> None:
    """Write records as files into the new folder ``site``, in sorted order.

    Pagefind numbers pages in the order it finds them, and a folder lists its files in an order
    that depends on their history (tmpfs: newest first). A folder made in one fixed order lists
    them the same way every time, so cold and incremental builds give the same bundle bytes.
    """
    target = str(site)
    made: set[str] = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    for path in sorted(records):  # plain strings and os calls (not open()): 100,000 records
        full = os.path.join(target, path)
        parent = os.path.dirname(full)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        handle = os.open(full, flags, 0o644)
        try:
            write_all(handle, records[path][1])
        finally:
            os.close(handle)


# --- the bundles -------------------------------------------------------------------------------


def read_stamp(bundle: Path) -> dict[str, object]:
    """The stamp of an existing bundle, or {}."""
    try:
        data = json.loads((bundle / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update_search_index(
    output: Path, cache_folder: Path, sections: list[Any], text: SearchText, kind_titles: Any, jobs: int = 1
) -> int:
    """Make ``output/pagefind/<tier>/`` current for the posts of ``sections``; count the indexed posts.

    Pagefind runs only for a tier whose records changed since its bundle was made; the list of
    bundles, for the search page, is ``output/pagefind/bundles.json``.
    """
    folder = records_folder(output, cache_folder)
    try:
        with _no_collection():
            update = update_records(folder, sections, text, kind_titles, jobs)
    except OSError as exc:
        raise BuildError(f"cannot write the search records in '{folder}': {exc.strerror}") from None
    index = output / INDEX_DIR
    tiers = update.tiers
    _drop_strangers(index, {*tiers, BUNDLES})
    archive = [tier for tier in tiers if tier != RECENT]
    padding = padding_key(archive, update.digests)
    recent_padding = (
        padding_key([*archive, RECENT], update.digests) if archive and RECENT in tiers else NO_PAD
    )
    stamps = {tier: read_stamp(index / tier) for tier in tiers}
    repad = padding != NO_PAD and any(stamps[tier].get("padded") != padding for tier in archive)
    total, todo = 0, []
    for tier in tiers:
        stamp = stamps[tier]
        indexed = stamp.get("indexed")
        fresh = stamp.get("records") == update.digests[tier] and isinstance(indexed, int)
        fresh = fresh and all((index / tier / name).is_file() for name in FIRST_FILES)
        if fresh and repad and tier in archive and "padded" in stamp:
            # a padded bundle is padded again from Pagefind's own index: without it, made again
            fresh = _raw_path(folder, tier).is_file()
        if fresh and "padded" in stamp and (recent_padding if tier == RECENT else padding) == NO_PAD:
            fresh = False  # padded to bundles that are gone (the only one again): Pagefind's own, made again
        if fresh:
            total += int(indexed)  # type: ignore[arg-type]
        else:
            todo.append(tier)
    padded = {*(archive if padding != NO_PAD else ()), *([RECENT] if recent_padding != NO_PAD else ())}
    made = make_bundles(folder, index, todo, update, {*archive, RECENT} if archive else set(), jobs, padded)
    for tier, stamp in made.items():
        stamps[tier] = stamp
        total += int(stamp["indexed"])  # type: ignore[call-overload]
    raws: dict[str, dict[str, RawIndex]] = {}
    layout: dict[str, list[tuple[str, str]]] = {}  # of the archive: every bundle is cut as it is
    if repad:
        with _no_collection():
            raws = _archive_raws(folder, index, archive, stamps, update, jobs)
            layout = archive_layout(raws)
            todo = [tier for tier in archive if stamps[tier].get("padded") != padding]
            pad_bundles(index, todo, raws, layout, jobs)
            for tier in todo:
                stamp = stamps[tier] = {**stamps[tier], "padded": padding}
                (index / tier / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    if recent_padding != NO_PAD and stamps[RECENT].get("padded") != recent_padding:
        # the newest month's bundle is padded to the whole site's statistics, for the words it
        # holds (else its few posts outrank the archive's), and cut in chunks as the archive is
        with _no_collection():
            own = load_raw(folder, RECENT)
            if own is None:  # its own index lost, or made by an older sitegen: made again
                stamps[RECENT] = make_bundles(folder, index, [RECENT], update, {RECENT}, jobs, {RECENT})[
                    RECENT
                ]
                own = load_raw(folder, RECENT) or capture_raw(index / RECENT)
            raws = raws or _archive_raws(folder, index, archive, stamps, update, jobs)
            layout = layout or archive_layout(raws)
            pad_bundle(index / RECENT, RECENT, {**raws, RECENT: own}, layout, own_words=True)
            stamp = stamps[RECENT] = {**stamps[RECENT], "padded": recent_padding}
            (index / RECENT / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    index.mkdir(parents=True, exist_ok=True)
    write_if_changed(index / BUNDLES, json.dumps({"bundles": tiers}).encode(), durable=False)
    return total


def _archive_raws(
    folder: Path,
    index: Path,
    archive: list[str],
    stamps: dict[str, dict[str, object]],
    update: RecordsUpdate,
    jobs: int = 1,
) -> dict[str, dict[str, RawIndex]]:
    """Pagefind's own index of each archive bundle, from the records folder (read only now: not
    held while Pagefind runs); a padded bundle whose own index is lost is made again."""
    raws = {}
    for tier in archive:
        raw = load_raw(folder, tier)
        if raw is None and "padded" in stamps[tier]:  # unreadable: the bundle is made again
            stamps[tier] = make_bundles(folder, index, [tier], update, {tier}, jobs, {tier})[tier]
            raw = load_raw(folder, tier)
        if raw is None:  # not padded: Pagefind's own bundle (an older sitegen's, or the only one)
            raw = capture_raw(index / tier)
            save_raw(folder, tier, raw)
        raws[tier] = raw
    return raws


def tier_parts(count: int) -> int:
    """How many Pagefind runs index a tier of ``count`` records: parts of at most PART_SIZE."""
    return max(1, -(-count // PART_SIZE))


def make_bundles(
    folder: Path,
    index: Path,
    todo: list[str],
    update: RecordsUpdate,
    keep: set[str],
    jobs: int = 1,
    padded: set[str] | frozenset[str] = frozenset(),
) -> dict[str, dict[str, object]]:
    """Index each tier of ``todo`` into its bundle with Pagefind; for a tier in ``keep``, keep
    Pagefind's own index in the records folder for padding. Return the bundles' stamps.

    Pagefind holds its whole index in memory, so each run indexes at most :data:`PART_SIZE`
    records: a larger tier is indexed in parts, whose bundles are merged into one (see
    :func:`merge_bundles`; for a tier in ``padded``, whose index chunks the padding writes again,
    with the fastest compression). With ``jobs`` > 1, two runs go at a time (one keeps about a
    core and a third busy), the next starting as one ends. Meanwhile this process finishes each
    tier whose runs all ended (merges its parts, keeps its own index) and writes out the records
    of the next tier to index.
    """
    stamps: dict[str, dict[str, object]] = {}
    width = 2 if jobs > 1 else 1
    parts = {tier: tier_parts(update.counts[tier]) for tier in todo}
    staged = {tier: [folder / f"{TEMP_PREFIX}{tier}.{part}" for part in range(parts[tier])] for tier in todo}
    queue = [(tier, part) for tier in todo for part in range(parts[tier])]
    runs: dict[str, list[PagefindRun]] = {tier: [] for tier in todo}
    started: list[PagefindRun] = []  # every run: on failure, each is stopped and its folder removed
    running: deque[PagefindRun] = deque()
    written: set[str] = set()  # the tiers whose records are staged

    def stage(tier: str) -> None:
        if tier not in written:
            _stage(folder, tier, staged[tier])
            written.add(tier)

    def finish_tiers() -> None:
        for tier in todo:
            if tier not in stamps and len(runs[tier]) == parts[tier] and all(run.done for run in runs[tier]):
                stamps[tier] = _finish_tier(folder, index, tier, runs[tier], update, keep, padded)
                _unstage(staged[tier])

    try:
        next_run = 0
        while next_run < len(queue) or running:
            while len(running) < width and next_run < len(queue):
                tier, part = queue[next_run]
                next_run += 1
                stage(tier)
                run = start_bundle(staged[tier][part], index / tier, part)
                started.append(run)
                running.append(run)
                runs[tier].append(run)
            finish_tiers()  # while Pagefind runs
            if next_run < len(queue):
                stage(queue[next_run][0])
            _give_back_memory()  # before Pagefind's peak, late in its run
            finish_run(running.popleft())
        finish_tiers()
    finally:
        for run in started:
            if run.process.poll() is None:
                run.process.kill()
                run.process.wait()
            run.log.close()
            shutil.rmtree(run.fresh, ignore_errors=True)  # (a bundle swapped in is no longer there)
        for folders in staged.values():
            _unstage(folders)
    return stamps


def _finish_tier(
    folder: Path,
    index: Path,
    tier: str,
    runs: list[PagefindRun],
    update: RecordsUpdate,
    keep: set[str],
    padded: set[str] | frozenset[str],
) -> dict[str, object]:
    """Swap a tier's new bundle in (its parts merged into one) and stamp it; for a tier in
    ``keep``, keep Pagefind's own index of it in the records folder. Return the stamp."""
    try:
        if len(runs) > 1:
            raw = merge_bundles([run.fresh for run in runs], FAST_LEVEL if tier in padded else PAD_LEVEL)
        else:
            stable_filters(runs[0].fresh)
            raw = None
        swap_in(runs[0].fresh, index / tier)
    finally:
        for run in runs:
            shutil.rmtree(run.fresh, ignore_errors=True)
    stamp: dict[str, object] = {"records": update.digests[tier], "indexed": sum(run.indexed for run in runs)}
    (index / tier / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
    if tier in keep:
        with _no_collection():
            save_raw(folder, tier, raw if raw is not None else capture_raw(index / tier))
    return stamp


def _give_back_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``): the records
    written out and the index kept while Pagefind runs leave tens of MB free in this process,
    which would count beside Pagefind's peak."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _stage(folder: Path, tier: str, staged: list[Path]) -> None:
    """Write ``tier``'s records out as files for Pagefind: under ``staged``, one folder a part
    (the records in sorted order, cut in parts of equal size)."""
    with _no_collection():
        records = load_records(folder, tier)
        paths = sorted(records)
        size = -(-len(paths) // len(staged))
        for number, site in enumerate(staged):
            shutil.rmtree(site, ignore_errors=True)
            write_records({path: records[path] for path in paths[number * size : (number + 1) * size]}, site)


def _unstage(staged: list[Path]) -> None:
    for site in staged:
        shutil.rmtree(site, ignore_errors=True)


@contextmanager
def _no_collection() -> Iterator[None]:
    """Pause Python's cycle collector: the records' state makes a tuple per post and no cycles, and
    each collection would walk the whole site in memory (2/3 of this step's time at 20,000 posts)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def padding_key(archive: list[str], digests: dict[str, str]) -> str:
    """What the archive bundles are padded to: all their records; :data:`NO_PAD` for one bundle."""
    if len(archive) < 2:
        return NO_PAD
    parts = [PAD_VERSION] + [f"{tier}\0{digests[tier]}" for tier in archive]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def _drop_strangers(index: Path, keep: set[str]) -> None:
    """Remove what output/pagefind/ holds besides ``keep``: old tiers, an older sitegen's single bundle."""
    if not index.is_dir():
        return
    for entry in sorted(os.scandir(index), key=lambda e: e.name):
        if entry.name in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


@dataclass
class PagefindRun:
    """A Pagefind run under way: its process, the temporary folder it writes its bundle into, its log."""

    process: subprocess.Popen[bytes]
    fresh: Path
    log: Any  # a temporary file with its output
    started: float
    indexed: int = 0  # the pages it indexed, once finished
    done: bool = False  # finished, and its bundle whole


def start_bundle(site: Path, bundle: Path, part: int = 0) -> PagefindRun:
    """Start indexing the records under ``site`` for the bundle folder ``bundle`` (part ``part``
    of it), into a temporary folder beside it."""
    fresh = bundle.with_name(f"{TEMP_PREFIX}{bundle.name}" + (f".{part}" if part else ""))
    shutil.rmtree(fresh, ignore_errors=True)
    if not part:
        shutil.rmtree(bundle.with_name(f"{TEMP_PREFIX}{bundle.name}-old"), ignore_errors=True)
    fresh.parent.mkdir(parents=True, exist_ok=True)
    command = [pagefind_executable(), "--site", str(site), "--output-path", str(fresh)]
    # a file, not a pipe: none is read while Pagefind runs (finish_run closes it)
    log = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=pagefind_env())
    except OSError as exc:
        log.close()
        raise BuildError(f"the search indexer (Pagefind) failed to run: {exc}") from None
    return PagefindRun(process, fresh, log, time.monotonic())


# Pagefind's allocator (jemalloc, in the binary that pagefind[bin] ships) on huge pages, with two
# arenas: a run over 5,000 records took 247,000 page faults and 4.2 CPU seconds, and takes 5,600
# and 3.2 (the same bytes out, the same peak memory). Kernels that give huge pages on request
# (Debian's and Ubuntu's default) give them; a kernel with huge pages off ignores the hint.
PAGEFIND_MALLOC = "thp:always,metadata_thp:always,narenas:2"
MALLOC_VARIABLE = "_RJEM_MALLOC_CONF"  # the name that build of jemalloc reads


def pagefind_env() -> dict[str, str]:
    """The environment Pagefind runs in: this one, with its allocator's settings unless set here."""
    env = dict(os.environ)
    env.setdefault(MALLOC_VARIABLE, PAGEFIND_MALLOC)
    return env


def finish_run(run: PagefindRun) -> int:
    """Wait for a Pagefind run to end; return (and keep in ``run``) the indexed count."""
    try:
        try:
            code = run.process.wait(timeout=max(1.0, TIMEOUT - (time.monotonic() - run.started)))
        except subprocess.TimeoutExpired as exc:
            run.process.kill()
            run.process.wait()
            raise BuildError(f"the search indexer (Pagefind) failed to run: {exc}") from None
        run.log.seek(0)
        output = run.log.read().decode("utf-8", "replace")
    finally:
        run.log.close()
    if code != 0 or not (run.fresh / "pagefind.js").is_file():
        detail = output.strip().splitlines()
        raise BuildError(f"the search indexer (Pagefind) failed: {detail[-1] if detail else code}")
    run.indexed, run.done = indexed_pages(output), True
    return run.indexed


def swap_in(fresh: Path, bundle: Path) -> None:
    """Put the bundle made in ``fresh`` in place of ``bundle`` (the old one removed after)."""
    old = bundle.with_name(f"{TEMP_PREFIX}{bundle.name}-old")
    if bundle.exists():
        bundle.rename(old)
    fresh.rename(bundle)
    shutil.rmtree(old, ignore_errors=True)


def build_bundle(site: Path, bundle: Path) -> int:
    """Index the records under ``site`` into the bundle folder ``bundle``; return the indexed count."""
    run = start_bundle(site, bundle)
    try:
        indexed = finish_run(run)
        stable_filters(run.fresh)
        swap_in(run.fresh, bundle)
    finally:
        shutil.rmtree(run.fresh, ignore_errors=True)
    return indexed


# --- Pagefind's filter files, made stable ------------------------------------------------------
# Pagefind 1.x writes a filter's values (and the filters) in hash-map order, which changes from run
# to run once a bundle holds two channels ("TODO: Change filter indexes to BTree to give them a
# stable hash" in its source). The files are gzip'd CBOR after a "pagefind_dcd" signature, named by
# a SHA-1 of that CBOR; sorting the values and renaming the files makes equal bundles equal bytes.

SIGNATURE = b"pagefind_dcd"


def _cbor_head(data: bytes, pos: int) -> tuple[int, int, int]:
    """A CBOR item's major type, argument and the position after its head."""
    first = data[pos]
    major, info = first >> 5, first & 31
    if info < 24:
        return major, info, pos + 1
    size = 1 << (info - 24)  # 24..27: 1, 2, 4 or 8 bytes follow
    return major, int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


def cbor_decode(data: bytes, pos: int = 0) -> tuple[Any, int]:
    """Decode the CBOR subset Pagefind writes: integers, strings, byte strings, arrays, maps."""
    major, arg, pos = _cbor_head(data, pos)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        raw = data[pos : pos + arg]
        return (raw if major == 2 else raw.decode("utf-8")), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = cbor_decode(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        pairs = []
        for _ in range(arg):
            key, pos = cbor_decode(data, pos)
            value, pos = cbor_decode(data, pos)
            pairs.append((key, value))
        return dict(pairs), pos
    raise ValueError(f"unexpected CBOR item (major type {major})")


def _cbor_argument(major: int, arg: int) -> bytes:
    if arg < 24:
        return bytes([major << 5 | arg])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | info]) + arg.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def cbor_encode(value: Any) -> bytes:
    """Encode what :func:`cbor_decode` reads, with the shortest heads (as Pagefind's minicbor does)."""
    if isinstance(value, int):
        return _cbor_argument(0, value) if value >= 0 else _cbor_argument(1, -1 - value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _cbor_argument(3, len(raw)) + raw
    if isinstance(value, bytes):
        return _cbor_argument(2, len(value)) + value
    if isinstance(value, list):
        return _cbor_argument(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    if isinstance(value, dict):
        parts = [cbor_encode(k) + cbor_encode(v) for k, v in value.items()]
        return _cbor_argument(5, len(value)) + b"".join(parts)
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def _read_pf(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path}: not a Pagefind file")
    return cbor_decode(data, len(SIGNATURE))[0]


def _write_pf(path_of: str, language: str, value: Any, digits: int, folder: Path) -> str:
    """Write a Pagefind file named, as Pagefind names it, by the SHA-1 of its CBOR; return the name.

    ``path_of`` places the name in the bundle, e.g. ``filter/{}.pf_filter``.
    """
    return _write_raw_pf(path_of, language, cbor_encode(value), digits, folder)


def _write_raw_pf(path_of: str, language: str, data: bytes, digits: int, folder: Path, level: int = 9) -> str:
    """:func:`_write_pf` for CBOR already encoded; a file already there is left as it is."""
    name = f"{language}_" + "".join(f"{byte:x}" for byte in hashlib.sha1(data).digest())[:digits]
    target = folder / path_of.format(name)
    if not target.is_file():
        target.write_bytes(gzip.compress(SIGNATURE + data, compresslevel=level, mtime=0))
    return name


def stable_filters(bundle: Path) -> None:
    """Rewrite a bundle's filter files with their values (and the filters) in sorted order."""
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    for language, info in entry["languages"].items():
        meta_file = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _read_pf(meta_file)
        renamed = []
        for name, old_hash in sorted(meta[3]):
            old_file = bundle / "filter" / f"{old_hash}.pf_filter"
            index = _read_pf(old_file)
            index[1] = sorted(index[1], key=lambda value: value[0])
            old_file.unlink()
            renamed.append([name, _write_pf("filter/{}.pf_filter", language, index, 7, bundle)])
        meta[3] = renamed
        meta_file.unlink()
        info["hash"] = _write_pf("pagefind.{}.pf_meta", language, meta, 10, bundle)
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# --- archive bundles that score as one index ----------------------------------------------------
# Pagefind scores a page with its own bundle's statistics: the number of pages, their average
# length, and for each query term the number of pages holding a word that starts with it (BM25's
# IDF). Bundles of a few thousand posts each differ there by a percent or two, enough to reorder
# results whose scores are that close. So each archive bundle is given the statistics of the whole
# archive: its page list is padded to the archive's page count (placeholder pages that no word
# points to, whose lengths make up the archive's total), and every word of the archive gets a
# placeholder word beside it, the word and a space (no query term holds a space, so only prefix
# matching finds it), that points to the pages of the other bundles holding the word, under
# numbers past the end of the page list: Pagefind counts them, but never scores nor shows them.
# Scores in every archive bundle are then the ones one index of the archive gives. Each bundle
# is also cut in index chunks where one index of the archive is (see chunk_layout), the newest
# month's too. Pagefind's own index of each bundle is kept in the records folder
# (raw/<tier>-<version>.pickle), so a bundle is padded again, without running Pagefind, when
# another one changed.

RAW = "raw"  # inside the records folder: each bundle's index as Pagefind made it
PAD = " "  # the suffix of a placeholder word
PAD_VERSION = "6"  # bump when the padding changes: every bundle is padded again
RAW_VERSION = "5"  # bump when raw/<tier>-<version>.pickle changes: every archive bundle is made again
PAD_LEVEL = 6  # gzip level of the padded files: level 9 takes three times as long for 1-2% less
FAST_LEVEL = 1  # files written again soon: the newest month's (padded again by every new post) and
# a merged bundle's chunks that the padding replaces in the same build; 1/7 of the time, 30% larger
NO_PAD = "none"  # the stamp of an archive bundle that is the only one (nothing to pad)


def _uint(data: bytes, pos: int) -> tuple[int, int]:
    """The unsigned integer (or array length) whose CBOR head is at ``pos``, and the position after it."""
    info = data[pos] & 31
    if info < 24:
        return info, pos + 1
    size = 1 << (info - 24)
    return int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size


# the size of a CBOR integer by its first byte (word locations are integers, positive or negative)
_INT_SIZE = bytes(1 + (0 if b & 31 < 24 else 1 << ((b & 31) - 24)) if b & 31 < 28 else 1 for b in range(256))


def _page_numbers(data: bytes, pos: int, into: list[int]) -> tuple[int, int]:
    """Append the page numbers of a list of pages ``[[delta, [locations], [meta locations]]...]``;
    return the position after it and its size as Pagefind counts it when it cuts its index in
    chunks (each page's locations and meta locations, plus one)."""
    count, pos = _uint(data, pos)
    page = 0
    size = count
    sizes = _INT_SIZE
    for _ in range(count):  # the small cases inline: this runs for every page of every word
        fields = data[pos] & 31
        delta = data[pos + 1]
        if delta < 24:
            pos += 2
        else:
            delta, pos = _uint(data, pos + 1)
        page += delta
        into.append(page)
        for _ in range(fields - 1):  # the locations, and the meta locations if there
            items = data[pos] & 31
            if items < 24:
                pos += 1
            else:
                items, pos = _uint(data, pos)
            size += items
            for _ in range(items):
                pos += sizes[data[pos]]
    return pos, size


class Entry(NamedTuple):
    """One word of an index chunk: its CBOR as Pagefind wrote it, its pages, its size."""

    word: str
    data: bytes  # ``[word, pages, [[variant, pages]...]]``, as in the chunk
    pages: list[int]  # rising page numbers, its variants' included
    size: int  # as Pagefind counts it when cutting chunks (its variants' pages not included)
    variants: int = 0  # how many


def chunk_entries(data: bytes) -> list[Entry]:
    """The words of an index chunk (its CBOR), in order.

    A chunk is ``[[[word, pages, [[variant, pages]...]]...]]``; a word's variants (its forms with
    diacritics) are found with it, so their pages count as its pages.
    """
    entries: list[Entry] = []
    _, pos = _uint(data, 0)
    count, pos = _uint(data, pos)
    for _ in range(count):
        begin = pos
        fields = data[pos] & 31
        length, pos = _uint(data, pos + 1)
        word = data[pos : pos + length].decode("utf-8")
        pages: list[int] = []
        pos, size = _page_numbers(data, pos + length, pages)
        variants = 0
        if fields >= 3:
            variants, pos = _uint(data, pos)
            for _ in range(variants):
                length, pos = _uint(data, pos + 1)
                pos, _ = _page_numbers(data, pos + length, pages)
            if variants:
                pages = sorted(set(pages))
        entries.append(Entry(word, data[begin:pos], pages, size, variants))
    return entries


# Pagefind reads one index chunk per query term: the first whose range holds the term, and it
# matches the term against the words of that chunk only (a prefix finds its longer words there,
# and each distinct word found in a result's title adds to its title boost). Where Pagefind cut
# its index therefore decides what a query finds and how it ranks, so every bundle is cut where
# one single index of the archive is cut: at the same words, with the same ranges.

CHUNK_SIZE = 20_000  # Pagefind's index_chunk_size (its default)


def chunk_layout(sizes: dict[str, int]) -> list[tuple[str, str]]:
    """The ranges ``(from, to)`` of the chunks Pagefind cuts an index of words of these sizes in."""
    cuts: list[tuple[str, str]] = []
    first, total = None, 0
    for word in sorted(sizes):
        first = word if first is None else first
        total += sizes[word]
        if total >= CHUNK_SIZE:
            cuts.append((first, word))
            first, total = None, 0
    if first is not None:
        cuts.append((first, max(sizes)))
    ranges = [list(cut) for cut in cuts]
    for before, after in zip(ranges, ranges[1:], strict=False):
        common = 0
        for a, b in zip(after[0], before[1], strict=False):
            if a != b:
                break
            common += 1
        to, start = before[1][: common + 1], after[0][: common + 1]
        if to >= before[0]:  # (not a range that ends before it starts)
            before[1] = to
        after[0] = start
    return [(a, b) for a, b in ranges]


_EMPTY_CHUNK = b"\x81\x80"  # [[]]: a chunk without words


def write_chunks(
    bundle: Path,
    language: str,
    layout: list[tuple[str, str]],
    entries: list[tuple[str, bytes]],
    level: int = PAD_LEVEL,
) -> list[list[str]]:
    """Write ``entries`` (word, CBOR; sorted by word) as index chunks cut as ``layout`` says (a
    word goes to the last chunk whose range starts at or before it), gzipped at ``level``; return
    the meta's chunk list.
    """
    starts = [start for start, _ in layout]
    parts: list[list[bytes]] = [[] for _ in layout]
    for word, data in entries:
        parts[max(0, bisect.bisect_right(starts, word) - 1)].append(data)
    (bundle / "index").mkdir(exist_ok=True)
    chunks = []
    for (start, end), part in zip(layout, parts, strict=True):
        data = b"\x81" + _cbor_argument(4, len(part)) + b"".join(part) if part else _EMPTY_CHUNK
        name = _write_raw_pf("index/{}.pf_index", language, data, 7, bundle, level)
        chunks.append([start, end, name])
    return chunks


def _replace_meta(bundle: Path, entry: dict[str, Any], language: str, data: bytes) -> None:
    """Write a language's meta (its CBOR) and point the entry at it (written by the caller)."""
    old_meta = bundle / f"pagefind.{entry['languages'][language]['hash']}.pf_meta"
    new_name = _write_raw_pf("pagefind.{}.pf_meta", language, data, 10, bundle, PAD_LEVEL)
    if old_meta.name != f"pagefind.{new_name}.pf_meta":
        old_meta.unlink(missing_ok=True)
    entry["languages"][language]["hash"] = new_name


def _drop_other_chunks(bundle: Path, keep: set[str]) -> None:
    for path in (bundle / "index").iterdir():
        if path.name not in keep:
            path.unlink()


def bundle_layout(bundle: Path) -> dict[str, list[tuple[str, str]]]:
    """Each language's chunk ranges in a bundle: what the other bundles are cut like."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    layout = {}
    for language, info in sorted(entry["languages"].items()):
        meta = _read_pf(bundle / f"pagefind.{info['hash']}.pf_meta")
        layout[language] = [(start, end) for start, end, _ in meta[2]]
    return layout


def _placeholder(delta: int) -> bytes:
    """One placeholder page, ``[delta, []]``: no word locations."""
    return b"\x82" + _cbor_argument(0, delta) + b"\x80"


@functools.cache
def _placeholders() -> list[bytes]:
    """The placeholders of the 4,096 smallest deltas, made once (when the build first pads)."""
    return [_placeholder(delta) for delta in range(4096)]


class Postings(NamedTuple):
    """A word's pages in one bundle, as placeholders ready for another bundle's padding (a tuple:
    30,000 of them unpickle in 0.02 s, as a dataclass in 1.6 s)."""

    first: int  # the first page's number
    last: int
    count: int
    rest: bytes  # the placeholders of the pages after the first, delta-encoded


def postings(pages: list[int]) -> Postings:
    """:class:`Postings` of rising page numbers."""
    table = _placeholders()
    deltas = [b - a for a, b in zip(pages, pages[1:], strict=False)]
    rest = b"".join([table[d] if d < 4096 else _placeholder(d) for d in deltas])
    return Postings(pages[0], pages[-1], len(pages), rest)


@dataclass
class RawIndex:
    """One language of a bundle as Pagefind made it: its meta, its words, their pages and sizes."""

    meta: list[Any]  # [version, [[page hash, word count]...], [[from, to, chunk]...], filters, sorts, fields]
    entries: dict[str, bytes]  # word -> its CBOR in the chunk
    words: dict[str, Postings]
    sizes: dict[str, int]  # word -> its size, as Pagefind counts it when cutting chunks
    pages_cbor: bytes = b""  # the pages of the meta, each encoded, without the list's head
    varied: frozenset[str] = frozenset()  # the words with variants

    @property
    def pages(self) -> int:
        return len(self.meta[1])

    @property
    def length(self) -> int:
        """The words of all pages, as Pagefind counts them."""
        return sum(page[1] for page in self.meta[1])


def capture_raw(bundle: Path) -> dict[str, RawIndex]:
    """Read a bundle Pagefind made (its filters made stable): each language's index."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    raw = {}
    for language, info in sorted(entry["languages"].items()):
        meta = _read_pf(bundle / f"pagefind.{info['hash']}.pf_meta")
        entries: dict[str, bytes] = {}
        words: dict[str, Postings] = {}
        sizes: dict[str, int] = {}
        varied: set[str] = set()
        for _, _, name in meta[2]:
            data = gzip.decompress((bundle / "index" / f"{name}.pf_index").read_bytes())
            if not data.startswith(SIGNATURE):
                raise ValueError(f"{bundle}: {name} is not a Pagefind index chunk")
            for found in chunk_entries(data[len(SIGNATURE) :]):
                entries[found.word] = found.data
                sizes[found.word] = found.size
                if found.pages:
                    words[found.word] = postings(found.pages)
                if found.variants:
                    varied.add(found.word)
        pages_cbor = b"".join(map(cbor_encode, meta[1]))
        raw[language] = RawIndex(meta, entries, words, sizes, pages_cbor, frozenset(varied))
    return raw


# --- one bundle from Pagefind's runs over parts of a tier -----------------------------------------
# Pagefind's memory grows with the pages it indexes (about 45 KB a page), and one run keeps about a
# core and a third busy: two runs over halves of 10,000 pages, side by side, took two thirds of the
# wall time of one run over all 20,000, with the same memory. So a tier is indexed in parts of at
# most PART_SIZE pages, and their bundles merged into the one a single run makes: each part's pages
# numbered after the parts before it (a word's pages are delta-encoded, so only its first page's
# number changes), each word's pages and the filters' pages joined, the index cut in chunks where
# Pagefind cuts one index of all the words, and the fragments (one file a page, named by its
# content) moved over. Only the order of the pages differs from one run's.


class PageList(NamedTuple):
    """A list of pages ``[[delta, [locations], [meta locations]]...]`` in a word's CBOR, in parts."""

    count: int
    first: int  # the first page's number (its delta from 0)
    last: int
    head: bytes  # the first page's array head, before its delta
    tail: bytes  # the rest of the list after the first page's delta


def _page_list(data: bytes, pos: int) -> tuple[PageList, int]:
    """The page list whose CBOR head is at ``pos``, and the position after it."""
    pages: list[int] = []
    end, _ = _page_numbers(data, pos, pages)
    if not pages:
        return PageList(0, 0, 0, b"", b""), end
    _, start = _uint(data, pos)
    _, after = _uint(data, start + 1)
    return PageList(len(pages), pages[0], pages[-1], data[start : start + 1], data[after:end]), end


def _join_pages(lists: list[tuple[int, PageList]]) -> bytes:
    """The CBOR of one page list from ``(offset, list)`` pairs: each list's pages numbered past ``offset``."""
    parts = [_cbor_argument(4, sum(pages.count for _, pages in lists))]
    last = 0
    for offset, pages in lists:
        if pages.count:
            parts += [pages.head, _cbor_argument(0, offset + pages.first - last), pages.tail]
            last = offset + pages.last
    return b"".join(parts)


def _word_parts(data: bytes, pages: Postings | None = None) -> tuple[int, PageList, dict[str, PageList]]:
    """A word's CBOR ``[word, pages, [[variant, pages]...]]`` in parts: its field count, its pages,
    its variants' pages. Given ``pages``, the word has no variants, and its pages are not read."""
    fields = data[0] & 31
    length, pos = _uint(data, 1)
    pos += length
    if pages is not None:  # [word, pages] or [word, pages, []]: the pages end the CBOR, or its last byte
        count, start = _uint(data, pos)
        if not count:
            return fields, PageList(0, 0, 0, b"", b""), {}
        _, after = _uint(data, start + 1)
        tail = data[after:-1] if fields >= 3 else data[after:]
        return fields, PageList(count, pages.first, pages.last, data[start : start + 1], tail), {}
    main, pos = _page_list(data, pos)
    variants: dict[str, PageList] = {}
    if fields >= 3:
        count, pos = _uint(data, pos)
        for _ in range(count):
            length, pos = _uint(data, pos + 1)
            name = data[pos : pos + length].decode("utf-8")
            variants[name], pos = _page_list(data, pos + length)
    return fields, main, variants


def _merge_word(word: str, found: list[tuple[int, bytes, Postings | None]]) -> bytes:
    """One word's CBOR from its CBOR (and pages) in several parts, ``(offset, CBOR, pages)``: pages
    numbered past each offset."""
    if len(found) == 1 and found[0][0] == 0:
        return found[0][1]
    split = [(offset, _word_parts(data, pages)) for offset, data, pages in found]
    fields = max(parts[0] for _, parts in split)
    pages = _join_pages([(offset, parts[1]) for offset, parts in split])
    body = [bytes([0x80 | fields]), cbor_encode(word), pages]
    if fields >= 3:
        names = list(dict.fromkeys(name for _, parts in split for name in parts[2]))
        body.append(_cbor_argument(4, len(names)))
        for name in names:
            lists = [(offset, parts[2][name]) for offset, parts in split if name in parts[2]]
            body += [b"\x82", cbor_encode(name), _join_pages(lists)]
    return b"".join(body)


def _merge_postings(found: list[tuple[int, Postings]]) -> Postings:
    """A word's :class:`Postings` from its postings in several parts, ``(offset, postings)``."""
    offset, first = found[0]
    rest, last, count = [first.rest], offset + first.last, first.count
    for offset, more in found[1:]:
        rest += [_placeholder(offset + more.first - last), more.rest]
        last, count = offset + more.last, count + more.count
    return Postings(found[0][0] + first.first, last, count, b"".join(rest))


def _read_filters(bundle: Path, meta: list[Any]) -> dict[str, list[Any]]:
    """A bundle's filters (of one language, as its ``meta`` lists them): ``{name: [[value, pages]...]}``."""
    return {name: _read_pf(bundle / "filter" / f"{digest}.pf_filter")[1] for name, digest in meta[3]}


def _merge_filters(parts: list[tuple[int, dict[str, list[Any]]]]) -> dict[str, list[Any]]:
    """Each filter's values, ``{name: [[value, pages]...]}`` (sorted), from several parts'
    filters, ``(offset, filters)``: pages numbered past each offset."""
    merged: dict[str, dict[str, list[int]]] = {}
    for offset, filters in parts:
        for name, values in filters.items():
            into = merged.setdefault(name, {})
            for value, pages in values:
                into.setdefault(value, []).extend(offset + page for page in pages)
    return {name: sorted([value, pages] for value, pages in found.items()) for name, found in merged.items()}


def _move_files(part: Path, target: Path) -> None:
    """Move a part's fragments (named by their content: one already there is the same file), and
    the wasm of a language the first part lacks, into ``target``."""
    for item in os.scandir(part):
        if item.name.startswith("wasm.") and not os.path.exists(os.path.join(target, item.name)):
            os.rename(item.path, os.path.join(target, item.name))
    fragments = target / "fragment"
    fragments.mkdir(exist_ok=True)
    with os.scandir(part / "fragment") as items:
        for item in items:
            os.replace(item.path, os.path.join(fragments, item.name))


def _merge_language(
    target: Path, language: str, held: list[tuple[RawIndex, dict[str, list[Any]]]], level: int
) -> RawIndex:
    """Write one language's index chunks, filters and meta into ``target`` from several parts'
    (their index and filters, in order); return the merged index."""
    if any(own.meta[4] for own, _ in held):
        raise BuildError(
            f"the search indexer (Pagefind) made sort orders in '{target}', which sitegen cannot merge"
        )
    offsets, total = [], 0
    for own, _ in held:
        offsets.append(total)
        total += own.pages
    found: dict[str, list[tuple[int, bytes, Postings | None]]] = {}
    found_pages: dict[str, list[tuple[int, Postings]]] = {}
    sizes: dict[str, int] = {}
    for offset, (own, _) in zip(offsets, held, strict=True):
        postings_of, varied = own.words.get, own.varied
        for word, data in own.entries.items():
            pages = postings_of(word)
            found.setdefault(word, []).append((offset, data, None if word in varied else pages))
            sizes[word] = sizes.get(word, 0) + own.sizes[word]
            if pages is not None:
                found_pages.setdefault(word, []).append((offset, pages))
    entries = {word: _merge_word(word, found[word]) for word in sorted(found)}
    words = {word: _merge_postings(pages) for word, pages in found_pages.items()}
    chunks = write_chunks(target, language, chunk_layout(sizes), list(entries.items()), level)
    filters = _merge_filters([(offset, filters) for offset, (_, filters) in zip(offsets, held, strict=True)])
    filter_files = [
        [name, _write_pf("filter/{}.pf_filter", language, [name, values], 7, target)]
        for name, values in sorted(filters.items())
    ]
    first = held[0][0].meta
    fields = list(dict.fromkeys(name for own, _ in held for name in own.meta[5]))
    pages = [page for own, _ in held for page in own.meta[1]]
    meta = [first[0], pages, chunks, filter_files, [], fields, *first[6:]]
    pages_cbor = b"".join(own.pages_cbor for own, _ in held)
    return RawIndex(
        meta, entries, words, sizes, pages_cbor, frozenset().union(*(own.varied for own, _ in held))
    )


def merge_bundles(parts: list[Path], level: int = PAD_LEVEL) -> dict[str, RawIndex]:
    """Merge the bundles Pagefind made of consecutive parts of one tier into the first (``parts[0]``),
    the bundle one run over the whole tier makes (its index chunks gzipped at ``level``); return
    its index (see :func:`capture_raw`)."""
    target = parts[0]
    entry_file = target / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    raws = [capture_raw(part) for part in parts]
    filters = [
        {language: _read_filters(part, own.meta) for language, own in raw.items()}
        for raw, part in zip(raws, parts, strict=True)
    ]
    for part in parts[1:]:
        _move_files(part, target)
    for path in [*(target / "index").iterdir(), *(target / "filter").iterdir()]:
        path.unlink()
    for info in entry["languages"].values():
        (target / f"pagefind.{info['hash']}.pf_meta").unlink()
    merged: dict[str, RawIndex] = {}
    for language in sorted({language for raw in raws for language in raw}):
        held = [
            (raw[language], found[language])
            for raw, found in zip(raws, filters, strict=True)
            if language in raw
        ]
        merged[language] = own = _merge_language(target, language, held, level)
        info = entry["languages"].setdefault(language, {"wasm": language})
        info["hash"] = _write_raw_pf(
            "pagefind.{}.pf_meta", language, cbor_encode(own.meta), 10, target, PAD_LEVEL
        )
        info["page_count"] = own.pages
    atomic_write_bytes(
        entry_file, json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode(), durable=False
    )
    return merged


def _raw_path(folder: Path, tier: str) -> Path:
    return folder / RAW / f"{tier}-{RAW_VERSION}.pickle"


def save_raw(folder: Path, tier: str, raw: dict[str, RawIndex]) -> None:
    """Keep a bundle's own index in the records folder, for padding it again later."""
    path = _raw_path(folder, tier)
    path.parent.mkdir(parents=True, exist_ok=True)
    for other in path.parent.glob(f"{tier}-*.pickle"):  # another version's
        if other != path:
            other.unlink()
    data = pickle.dumps((RAW_VERSION, raw), protocol=pickle.HIGHEST_PROTOCOL)
    atomic_write_bytes(path, data, durable=False)


def load_raw(folder: Path, tier: str) -> dict[str, RawIndex] | None:
    """A bundle's own index kept by :func:`save_raw`; None when missing or of another version."""
    try:
        with _raw_path(folder, tier).open("rb") as handle:
            version, raw = pickle.load(handle)
    except Exception:  # missing or unreadable: the bundle is made again
        return None
    return raw if version == RAW_VERSION else None


def archive_layout(raws: dict[str, dict[str, RawIndex]]) -> dict[str, list[tuple[str, str]]]:
    """Each language's chunk ranges of one single index of all the archive bundles in ``raws``."""
    layout = {}
    for language in sorted({language for raw in raws.values() for language in raw}):
        sizes: dict[str, int] = {}
        for raw in raws.values():
            if language in raw:
                for word, size in raw[language].sizes.items():
                    sizes[word] = sizes.get(word, 0) + size
        if sizes:
            layout[language] = chunk_layout(sizes)
    return layout


def pad_bundle(
    bundle: Path,
    tier: str,
    raws: dict[str, dict[str, RawIndex]],
    layout: dict[str, list[tuple[str, str]]],
    own_words: bool = False,
) -> None:
    """Write ``bundle``'s meta and index chunks from its own index padded to the statistics of all
    the bundles in ``raws`` (tier -> languages), cut in chunks as one index of the archive is
    (``layout``, from :func:`archive_layout`); the other files stay as they are. With
    ``own_words``, only the words the bundle holds are padded (the newest month's bundle: a word
    it lacks finds nothing in it, whatever its statistics).
    """
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    tiers = sorted(raws, key=lambda name: (len(name), name))
    keep: set[str] = set()
    for language, own in raws[tier].items():
        others = [(name, raws[name][language]) for name in tiers if language in raws[name]]
        total = sum(raw.pages for _, raw in others)
        # placeholder numbers: past the padded page list, one per page of the archive
        offsets, start = {}, total
        for name, raw in others:
            offsets[name], start = start, start + raw.pages
        vocabulary = sorted(own.words if own_words else {word for _, raw in others for word in raw.words})
        entries = list(own.entries.items())
        for word in vocabulary:
            parts: list[bytes] = []
            count = last = 0
            for name, raw in others:
                found = raw.words.get(word) if name != tier else None
                if found is not None:
                    parts += [_placeholder(offsets[name] + found.first - last), found.rest]
                    last, count = offsets[name] + found.last, count + found.count
            if count:
                head = b"\x82" + cbor_encode(word + PAD) + _cbor_argument(4, count)
                entries.append((word + PAD, head + b"".join(parts)))
        entries.sort()
        chunks = write_chunks(
            bundle, language, layout[language], entries, FAST_LEVEL if own_words else PAD_LEVEL
        )
        keep.update(f"{name}.pf_index" for _, _, name in chunks)
        pages = _cbor_argument(4, total) + own.pages_cbor
        padding = total - own.pages
        if padding > 0:  # placeholder pages with no words but the last, which has the others' words
            missing = sum(raw.length for _, raw in others) - own.length
            pages += cbor_encode(["", 0]) * (padding - 1) + cbor_encode(["", missing])
        meta = own.meta
        parts = [cbor_encode(meta[0]), pages, cbor_encode(chunks), *map(cbor_encode, meta[3:])]
        _replace_meta(bundle, entry, language, _cbor_argument(4, len(meta)) + b"".join(parts))
    _drop_other_chunks(bundle, keep)
    write_if_changed(
        entry_file, json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode(), durable=False
    )


def _pad_all(index: Path, tiers: list[str], raws: dict[str, dict[str, RawIndex]], layout: Any) -> bool:
    """Pad each bundle of ``tiers`` in this process (see :func:`pad_bundle`); True when done."""
    for tier in tiers:
        pad_bundle(index / tier, tier, raws, layout)
    return True


def pad_bundles(
    index: Path, tiers: list[str], raws: dict[str, dict[str, RawIndex]], layout: Any, jobs: int
) -> None:
    """Pad the archive bundles ``tiers`` (see :func:`pad_bundle`): every other one in a forked
    child while this process pads the rest (two processes holding the site: Pagefind is done)."""
    theirs = tiers[1::2] if jobs > 1 else []
    if not theirs:
        _pad_all(index, tiers, raws, layout)
        return
    child = Forked(_pad_all, index, theirs, raws, layout, jobs=jobs, failed=False)
    try:
        _pad_all(index, tiers[0::2], raws, layout)
        done = child.result()
    finally:
        child.close()
    if done is not True:  # the child failed: padded here (an error is raised here, plainly)
        _pad_all(index, theirs, raws, layout)


def indexed_pages(log: str) -> int:
    """The page count from Pagefind's summary ("Indexed 26 pages"), 0 if it is not there."""
    for line in log.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "Indexed" and words[1].isdigit() and words[2].startswith("page"):
            return int(words[1])
    return 0


def index_in_place(output: Path) -> bool:
    """Whether ``output/pagefind/`` still holds the bundles its list names, each with the files the
    search page loads first (a build that changed nothing makes it again otherwise)."""
    index = output / INDEX_DIR
    try:
        tiers = json.loads((index / BUNDLES).read_bytes())["bundles"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(tiers, list):
        return False
    files = (*FIRST_FILES, STAMP)
    return all(isinstance(t, str) and (index / t / name).is_file() for t in tiers for name in files)


def remove_search_index(output: Path) -> bool:
    """Remove an index an earlier build made (search is off now); only a folder Pagefind made."""
    target = output / INDEX_DIR
    if (target / "pagefind-entry.json").is_file() or (target / BUNDLES).is_file():
        shutil.rmtree(target)
        return True
    return False
