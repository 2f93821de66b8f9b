"""Finding, reading and checking a Telegram Desktop export, and resolving the files it names.

An export is a folder with ``result.json``: one chat ("Export chat history") or a whole account
("Export Telegram data", with ``chats.list``). Everything is checked before anything is written:
a problem is an :class:`ExportError` naming the file and what is wrong. Files named by the export
are resolved inside the export folder only: absolute paths, ``..`` and symlinks out are refused.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from sitegen.errors import SitegenError
from sitegen.files import UnsafePathError, safe_relative
from sitegen.tdesktop.convert import CHAT_TYPES, bare_chat_id

RESULT_FILE = "result.json"
CHUNK = 1 << 20
# Telegram Desktop writes control characters as \xNN, which is not JSON (SCHEMA.md section 6).
_HEX_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")
_UNFINISHED_ESCAPE = re.compile(rb"\\+(?:x[0-9A-Fa-f]{0,2})?\Z")


class ExportError(SitegenError):
    """An export that cannot be imported; the message names the file and the problem."""


class RepairedJSON:
    """A binary file read through, with ``\\xNN`` escapes turned into ``\\u00NN`` and a BOM dropped.

    A backslash run cut by a chunk boundary is held back until the next chunk, so the repair is
    the same as on the whole file.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._held = b""
        self._start = True

    def read(self, size: int = -1) -> bytes:
        """Up to about ``size`` repaired bytes; ``b""`` only at the end of the file (or for size 0)."""
        if size == 0:  # ijson asks for nothing to learn whether the file gives bytes or text
            return b""
        while True:
            chunk = self._raw.read(CHUNK if size is None or size < 0 else max(size, 64))
            data = self._held + chunk
            if self._start:
                self._start = False
                data = data.removeprefix(b"\xef\xbb\xbf")
            if not chunk:
                self._held = b""
                return _HEX_ESCAPE.sub(rb"\1\\u00\2", data) if b"\\x" in data else data
            tail = _UNFINISHED_ESCAPE.search(data)
            cut = tail.start() if tail is not None else len(data)
            self._held = data[cut:]
            data = data[:cut]
            if data:
                return _HEX_ESCAPE.sub(rb"\1\\u00\2", data) if b"\\x" in data else data


@dataclass
class Chat:
    """One chat of an export: its header, how many messages it has, and how to read them again."""

    name: str | None
    type: str
    id: int  # as the export wrote it
    count: int  # messages
    index: int  # its place in an account export's list (1-based), 0 for a single-chat export
    reader: Callable[[], Iterator[Any]]  # streams the chat's messages from the file, each time anew

    @property
    def bare_id(self) -> int:
        """The peer id without old exports' offset."""
        return bare_chat_id(self.id)

    @property
    def label(self) -> str:
        """How a list of chats shows it."""
        return f"{self.name or self.type or 'chat'} (id {self.bare_id}, {self.type or 'unknown type'})"

    def messages(self) -> Iterator[Any]:
        """The chat's messages, read from the file one by one."""
        return self.reader()


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


def _json_problem(file: Path, exc: Exception) -> ExportError:
    """An ExportError for a JSON parse error, in words."""
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    first = str(text).strip().splitlines()[0] if str(text).strip() else "invalid JSON"
    if "premature EOF" in first:
        return ExportError(f"{file}: the JSON ends too early: the export is truncated; export it again")
    if "UTF8" in first:
        return ExportError(f"{file}: not UTF-8 text; is this a Telegram Desktop export?")
    return ExportError(
        f"{file}: not valid JSON ({first.rstrip('.')}); "
        "is this a Telegram Desktop export in machine-readable JSON?"
    )


@contextmanager
def _open_json(file: Path) -> Iterator[RepairedJSON]:
    try:
        raw = file.open("rb")
    except OSError as exc:
        raise ExportError(f"{file}: cannot read: {exc.strerror or exc}") from None
    with raw:
        yield RepairedJSON(raw)


def _stream(file: Path, prefix: str) -> Iterator[Any]:
    """The values at ``prefix`` (an ijson path such as ``messages.item``), parsed one at a time."""
    with _open_json(file) as stream:
        try:
            yield from ijson.items(stream, prefix, use_float=True)
        except ijson.JSONError as exc:
            raise _json_problem(file, exc) from None


