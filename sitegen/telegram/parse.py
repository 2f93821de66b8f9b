"""Read one page of Telegram's public web preview (``t.me/s/<channel>``) into the model.

``parse_page`` takes the HTML of a channel page (or of a single-post embed page) and returns the channel
header, the posts in ascending id order, the remote files to download and the id to ask for next. It does
no I/O: the scraper fetches pages and media, this module only reads markup. The markup is mapped in
``tests/data/telegram/STRUCTURE.md``; section numbers below refer to it.

Media in the returned posts have ``file``/``thumb`` unset: :class:`MediaRef` says which remote URL belongs
to which item and role, and the scraper fills the local paths in after downloading. The same goes for the
link preview's image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sitegen.errors import SitegenError
from sitegen.model import (
    SPOILER_PLACEHOLDER,
    Button,
    Channel,
    ForwardedFrom,
    LinkPreview,
    Location,
    Media,
    Poll,
    PollOption,
    Post,
    Reaction,
    ReplyTo,
)
from sitegen.telegram.text import children, node_to_markdown, plain_text

TELEGRAM = "https://t.me"
PAID_REACTION = "⭐"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_BACKGROUND = re.compile(r"background-image\s*:\s*url\(\s*['\"]?(.*?)['\"]?\s*\)", re.I)
_WIDTH = re.compile(r"(?<![-\w])width\s*:\s*([\d.]+)px", re.I)
_HEIGHT = re.compile(r"(?<![-\w])height\s*:\s*([\d.]+)px", re.I)
_PADDING_TOP = re.compile(r"padding-top\s*:\s*([\d.]+)%", re.I)
_POST_URL = re.compile(r"^https?://[^/]+/(?:s/)?([A-Za-z0-9_]+)/(\d+)(?:[?#].*)?$")
_BEFORE = re.compile(r"[?&]before=(\d+)")
_COUNT = re.compile(r"^([\d]+(?:[.,]\d+)?)\s*([KMB]?)$", re.I)
_DURATION = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")


class PageError(SitegenError):
    """The HTML is not a page of a channel's web preview (a landing page, a not-found page, garbage)."""


@dataclass
class MediaRef:
    """One remote file the scraper should download for a post."""

    post_id: int
    media_index: int | None  # index into post.media; None for the link-preview image and reply thumbnail
    role: str  # "file" | "thumb" | "link_preview_image" | "reply_thumb"
    url: str  # absolute remote URL


@dataclass
class ParsedPage:
    """Everything one preview page says: the channel, its posts, files to fetch and where to go next."""

    channel: Channel
    avatar_url: str | None = None
    posts: list[Post] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    before: int | None = None  # the id to request next with ?before= (older page); None at the start
    no_posts_found: bool = False  # the page is a "No posts found" page

    @property
    def ids(self) -> list[int]:
        """Every message id the page covers, album items included, ascending."""
        found = {post.id for post in self.posts}
        for post in self.posts:
            for item in post.media:
                item_id = _single_id(item.url)
                if item_id is not None:
                    found.add(item_id)
        return sorted(found)


# --- entry point ---------------------------------------------------------------------------------


def parse_page(html: str, base_url: str = TELEGRAM) -> ParsedPage:
    """Parse a ``t.me/s/<channel>`` page or a ``t.me/<channel>/<id>?embed=1`` page.

    Raises PageError when the HTML is not such a page. A "No posts found" page is not an error.
    """
    if not isinstance(html, str) or not html.strip():
        raise PageError("the page is empty")
    base = (base_url or TELEGRAM).rstrip("/")
    try:
        tree = LexborHTMLParser(html)
    except Exception as exc:  # pragma: no cover - lexbor parses anything
        raise PageError(f"the page cannot be parsed as HTML: {exc}") from None
    root = tree.root
    if root is None:
        raise PageError("the page cannot be parsed as HTML")
    messages = root.css("div.tgme_widget_message[data-post]")
    no_posts = root.css_first(".tme_no_messages_found") is not None
    embed_error = root.css_first(".tgme_widget_message_error")
    is_preview = bool(messages) or no_posts or embed_error is not None
    is_preview = is_preview or root.css_first(".tgme_channel_history, .tgme_channel_info") is not None
    if not is_preview:
        raise PageError(_not_a_preview(tree))

    slug = _page_slug(root, messages)
    posts: list[Post] = []
    refs: list[MediaRef] = []
    seen: set[int] = set()
    for message in messages:
        parsed = _parse_message_safely(message, base)
        if parsed is None or parsed[0].id in seen:
            continue
        seen.add(parsed[0].id)
        posts.append(parsed[0])
        refs.extend(parsed[1])
    posts.sort(key=lambda p: p.id)
    if messages and not posts and root.css_first(".tgme_channel_history, .tgme_channel_info") is None:
        raise PageError("the page has messages but none with a readable post id")
    if not slug and posts:
        slug = posts[0].channel
    channel, avatar = _parse_channel(root, slug, base, messages)
    page = ParsedPage(channel=channel, avatar_url=avatar, posts=posts, media=refs)
    page.no_posts_found = not posts and (no_posts or embed_error is not None)
    page.before = _before(root, posts, page)
    return page


