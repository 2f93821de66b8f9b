"""Telegram Desktop export messages -> the model: text entities, media, service actions, albums.

Pure functions: a message is a dict from ``result.json``, the output a :class:`~sitegen.model.Post`
plus the export files its media items want copied (:class:`FileRef`). Nothing here reads a file.

Text becomes exactly the Markdown the scraper writes for the same formatting: each entity is
written as the HTML t.me shows for it (``<b>``, ``<tg-spoiler>``, ``<blockquote expandable>``...)
and converted by :mod:`sitegen.telegram.text`, the scraper's own converter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from sitegen.model import Button, ForwardedFrom, Location, Media, Poll, PollOption, Post, Reaction, ReplyTo
from sitegen.telegram.text import html_to_markdown, plain_to_markdown

NOT_INCLUDED = "not_included"  # the export left the file out ("File not included", "exceeds maximum size"...)
PAID_REACTION = "⭐"  # the scraper shows paid (star) reactions with this character too
CUSTOM_REACTION = "🔸"  # exports name a custom-emoji reaction by its document id only
ALBUM_LIMIT = 10  # Telegram groups at most ten items

# Chat types the export writes (SCHEMA.md section 1); "" and null mean unknown.
CHANNEL_TYPES = frozenset({"private_channel", "public_channel"})
CHAT_TYPES = CHANNEL_TYPES | {
    "saved_messages",
    "replies",
    "verification_codes",
    "personal_chat",
    "bot_chat",
    "private_group",
    "private_supergroup",
    "public_supergroup",
}
PUBLIC_TYPES = frozenset({"public_channel", "public_supergroup"})
MESSAGE_TYPES = frozenset({"message", "service", "unsupported"})

# Keys of a message this module reads; others are kept under ``tdesktop`` in the front matter.
_KNOWN_KEYS = frozenset(
    [
        "id",
        "type",
        "date",
        "date_unixtime",
        "edited",
        "edited_unixtime",
        "from",
        "from_id",
        "author",
        "forwarded_from",
        "forwarded_from_id",
        "saved_from",
        "reply_to_message_id",
        "reply_to_peer_id",
        "via_bot",
        "photo",
        "photo_file_size",
        "width",
        "height",
        "file",
        "file_name",
        "file_size",
        "thumbnail",
        "thumbnail_file_size",
        "media_type",
        "mime_type",
        "duration_seconds",
        "sticker_emoji",
        "performer",
        "title",
        "text",
        "text_entities",
        "inline_bot_buttons",
        "reactions",
        "actor",
        "actor_id",
        "action",
        "contact_information",
        "contact_vcard",
        "contact_vcard_file_size",
        "location_information",
        "live_location_period_seconds",
        "place_name",
        "address",
        "game_title",
        "game_description",
        "game_link",
        "invoice_information",
        "poll",
        "giveaway_information",
        "giveaway_results",
        "paid_stars_amount",
        "media_spoiler",
        "self_destruct_period_seconds",
    ]
)

_MEDIA_KINDS = {
    "video_message": "round_video",
    "voice_message": "voice",
    "animation": "gif",
    "video_file": "video",
    "audio_file": "audio",
}


@dataclass
class FileRef:
    """An export file a media item wants: ``path`` as the export wrote it (a path or a placeholder)."""

    index: int  # the media item, 0-based
    role: str  # "file" or "thumb"
    path: str


@dataclass
class Converted:
    """One post made from one message (or an album of several) and the files it wants copied."""

    post: Post
    files: list[FileRef] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # every message id it was made of
    unknown_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChatInfo:
    """What every message of a chat needs to know about the chat."""

    channel: str  # the content folder's name
    type: str  # the export's chat type ("" when unknown)
    chat_id: int  # the bare peer id
    public: bool  # the folder name is the chat's public username: t.me/<name>/<id> links work
    tz: tzinfo = UTC  # the zone of dates without an offset (exports before date_unixtime)

    @property
    def shows_sender(self) -> bool:
        """Whether posts show their sender: everywhere but in channels (where it is the channel)."""
        return self.type not in CHANNEL_TYPES

    def link(self, message_id: int) -> str | None:
        """The message's address on Telegram, when there is one."""
        if self.public:
            return f"https://t.me/{self.channel}/{message_id}"
        if self.type in CHANNEL_TYPES or self.type in ("private_supergroup", "public_supergroup"):
            return f"https://t.me/c/{self.chat_id}/{message_id}"
        return None


