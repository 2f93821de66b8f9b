"""Telegram Desktop exports for tests and the benchmark: the real ones with stand-in media, and made-up ones.

The four real exports in tests/data/tdesktop/ came without their media folders; ``real_export`` lays
one out as Telegram Desktop does (``result.json`` plus a small stand-in file at every path it names).
``message`` and ``synthetic_chat`` write messages in the newest format (E3 in SCHEMA.md: ``text`` and
``text_entities``, ``date_unixtime``, file sizes, reactions) for the kinds the real exports lack.
"""

from __future__ import annotations

import json
import random
import shutil
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TDESKTOP = Path(__file__).resolve().parent / "data" / "tdesktop"
REAL_EXPORTS = (
    "tg2md_private_channel",
    "telegram_json_ui_private_group",
    "innerdvations_saved_messages",
    "ragtgbot_private_group_2025",
)
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
START = 1_700_000_000  # 2023-11-14, unix seconds


def stand_in(path: str) -> bytes:
    """The bytes of the stand-in file at an export path: small, and different for every path."""
    return f"stand-in for {path}\n".encode()


def referenced_paths(chat: dict[str, Any]) -> list[str]:
    """Every file path a chat's messages name (placeholders left out), in order, once each."""
    found: list[str] = []
    for message in chat.get("messages", []):
        for key in ("photo", "file", "thumbnail", "contact_vcard"):
            value = message.get(key)
            if isinstance(value, str) and value and not value.startswith("(") and value not in found:
                found.append(value)
    return found


def real_export(root: Path, name: str, media: bool = True) -> Path:
    """Lay out real export ``name`` as a Telegram Desktop export folder under ``root``; return the folder."""
    folder = root / name
    folder.mkdir(parents=True)
    shutil.copyfile(TDESKTOP / f"{name}.json", folder / "result.json")
    if media:
        chat = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        for path in referenced_paths(chat):
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(stand_in(path))
    return folder


def write_export(folder: Path, chat: dict[str, Any], files: dict[str, bytes] | None = None) -> Path:
    """Write ``chat`` as ``folder/result.json`` the way Telegram Desktop indents it, plus its files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").write_text(json.dumps(chat, ensure_ascii=False, indent=1), encoding="utf-8")
    for path, data in (files or {}).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def chat(
    messages: list[dict[str, Any]], kind: str = "private_supergroup", name: str = "Made Up"
) -> dict[str, Any]:
    """A single-chat export's root object."""
    return {"name": name, "type": kind, "id": 1234567890, "messages": messages}


def entities(parts: list[tuple[str, str] | tuple[str, str, dict[str, Any]]]) -> tuple[list[Any], list[Any]]:
    """``text`` (the mixed array) and ``text_entities`` for parts given as (type, text[, extra])."""
    text: list[Any] = []
    objects: list[Any] = []
    for part in parts:
        kind, value = part[0], part[1]
        extra = part[2] if len(part) > 2 else {}  # type: ignore[misc]
        objects.append({"type": kind, "text": value, **extra})
        text.append(value if kind == "plain" else {"type": kind, "text": value, **extra})
    if len(text) == 1 and isinstance(text[0], str):
        return text, objects
    return text, objects


def message(
    message_id: int,
    /,
    parts: list[Any] | str = "",
    kind: str = "message",
    sender: str | None = "Alice",
    when: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """One message in the newest format; ``parts`` is plain text or (type, text[, extra]) parts."""
    stamp = START + message_id * 60 if when is None else when
    out: dict[str, Any] = {
        "id": message_id,
        "type": kind,
        "date": datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(stamp),
    }
    if kind == "message" and sender is not None:
        out["from"] = sender
        out["from_id"] = f"user{zlib.crc32(sender.encode())}"
    out.update(fields)
    if isinstance(parts, str):
        out["text"] = parts
        out["text_entities"] = [{"type": "plain", "text": parts}] if parts else []
    else:
        text, objects = entities(parts)
        out["text"] = text[0] if len(text) == 1 and isinstance(text[0], str) else text
        out["text_entities"] = objects
    return out


# --- a big made-up export (tests and bench/import_bench.py) -------------------------------------------

_WORDS = [
    "архив",
    "канал",
    "сообщение",
    "новости",
    "город",
    "суд",
    "заседание",
    "решение",
    "apple",
    "rocket",
    "launch",
    "market",
    "update",
    "weather",
    "report",
    "photo",
    "video",
    "today",
    "tomorrow",
    "meeting",
    "release",
    "notes",
    "version",
    "fixed",
    "bug",
    "feature",
]


def _sentence(rnd: random.Random) -> str:
    return " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(4, 18))).capitalize() + "."


def synthetic_chat(
    count: int, seed: int = 7, media_every: int = 5
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A channel-like export of ``count`` messages with formatting, replies, reactions and media.

    Every ``media_every``-th message carries a photo (some albums of three, some left out of the
    export); returns the chat and the files to lay out beside result.json.
    """
    rnd = random.Random(seed)
    messages: list[dict[str, Any]] = []
    files: dict[str, bytes] = {}
    message_id = 0
    while len(messages) < count:
        message_id += 1
        parts: list[Any] = [("plain", _sentence(rnd) + " ")]
        roll = rnd.random()
        if roll < 0.3:
            parts += [("bold", rnd.choice(_WORDS)), ("plain", " и "), ("italic", rnd.choice(_WORDS))]
        elif roll < 0.45:
            parts += [("text_link", "ссылка", {"href": f"https://example.org/{message_id}"})]
        elif roll < 0.55:
            parts += [("hashtag", f"#{rnd.choice(_WORDS)}")]
        elif roll < 0.6:
            parts += [("plain", "\n"), ("blockquote", _sentence(rnd), {"collapsed": False})]
        parts.append(("plain", "\n" + _sentence(rnd)))
        fields: dict[str, Any] = {}
        if rnd.random() < 0.3:
            fields["reactions"] = [{"type": "emoji", "count": rnd.randint(1, 500), "emoji": "👍"}]
        if message_id > 10 and rnd.random() < 0.05:
            fields["reply_to_message_id"] = message_id - rnd.randint(1, 10)
        if message_id % media_every == 0:
            album = 3 if rnd.random() < 0.2 else 1
            stamp = START + message_id * 60
            for n in range(album):
                path = f"photos/photo_{message_id + n}@14-11-2023_00-00-00.jpg"
                photo = NOT_INCLUDED if rnd.random() < 0.05 else path
                if photo == path:
                    files[path] = stand_in(path)
                item = message(
                    message_id + n,
                    parts if n == 0 else "",
                    sender="Channel",
                    when=stamp,
                    photo=photo,
                    width=800,
                    height=600,
                    **(fields if n == 0 else {}),
                )
                messages.append(item)
            message_id += album - 1
            continue
        messages.append(message(message_id, parts, sender="Channel", **fields))
    return chat(messages[:count], kind="public_channel", name="Bench Channel"), files
