"""The one vocabulary of sitegen: a channel and its posts, as plain dataclasses.

The scraper produces these objects, ``content.py`` stores them as Markdown files with
YAML front matter, and the build reads them back. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Stands for a spoiler's text wherever a post is not shown in full (excerpts, titles, reply blocks).
SPOILER_PLACEHOLDER = "▒▒▒"

# Kinds of media a post can carry; the content format documents each one.
MEDIA_KINDS = (
    "photo",
    "video",
    "gif",
    "round_video",
    "voice",
    "audio",
    "document",
    "sticker",
    "animated_sticker",
    "video_sticker",
)


@dataclass
class Media:
    """One attached media item (a photo, one album item, a voice note, a file...)."""

    kind: str
    file: str | None = None  # path relative to the channel folder, e.g. media/475/1.jpg
    thumb: str | None = None  # local thumbnail (video, round video, link preview video)
    width: int | None = None
    height: int | None = None
    duration: int | None = None  # seconds
    title: str | None = None  # document file name or music track title
    performer: str | None = None  # music performer
    size: str | None = None  # human size as Telegram shows it, e.g. "52.6 KB"
    too_big: bool = False  # Telegram showed "Media is too big": no file, only a link
    not_exported: bool = False  # a Telegram Desktop export left the file out (or it was missing)
    url: str | None = None  # the item's own page on Telegram (t.me/<ch>/<id>?single)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class LinkPreview:
    """The card Telegram shows under a message for its first link."""

    url: str
    site: str | None = None
    title: str | None = None
    description: str | None = None
    image: str | None = None  # local file, relative to the channel folder
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PollOption:
    """One answer of a poll with its real share of the votes."""

    text: str
    percent: int | None = None


@dataclass
class Poll:
    """A poll or quiz; ``kind`` is Telegram's label such as "Anonymous Poll"."""

    question: str
    kind: str | None = None
    multiple: bool = False
    options: list[PollOption] = field(default_factory=list)
    voters: int | None = None


@dataclass
class Location:
    """A shared map point, optionally a named venue."""

    lat: float
    lon: float
    title: str | None = None
    address: str | None = None


@dataclass
class Reaction:
    """One reaction under a post: the emoji character and how many chose it."""

    emoji: str
    count: int


@dataclass
class Button:
    """An inline URL button under a post."""

    text: str
    url: str


@dataclass
class ForwardedFrom:
    """Where a forwarded post came from: a channel or user name and, if public, a link."""

    name: str
    url: str | None = None
    author: str | None = None


@dataclass
class ReplyTo:
    """The post this one replies to, with what Telegram's reply block shows of it."""

    channel: str
    id: int
    url: str | None = None
    author: str | None = None  # the replied message's author or channel, as the block names it
    text: str | None = None  # its first line ("Photo", "Video"... for media without text)
    thumb: str | None = None  # local file of the block's thumbnail, relative to the channel folder


@dataclass
class Post:
    """One Telegram message; ``text`` is its body as Markdown."""

    id: int
    date: datetime
    channel: str = ""
    text: str = ""
    edited: bool = False
    author: str | None = None
    sender: str | None = None  # who sent it, in groups and chats (several senders); shown on the post
    via_bot: str | None = None  # "@bot" for a message sent through an inline bot
    views: int | None = None
    forwarded_from: ForwardedFrom | None = None
    reply_to: ReplyTo | None = None
    media: list[Media] = field(default_factory=list)
    link_preview: LinkPreview | None = None
    poll: Poll | None = None
    location: Location | None = None
    reactions: list[Reaction] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    service: str | None = None  # channel_created, pinned, title_changed, photo_changed, other
    unsupported: bool = False  # Telegram's preview could not show this message
    deleted: bool = False  # vanished from Telegram after it was archived
    source: str | None = None  # https://t.me/<channel>/<id>
    extra: dict[str, Any] = field(default_factory=dict)  # unknown front-matter keys, kept as they are


@dataclass
class Channel:
    """A channel's header: what channel.yml holds."""

    username: str
    title: str | None = None
    description: str | None = None  # plain text with newlines
    avatar: str | None = None  # local file, relative to the channel folder
    subscribers: int | None = None
    # The other counters t.me/s shows in the header (rounded there: "1.5K" is kept as 1500).
    photos: int | None = None
    videos: int | None = None
    files: int | None = None
    links: int | None = None
    verified: bool = False  # Telegram's verified badge
    scraped_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The title to show: the channel's title, else its @username."""
        return self.title or self.username