def bare_chat_id(value: Any) -> int:
    """The chat's peer id without the 2^33 offset old exports added (SCHEMA.md section 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value - (1 << 33) if value >= (1 << 33) else value


# --- text ------------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br>")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


# Entities that t.me shows as one element around their text.
_WRAPS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "spoiler": "tg-spoiler",
    "code": "code",
}


def entity_html(kind: str, text: str, part: dict[str, Any]) -> str:
    """One text entity as the HTML t.me shows for it (what the scraper converts)."""
    body = _escape(text)
    tag = _WRAPS.get(kind)
    if tag is not None:
        return f"<{tag}>{body}</{tag}>"
    if kind == "pre":
        language = str(part.get("language") or "")
        cls = f' class="language-{_attr(language)}"' if re.fullmatch(r"[\w+#.-]+", language) else ""
        return f"<pre><code{cls}>{body}</code></pre>"
    if kind == "blockquote":
        return f"<blockquote{' expandable' if part.get('collapsed') else ''}>{body}</blockquote>"
    if kind == "text_link":
        return f'<a href="{_attr(str(part.get("href") or ""))}">{body}</a>'
    if kind == "link":
        url = text if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text) else f"http://{text}"
        return f'<a href="{_attr(url)}">{body}</a>'
    if kind == "email":
        return f'<a href="mailto:{_attr(text)}">{body}</a>'
    if kind == "phone":
        return f'<a href="tel:{_attr(re.sub(r"[^0-9+]", "", text))}">{body}</a>'
    if kind == "mention" and re.fullmatch(r"@[A-Za-z0-9_]{1,64}", text):
        return f'<a href="https://t.me/{text[1:]}">{body}</a>'
    if kind == "mention_name" and isinstance(part.get("user_id"), int):
        return f'<a href="tg://user?id={int(part["user_id"])}">{body}</a>'
    if kind in ("hashtag", "cashtag") and text[:1] in "#$":
        return f'<a href="?q={quote(text)}">{body}</a>'
    # plain, bot_command, bank_card, custom_emoji (its text is the fallback emoji), unknown
    return body


def text_parts(message: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The message's text as (entity type, text, entity) parts: ``text_entities``, else ``text``."""
    value = message.get("text_entities")
    if not isinstance(value, list):
        value = message.get("text")
    if isinstance(value, str):
        return [("plain", value, {})] if value else []
    parts = []
    for part in value if isinstance(value, list) else []:
        if isinstance(part, str):
            if part:
                parts.append(("plain", part, {}))
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            parts.append((str(part.get("type") or "plain"), part["text"], part))
    return parts


def plain_text(message: dict[str, Any]) -> str:
    """The message's text without formatting: what a reader sees."""
    return "".join(text for _, text, _ in text_parts(message))


def text_markdown(message: dict[str, Any]) -> str:
    """The message's text as the Markdown the scraper writes for the same formatting."""
    parts = text_parts(message)
    if not parts:
        return ""
    if all(kind == "plain" for kind, _, _ in parts):
        return plain_to_markdown("".join(text for _, text, _ in parts))
    return markdown_of("".join(entity_html(kind, text, part) for kind, text, part in parts))


def markdown_of(fragment: str) -> str:
    """Markdown for a fragment of t.me-style HTML (the scraper's converter)."""
    return html_to_markdown(fragment)


def plain_markdown(text: str) -> str:
    """Markdown that shows ``text`` as it is."""
    return plain_to_markdown(text) if text else ""


