"""Build step 2: gather cross-page data (prev/next, tags, months, pagination) and list every page.

Everything here is pure: content in, :class:`Page` objects out. A page's ``path`` is its file inside
output/; every link a page makes is relative, from :func:`root_of` its path.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sitegen.build.excerpt import visible_text
from sitegen.build.load import ChannelSource
from sitegen.build.markdown import markdown_to_html, tags_in_html
from sitegen.model import Channel, Media, Post

_SPACES = re.compile(r"[ \t\r\f\v]+")
TITLE_LENGTH = 90
SUMMARY_LENGTH = 220

# Titles for posts without text, by the kind of their first media item.
_KIND_TITLES = {
    "photo": "Photo",
    "video": "Video",
    "gif": "GIF",
    "round_video": "Video message",
    "voice": "Voice message",
    "audio": "Audio",
    "document": "File",
    "sticker": "Sticker",
    "animated_sticker": "Sticker",
    "video_sticker": "Sticker",
}


@dataclass(slots=True)  # slots: 100,000 posts and pages fit in less memory
class MediaView:
    """A media item as a page shows it: the local href when the file is archived."""

    item: Media
    href: str | None  # path from the site root, when the file is in the archive
    thumb_href: str | None
    state: str  # "local", "remote" (never archived) or "missing" (listed, but not on disk)


@dataclass(slots=True)  # slots: 100,000 posts and pages fit in less memory
class PostView:
    """A post with what the pages need: its HTML, title, summary, tags, neighbours and local media."""

    post: Post
    html: str  # rendered body; links inside the archive start with markdown.ROOT
    title: str
    summary: str
    tags: list[str]
    path: str  # <channel>/<id>/index.html
    local_date: datetime
    media: list[MediaView] = field(default_factory=list)
    preview_image: str | None = None  # href of the archived link-preview image
    older: PostView | None = None
    newer: PostView | None = None
    reply_view: PostView | None = None  # the replied post, when it is in the archive (archive.py)
    reply_thumb: str | None = None  # href of the archived thumbnail of the replied post (as scraped)
    links: tuple[Any, ...] = ()  # what its reply and links to Telegram posts resolve to (archive.py)
    digest: str = ""  # hash of the post file's bytes; with the fields above it makes ``key``
    key: str = ""  # changes whenever anything this view shows changes (set by make_section)

    @property
    def title_key(self) -> str | None:
        """The UI string that translates a title made from the post's kind (no text), else None."""
        post = self.post
        if self.summary or post.poll:
            return None
        if post.media:
            kind = post.media[0].kind
            return "sticker" if kind.endswith("sticker") else kind
        if post.link_preview and post.link_preview.title:
            return None
        return "location" if post.location else "post_n"

    @property
    def media_groups(self) -> tuple[list[MediaView], list[MediaView]]:
        """The items shown one by one, and those never archived that show only as a link (no file,
        no thumbnail; not a file card): when there are several, they make one line of their own."""
        remote = [
            m
            for m in self.media
            if m.state != "local" and not m.thumb_href and m.item.kind not in ("document", "audio", "voice")
        ]
        shown = [m for m in self.media if m not in remote] if len(remote) > 1 else self.media
        return shown, remote

    @property
    def first_image(self) -> str | None:
        """The first archived photo (or video thumbnail), for cards and Open Graph."""
        for view in self.media:
            if view.item.kind == "photo" and view.href:
                return view.href
            if view.thumb_href:
                return view.thumb_href
        return self.preview_image


@dataclass
class Section:
    """One channel of the site with its posts (oldest first) grouped by tag and by month."""

    channel: Channel
    posts: list[PostView]
    avatar_href: str | None
    tags: dict[str, list[PostView]]
    months: dict[tuple[int, int], list[PostView]]
    header_key: str = ""  # changes whenever the channel's header (name, description, avatar) changes

    @property
    def name(self) -> str:
        """The channel's folder name inside output/."""
        return self.channel.username


@dataclass(slots=True)  # slots: 100,000 posts and pages fit in less memory
class Page:
    """One HTML file of the site: where it goes, which template renders it, and with what."""

    path: str
    template: str
    context: dict[str, Any]
    # Everything the page shows that can change between builds (besides templates and config), as
    # plain strings and numbers: the build skips a page whose deps are unchanged. None: always render.
    deps: tuple[Any, ...] | None = None

    @property
    def root(self) -> str:
        """The relative path from this page back to the site root ("" or "../../")."""
        return root_of(self.path)


def root_of(path: str) -> str:
    """The relative prefix that leads from the file at ``path`` to the site root."""
    return "../" * path.count("/")


def plain_text(fragment: str) -> str:
    """The visible text of an HTML fragment, tags removed and entities decoded, spoilers hidden."""
    return visible_text(fragment)