def _not_a_preview(tree: LexborHTMLParser) -> str:
    """Say what the page is instead of a channel preview, in one line."""
    root = tree.root
    title = (root.css_first("title").text(deep=True) if root and root.css_first("title") else "").strip()
    extra = root.css_first(".tgme_page_extra") if root else None
    if extra is not None:
        what = " ".join(extra.text(deep=True).split())
        name = root.css_first(".tgme_page_title") if root else None
        label = " ".join(name.text(deep=True).split()) if name is not None else title
        return f"not a channel preview but the t.me page of {label!r} ({what})"
    if root is not None and root.css_first(".tgme_page, .tgme_username_link") is not None:
        return f"not a channel preview: t.me shows its {title or 'Telegram'!r} page (the name does not exist)"
    if title:
        return f"not a Telegram channel preview page (its title is {title[:80]!r})"
    return "not a Telegram channel preview page"


def _parse_message_safely(message: LexborNode, base: str) -> tuple[Post, list[MediaRef]] | None:
    """Parse one message; on markup we cannot read, keep it as an unsupported post with its text."""
    ref = _post_ref(message.attributes.get("data-post") or "")
    if ref is None:
        return None
    slug, post_id = ref
    try:
        return _parse_message(message, slug, post_id, base)
    except Exception:  # never drop a message because one field is odd
        post = Post(id=post_id, date=_date(message) or EPOCH, channel=slug, unsupported=True)
        post.source = f"{TELEGRAM}/{slug}/{post_id}"
        post.text = _safe_text(message, base)
        return post, []


def _safe_text(message: LexborNode, base: str) -> str:
    try:
        node = _text_nodes(message)
        return "\n\n".join(node_to_markdown(n, base) for n in node)
    except Exception:
        return ""


# --- small readers -------------------------------------------------------------------------------


def _post_ref(value: str) -> tuple[str, int] | None:
    """``"Channel/1234"`` -> ``("Channel", 1234)``; None for anything else."""
    slug, _, number = value.strip().partition("/")
    if not slug or not re.fullmatch(r"[A-Za-z0-9_]{1,64}", slug) or not number.isdigit():
        return None
    if not number.isascii() or len(number) > 12:
        return None
    return slug, int(number)


def parse_count(text: str | None) -> int | None:
    """``"943"`` -> 943, ``"1.29K"`` -> 1290, ``"1.12M"`` -> 1120000; None when it is not a count."""
    if not text:
        return None
    value = "".join(text.split()).replace("\u202f", "")
    match = _COUNT.match(value)
    if not match:
        return None
    number, suffix = match.groups()
    if "," in number and not suffix:
        number = number.replace(",", "")
    try:
        amount = Decimal(number.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern allows only digits
        return None
    scale = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}[suffix.upper()]
    return int(amount * scale)


def parse_duration(text: str | None) -> int | None:
    """``"0:53"`` -> 53, ``"1:02:03"`` -> 3723; None when it is not a duration."""
    match = _DURATION.match((text or "").strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)


