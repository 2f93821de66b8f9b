"""What every content source shares: media file names, which ids are archived, merging a post.

Two sources write ``content/``: the scraper (``sitegen scrape``, the public web preview) and the
importer (``sitegen import``, Telegram Desktop exports). Both name media files the same way, keep
the same bookkeeping of the ids already read, and merge a fresh copy of a post with the stored one
by the rules here, so the build never needs to know which source wrote a post. Nothing here does
network I/O; the only file-system access is checking that a stored media file is still there.
"""

from __future__ import annotations

from pathlib import Path

from sitegen import content
from sitegen.content import ContentError
from sitegen.files import UnsafePathError, safe_relative
from sitegen.model import Channel, Post

SCRAPED_IDS = "scraped_ids"  # channel.yml: ranges of message ids read completely, [[first, last], ...]
IMPORTED = "imported"  # front matter: made from a Telegram Desktop export; a hash of its message(s)
AVATAR_STEM = "media/avatar"


# --- media file names ---------------------------------------------------------------------------


def item_stem(post_id: int, index: int | None, role: str) -> str:
    """The file name (without extension) of a post's media item, thumbnail, link-preview image or
    the thumbnail of the message it replies to.

    ``media/<id>/<n>`` for item ``index`` (0-based, so n = index + 1), ``<n>-thumb`` for its
    thumbnail, ``media/<id>/preview`` for the link preview's image, ``media/<id>/reply`` for the
    replied-to message's thumbnail. Names come from ids only.
    """
    if role == "reply_thumb":
        return f"media/{int(post_id)}/reply"
    if role == "link_preview_image" or index is None:
        return f"media/{int(post_id)}/preview"
    suffix = "-thumb" if role == "thumb" else ""
    return f"media/{int(post_id)}/{int(index) + 1}{suffix}"


def local_file(channel_dir: Path, relative: str | None) -> str | None:
    """``relative`` if it names an existing file inside the channel folder, else None."""
    if not relative:
        return None
    try:
        path = safe_relative(channel_dir, relative)
    except UnsafePathError:
        return None
    return relative if path.is_file() else None


# --- which ids are archived -----------------------------------------------------------------------


def add_range(ranges: list[list[int]], first: int, last: int) -> list[list[int]]:
    """Add the id range ``first..last`` to a list of ranges, merging overlapping and touching ones."""
    merged: list[list[int]] = []
    for lo, hi in sorted([*ranges, [first, last]]):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return merged


def range_holding(ranges: list[list[int]], post_id: int) -> list[int] | None:
    """The range that contains ``post_id``, if any."""
    for lo, hi in ranges:
        if lo <= post_id <= hi:
            return [lo, hi]
    return None


def load_ranges(channel: Channel, stored: set[int]) -> list[list[int]]:
    """The ranges read before: from channel.yml, or for an archive without them, its first..last post."""
    value = channel.extra.get(SCRAPED_IDS)
    if value is None:
        return [[min(stored), max(stored)]] if stored else []
    ranges: list[list[int]] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list) and len(item) == 2 and all(type(x) is int for x in item):
                ranges = add_range(ranges, min(item), max(item))
    return ranges


# --- merging a fresh copy of a post with the stored one -------------------------------------------


def read_stored(channel_dir: Path, post_id: int, stored: set[int], warnings: list[str]) -> Post | None:
    """The stored post with this id, or None; a broken file is replaced, and said so in ``warnings``."""
    if post_id not in stored:
        return None
    try:
        return content.read_post(content.post_path(channel_dir, post_id))
    except ContentError as exc:
        warnings.append(f"replacing an unreadable post file: {exc}")
        return None


def is_imported(post: Post | None) -> bool:
    """Whether a stored post's text and files came from a Telegram Desktop export."""
    return post is not None and bool(post.extra.get(IMPORTED))


def merge_post(new: Post, old: Post | None, channel_dir: Path, source: str = "scrape") -> Post:
    """Merge a freshly read post (from ``source``: "scrape" or "import") with the stored one.

    The rules (docs/content-format.md, "Two sources, one archive"):

    * the export wins what it holds exactly: the text, the media list and its files, sender,
      forwards, replies, polls, locations, service actions; a scrape never replaces them;
    * the scrape wins what changes after an export: views, reactions, the edited mark, buttons,
      the link preview, ``deleted``; an import keeps the stored ones and only fills empty fields;
    * a media file already archived is never dropped: an item without a file takes the stored
      item's file at the same position when the kinds match;
    * unknown keys of both are kept (the fresh copy's win).
    """
    if old is None:
        return new
    if source == "import":
        merged = _import_over(new, old)
    elif is_imported(old):
        merged = _scrape_over_import(new, old)
    else:
        merged = new
    _keep_files(merged, old, channel_dir)
    merged.extra = {**old.extra, **new.extra}  # an import's hash replaces the stored one
    return merged


def _import_over(new: Post, old: Post) -> Post:
    """An export's copy over a stored post: the export's content, the stored live counters."""
    new.views = old.views if old.views is not None else new.views
    new.reactions = old.reactions or new.reactions
    new.buttons = old.buttons or new.buttons
    new.link_preview = old.link_preview or new.link_preview
    new.edited = new.edited or old.edited
    new.deleted = old.deleted
    new.source = new.source or old.source
    new.author = new.author or old.author
    if new.forwarded_from is not None and old.forwarded_from is not None:
        new.forwarded_from.url = new.forwarded_from.url or old.forwarded_from.url
    return new


def _scrape_over_import(new: Post, old: Post) -> Post:
    """A scraped copy over an imported post: the export's content stays, live fields update."""
    old.views = new.views if new.views is not None else old.views
    old.reactions = new.reactions or old.reactions
    old.buttons = new.buttons or old.buttons
    old.edited = old.edited or new.edited
    old.deleted = new.deleted
    old.unsupported = False
    old.link_preview = old.link_preview or new.link_preview
    old.source = old.source or new.source
    old.author = old.author or new.author
    if old.forwarded_from is not None and new.forwarded_from is not None:
        old.forwarded_from.url = old.forwarded_from.url or new.forwarded_from.url
    if old.reply_to is not None and new.reply_to is not None:
        old.reply_to.url = old.reply_to.url or new.reply_to.url
        old.reply_to.author = old.reply_to.author or new.reply_to.author
        old.reply_to.text = old.reply_to.text or new.reply_to.text
        old.reply_to.thumb = old.reply_to.thumb or new.reply_to.thumb
    return old


def _keep_files(post: Post, old: Post, channel_dir: Path) -> None:
    """Carry the stored post's local media files over to items (same position, same kind) that lack them."""
    for index, item in enumerate(post.media):
        if index < len(old.media) and old.media[index].kind == item.kind:
            before = old.media[index]
            if before is item:
                continue
            item.file = item.file or local_file(channel_dir, before.file)
            item.thumb = item.thumb or local_file(channel_dir, before.thumb)
            item.too_big = item.too_big or (before.too_big and not item.file)
            item.url = item.url or before.url
    if post.link_preview is not None and old.link_preview is not None and not post.link_preview.image:
        post.link_preview.image = local_file(channel_dir, old.link_preview.image)
    if post.reply_to is not None and old.reply_to is not None and not post.reply_to.thumb:
        post.reply_to.thumb = local_file(channel_dir, old.reply_to.thumb)