def _shorten(line: str, length: int = TITLE_LENGTH) -> str:
    """``line`` cut to ``length`` with "…", at the last space when one is near (words stay whole)."""
    cut = line[: length - 1]
    space = cut.rfind(" ", length - 30)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


def post_title(post: Post, body_text: str) -> str:
    """A title from the post's first line of text, else from its media, poll or service kind."""
    for line in body_text.splitlines():
        line = _SPACES.sub(" ", line).strip()
        if line:
            return line if len(line) <= TITLE_LENGTH else _shorten(line)
    if post.poll:
        return post.poll.question
    if post.media:
        return _KIND_TITLES.get(post.media[0].kind, "Media")
    if post.link_preview and post.link_preview.title:
        return post.link_preview.title
    if post.location:
        return "Location"
    return f"Post {post.id}"


def summarize(body_text: str) -> str:
    """A one-paragraph plain-text excerpt for descriptions and list pages."""
    text = " ".join(body_text.split())
    return text if len(text) <= SUMMARY_LENGTH else _shorten(text, SUMMARY_LENGTH)


def _media_views(post: Post, channel: str, files: set[str]) -> list[MediaView]:
    views = []
    for item in post.media:
        href = f"{channel}/{item.file}" if item.file and item.file in files else None
        thumb = f"{channel}/{item.thumb}" if item.thumb and item.thumb in files else None
        state = "local" if href else ("missing" if item.file else "remote")
        views.append(MediaView(item, href, thumb, state))
    return views


def post_texts(post: Post, body_html: str) -> tuple[str, str, list[str]]:
    """A post's title, summary and tags: what the build caches besides its HTML."""
    text = plain_text(body_html)
    return post_title(post, text), summarize(text), tags_in_html(body_html)


def make_post_view(
    post: Post,
    source: ChannelSource,
    tz: ZoneInfo,
    body_html: str | None = None,
    digest: str = "",
    texts: tuple[str, str, list[str]] | None = None,
) -> PostView:
    """Render one post's Markdown and derive its title, summary, tags (unless given) and local media."""
    channel = source.channel.username
    body = body_html if body_html is not None else markdown_to_html(post.text, channel)
    title, summary, tags = texts if texts is not None else post_texts(post, body)
    preview = post.link_preview.image if post.link_preview else None
    reply_thumb = post.reply_to.thumb if post.reply_to else None
    return PostView(
        post=post,
        html=body,
        title=title,
        summary=summary,
        tags=tags,
        path=f"{channel}/{post.id}/index.html",
        local_date=post.date.astimezone(tz),
        media=_media_views(post, channel, source.media_files),
        preview_image=f"{channel}/{preview}" if preview and preview in source.media_files else None,
        reply_thumb=f"{channel}/{reply_thumb}" if reply_thumb and reply_thumb in source.media_files else None,
        digest=digest,
    )


def _hash(value: Any) -> str:
    """A short stable hash of a value's repr (plain data and dataclasses of plain data)."""
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=12).hexdigest()


def view_key(view: PostView) -> str:
    """The key of what a post shows: its file, which of its media are archived, what its reply and
    links to other posts resolve to."""
    if not view.digest:
        return ""
    media = [(m.state, m.href, m.thumb_href) for m in view.media]
    reply = (view.reply_thumb, view.links)
    return _hash((view.digest, view.path, media, view.preview_image, reply, view.local_date))


def make_section(source: ChannelSource, views: list[PostView]) -> Section:
    """Link neighbours, and group a channel's posts by tag and by month (replies: archive.py)."""
    tags: dict[str, list[PostView]] = defaultdict(list)
    months: dict[tuple[int, int], list[PostView]] = defaultdict(list)
    for i, view in enumerate(views):
        view.older = views[i - 1] if i else None
        view.newer = views[i + 1] if i + 1 < len(views) else None
        view.key = view_key(view)
        for tag in view.tags:
            tags[tag].append(view)
        months[(view.local_date.year, view.local_date.month)].append(view)
    avatar = source.channel.avatar
    avatar_href = f"{source.channel.username}/{avatar}" if avatar and avatar in source.media_files else None
    header = _hash((source.channel, avatar_href))
    return Section(
        source.channel, views, avatar_href, dict(sorted(tags.items())), dict(sorted(months.items())), header
    )


def _keys(views: list[PostView]) -> tuple[str, ...] | None:
    """The keys of a list of posts, or None when one is unknown (so the page always renders)."""
    keys = tuple(view.key for view in views)
    return None if "" in keys else keys


def _deps(section: Section, views: list[PostView], *more: Any) -> tuple[Any, ...] | None:
    """A page's deps: the channel header, its posts' keys and ``more``; None when a key is unknown."""
    keys = _keys(views)
    return None if keys is None or not section.header_key else (section.header_key, keys, *more)