def _absolute(url: str | None, base: str) -> str | None:
    """An absolute http(s) URL: protocol-relative ones get https:, relative ones the base."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url):
        url = urljoin(base + "/", url)
    return url if re.match(r"^https?://", url, re.I) else None


def _style(node: LexborNode | None) -> str:
    return (node.attributes.get("style") or "") if node is not None else ""


def _background(node: LexborNode | None, base: str) -> str | None:
    match = _BACKGROUND.search(_style(node))
    return _absolute(match.group(1), base) if match else None


def _px(pattern: re.Pattern[str], style: str) -> int | None:
    match = pattern.search(style)
    try:
        return round(float(match.group(1))) if match else None
    except ValueError:
        return None


def _percent(style: str) -> float | None:
    match = _PADDING_TOP.search(style)
    try:
        return float(match.group(1)) if match else None
    except ValueError:
        return None


def _classes(node: LexborNode | None) -> list[str]:
    return (node.attributes.get("class") or "").split() if node is not None else []


def _text(node: LexborNode | None) -> str | None:
    """Plain visible text of a node, or None when it is missing or empty."""
    value = plain_text(node) if node is not None else ""
    return value or None


def _inside(node: LexborNode, stop: LexborNode, classes: tuple[str, ...]) -> bool:
    """Tell whether ``node`` lies inside an element with one of ``classes``, below ``stop``."""
    parent = node.parent
    while parent is not None and parent.mem_id != stop.mem_id:
        if any(c in classes for c in _classes(parent)):
            return True
        parent = parent.parent
    return False


_FOREIGN = ("tgme_widget_message_reply", "tgme_widget_message_link_preview", "media_not_supported_cont")


def _own(message: LexborNode, selector: str) -> list[LexborNode]:
    """Elements of the message itself, not of the replied post, the link preview or the fallback copy."""
    return [n for n in message.css(selector) if not _inside(n, message, _FOREIGN)]


def _own_first(message: LexborNode, selector: str) -> LexborNode | None:
    found = _own(message, selector)
    return found[0] if found else None


def _single_id(url: str | None) -> int | None:
    match = _POST_URL.match(url or "")
    return int(match.group(2)) if match else None


def _date(message: LexborNode) -> datetime | None:
    for node in _own(message, ".tgme_widget_message_date time[datetime], time[datetime]"):
        try:
            value = datetime.fromisoformat(node.attributes.get("datetime") or "")
        except ValueError:
            continue
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None


# --- the channel ---------------------------------------------------------------------------------


def _page_slug(root: LexborNode, messages: list[LexborNode]) -> str:
    """The channel's username as Telegram spells it: from the posts, the header or the canonical link."""
    for message in messages:
        ref = _post_ref(message.attributes.get("data-post") or "")
        if ref:
            return ref[0]
    link = root.css_first(".tgme_channel_info_header_username a")
    if link is not None:
        name = link.text(deep=True).strip().lstrip("@")
        if re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
            return name
    for node in root.css('link[rel="canonical"], link[rel="prev"], link[rel="next"]'):
        match = re.search(r"/s/([A-Za-z0-9_]{1,64})", node.attributes.get("href") or "")
        if match:
            return match.group(1)
    return ""


# The header's counters (section 3): the unit's English word (singular at 1) -> the Channel field.
_COUNTERS = (
    ("subscriber", "subscribers"),
    ("member", "subscribers"),
    ("photo", "photos"),
    ("video", "videos"),
    ("file", "files"),
    ("link", "links"),
)


def _parse_channel(
    root: LexborNode, slug: str, base: str, messages: list[LexborNode]
) -> tuple[Channel, str | None]:
    """The channel header (section 3); on an embed page, what the message itself says."""
    info = root.css_first(".tgme_channel_info")
    channel = Channel(username=slug)
    avatar: str | None = None
    if info is not None:
        channel.title = _text(info.css_first(".tgme_channel_info_header_title"))
        channel.description = _text(info.css_first(".tgme_channel_info_description"))
        for counter in info.css(".tgme_channel_info_counter"):
            kind = (_text(counter.css_first(".counter_type")) or "").lower()
            field = next((f for word, f in _COUNTERS if kind.startswith(word)), None)
            if field:
                setattr(channel, field, parse_count(_text(counter.css_first(".counter_value"))))
        # The badge sits in the title or in its labels (section 3); snscrape looks for i.verified-icon.
        channel.verified = info.css_first(".tgme_channel_info_header [class*=verified]") is not None
        img = info.css_first(".tgme_page_photo_image img[src]")
        avatar = _absolute(img.attributes.get("src") if img is not None else None, base)
    if not channel.title and messages:
        channel.title = _text(messages[0].css_first(".tgme_widget_message_owner_name"))
    if avatar is None and info is None and messages:
        img = messages[0].css_first(".tgme_widget_message_user_photo img[src]")
        avatar = _absolute(img.attributes.get("src") if img is not None else None, base)
    return channel, avatar


