"""The scrape stage: public Telegram channels -> ``content/<channel>/`` (posts, media, channel.yml).

One channel is read page by page, newest first (``?before=`` pages back in time). Each page is
parsed, its media downloaded and each post written atomically before the next page is fetched,
so a scrape can be killed at any moment and the next run goes on where it stopped.

What has been read is remembered in channel.yml as ranges of message ids (``scraped_ids``).
A later run reads the newest page, re-reads the newest ``refresh`` posts (edits, views,
reactions, deletions), skips every range it already holds and goes on below the oldest one
until it reaches the start of the channel (or ``limit`` new posts).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sitegen import content
from sitegen.archive import (
    AVATAR_STEM,
    SCRAPED_IDS,
    add_range,
    is_imported,
    item_stem,
    load_ranges,
    local_file,
    merge_post,
    range_holding,
    read_stored,
)
from sitegen.config import Config
from sitegen.errors import SitegenError
from sitegen.files import remove_temp_files, write_if_changed
from sitegen.model import Channel, Post
from sitegen.progress import NoProgress, ProgressSink, show_status
from sitegen.telegram.fetch import PageFetcher, ScrapeError
from sitegen.telegram.media import Download, MediaDownloader, Result
from sitegen.telegram.parse import MediaRef, ParsedPage

MEDIA_MISSING = "media_missing"  # channel.yml: posts whose media could not be downloaded yet
AVATAR_SOURCE = "avatar_source"  # channel.yml: the address the avatar file came from
MAX_RETRY_PAGES = 10  # pages re-read per run to fetch media that failed before
_HOSTS = ("t.me/", "telegram.me/", "telegram.dog/")


@dataclass
class ChannelResult:
    """What one channel's scrape did."""

    channel: str
    new: int = 0
    updated: int = 0
    deleted: int = 0
    media: int = 0  # files written
    media_failed: int = 0
    requests: int = 0  # page requests, retries included
    media_requests: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ScrapeSummary:
    """What a whole ``sitegen scrape`` did, channel by channel."""

    channels: list[ChannelResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        """The sum of one counter over every channel."""
        return sum(getattr(result, name) for result in self.channels)

    @property
    def errors(self) -> list[str]:
        """One line per channel that failed."""
        return [f"@{r.channel}: {r.error}" for r in self.channels if r.error]

    def line(self) -> str:
        """The one-line summary the CLI prints at the end."""
        done = sum(1 for r in self.channels if not r.error)
        failed = f" ({len(self.errors)} failed)" if self.errors else ""
        media_failed = self.total("media_failed")
        missing = f" ({media_failed} not downloaded)" if media_failed else ""
        return (
            f"Scraped {done} channel(s){failed}: {self.total('new')} new, {self.total('updated')} updated, "
            f"{self.total('deleted')} deleted posts, {self.total('media')} media files{missing}, "
            f"{self.total('requests')} page requests"
        )


# --- channel names --------------------------------------------------------------------------------


def normalise_channel(text: str) -> str:
    """Turn ``name``, ``@name``, ``t.me/name`` or ``https://t.me/s/name`` into the channel name.

    A post link (``t.me/name/123``) names its channel too; any other path is refused.

    The name is lower-cased (Telegram names are case-insensitive) so one channel has one folder.
    """
    value = text.strip()
    value = re.sub(r"^[a-z]+://", "", value, flags=re.IGNORECASE)
    lowered = value.lower()
    if lowered.startswith("www."):
        value, lowered = value[4:], lowered[4:]
    for host in _HOSTS:
        if lowered.startswith(host):
            value = value[len(host) :]
            if value.lower().startswith("s/"):
                value = value[2:]
            break
    path = re.split(r"[?#]", value, maxsplit=1)[0].rstrip("/")
    value, _, rest = path.partition("/")
    value = value.removeprefix("@")
    if not content.is_channel_name(value) or not (rest == "" or rest.isdigit()):
        raise ScrapeError(f"not a channel name or t.me link: {text!r}")
    return value.lower()


# --- merging a fresh post with the stored one ---------------------------------------------------


def _fits(post: Post, shown: list[str] | None, ref: MediaRef) -> bool:
    """Whether a media reference of the page fits the stored post (always, unless an export wrote it).

    An imported post keeps the export's media list: a download may only fill an item the export
    left out when Telegram shows the same kind of item at the same position.
    """
    if shown is None or ref.role == "link_preview_image":
        return True
    index = ref.media_index
    return (
        index is not None
        and index < len(shown)
        and index < len(post.media)
        and post.media[index].kind == shown[index]
    )


def _target(post: Post, ref: MediaRef) -> tuple[Any, str] | None:
    """The object and attribute a media reference fills in: (media item, "file"), ..."""
    if ref.role == "link_preview_image":
        return (post.link_preview, "image") if post.link_preview is not None else None
    if ref.role == "reply_thumb":
        return (post.reply_to, "thumb") if post.reply_to is not None else None
    if ref.media_index is None or not 0 <= ref.media_index < len(post.media):
        return None
    return post.media[ref.media_index], ("thumb" if ref.role == "thumb" else "file")


# --- one channel ------------------------------------------------------------------------------------


class ChannelScrape:
    """The scrape of one channel: its folder, what is stored, and the counters."""

    def __init__(
        self,
        cfg: Config,
        name: str,
        fetcher: PageFetcher,
        downloader: MediaDownloader | None,
        progress: ProgressSink,
    ) -> None:
        self.cfg = cfg
        self.settings = cfg.scrape
        self.name = name
        self.dir = cfg.content_dir / name
        self.fetcher = fetcher
        self.downloader = downloader
        self.progress = progress
        self.result = ChannelResult(name)
        self.pages = 0  # pages read, for the progress line
        self.stored: set[int] = set()
        self.ranges: list[list[int]] = []
        self.missing: set[int] = set()
        self.channel = Channel(username=name)

    # -- the run --

    def run(self) -> ChannelResult:
        """Scrape the channel: new posts, the refresh window, older history, then failed media."""
        requests_before = self.fetcher.requests
        media_before = self.downloader.requests if self.downloader else 0
        try:
            self._run()
        finally:
            self.result.requests = self.fetcher.requests - requests_before
            if self.downloader:
                self.result.media_requests = self.downloader.requests - media_before
            self.progress.end()
        return self.result

    def _run(self) -> None:
        if self.dir.exists() and not self.dir.is_dir():
            raise ScrapeError(f"'{self.dir}' is a file, not a channel folder: move it out of the way")
        self.progress.begin(f"@{self.name}: reading the newest page", 0)  # a slow first answer is shown
        page = self.fetcher.fetch_page(self.name, None, first=True)  # fails before anything is written
        if self.dir.is_dir():
            remove_temp_files(self.dir)
        self._load_state()
        newest = max((p.id for p in page.posts), default=0)
        self.progress.begin(f"@{self.name}", max(newest, 1))
        self._update_channel(page)
        limit = self.settings.limit
        seen = 0
        before: int | None = None
        while True:
            lo = self._process_page(page, before)
            seen += len(page.posts)
            if limit and self.result.new >= limit:
                break
            next_before = lo if page.before is not None and lo > 1 else None
            if next_before is not None and seen >= self.settings.refresh:
                held = range_holding(self.ranges, next_before - 1)
                if held is not None:
                    self.progress.advance(next_before - held[0])
                    next_before = held[0] if held[0] > 1 else None
            if next_before is None:
                break
            before = next_before
            page = self.fetcher.fetch_page(self.name, before)
        self._retry_missing_media()

    def _load_state(self) -> None:
        """Read what the archive already holds: post ids, read ranges, posts with missing media."""
        self.stored = content.post_ids(self.dir)
        old = content.read_channel(self.dir) if self.dir.is_dir() else Channel(username=self.name)
        self.channel = old
        self.ranges = load_ranges(old, self.stored)
        value = old.extra.get(MEDIA_MISSING)
        if isinstance(value, list):
            self.missing = {x for x in value if type(x) is int and x in self.stored}

    def _update_channel(self, page: ParsedPage) -> None:
        """Take the header from the newest page, download the avatar, write channel.yml."""
        fresh = copy.copy(page.channel)
        fresh.username = self.name
        fresh.extra = {**self.channel.extra, **fresh.extra}
        fresh.avatar = local_file(self.dir, self.channel.avatar)
        unchanged = fresh.avatar and fresh.extra.get(AVATAR_SOURCE) == page.avatar_url
        if page.avatar_url and self.downloader is not None and not unchanged:
            # Telegram gives a new avatar a new address: the same address is the same picture.
            got = self.downloader.fetch(page.avatar_url)
            if isinstance(got, Result):
                self.result.media_failed += 1
                self.result.warnings.append(f"avatar not downloaded: {got.error}")
            else:
                data, ext = got
                relative = f"{AVATAR_STEM}.{ext}"
                if write_if_changed(self.dir / relative, data):
                    self.result.media += 1
                fresh.avatar = relative
                fresh.extra[AVATAR_SOURCE] = page.avatar_url
        self.channel = fresh
        self._write_channel()

    def _write_channel(self) -> None:
        """Write channel.yml with the read ranges, the posts still missing media and the time."""
        self.channel.extra[SCRAPED_IDS] = [list(r) for r in self.ranges]
        if self.missing:
            self.channel.extra[MEDIA_MISSING] = sorted(self.missing)
        else:
            self.channel.extra.pop(MEDIA_MISSING, None)
        self.channel.scraped_at = datetime.now(UTC).replace(microsecond=0)
        content.write_channel(self.dir, self.channel)

    # -- one page --

    def _select(self, posts: list[Post]) -> tuple[list[Post], bool]:
        """The posts of a page to store, newest first, within ``limit``; and whether some were cut."""
        limit = self.settings.limit
        room = limit - self.result.new if limit else len(posts)
        chosen: list[Post] = []
        for post in sorted(posts, key=lambda p: p.id, reverse=True):
            if post.id not in self.stored:
                if room <= 0:
                    return chosen, True
                room -= 1
            chosen.append(post)
        return chosen, False

    def _process_page(self, page: ParsedPage, before: int | None) -> int:
        """Store one page's posts and mark the vanished ones; return the lowest id the page covers."""
        chosen, cut = self._select(page.posts)
        ids = [p.id for p in page.posts]
        top = before - 1 if before is not None else max([*ids, *self.stored, 0])
        if cut:
            lo = min(p.id for p in chosen) if chosen else top + 1
        elif page.before is None:
            lo = 1
        else:
            lo = min([page.before, *ids])
        self._store_posts(chosen, page.media)
        if lo <= top:
            self._mark_deleted(lo, top, set(ids))
            self.ranges = add_range(self.ranges, lo, top)
        self._write_channel()
        self.progress.advance(max(0, top - lo + 1))
        self.pages += 1
        r = self.result
        show_status(
            self.progress,
            f"{self.pages} pages, {r.new} new, {r.updated} updated posts, {r.media} media files",
        )
        return lo

    def _store_posts(self, posts: list[Post], refs: list[MediaRef]) -> None:
        """Merge, download media for and write the given posts."""
        merged: dict[int, Post] = {}
        kinds: dict[int, list[str]] = {}  # the media kinds Telegram shows, for posts an export wrote
        for post in posts:
            post.channel = self.name
            post.source = post.source or f"https://t.me/{self.name}/{post.id}"
            stored = self._read_stored(post.id)
            if is_imported(stored):
                kinds[post.id] = [item.kind for item in post.media]
            merged[post.id] = merge_post(post, stored, self.dir)
        wanted = [
            r for r in refs if r.post_id in merged and _fits(merged[r.post_id], kinds.get(r.post_id), r)
        ]
        self._download(merged, wanted)
        for post in sorted(merged.values(), key=lambda p: p.id):
            for item in post.media:
                item.url = item.url or post.source
            self._write_post(post)

    def _download(self, posts: dict[int, Post], refs: list[MediaRef]) -> None:
        """Download the media the posts still lack; note the posts whose media could not be fetched."""
        jobs: list[tuple[int, Any, str]] = []
        items: list[Download] = []
        pending: set[int] = set()
        for ref in refs:
            target = _target(posts[ref.post_id], ref)
            if target is None or getattr(*target):
                continue
            if target[1] == "file" and getattr(target[0], "too_big", False):
                continue  # larger than max_media_size on an earlier run: a link only
            if self.downloader is None:
                pending.add(ref.post_id)
                continue
            jobs.append((ref.post_id, *target))
            items.append(Download(ref.url, item_stem(ref.post_id, ref.media_index, ref.role)))
        results = self.downloader.download_all(self.dir, items) if self.downloader else []
        for (post_id, obj, attr), result in zip(jobs, results, strict=True):
            if result.status == "ok":
                setattr(obj, attr, result.path)
                self.result.media += 1
            elif result.status == "too_big":
                if attr == "file":
                    obj.too_big = True
                self.result.warnings.append(f"post {post_id}: {result.error}; kept as a link")
            else:
                self.result.media_failed += 1
                pending.add(post_id)
        self.missing.difference_update(posts)
        self.missing.update(pending)

    def _read_stored(self, post_id: int) -> Post | None:
        """The stored post with this id, or None (a broken file is replaced, with a warning)."""
        return read_stored(self.dir, post_id, self.stored, self.result.warnings)

    def _write_post(self, post: Post) -> None:
        """Write a post if it is new or changed, and count it."""
        path = content.post_path(self.dir, post.id)
        changed = write_if_changed(path, content.format_post(post).encode("utf-8"))
        if post.id not in self.stored:
            self.stored.add(post.id)
            self.result.new += 1
        elif changed:
            self.result.updated += 1

    def _mark_deleted(self, lo: int, hi: int, present: set[int]) -> None:
        """Mark stored posts in ``lo..hi`` that the page no longer shows as deleted (files stay)."""
        for post_id in sorted(self.stored):
            if lo <= post_id <= hi and post_id not in present:
                self.missing.discard(post_id)
                post = self._read_stored(post_id)
                if post is None or post.deleted:
                    continue
                post.deleted = True
                if write_if_changed(content.post_path(self.dir, post_id), content.format_post(post).encode()):
                    self.result.deleted += 1

    # -- media that failed on an earlier run --

    def _retry_missing_media(self) -> None:
        """Re-read the pages of a few posts whose media failed before (t.me media links expire)."""
        if self.downloader is None:
            return
        todo = sorted(self.missing, reverse=True)
        pages = 0
        while todo and pages < MAX_RETRY_PAGES:
            before = todo[0] + 1
            page = self.fetcher.fetch_page(self.name, before)
            pages += 1
            lo = self._process_page(page, before)
            todo = [i for i in todo if i < lo and i in self.missing]


# --- the stage --------------------------------------------------------------------------------------


def scrape_channels(
    cfg: Config,
    names: Iterable[str],
    progress: ProgressSink | None = None,
    fetcher: PageFetcher | None = None,
) -> ScrapeSummary:
    """Scrape each named channel into ``cfg.content_dir``; a failing channel does not stop the others.

    Names are checked first: a bad one stops everything before any request is made.
    """
    wanted: list[str] = []
    for raw in names:
        name = normalise_channel(raw)
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise ScrapeError(
            "no channel to scrape: name one, or list them under [scrape] channels in sitegen.toml"
        )
    summary = ScrapeSummary()
    own_fetcher = fetcher is None
    fetcher = fetcher or PageFetcher(cfg.scrape)
    downloader = MediaDownloader(cfg.scrape) if cfg.scrape.media else None
    try:
        for name in wanted:
            job = ChannelScrape(cfg, name, fetcher, downloader, progress or NoProgress())
            try:
                job.run()
            except SitegenError as exc:  # the network, or this channel's files (a broken channel.yml)
                job.result.error = str(exc)
            summary.channels.append(job.result)
    finally:
        if downloader is not None:
            downloader.close()
        if own_fetcher:
            fetcher.close()
    return summary
