"""Build step 2: gather cross-page data (prev/next, tags, months, pagination) and list every page.

Content in, :class:`Page` objects out. A page's ``path`` is its file inside output/; every link a
page makes is relative, from :func:`root_of` its path. Also here: what a page's render reads of the
posts and channels (:class:`READS`, recorded while it renders) and the state of each thing it can
read (:func:`post_states`, :func:`section_state`), which the build cache compares between builds.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sitegen.build.excerpt import shorten, visible_text
from sitegen.build.load import ChannelSource
from sitegen.build.markdown import tags_in_html
from sitegen.model import Channel, Media, Post

_SPACES = re.compile(r"[ \t\r\f\v]+")
TITLE_LENGTH = 90
TAG_PAGE = 100  # posts on a hashtag's page (a list: titles and excerpts)
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


# What a page's render reads, as keys (channel, post id or -1 for the channel, facet). The renderer
# sets ``READS.keys`` to a fresh set around one page; every read of a post's or a channel's data
# (from a template through Jinja's getattr/getitem, or from our own filters) adds the keys of the
# facets it depends on. The build cache compares those facets' states with the last build's.
# Facets of a post: "file" (its file and which of its media are archived), "older" and "newer"
# (which posts are its neighbours), "reply" (the replied post's link and title). Facets of a
# channel: "header", "posts" (which posts, in order), "tags" / "months" (which groups) and
# "tags#<tag>" / "months#<yyyy-mm>" (one group's posts). ALWAYS: a read that cannot be tracked
# (a private attribute): the page is rendered on every build.
ReadKey = tuple[str, int, str]
ALWAYS: ReadKey = ("", -1, "always")
POST_FACETS: dict[str, tuple[str, ...]] = {
    "path": (),  # made of the address itself
    "id": (),
    "channel": (),
    "older": ("older",),
    "newer": ("newer",),
    "reply_thumb": ("file",),
    **{
        name: ("file",)
        for name in (
            "post", "html", "title", "summary", "tags", "local_date", "media", "preview_image",
            "digest", "title_key", "media_groups", "first_image", "service", "detail", "load",
        )
    },
}  # fmt: skip
ALL_POST_FACETS = ("file", "older", "newer", "reply")
SECTION_FACETS: dict[str, tuple[str, ...]] = {
    "name": (),
    "channel": ("header",),
    "avatar_href": ("header",),
    "posts": ("posts",),
    "tags": (),  # a Grouped: records what is read from it
    "months": (),
}


class READS:
    """What the page being rendered reads (None: not recording): ``keys`` of post and channel
    facets, and ``names`` of its own context (:attr:`Page.context`); "*" in ``names``: all of it."""

    keys: set[ReadKey] | None = None
    names: set[str] | None = None


def note_name(name: str) -> None:
    """Record that the current page reads the context variable ``name`` ("*": every one)."""
    if READS.names is not None:
        READS.names.add(name)


def note_read(obj: Any, attribute: str) -> None:
    """Record that the current page reads ``attribute`` of ``obj`` (a no-op for other objects)."""
    keys = READS.keys
    if keys is None:
        return
    kind = type(obj)
    if kind is PostView:
        facets = POST_FACETS.get(attribute)
        if facets is None:
            facets = ALL_POST_FACETS if not attribute.startswith("_") else None
        if facets is None:
            keys.add(ALWAYS)
            return
        channel, number = obj.channel, obj.id
        for facet in facets:
            keys.add((channel, number, facet))
    elif kind is Page:
        if attribute not in ("path", "template", "root"):  # the context, or anything else of it
            note_name("*")
    elif kind is Section:
        facets = SECTION_FACETS.get(attribute)
        if facets is None:
            if attribute.startswith("_"):
                keys.add(ALWAYS)
                return
            facets = ("header",)
        for facet in facets:
            keys.add((obj.channel.username, -1, facet))


def lookup_post(posts: dict[tuple[str, int], PostView], channel: str, number: int) -> PostView | None:
    """A post of any channel of the site by (channel folder name, id), or None, for code that runs
    while a page renders: the page then depends on whether that post is there and on its file
    (its other data as the caller reads it, through a template or :func:`note_read`)."""
    if READS.keys is not None:
        READS.keys.add((channel, number, "file"))
    return posts.get((channel, number))


def group_facet(facet: str, key: Any) -> str:
    """The facet of one group of a Grouped: "tags#<tag>" or "months#<yyyy-mm>"."""
    return f"{facet}#{key[0]:04d}-{key[1]:02d}" if isinstance(key, tuple) else f"{facet}#{key}"


class Grouped(dict):  # type: ignore[type-arg]
    """A channel's posts by tag or by month that records which parts a page reads:
    the list of groups (iterating, counting, testing a key) or the posts of one group."""

    def __init__(self, channel: str, facet: str, items: Any) -> None:
        super().__init__(items)
        self.channel = channel
        self.facet = facet

    def _keys(self) -> None:
        if READS.keys is not None:
            READS.keys.add((self.channel, -1, self.facet))

    def _all(self) -> None:
        keys = READS.keys
        if keys is not None:
            keys.add((self.channel, -1, self.facet))
            keys.update((self.channel, -1, group_facet(self.facet, key)) for key in dict.__iter__(self))

    def __iter__(self) -> Any:
        self._keys()
        return super().__iter__()

    def __len__(self) -> int:
        self._keys()
        return super().__len__()

    def __contains__(self, key: object) -> bool:
        self._keys()
        return super().__contains__(key)

    def keys(self) -> Any:
        self._keys()
        return super().keys()

    def __getitem__(self, key: Any) -> Any:
        self._keys()  # a missing key raises: that depends on the list of groups
        if READS.keys is not None:
            READS.keys.add((self.channel, -1, group_facet(self.facet, key)))
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if dict.__contains__(self, key) else (self._keys(), default)[1]

    def items(self) -> Any:
        self._all()
        return super().items()

    def values(self) -> Any:
        self._all()
        return super().values()

    def __reduce__(self) -> Any:  # a copy (pickle, copy.copy) reads everything
        self._all()
        return (dict, (dict(super().items()),))

    def __eq__(self, other: object) -> bool:
        self._all()
        return super().__eq__(other)

    def __ne__(self, other: object) -> bool:
        self._all()
        return super().__ne__(other)

    def __repr__(self) -> str:
        self._all()
        return super().__repr__()

    def __reversed__(self) -> Any:
        self._keys()
        return super().__reversed__()

    def copy(self) -> dict[Any, Any]:
        self._all()
        return dict(super().items())

    def __or__(self, other: Any) -> Any:
        return self.copy() | other

    def __ror__(self, other: Any) -> Any:
        return other | self.copy()

    __hash__ = None  # type: ignore[assignment]


@dataclass(slots=True, eq=False)  # slots: 100,000 posts and pages fit in less memory
class MediaView:
    """A media item as a page shows it: the local href when the file is archived.

    The item itself (sizes, duration, title...) is the post's: read from its detail on use."""

    view: PostView
    index: int  # the item's place in the post's media
    kind: str
    href: str | None  # path from the site root, when the file is in the archive
    thumb_href: str | None
    state: str  # "local", "remote" (never archived) or "missing" (listed, but not on disk)

    @property
    def item(self) -> Media:
        """The media item as the post file describes it."""
        return self.view.post.media[self.index]

    def __repr__(self) -> str:
        return f"<media {self.index} of {self.view!r}>"