# --- pagination ------------------------------------------------------------------------------------


def _before(root: LexborNode, posts: list[Post], page: ParsedPage) -> int | None:
    """The id to request next with ``?before=`` (section 8), or None at the start of the channel."""
    if not posts:
        return None
    ids = page.ids
    if ids and ids[0] <= 1:
        return None
    more = root.css_first("a.tme_messages_more[data-before]")
    if more is not None:
        value = (more.attributes.get("data-before") or "").strip()
        if value.isdigit() and value.isascii():
            return int(value) or None
    for link in root.css('link[rel="prev"]'):
        match = _BEFORE.search(link.attributes.get("href") or "")
        if match:
            return int(match.group(1)) or None
    return None


# --- one message -----------------------------------------------------------------------------------


def _parse_message(message: LexborNode, slug: str, post_id: int, base: str) -> tuple[Post, list[MediaRef]]:
    """Every part of one message (section 4 and 6)."""
    post = Post(id=post_id, date=EPOCH, channel=slug, source=f"{TELEGRAM}/{slug}/{post_id}")
    date = _date(message)
    if date is None:
        post.unsupported = True
    else:
        post.date = date
    _drop_fallback_copy(message, post)
    texts = _text_nodes(message)
    post.text = "\n\n".join(filter(None, (node_to_markdown(n, base) for n in texts)))
    post.forwarded_from = _forwarded(message, base)
    refs: list[MediaRef] = []
    post.reply_to = _reply(message, post, refs, base)
    _meta(message, post)
    _media(message, post, refs, base)
    post.link_preview = _link_preview(message, post, refs, base)
    post.poll = _poll(message)
    post.location = _location(message)
    post.reactions = _reactions(message)
    post.buttons = _buttons(message, base)
    if "service_message" in _classes(message):
        post.service = _service_kind(plain_text(texts[0]) if texts else "")
    _contact(message, post)
    if not (post.text or post.media or post.poll or post.location or post.link_preview or post.service):
        post.unsupported = True
    return post, refs


def _drop_fallback_copy(message: LexborNode, post: Post) -> None:
    """Keep ``media_supported_cont`` and drop its ``media_not_supported_cont`` twin (section 6.19).

    A message that only says "Please open Telegram to view this post" is unsupported.
    """
    supported = message.css_first(".media_supported_cont") is not None
    for node in message.css(".media_not_supported_cont"):
        if not supported:
            post.unsupported = True
        node.decompose()
    for label in message.css(".message_media_not_supported_label"):
        if not supported and "open telegram" in (label.text(deep=True) or "").lower():
            post.unsupported = True


def _text_nodes(message: LexborNode) -> list[LexborNode]:
    """The message's own text elements: outermost ``js-message_text``, never reply or preview text."""
    found = []
    for node in _own(message, ".tgme_widget_message_text"):
        if "js-message_reply_text" in _classes(node):
            continue
        if _inside(node, message, ("tgme_widget_message_text",)):
            continue  # the inner copy of a double-wrapped album caption
        found.append(node)
    return found


def _forwarded(message: LexborNode, base: str) -> ForwardedFrom | None:
    box = _own_first(message, ".tgme_widget_message_forwarded_from")
    if box is None:
        return None
    name_node = box.css_first(".tgme_widget_message_forwarded_from_name")
    author = _text(box.css_first(".tgme_widget_message_forwarded_from_author"))
    name = _text(name_node)
    if name is None:
        name = (_text(box) or "").removeprefix("Forwarded from").strip() or "?"
    url = None
    if name_node is not None and name_node.tag == "a":
        url = _absolute(name_node.attributes.get("href"), base)
    if author and name.endswith(author) and name != author:
        name = name[: -len(author)].rstrip(" ,")
    return ForwardedFrom(name=name, url=url, author=author)