# --- dates -------------------------------------------------------------------------------------------


def message_date(message: dict[str, Any], tz: tzinfo, key: str = "date") -> datetime | None:
    """When the message was sent: ``date_unixtime`` (UTC), else ``date`` read in the zone ``tz``."""
    unix = message.get(f"{key}_unixtime")
    if isinstance(unix, (str, int)) and not isinstance(unix, bool) and str(unix).isdigit():
        try:
            return datetime.fromtimestamp(int(unix), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    value = message.get(key)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


# --- media --------------------------------------------------------------------------------------------


def is_placeholder(value: str) -> bool:
    """Whether a path field holds one of the "(File not included...)" notes instead of a path."""
    return value.startswith("(") and value.endswith(")")


def human_size(size: Any) -> str | None:
    """A byte count the way Telegram shows it: ``52.6 KB``."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return None
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return None  # pragma: no cover


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _document_kind(message: dict[str, Any], path: str) -> str:
    media_type = message.get("media_type")
    if media_type == "sticker":
        lowered = path.lower()
        mime = str(message.get("mime_type") or "")
        if lowered.endswith(".tgs") or mime == "application/x-tgsticker":
            return "animated_sticker"
        if lowered.endswith(".webm") or mime == "video/webm":
            return "video_sticker"
        return "sticker"
    return _MEDIA_KINDS.get(str(media_type), "document")


def media_items(message: dict[str, Any]) -> tuple[list[Media], list[FileRef]]:
    """The message's photo or file as media items, and the export files they want."""
    items: list[Media] = []
    refs: list[FileRef] = []
    photo = _str(message.get("photo"))
    if photo is not None:
        item = Media(kind="photo", width=_int(message.get("width")), height=_int(message.get("height")))
        refs.append(FileRef(len(items), "file", photo))
        items.append(item)
    path = _str(message.get("file"))
    if path is not None:
        kind = _document_kind(message, path)
        item = Media(kind=kind, duration=_int(message.get("duration_seconds")))
        if kind not in ("document", "audio", "voice"):
            item.width, item.height = _int(message.get("width")), _int(message.get("height"))
        if kind == "audio":
            item.title = _str(message.get("title"))
            item.performer = _str(message.get("performer"))
        if kind in ("document", "audio"):
            name = _str(message.get("file_name"))
            if name is None and not is_placeholder(path):
                name = path.rsplit("/", 1)[-1]
            item.title = item.title or name
            item.size = human_size(message.get("file_size"))
        if kind == "document" and message.get("mime_type"):
            item.extra["mime_type"] = str(message["mime_type"])
        refs.append(FileRef(len(items), "file", path))
        thumb = _str(message.get("thumbnail"))
        if thumb is not None and not is_placeholder(thumb):
            refs.append(FileRef(len(items), "thumb", thumb))
        items.append(item)
    return items, refs


# --- other parts of a message -------------------------------------------------------------------------


def _poll(value: Any) -> Poll | None:
    if not isinstance(value, dict):
        return None
    total = _int(value.get("total_voters"))
    poll = Poll(question=str(value.get("question") or ""), voters=total)
    poll.kind = "Closed poll" if value.get("closed") else "Poll"
    answers = value.get("answers")
    for answer in answers if isinstance(answers, list) else []:
        if not isinstance(answer, dict):
            continue
        voters = _int(answer.get("voters"))
        percent = round(voters * 100 / total) if total and voters is not None else (0 if total == 0 else None)
        poll.options.append(PollOption(text=str(answer.get("text") or ""), percent=percent))
    return poll


def _location(message: dict[str, Any]) -> Location | None:
    info = message.get("location_information")
    if not isinstance(info, dict):
        return None
    lat, lon = info.get("latitude"), info.get("longitude")
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lat, lon)):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    title, address = _str(message.get("place_name")), _str(message.get("address"))
    return Location(lat=float(lat), lon=float(lon), title=title, address=address)