# What every build needs of every post, kept compactly in the build cache's index: (id, POSIX time,
# UTC offset in seconds, tags, service kind, media as (kind, file, thumbnail), link preview image,
# reply thumbnail). Everything else (the Post itself, its HTML, title, summary) is its *detail*,
# loaded only for the posts of the pages a build renders.
HeadMedia = tuple[str, str | None, str | None]
PostHead = tuple[int, float, int, tuple[str, ...], str | None, tuple[HeadMedia, ...], str | None, str | None]
# (the post, its HTML, title, summary, title key): see :func:`post_detail`.
PostDetail = tuple[Post, str, str, str, str | None]


def post_head(post: Post, tags: list[str]) -> PostHead:
    """What every build needs of a post (see :data:`PostHead`): plain data, cheap to load."""
    offset = post.date.utcoffset()
    preview = post.link_preview.image if post.link_preview else None
    reply_thumb = post.reply_to.thumb if post.reply_to else None
    return (
        post.id,
        post.date.timestamp(),
        int(offset.total_seconds()) if offset is not None else 0,
        tuple(tags),
        post.service,
        tuple((item.kind, item.file, item.thumb) for item in post.media),
        preview,
        reply_thumb,
    )


def head_files(head: PostHead) -> list[tuple[str, str]]:
    """The files a post's head names in its channel folder, each with what it is for."""
    _, _, _, _, _, media, preview, reply_thumb = head
    files = [(file, "file") for _, file, _ in media if file]
    files += [(thumb, "thumb") for _, _, thumb in media if thumb]
    if preview:
        files.append((preview, "link preview image"))
    if reply_thumb:
        files.append((reply_thumb, "reply thumbnail"))
    return files