def _reply(message: LexborNode, post: Post, refs: list[MediaRef], base: str) -> ReplyTo | None:
    """The replied message and what the reply block shows of it (section 6.15): its author, its
    first line (spoilers hidden) and a thumbnail, which becomes a ``reply_thumb`` ref."""
    node = message.css_first("a.tgme_widget_message_reply[href]")
    if node is None:
        return None
    href = (node.attributes.get("href") or "").strip()
    match = _POST_URL.match(href)
    if not match:
        return None
    reply = ReplyTo(channel=match.group(1), id=int(match.group(2)), url=href)
    reply.author = plain_text(node.css_first(".tgme_widget_message_author_name")) or None
    quoted = node.css_first(".js-message_reply_text")
    lines = plain_text(quoted, spoiler=SPOILER_PLACEHOLDER).splitlines()
    reply.text = next((line.strip() for line in lines if line.strip()), None)
    thumb = _background(node.css_first(".tgme_widget_message_reply_thumb"), base)
    if thumb:
        refs.append(MediaRef(post.id, None, "reply_thumb", thumb))
    return reply


def _meta(message: LexborNode, post: Post) -> None:
    """Views, the author signature and the edited flag from the footer (section 6.22)."""
    footer = _own_first(message, ".tgme_widget_message_footer") or message
    post.views = parse_count(_text(footer.css_first(".tgme_widget_message_views")))
    post.author = _text(footer.css_first(".tgme_widget_message_from_author"))
    meta = footer.css_first(".tgme_widget_message_meta")
    if meta is not None:
        child = meta.child
        while child is not None:
            if child.is_text_node and "edited" in (child.text_content or ""):
                post.edited = True
            child = child.next


def _service_kind(text: str) -> str:
    """Which service message this is, from its English text (section 6.17)."""
    lower = text.lower()
    if "channel created" in lower or lower.endswith("created"):
        return "channel_created"
    if "pinned" in lower:
        return "pinned"
    if "photo" in lower:
        return "photo_changed"
    if "name was changed" in lower or "title" in lower or "renamed" in lower:
        return "title_changed"
    return "other"


# --- media -------------------------------------------------------------------------------------------

_MEDIA_SELECTOR = ", ".join(
    (
        ".tgme_widget_message_photo_wrap",
        ".tgme_widget_message_video_player",
        ".tgme_widget_message_roundvideo_player",
        ".tgme_widget_message_voice_player",
        ".tgme_widget_message_document_wrap",
        ".tgme_widget_message_sticker_wrap",
        ".tgme_widget_message_tgsticker_wrap",
        ".tgme_widget_message_videosticker_wrap",
        ".tgme_widget_message_videosticker",
        ".tgme_widget_message_service_photo",
    )
)


def _media(message: LexborNode, post: Post, refs: list[MediaRef], base: str) -> None:
    """Every media item of the message, in document order (albums included, section 6.2-6.9)."""
    seen: list[LexborNode] = []
    for node in _own(message, _MEDIA_SELECTOR):
        if any(_inside_node(node, outer) for outer in seen):
            continue  # e.g. a videosticker inside its wrap
        seen.append(node)
        parsed = _media_item(node, base)
        if parsed is None:
            continue
        media, file_url, thumb_url = parsed
        index = len(post.media)
        post.media.append(media)
        if file_url:
            refs.append(MediaRef(post.id, index, "file", file_url))
        if thumb_url:
            refs.append(MediaRef(post.id, index, "thumb", thumb_url))