def _reactions(value: Any) -> list[Reaction]:
    found: list[Reaction] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or _int(item.get("count")) is None:
            continue
        kind = item.get("type")
        if kind == "emoji" and _str(item.get("emoji")):
            emoji = item["emoji"]
        elif kind == "paid":
            emoji = PAID_REACTION
        else:
            emoji = CUSTOM_REACTION
        found.append(Reaction(emoji=emoji, count=item["count"]))
    return found


def _buttons(value: Any) -> list[list[Button]]:
    rows = []
    for row in value if isinstance(value, list) else []:
        buttons = []
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict):
                continue
            data = button.get("data")
            url = data if button.get("type") in ("url", "auth", "url_auth") and isinstance(data, str) else ""
            text = str(button.get("text") or button.get("type") or "")
            if text:
                buttons.append(Button(text=text, url=url))
        if buttons:
            rows.append(buttons)
    return rows


def _extra_lines(message: dict[str, Any]) -> list[str]:
    """Markdown lines for kinds the model has no place for: contacts, games, invoices, giveaways."""
    lines = []
    contact = message.get("contact_information")
    if isinstance(contact, dict):
        name = " ".join(str(contact.get(k) or "") for k in ("first_name", "last_name")).strip()
        phone = str(contact.get("phone_number") or "")
        lines.append("👤 " + plain_markdown(", ".join(x for x in (name, phone) if x) or "Contact"))
    if _str(message.get("game_title")):
        game = "🎮 " + plain_markdown(message["game_title"])
        if _str(message.get("game_description")):
            game += "\\\n" + plain_markdown(message["game_description"])
        lines.append(game)
    invoice = message.get("invoice_information")
    if isinstance(invoice, dict):
        amount = invoice.get("amount")
        currency = invoice.get("currency") or ""
        label = " — ".join(str(invoice.get(k)) for k in ("title", "description") if invoice.get(k))
        lines.append("🧾 " + plain_markdown(f"{label} ({amount} {currency})".strip()))
    if "giveaway_information" in message:
        lines.append("🎁 " + plain_markdown("Giveaway"))
    if "giveaway_results" in message:
        lines.append("🎁 " + plain_markdown("Giveaway results"))
    if _int(message.get("paid_stars_amount")) is not None:
        lines.append("⭐ " + plain_markdown(f"Paid media: {message['paid_stars_amount']} stars"))
    return lines


# --- service messages -----------------------------------------------------------------------------------

_SERVICE_KINDS = {
    "create_channel": "channel_created",
    "create_group": "channel_created",
    "pin_message": "pinned",
    "edit_group_title": "title_changed",
    "edit_group_photo": "photo_changed",
    "delete_group_photo": "photo_changed",
}


_SERVICE_SHOWN = frozenset(
    [
        "id",
        "type",
        "date",
        "date_unixtime",
        "actor",
        "action",
        "text",
        "text_entities",
        "photo",
        "width",
        "height",
        "photo_file_size",
        "edited",
        "edited_unixtime",
    ]
)


def _names(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(x) if x is not None else "Deleted Account" for x in value)
    return str(value) if value is not None else ""