def post_detail(post: Post, body_html: str) -> tuple[PostDetail, list[str]]:
    """A post's detail (see :data:`PostDetail`) and its tags, from the post and its rendered body."""
    text = plain_text(body_html)
    summary = summarize(text)
    return (post, body_html, post_title(post, text), summary, title_key(post, summary)), tags_in_html(
        body_html
    )


def title_key(post: Post, summary: str) -> str | None:
    """The UI string that translates a title made from the post's kind (no text), else None."""
    if summary or post.poll:
        return None
    if post.media:
        kind = post.media[0].kind
        return "sticker" if kind.endswith("sticker") else kind
    if post.link_preview and post.link_preview.title:
        return None
    return "location" if post.location else "post_n"


DETAILS_KEPT = 2048  # loaded post details a process keeps; pages that share posts render together
_LOADED: deque[PostView] = deque()  # the views whose detail was loaded, oldest first


def forget_details() -> None:
    """Drop the loaded details this process keeps (a build's end: its posts are no longer needed)."""
    while _LOADED:
        _LOADED.popleft().detail = None


@dataclass(slots=True, eq=False, repr=False)  # slots: 100,000 posts fit in less memory
class PostView:
    """A post with what the pages need: its HTML, title, summary, tags, neighbours and local media.

    A view is known by its address (channel, post id): it compares by identity (one view per
    post in a build) and prints as its address, so a template can learn about a post only by
    reading its attributes, which the renderer records (see :data:`POST_FACETS`).

    The post itself, its HTML, title and summary (its *detail*) are loaded from the build cache
    on first use (``load``), so a build that renders a few pages reads only their posts.
    """

    id: int
    channel: str
    tags: tuple[str, ...]
    path: str  # <channel>/<id>/index.html
    local_date: datetime
    service: str | None
    media: list[MediaView]
    preview_image: str | None = None  # href of the archived link-preview image
    reply_thumb: str | None = None  # href of the archived thumbnail of the replied post (as scraped)
    digest: str = ""  # hash of the post file's bytes and of the code that reads it
    older: PostView | None = None
    newer: PostView | None = None
    detail: PostDetail | None = None
    load: Callable[[], PostDetail] | None = None  # where the detail comes from, until it is loaded

    def __repr__(self) -> str:
        return f"<post {self.path.removesuffix('/index.html')}>"

    def _detail(self) -> PostDetail:
        detail = self.detail
        if detail is None:
            detail = self.detail = self.load()  # type: ignore[misc]
            _LOADED.append(self)
            if len(_LOADED) > DETAILS_KEPT:  # the oldest loaded detail goes: loaded again if needed
                _LOADED.popleft().detail = None
        return detail

    @property
    def post(self) -> Post:
        """The post as its file holds it."""
        return self._detail()[0]

    @property
    def html(self) -> str:
        """The rendered body; links inside the archive start with markdown.ROOT."""
        return self._detail()[1]

    @property
    def title(self) -> str:
        """A title from the post's first line, else its kind (see :func:`post_title`)."""
        return self._detail()[2]

    @property
    def summary(self) -> str:
        """A one-paragraph plain-text excerpt (spoilers hidden)."""
        return self._detail()[3]

    @property
    def title_key(self) -> str | None:
        """The UI string that translates a title made from the post's kind (no text), else None."""
        return self._detail()[4]

    @property
    def media_groups(self) -> tuple[list[MediaView], list[MediaView]]:
        """The items shown one by one, and those never archived that show only as a link (no file,
        no thumbnail; not a file card): when there are several, they make one line of their own."""
        remote = [
            m
            for m in self.media
            if m.state != "local" and not m.thumb_href and m.kind not in ("document", "audio", "voice")
        ]
        shown = [m for m in self.media if m not in remote] if len(remote) > 1 else self.media
        return shown, remote

    @property
    def first_image(self) -> str | None:
        """The first archived photo (or video thumbnail), for cards and Open Graph."""
        for view in self.media:
            if view.kind == "photo" and view.href:
                return view.href
            if view.thumb_href:
                return view.thumb_href
        return self.preview_image


@dataclass(eq=False, repr=False)
class Section:
    """One channel of the site with its posts (oldest first) grouped by tag and by month.

    Known by its channel name, like :class:`PostView`: compares by identity, prints as its name.
    """

    channel: Channel
    posts: list[PostView]
    avatar_href: str | None
    tags: Grouped  # tag -> posts
    months: Grouped  # (year, month) -> posts

    @property
    def name(self) -> str:
        """The channel's folder name inside output/."""
        return self.channel.username

    def __repr__(self) -> str:
        return f"<channel {self.channel.username}>"


