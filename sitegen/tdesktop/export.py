"""Finding, reading and checking a Telegram Desktop export, and resolving the files it names.

An export is a folder with ``result.json``: one chat ("Export chat history") or a whole account
("Export Telegram data", with ``chats.list``). Everything is checked before anything is written:
a problem is an :class:`ExportError` naming the file and what is wrong. Files named by the export
are resolved inside the export folder only: absolute paths, ``..`` and symlinks out are refused.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sitegen.errors import SitegenError
from sitegen.files import UnsafePathError, safe_relative
from sitegen.tdesktop.convert import CHAT_TYPES, bare_chat_id

RESULT_FILE = "result.json"
# Telegram Desktop writes control characters as \xNN, which is not JSON (SCHEMA.md section 6).
_HEX_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")


class ExportError(SitegenError):
    """An export that cannot be imported; the message names the file and the problem."""


@dataclass
class Chat:
    """One chat of an export: its header and its messages (as the JSON has them)."""

    name: str | None
    type: str
    id: int  # as the export wrote it
    messages: list[dict[str, Any]]
    index: int = 0  # its place in an account export's list (1-based), 0 for a single-chat export

    @property
    def bare_id(self) -> int:
        """The peer id without old exports' offset."""
        return bare_chat_id(self.id)

    @property
    def label(self) -> str:
        """How a list of chats shows it."""
        return f"{self.name or self.type or 'chat'} (id {self.bare_id}, {self.type or 'unknown type'})"


@dataclass
class Export:
    """A read export: where its files are, the JSON file, and its chats."""

    root: Path  # the folder every path in the JSON is relative to
    file: Path  # result.json
    chats: list[Chat]
    account: bool  # a whole-account export (chats listed) rather than one chat


def find_result(path: Path) -> Path:
    """The ``result.json`` of an export given as its folder or as the file itself."""
    if path.is_dir():
        candidate = path / RESULT_FILE
        if not candidate.is_file():
            raise ExportError(
                f"{path}: no {RESULT_FILE} here; give the folder Telegram Desktop's export made "
                "(Export chat history -> Machine-readable JSON) or its result.json"
            )
        return candidate
    if path.is_file():
        return path
    raise ExportError(f"{path}: no such file or folder")