def _header(file: Path) -> tuple[dict[str, Any], str]:
    """The root object's scalar keys before its list of messages (or of chats), and which list it is.

    Telegram Desktop writes ``name``, ``type`` and ``id`` before ``messages``; reading stops there.
    """
    header: dict[str, Any] = {}
    with _open_json(file) as stream:
        try:
            events = ijson.parse(stream, use_float=True)
            first = next(events, None)
            if first is None or first[1] != "start_map":
                raise ExportError(f"{file}: not a Telegram Desktop export (the JSON is not an object)")
            for prefix, event, value in events:
                if prefix in ("name", "type", "id") and event in ("string", "number", "null"):
                    header[prefix] = value
                elif prefix == "messages" and event != "map_key":
                    if event != "start_array":
                        raise ExportError(f"{file}: 'messages' is not a list; unknown export schema")
                    return header, "messages"
                elif prefix == "chats.list" and event == "start_array":
                    return header, "chats"
        except ijson.JSONError as exc:
            raise _json_problem(file, exc) from None
    raise ExportError(
        f"{file}: not a Telegram Desktop chat export (no 'messages' list); "
        "export with Telegram Desktop: Export chat history -> Machine-readable JSON"
    )


def read_export(path: Path) -> Export:
    """Find and check the export at ``path`` (a folder or its result.json); messages stay on disk."""
    file = find_result(path)
    try:
        if file.stat().st_size == 0:
            raise ExportError(f"{file}: the file is empty; export the chat again")
    except OSError as exc:
        raise ExportError(f"{file}: cannot read: {exc.strerror or exc}") from None
    header, kind = _header(file)
    if kind == "messages":
        chat = _chat(file, header, "", 0, 0, lambda: _stream(file, "messages.item"))
        return Export(file.parent, file, [chat], account=False)
    chats = []
    for index, item in enumerate(_stream(file, "chats.list.item"), start=1):
        where = f"chats.list[{index - 1}]"
        if not isinstance(item, dict) or not isinstance(item.get("messages"), list):
            raise ExportError(f"{file} ({where}): a chat without a list of messages; unknown export schema")
        count = len(item["messages"])
        chats.append(_chat(file, item, where, index, count, _chat_reader(file, index)))
    if not chats:
        raise ExportError(f"{file}: the account export holds no chats; tick 'Personal chats' or others")
    return Export(file.parent, file, chats, account=True)


def _chat_reader(file: Path, index: int) -> Callable[[], Iterator[Any]]:
    """Streams the messages of chat ``index`` (1-based) of an account export; one chat in memory."""

    def read() -> Iterator[Any]:
        for position, item in enumerate(_stream(file, "chats.list.item"), start=1):
            if position == index:
                yield from item["messages"]
                return

    return read


def _chat(
    file: Path, data: dict[str, Any], where: str, index: int, count: int, reader: Callable[[], Iterator[Any]]
) -> Chat:
    """One chat's header, checked: its type must be one the format knows."""
    at = f" ({where})" if where else ""
    kind = data.get("type")
    if kind is None:
        kind = ""
    if not isinstance(kind, str) or (kind and kind not in CHAT_TYPES):
        raise ExportError(
            f"{file}{at}: unknown chat type {kind!r}: this export's schema is newer than sitegen knows; "
            "please report it with the export's Telegram Desktop version"
        )
    chat_id = data.get("id")
    name = data.get("name")
    return Chat(
        name=name if isinstance(name, str) and name else None,
        type=kind,
        id=chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else 0,
        count=count,
        index=index,
        reader=reader,
    )


def check_messages(file: Path, chat: Chat) -> int:
    """Read the chat's messages once and refuse what the importer cannot place; return how many.

    Refused: no messages, a message without a numeric id, type or date, and JSON that is cut short.
    """
    count = 0
    for position, message in enumerate(chat.messages()):
        count += 1
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
    if not count:
        raise ExportError(f"{file}: the chat {chat.label} has no messages; nothing to import")
    chat.count = count
    return count


def pick_chats(export: Export, wanted: tuple[str, ...]) -> list[Chat]:
    """The chats named by ``--chat`` (a name or an id); a single-chat export needs none, and a
    ``--chat`` that does not name its chat is an error rather than ignored."""
    if not export.account and not wanted:
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