@dataclass(slots=True)  # slots: 100,000 posts and pages fit in less memory
class Page:
    """One HTML file of the site: where it goes, which template renders it, and with what."""

    path: str
    template: str
    context: dict[str, Any]
    fixed: bool = False  # its context follows from its path alone (a post's page): no need to compare it

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
    """``line`` in ``length`` characters: whole sentences, else cut between words with "…"."""
    return shorten(line, length)


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
    return shorten(text, SUMMARY_LENGTH, least=2 / 3)  # the list's excerpt goes on after the title


def _media_views(view: PostView, media: tuple[HeadMedia, ...], files: set[str]) -> list[MediaView]:
    views = []
    channel = view.channel
    for index, (kind, file, thumb) in enumerate(media):
        href = f"{channel}/{file}" if file and file in files else None
        thumb_href = f"{channel}/{thumb}" if thumb and thumb in files else None
        state = "local" if href else ("missing" if file else "remote")
        views.append(MediaView(view, index, kind, href, thumb_href, state))
    return views


def make_post_view(
    head: PostHead,
    channel: str,
    files: set[str],
    tz: ZoneInfo,
    digest: str = "",
    detail: PostDetail | None = None,
    load: Callable[[], PostDetail] | None = None,
) -> PostView:
    """A post's view from its head: local date and media (``files``: the channel's media files);
    its detail as given, or loaded on first use by ``load``."""
    number, stamp, _, tags, service, media, preview, reply_thumb = head
    view = PostView(  # positional: made 100,000 times in a large archive's build
        number,
        channel,
        tags,
        f"{channel}/{number}/index.html",
        datetime.fromtimestamp(stamp, tz),
        service,
        [],
        f"{channel}/{preview}" if preview and preview in files else None,  # preview_image
        f"{channel}/{reply_thumb}" if reply_thumb and reply_thumb in files else None,  # reply_thumb
        digest,
        None,  # older
        None,  # newer
        detail,
        load,
    )
    if media:
        view.media = _media_views(view, media, files)
    return view


def make_section(source: ChannelSource, views: list[PostView]) -> Section:
    """Link neighbours, and group a channel's posts by tag and by month (replies: archive.py)."""
    tags: dict[str, list[PostView]] = defaultdict(list)
    months: dict[tuple[int, int], list[PostView]] = defaultdict(list)
    for i, view in enumerate(views):
        view.older = views[i - 1] if i else None
        view.newer = views[i + 1] if i + 1 < len(views) else None
        for tag in view.tags:
            tags[tag].append(view)
        months[(view.local_date.year, view.local_date.month)].append(view)
    avatar = source.channel.avatar
    avatar_href = f"{source.channel.username}/{avatar}" if avatar and avatar in source.media_files else None
    name = source.channel.username
    return Section(
        source.channel,
        views,
        avatar_href,
        Grouped(name, "tags", sorted(tags.items())),
        Grouped(name, "months", sorted(months.items())),
    )


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


def paginate(views: list[PostView], per_page: int) -> list[dict[str, Any]]:
    """The pages of a list of posts (oldest first): its home first (the newest posts, page_number
    None), then its numbered pages, numbered from the oldest: each page's posts (newest first),
    number, count and neighbours.

    Page n holds posts n*per_page-per_page .. n*per_page-1 in oldest-first order, so a full page
    never changes when new posts arrive: links stay stable and rebuilds rewrite little. The home
    shows the newest posts down to the start of a numbered page (:func:`home_start`).
    """
    total = len(views)
    count = page_count(total, per_page)
    first_on_home = home_start(total, per_page)
    pages = [
        {
            "posts": list(reversed(views[first_on_home:])),
            "page_number": None,
            "older_page": first_on_home // per_page or None,
            "newer_page": None,
        }
    ]
    for number in range(1, count + 1):
        pages.append(
            {
                "posts": list(reversed(views[(number - 1) * per_page : number * per_page])),
                "page_number": number,
                "page_count": count,
                "older_page": number - 1 if number > 1 else None,
                "newer_page": number + 1 if number < count else None,
            }
        )
    return pages


def channel_pages(section: Section, per_page: int, site_home: bool) -> list[Page]:
    """The channel's home (newest posts) and its numbered pages (see :func:`paginate`)."""
    pages = []
    for context in paginate(section.posts, per_page):
        context = {"section": section, **context}
        number = context["page_number"]
        if number is None:
            pages.append(Page(f"{section.name}/index.html", "channel.html", context))
            if site_home:
                pages.append(Page("index.html", "channel.html", dict(context, is_site_home=True)))
        else:
            pages.append(Page(f"{section.name}/page/{number}/index.html", "channel.html", context))
    return pages