def service_text(message: dict[str, Any]) -> str:
    """The line Telegram shows for a service action, in English (as the web preview shows them)."""
    actor = message.get("actor") or "Deleted Account"
    action = message.get("action")
    title = message.get("title")
    texts = {
        "create_channel": f"Channel «{title}» created",
        "create_group": f"{actor} created the group «{title}»",
        "edit_group_title": f"{actor} changed the name to «{title}»",
        "edit_group_photo": f"{actor} changed the photo",
        "delete_group_photo": f"{actor} removed the photo",
        "invite_members": f"{actor} added {_names(message.get('members'))}",
        "remove_members": f"{actor} removed {_names(message.get('members'))}",
        "join_group_by_link": f"{actor} joined the group via an invite link",
        "join_group_by_request": f"{actor} was accepted into the group",
        "migrate_to_supergroup": "The group became a supergroup",
        "migrate_from_group": f"The group «{title}» became this supergroup",
        "pin_message": f"{actor} pinned a message",
        "clear_history": "History cleared",
        "topic_created": f"{actor} created the topic «{title}»",
        "topic_edit": f"{actor} changed the topic to «{message.get('new_title') or ''}»",
        "joined_telegram": f"{actor} joined Telegram",
        "take_screenshot": f"{actor} took a screenshot",
    }
    if action in texts:
        return texts[action]
    if action == "phone_call" or action == "group_call":
        seconds = _int(message.get("duration_seconds") or message.get("duration"))
        what = "Call" if action == "phone_call" else "Video chat"
        return f"{what} by {actor}" + (f" ({seconds} s)" if seconds else "")
    if action is None and _str(message.get("information_text")):
        return message["information_text"]
    return f"{actor}: {str(action or 'service message').replace('_', ' ')}"


# --- one message --------------------------------------------------------------------------------------


def _sender(message: dict[str, Any]) -> str:
    name = message.get("from")
    return name if isinstance(name, str) and name else "Deleted Account"


def convert_message(message: dict[str, Any], chat: ChatInfo, ids: dict[int, int] | None = None) -> Converted:
    """One export message as a post; ``ids`` maps album items' ids to their album's post id.

    The message must have an integer ``id`` and a readable date (``export.check_messages`` says so).
    """
    post_id = message["id"]
    date = message_date(message, chat.tz)
    assert date is not None
    post = Post(id=post_id, date=date, channel=chat.channel, source=chat.link(post_id))
    converted = Converted(post, ids=[post_id])
    kind = message.get("type")
    post.edited = "edited" in message or "edited_unixtime" in message
    if kind == "unsupported":
        post.unsupported = True
        return converted
    if kind == "service":
        _service(message, chat, post, converted, ids)
        return converted
    if kind != "message":
        post.unsupported = True
        post.extra["export_type"] = str(kind)
    if chat.shows_sender:
        post.sender = _sender(message)
    post.author = _str(message.get("author"))
    post.via_bot = _str(message.get("via_bot"))
    forwarded = message.get("forwarded_from", message.get("saved_from"))
    if "forwarded_from" in message or "saved_from" in message:
        name = forwarded if isinstance(forwarded, str) and forwarded else "Hidden user"
        post.forwarded_from = ForwardedFrom(name=name)
    _reply(message, chat, post, ids)
    post.media, converted.files = media_items(message)
    post.poll = _poll(message.get("poll"))
    post.location = _location(message)
    post.reactions = _reactions(message.get("reactions"))
    post.buttons = _buttons(message.get("inline_bot_buttons"))
    blocks = [text_markdown(message), *_extra_lines(message)]
    post.text = "\n\n".join(b for b in blocks if b)
    contact = message.get("contact_information")
    if isinstance(contact, dict):
        name = " ".join(str(contact.get(k) or "") for k in ("first_name", "last_name")).strip()
        fields = (("name", name), ("phone", contact.get("phone_number")))
        post.extra["contact"] = {k: v for k, v in fields if v}
    unknown = {k: v for k, v in message.items() if k not in _KNOWN_KEYS}
    for key in ("giveaway_information", "giveaway_results", "invoice_information"):
        if key in message:
            unknown[key] = message[key]
    if unknown:
        post.extra["tdesktop"] = unknown
        converted.unknown_keys = sorted(k for k in unknown if k not in _KNOWN_KEYS)
    if not (post.text or post.media or post.poll or post.location or post.unsupported):
        post.unsupported = True  # nothing we can show: say so rather than show an empty post
    return converted


def _reply(message: dict[str, Any], chat: ChatInfo, post: Post, ids: dict[int, int] | None) -> None:
    target = _int(message.get("reply_to_message_id"))
    if target is None:
        return
    if message.get("reply_to_peer_id") is not None:
        post.extra["reply_to_peer"] = {"peer": str(message["reply_to_peer_id"]), "id": target}
        return
    target = (ids or {}).get(target, target)
    post.reply_to = ReplyTo(channel=chat.channel, id=target, url=chat.link(target))