def page_count(total: int, per_page: int) -> int:
    """How many numbered pages a channel of ``total`` posts has (at least one)."""
    return max(1, -(-total // per_page))


def home_start(total: int, per_page: int) -> int:
    """The index (oldest first) of the oldest post a channel's home shows.

    The home ends where a numbered page starts, so "Older" from it leads to the numbered page right
    below, and walking "Older" shows every post once: the home is the newest numbered page, joined
    by the one before when the newest is not full (so it never shows only a post or two).
    """
    if total <= per_page:
        return 0
    start = (page_count(total, per_page) - 1) * per_page
    return start - per_page if total - start < per_page else start


def channel_pages(section: Section, per_page: int, site_home: bool) -> list[Page]:
    """The channel's home (newest posts) and its numbered pages, numbered from the oldest.

    Page n holds posts n*per_page-per_page .. n*per_page-1 in oldest-first order, so a full page
    never changes when new posts arrive: links stay stable and rebuilds rewrite little. The home
    shows the newest posts down to the start of a numbered page (:func:`home_start`).
    """
    posts = section.posts
    total = len(posts)
    count = page_count(total, per_page)
    pages = []
    first_on_home = home_start(total, per_page)
    newest = list(reversed(posts[first_on_home:]))
    older_page = first_on_home // per_page or None
    home = {
        "section": section,
        "posts": newest,
        "page_number": None,
        "older_page": older_page,
        "newer_page": None,
    }
    pages.append(Page(f"{section.name}/index.html", "channel.html", home))
    if site_home:
        pages.append(Page("index.html", "channel.html", dict(home, is_site_home=True)))
    for number in range(1, count + 1):
        chunk = list(reversed(posts[(number - 1) * per_page : number * per_page]))
        context = {
            "section": section,
            "posts": chunk,
            "page_number": number,
            "page_count": count,
            "older_page": number - 1 if number > 1 else None,
            "newer_page": number + 1 if number < count else None,
        }
        deps = _deps(section, chunk, "page", number, context["older_page"], context["newer_page"])
        pages.append(Page(f"{section.name}/page/{number}/index.html", "channel.html", context, deps))
    return pages


def _post_deps(section: Section, view: PostView) -> tuple[Any, ...] | None:
    """A post page shows its post, links to its neighbours and the channel's header."""
    neighbours = [v for v in (view.older, view, view.newer) if v is not None]
    return _deps(section, neighbours, "post", view.older is None, view.newer is None)


def section_pages(section: Section, per_page: int, site_home: bool) -> list[Page]:
    """Every page of one channel: home, numbered pages, posts, tags and months."""
    pages = channel_pages(section, per_page, site_home)
    pages += [
        Page(view.path, "post.html", {"section": section, "view": view}, _post_deps(section, view))
        for view in section.posts
    ]
    pages.append(Page(f"{section.name}/tags/index.html", "tags.html", {"section": section}))
    for tag, views in section.tags.items():
        context = {"section": section, "tag": tag, "posts": list(reversed(views))}
        pages.append(
            Page(f"{section.name}/tags/{tag}/index.html", "tag.html", context, _deps(section, views, tag))
        )
    pages.append(Page(f"{section.name}/archive/index.html", "archive.html", {"section": section}))
    months = list(section.months)
    for i, ((year, month), views) in enumerate(section.months.items()):
        context = {"section": section, "year": year, "month": month, "posts": list(reversed(views))}
        neighbours = (months[i - 1] if i else None, months[i + 1] if i + 1 < len(months) else None)
        deps = _deps(section, views, "month", year, month, neighbours)
        pages.append(Page(f"{section.name}/{year:04d}/{month:02d}/index.html", "month.html", context, deps))
    return pages


def site_pages(sections: list[Section], per_page: int, search: bool = False) -> list[Page]:
    """Every HTML page of the site, the home, 404 and (with ``search``) search pages included."""
    single = len(sections) == 1
    pages: list[Page] = []
    if not single:
        pages.append(Page("index.html", "home.html", {"sections": sections}))
    for section in sections:
        pages += section_pages(section, per_page, site_home=single)
    pages.append(Page("404.html", "404.html", {"sections": sections}))
    if search:
        pages.append(Page("search.html", "search.html", {"sections": sections}))
    return pages


def render_order(pages: list[Page]) -> list[Page]:
    """The pages in the order to render them: each numbered channel page right before its posts' pages.

    A renderer renders a post once for all the pages that show it and keeps it only briefly
    (:meth:`Renderer.article`), so the pages that share posts are rendered together.
    """
    group: dict[int, int] = {}
    for i, page in enumerate(pages):
        if page.template == "channel.html" and page.context.get("page_number"):
            for view in page.context["posts"]:
                group[id(view)] = i

    def key(item: tuple[int, Page]) -> tuple[int, int]:
        i, page = item
        view = page.context.get("view") if page.template == "post.html" else None
        return (group[id(view)], 1) if id(view) in group else (i, 0)

    return [page for _, page in sorted(enumerate(pages), key=key)]