def tag_pages(section: Section, tag: str, views: list[PostView]) -> list[Page]:
    """A hashtag's pages: the newest posts with it, then numbered pages of :data:`TAG_PAGE` posts."""
    pages = []
    contexts = paginate(views, TAG_PAGE)
    for context in contexts if len(views) > TAG_PAGE else contexts[:1]:  # all on one: no page/1/
        number = context["page_number"]
        folder = f"{section.name}/tags/{tag}/" + (f"page/{number}/" if number else "")
        context = {"section": section, "tag": tag, **context}
        if number is None:  # the total on the tag's first page only: older pages stay as they are
            context["count"] = len(views)
        pages.append(Page(f"{folder}index.html", "tag.html", context))
    return pages


def section_pages(section: Section, per_page: int, site_home: bool) -> list[Page]:
    """Every page of one channel: home, numbered pages, posts, tags and months."""
    pages = channel_pages(section, per_page, site_home)
    pages += [Page(v.path, "post.html", {"section": section, "view": v}, True) for v in section.posts]
    pages.append(Page(f"{section.name}/tags/index.html", "tags.html", {"section": section}))
    for tag, views in dict.items(section.tags):
        pages += tag_pages(section, tag, views)
    pages.append(Page(f"{section.name}/archive/index.html", "archive.html", {"section": section}))
    months = list(dict.keys(section.months))
    for i, (year, month) in enumerate(months):
        context = {
            "section": section,
            "year": year,
            "month": month,
            "posts": list(reversed(dict.__getitem__(section.months, (year, month)))),
            "older_month": months[i - 1] if i else None,  # (year, month) of the pages before and after
            "newer_month": months[i + 1] if i + 1 < len(months) else None,
        }
        pages.append(Page(f"{section.name}/{year:04d}/{month:02d}/index.html", "month.html", context))
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


def _hash(value: Any) -> str:
    """A short stable hash of a value's repr (plain data, and posts and channels as their address)."""
    return hashlib.blake2b(repr(value).encode("utf-8"), digest_size=12).hexdigest()


def post_states(views: list[PostView]) -> tuple[list[int], list[Any]]:
    """The posts of a channel in order (their ids, oldest first: which gives each post's "older"
    and "newer" facets) and the state of each one's "file" facet: its digest, and which of its
    media are archived. ("reply" is the replied post's own facets: see lookup_post.)"""
    files: list[Any] = []
    add = files.append
    for view in views:
        if view.media or view.preview_image or view.reply_thumb:
            media = tuple((m.href, m.thumb_href) for m in view.media)
            add((view.digest, media, view.preview_image, view.reply_thumb))
        else:
            add(view.digest)
    return [view.id for view in views], files


def _ids(views: list[PostView]) -> str:
    """A short stable hash of which posts, in order (ids as 64-bit integers: no repr of each)."""
    ids = array("q", [view.id for view in views]).tobytes()
    return hashlib.blake2b(ids, digest_size=12).hexdigest()


def section_state(section: Section) -> dict[str, str]:
    """The state of each facet of a channel (see :data:`SECTION_FACETS`), groups included."""
    state = {
        "header": _hash((section.channel, section.avatar_href)),
        "posts": _ids(section.posts),
    }
    for grouped in (section.tags, section.months):
        state[grouped.facet] = _hash(list(dict.keys(grouped)))
        for key, views in dict.items(grouped):
            state[group_facet(grouped.facet, key)] = _ids(views)
    return state


def _plain(value: Any) -> Any:
    """A value as plain data: posts and channels as their addresses (their data is read, and recorded)."""
    kind = type(value)
    if kind is PostView:
        return ("post", value.channel, value.id)
    if kind is Section:
        return ("channel", value.channel.username)
    if kind in (list, tuple):
        if value and all(type(item) is PostView for item in value):  # a page's posts: made quick
            channel = value[0].channel
            if all(item.channel == channel for item in value):
                return ("posts", channel, array("q", [item.id for item in value]).tobytes())
            return [("post", item.channel, item.id) for item in value]
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return [(key, _plain(item)) for key, item in dict.items(value)]
    return value


def context_values(page: Page, names: tuple[str, ...]) -> Any:
    """What a page's render read of its own context: the values of ``names`` as plain data
    (missing ones as None, "*": every name and value), to compare with the last build's."""
    context = page.context
    if "*" in names:
        return sorted((k, _plain(v)) for k, v in context.items())
    return [_plain(context.get(name)) if name in context else MISSING for name in names]


MISSING = ("missing",)  # a context name a page reads but does not have