def _service(
    message: dict[str, Any], chat: ChatInfo, post: Post, converted: Converted, ids: dict[int, int] | None
) -> None:
    action = message.get("action")
    post.service = _SERVICE_KINDS.get(str(action), "other")
    text = service_text(message)
    extra = plain_text(message)
    post.text = plain_markdown(text + (f"\n{extra}" if extra and extra != text else ""))
    if action is not None:
        post.extra["action"] = str(action)
    params = {k: v for k, v in message.items() if k not in _SERVICE_SHOWN}
    if params:
        post.extra["tdesktop"] = params
    if action == "pin_message" and _int(message.get("message_id")) is not None:
        target = (ids or {}).get(message["message_id"], message["message_id"])
        post.reply_to = ReplyTo(channel=chat.channel, id=target, url=chat.link(target))
    photo = _str(message.get("photo"))
    if photo is not None:
        width, height = _int(message.get("width")), _int(message.get("height"))
        post.media = [Media(kind="photo", width=width, height=height)]
        converted.files = [FileRef(0, "file", photo)]


# --- albums -----------------------------------------------------------------------------------------------


def _album_kind(message: dict[str, Any]) -> str | None:
    """Which album family a message could belong to: "visual", "document", "audio", or None."""
    if message.get("type") != "message" or message.get("poll") or message.get("location_information"):
        return None
    if _str(message.get("photo")) and not message.get("file"):
        return "visual"
    if _str(message.get("file")) and not message.get("photo"):
        media_type = message.get("media_type")
        if media_type == "video_file":
            return "visual"
        if media_type is None:
            return "document"
        if media_type == "audio_file":
            return "audio"
    return None


def _same_album(first: dict[str, Any], last: dict[str, Any], message: dict[str, Any], size: int) -> bool:
    kind = _album_kind(message)
    return (
        size < ALBUM_LIMIT
        and kind is not None
        and kind == _album_kind(first)
        and message.get("id") == last.get("id", 0) + 1
        and message.get("date") == first.get("date")
        and message.get("date_unixtime") == first.get("date_unixtime")
        and message.get("from_id") == first.get("from_id")
        and message.get("forwarded_from") == first.get("forwarded_from")
        and message.get("author") == first.get("author")
    )


def group_albums(messages: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive messages that make one album, as lists (a single message is a list of one).

    Exports keep no album id (SCHEMA.md section 4): album items are consecutive message ids with
    the same date, sender and forward origin, each carrying one photo/video (or one file, or one
    track). The web preview shows an album as one post under its first id; so does the archive.
    """
    group: list[dict[str, Any]] = []
    for message in messages:
        if group and _same_album(group[0], group[-1], message, len(group)):
            group.append(message)
            continue
        if group:
            yield group
        group = [message]
    if group:
        yield group


def convert_group(group: list[dict[str, Any]], chat: ChatInfo, ids: dict[int, int]) -> Converted:
    """One post from an album's messages (or from a single message); records the ids it absorbs."""
    first = convert_message(group[0], chat, ids)
    if len(group) == 1:
        return first
    post = first.post
    texts = [post.text] if post.text else []
    for message in group[1:]:
        part = convert_message(message, chat, ids)
        offset = len(post.media)
        post.media.extend(part.post.media)
        first.files.extend(FileRef(ref.index + offset, ref.role, ref.path) for ref in part.files)
        if part.post.text:
            texts.append(part.post.text)
        post.edited = post.edited or part.post.edited
        post.reactions = post.reactions or part.post.reactions
        post.reply_to = post.reply_to or part.post.reply_to
        first.ids.append(message["id"])
        first.unknown_keys.extend(part.unknown_keys)
        ids[message["id"]] = post.id
    post.text = "\n\n".join(texts)
    return first