def _inside_node(node: LexborNode, outer: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id == outer.mem_id:
            return True
        parent = parent.parent
    return False


def _media_item(node: LexborNode, base: str) -> tuple[Media, str | None, str | None] | None:
    classes = _classes(node)
    href = _absolute(node.attributes.get("href"), base) if node.tag == "a" else None
    if "tgme_widget_message_photo_wrap" in classes:
        return _photo(node, href, base)
    if "tgme_widget_message_service_photo" in classes:
        img = node.css_first("img[src]")
        url = _absolute(img.attributes.get("src") if img is not None else None, base)
        return Media(kind="photo", url=href), url, None
    if "tgme_widget_message_video_player" in classes:
        return _video(node, href, base)
    if "tgme_widget_message_roundvideo_player" in classes:
        video = node.css_first("video[src]")
        thumb = _background(node.css_first(".tgme_widget_message_roundvideo_thumb"), base)
        media = Media(kind="round_video", url=href)
        media.duration = parse_duration(_text(node.css_first(".tgme_widget_message_roundvideo_duration")))
        return media, _absolute(video.attributes.get("src") if video else None, base), thumb
    if "tgme_widget_message_voice_player" in classes:
        audio = node.css_first("audio[src]")
        media = Media(kind="voice", url=href)
        media.duration = parse_duration(_text(node.css_first(".tgme_widget_message_voice_duration")))
        return media, _absolute(audio.attributes.get("src") if audio else None, base), None
    if "tgme_widget_message_document_wrap" in classes:
        return _document(node, href, base)
    return _sticker(node, base)  # the sticker wraps: static, animated or video


def _photo(node: LexborNode, href: str | None, base: str) -> tuple[Media, str | None, None]:
    style = _style(node)
    media = Media(kind="photo", url=href)
    media.width = _px(_WIDTH, style)
    media.height = _px(_HEIGHT, style)
    if media.height is None and media.width is not None:
        ratio = _percent(_style(node.css_first(".tgme_widget_message_photo")))
        if ratio is not None:
            media.height = round(media.width * ratio / 100)
    return media, _background(node, base), None


def _video(node: LexborNode, href: str | None, base: str) -> tuple[Media, str | None, str | None]:
    """A video, a GIF (no play button, no duration) or a "Media is too big" video (section 6.4)."""
    video = node.css_first("video[src]")
    duration_node = node.css_first(".message_video_duration")
    is_gif = node.css_first(".message_video_play") is None and duration_node is None
    media = Media(kind="gif" if is_gif else "video", url=href)
    media.duration = parse_duration(_text(duration_node))
    media.too_big = video is None and (
        "not_supported" in _classes(node) or "too big" in (_text(node) or "").lower()
    )
    wrap = node.css_first(".tgme_widget_message_video_wrap")
    style = _style(node) if "grouped_media_wrap" in _classes(node) else _style(wrap)
    media.width = _px(_WIDTH, style)
    media.height = _px(_HEIGHT, style)
    if media.height is None and media.width is not None:
        ratio = _percent(style)
        if ratio is not None:
            media.height = round(media.width * ratio / 100)
    thumb = _background(node.css_first(".tgme_widget_message_video_thumb"), base)
    return media, _absolute(video.attributes.get("src") if video else None, base), thumb


def _document(node: LexborNode, href: str | None, base: str) -> tuple[Media, None, str | None]:
    """A file or a music track (section 6.7, 6.8); t.me gives no download link, only the post."""
    icon = node.css_first(".tgme_widget_message_document_icon")
    title = _text(node.css_first(".tgme_widget_message_document_title"))
    extra = _text(node.css_first(".tgme_widget_message_document_extra"))
    if "audio" in _classes(icon):
        media = Media(kind="audio", title=title, performer=extra, url=href)
    else:
        media = Media(kind="document", title=title, size=extra, url=href)
    thumb = _background(node.css_first(".tgme_widget_message_document_thumb"), base)
    return media, None, thumb


def _sticker(node: LexborNode, base: str) -> tuple[Media, str | None, None]:
    """A static (webp), animated (tgs) or video (webm) sticker (section 6.9)."""
    source = node.css_first('source[type="application/x-tgsticker"][srcset]')
    if source is not None:
        picture = node.css_first(".tgme_widget_message_tgsticker") or node
        media = Media(kind="animated_sticker", width=_px(_WIDTH, _style(picture)))
        url = _absolute(source.attributes.get("srcset"), base)
        return _sticker_height(media, picture), url, None
    video = node if node.tag == "video" else node.css_first("video[src]")
    if video is not None and video.attributes.get("src"):
        holder = node.css_first(".tgme_widget_message_videosticker") or node
        media = Media(kind="video_sticker", width=_px(_WIDTH, _style(holder)))
        return _sticker_height(media, holder), _absolute(video.attributes.get("src"), base), None
    image = node.css_first(".tgme_widget_message_sticker") or node
    url = _absolute(image.attributes.get("data-webp"), base) or _background(image, base)
    media = Media(kind="sticker", width=_px(_WIDTH, _style(image)))
    return _sticker_height(media, image), url, None


def _sticker_height(media: Media, holder: LexborNode) -> Media:
    """Stickers give their height as a ``padding-top`` percentage of the width on an inner div."""
    inner = holder.css_first("div[style]")
    ratio = _percent(_style(inner))
    if media.width is not None and ratio is not None:
        media.height = round(media.width * ratio / 100)
    return media


# --- other attachments ----------------------------------------------------------------------------


def _link_preview(message: LexborNode, post: Post, refs: list[MediaRef], base: str) -> LinkPreview | None:
    """The card under the text (section 6.13); its image becomes a ``link_preview_image`` ref."""
    node = message.css_first("a.tgme_widget_message_link_preview")
    if node is None:
        return None
    url = _absolute(node.attributes.get("href"), base) or (node.attributes.get("href") or "")
    preview = LinkPreview(url=url)
    preview.site = _text(node.css_first(".link_preview_site_name"))
    preview.title = _text(node.css_first(".link_preview_title"))
    preview.description = _text(node.css_first(".link_preview_description"))
    for selector, layout in (
        (".link_preview_image", "large"),
        (".link_preview_right_image", "right"),
        (".link_preview_video_thumb", "video"),
    ):
        image = _background(node.css_first(selector), base)
        if image:
            preview.extra["image_layout"] = layout
            refs.append(MediaRef(post.id, None, "link_preview_image", image))
            break
    return preview


def _poll(message: LexborNode) -> Poll | None:
    node = message.css_first(".tgme_widget_message_poll")
    if node is None:
        return None
    poll = Poll(question=_text(node.css_first(".tgme_widget_message_poll_question")) or "")
    poll.kind = _text(node.css_first(".tgme_widget_message_poll_type"))
    poll.multiple = "multiple" in _classes(node)
    for option in node.css(".tgme_widget_message_poll_option"):
        percent_text = (_text(option.css_first(".tgme_widget_message_poll_option_percent")) or "").rstrip("%")
        percent = int(percent_text) if percent_text.isdigit() and percent_text.isascii() else None
        text = _text(option.css_first(".tgme_widget_message_poll_option_text")) or ""
        poll.options.append(PollOption(text=text, percent=percent))
    poll.voters = parse_count(_text(message.css_first(".tgme_widget_message_voters")))
    return poll


def _location(message: LexborNode) -> Location | None:
    node = message.css_first("a.tgme_widget_message_location_wrap[href]")
    if node is None:
        return None
    query = parse_qs(urlsplit(node.attributes.get("href") or "").query)
    for key in ("q", "ll"):
        for value in query.get(key, []):
            parts = value.split(",")
            if len(parts) == 2:
                try:
                    lat, lon = float(parts[0]), float(parts[1])
                except ValueError:
                    continue
                if -90 <= lat <= 90 and -180 <= lon <= 180:
                    location = Location(lat=lat, lon=lon)
                    location.title = _text(message.css_first(".tgme_widget_message_venue_title"))
                    location.address = _text(message.css_first(".tgme_widget_message_venue_address"))
                    return location
    return None


def _reactions(message: LexborNode) -> list[Reaction]:
    """Reactions with their counts; custom emoji by fallback character, paid ones as a star."""
    found = []
    for node in message.css(".tgme_widget_message_reactions .tgme_reaction"):
        if "tgme_reaction_paid" in _classes(node):
            emoji = PAID_REACTION
        else:
            emoji_node = node.css_first("tg-emoji, i.emoji")
            emoji = _text(emoji_node) or ""
        count_text = "".join((child.text_content or "") for child in children(node) if child.is_text_node)
        count = parse_count(count_text.strip())
        if count is None:
            count = parse_count((_text(node) or "").replace(emoji, "").replace(PAID_REACTION, "").strip())
        if emoji and count is not None:
            found.append(Reaction(emoji=emoji, count=count))
    return found


def _buttons(message: LexborNode, base: str) -> list[list[Button]]:
    """Inline URL buttons, row by row; they live outside the bubble (section 6.20)."""
    rows = []
    for row in message.css(".tgme_widget_message_inline_row"):
        buttons = []
        for node in row.css("a.tgme_widget_message_inline_button[href]"):
            href = node.attributes.get("href") or ""
            if node.attributes.get("onclick") is not None:
                href = href.replace("&amp;", "&")
            url = _absolute(href, base)
            text = _text(node.css_first(".tgme_widget_message_inline_button_text")) or _text(node) or ""
            if url:
                buttons.append(Button(text=text, url=url))
        if buttons:
            rows.append(buttons)
    return rows


def _contact(message: LexborNode, post: Post) -> None:
    """A shared contact has no place in the model: keep it visible as an unsupported post."""
    name = _text(message.css_first(".tgme_widget_message_contact_name"))
    phone = _text(message.css_first(".tgme_widget_message_contact_phone"))
    if name or phone:
        post.unsupported = True
        post.extra["contact"] = {k: v for k, v in (("name", name), ("phone", phone)) if v}