def load_json(file: Path) -> Any:
    """The export's JSON, with Telegram Desktop's ``\\xNN`` escapes repaired."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ExportError(f"{file}: cannot read: {exc.strerror or exc}") from None
    if b"\\x" in data:
        data = _HEX_ESCAPE.sub(rb"\1\\u00\2", data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(
            f"{file}: not UTF-8 text (byte {exc.start}); is this a Telegram Desktop export?"
        ) from None
    if not text.strip():
        raise ExportError(f"{file}: the file is empty; export the chat again")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) - 1:
            raise ExportError(
                f"{file}: the JSON ends too early (line {exc.lineno}): the export is truncated; "
                "export it again"
            ) from None
        raise ExportError(
            f"{file}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}; "
            "is this a Telegram Desktop export in machine-readable JSON?"
        ) from None
    except RecursionError:
        raise ExportError(f"{file}: the JSON is nested too deeply to be an export") from None


def read_export(path: Path) -> Export:
    """Read and check the export at ``path`` (a folder or its result.json)."""
    file = find_result(path)
    data = load_json(file)
    if not isinstance(data, dict):
        raise ExportError(f"{file}: not a Telegram Desktop export (the JSON is not an object)")
    if isinstance(data.get("chats"), dict) and "messages" not in data:
        chats = []
        listed = data["chats"].get("list")
        if not isinstance(listed, list):
            raise ExportError(f"{file}: 'chats' has no 'list' of chats; unknown export layout")
        for index, item in enumerate(listed, start=1):
            chats.append(_chat(file, item, f"chats.list[{index - 1}]", index))
        if not chats:
            raise ExportError(f"{file}: the account export holds no chats; tick 'Personal chats' or others")
        return Export(file.parent, file, chats, account=True)
    if "messages" not in data:
        raise ExportError(
            f"{file}: not a Telegram Desktop chat export (no 'messages' list); "
            "export with Telegram Desktop: Export chat history -> Machine-readable JSON"
        )
    return Export(file.parent, file, [_chat(file, data, "", 0)], account=False)


def _chat(file: Path, data: Any, where: str, index: int) -> Chat:
    """One chat object, checked: its type known, its messages a list of messages."""
    at = f" ({where})" if where else ""
    if not isinstance(data, dict):
        raise ExportError(f"{file}{at}: a chat must be an object")
    kind = data.get("type")
    if kind is None:
        kind = ""
    if not isinstance(kind, str) or (kind and kind not in CHAT_TYPES):
        raise ExportError(
            f"{file}{at}: unknown chat type {kind!r}: this export's schema is newer than sitegen knows; "
            "please report it with the export's Telegram Desktop version"
        )
    messages = data.get("messages")
    if not isinstance(messages, list):
        raise ExportError(f"{file}{at}: 'messages' is not a list; unknown export schema")
    chat_id = data.get("id")
    name = data.get("name")
    return Chat(
        name=name if isinstance(name, str) and name else None,
        type=kind,
        id=chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else 0,
        messages=messages,
        index=index,
    )


def check_messages(file: Path, chat: Chat) -> None:
    """Refuse a chat whose messages the importer cannot place: no messages, no id, no date."""
    if not chat.messages:
        raise ExportError(f"{file}: the chat {chat.label} has no messages; nothing to import")
    for position, message in enumerate(chat.messages):
        where = f"{file}: messages[{position}]"
        if not isinstance(message, dict):
            raise ExportError(f"{where} is not an object; unknown export schema")
        message_id = message.get("id")
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise ExportError(f"{where} has no numeric 'id'; unknown export schema")
        kind = message.get("type")
        if not isinstance(kind, str):
            raise ExportError(f"{where} (id {message_id}) has no 'type'; unknown export schema")
        dated = isinstance(message.get("date"), str) or "date_unixtime" in message
        if not dated and kind != "unsupported":  # unsupported ones carry only id and type
            raise ExportError(f"{where} (id {message_id}) has no 'date'; unknown export schema")


def pick_chats(export: Export, wanted: tuple[str, ...]) -> list[Chat]:
    """The chats named by ``--chat`` (a name or an id); a single-chat export needs none."""
    if not export.account:
        return export.chats
    chosen: list[Chat] = []
    for value in wanted:
        found = [
            chat
            for chat in export.chats
            if value in (str(chat.id), str(chat.bare_id)) or (chat.name or "").casefold() == value.casefold()
        ]
        if not found:
            raise ExportError(
                f"{export.file}: no chat named or numbered {value!r}; run without --chat to list them"
            )
        if len(found) > 1:
            raise ExportError(f"{export.file}: several chats are named {value!r}; pick one by its id")
        if found[0] not in chosen:
            chosen.append(found[0])
    return chosen


# --- files named by the export ------------------------------------------------------------------------


class FileProblem(Exception):
    """A file the export names that cannot be used: ``kind`` is "refused" or "missing"."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def resolve_file(root: Path, real_root: str, relative: str) -> Path:
    """The file ``relative`` (as the export wrote it) inside the export folder ``root``.

    Refused (:class:`FileProblem` "refused"): absolute paths, ``..``, backslashes, and paths that
    leave the folder through a symlink. Missing (:class:`FileProblem` "missing"): no such file.
    ``real_root`` is ``os.path.realpath(root)``, computed once by the caller.
    """
    try:
        path = safe_relative(root, relative)
    except UnsafePathError as exc:
        raise FileProblem("refused", str(exc)) from None
    real = os.path.realpath(path)
    if not (real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)):
        raise FileProblem("refused", f"leaves the export folder: {relative!r}")
    if not os.path.isfile(real):
        raise FileProblem("missing", f"not in the export folder: {relative!r}")
    return Path(real)
