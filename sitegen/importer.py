"""The import stage: a Telegram Desktop export -> ``content/<name>/`` (posts, media, channel.yml).

The export is read and checked whole before anything is written (bad input leaves content/
untouched). Then each message (or album) becomes a post, its files are copied from the export
folder under the scraper's names (``media/<id>/<n>.<ext>``), and it is merged with the stored post
by the shared rules of :mod:`sitegen.archive`. Every file is written whole (temp file + rename) and
only when its bytes change, so an interrupted import resumes and a repeated one writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sitegen import content
from sitegen.archive import (
    IMPORTED,
    SCRAPED_IDS,
    add_range,
    item_stem,
    load_ranges,
    merge_post,
    read_stored,
)
from sitegen.config import Config
from sitegen.files import atomic_copy, read_bytes, remove_temp_files, write_if_changed
from sitegen.model import Channel, Media, Post
from sitegen.progress import NoProgress, ProgressSink
from sitegen.tdesktop.convert import (
    PUBLIC_TYPES,
    ChatInfo,
    Converted,
    convert_group,
    group_albums,
    is_placeholder,
    message_date,
)
from sitegen.tdesktop.export import Chat, Export, ExportError, FileProblem, check_messages, resolve_file

FORMAT = "1"  # bump when the same message converts differently: posts are then converted again
CHAT_TYPE = "chat_type"  # channel.yml: the export's chat type (private_group, public_channel...)
CHAT_ID = "chat_id"  # channel.yml: the chat's numeric id
MAX_WARNINGS = 20  # per kind of problem; the summary counts all of them
# Extensions a static host would serve as active content: such files get ".bin".
_ACTIVE = frozenset(
    [
        "html",
        "htm",
        "xhtml",
        "xht",
        "shtml",
        "svg",
        "svgz",
        "xml",
        "xsl",
        "xslt",
        "js",
        "mjs",
        "swf",
        "mht",
        "mhtml",
        "php",
    ]
)
_MIME_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "application/x-tgsticker": "tgs",
    "application/pdf": "pdf",
}


@dataclass
class ImportResult:
    """What importing one chat did."""

    chat: str  # the chat's label
    channel: str  # the content folder's name
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: int = 0
    media: int = 0  # files copied
    media_kept: int = 0  # files already in the archive with the same size
    not_included: int = 0  # the export left the file out ("File not included...")
    missing: int = 0  # the export names a file that is not in its folder
    refused: int = 0  # paths that would leave the export folder
    skipped: int = 0  # messages with negative ids (from a migrated basic group)
    unknown: Counter[str] = field(default_factory=Counter)  # unknown message keys, kept as they are
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        not_exported = self.not_included + self.missing + self.refused
        details = [
            f"{n} {what}"
            for n, what in (
                (self.not_included, "not included in the export"),
                (self.missing, "missing from the export folder"),
                (self.refused, "refused (outside the export folder)"),
            )
            if n
        ]
        media = f"{self.media} media files copied"
        if self.media_kept:
            media += f" ({self.media_kept} already there)"
        if not_exported:
            media += f", {not_exported} not exported ({', '.join(details)})"
        skipped = f", {self.skipped} messages with negative ids skipped" if self.skipped else ""
        return (
            f"Imported {self.chat} into {self.channel}/: {self.messages} messages -> {self.new} new, "
            f"{self.updated} updated, {self.unchanged} unchanged posts; {media}{skipped}"
        )


# --- naming -------------------------------------------------------------------------------------------


def folder_name(chat: Chat, given: str | None) -> str:
    """The content folder for a chat: ``--channel`` when given, else one made from the chat's name."""
    if given is not None:
        name = given.strip().removeprefix("@").lower()
        if not content.is_channel_name(name):
            raise ExportError(f"--channel {given!r}: a folder name is letters, digits and _ only")
        return name
    if chat.type == "saved_messages":
        return "saved_messages"
    slug = re.sub(r"[^a-z0-9]+", "_", (chat.name or "").lower()).strip("_")[:64]
    if slug and content.is_channel_name(slug):
        return slug
    return f"chat_{abs(chat.bare_id)}"


def media_extension(source: Path, mime: str | None) -> str:
    """The extension an archived copy gets: the export file's own, else from its type, else "bin"."""
    suffix = source.suffix.lower().lstrip(".")
    if re.fullmatch(r"[a-z0-9]{1,8}", suffix) and suffix not in _ACTIVE:
        return suffix
    if suffix in _ACTIVE:
        return "bin"
    return _MIME_EXTENSIONS.get((mime or "").lower(), "bin")


# --- one chat -----------------------------------------------------------------------------------------


class ChatImport:
    """The import of one chat into one content folder."""

    def __init__(
        self, cfg: Config, export: Export, chat: Chat, name: str, public: bool, progress: ProgressSink
    ) -> None:
        self.cfg = cfg
        self.export = export
        self.chat = chat
        self.dir = cfg.content_dir / name
        self.info = ChatInfo(
            channel=name,
            type=chat.type,
            chat_id=chat.bare_id,
            public=public,
            tz=ZoneInfo(cfg.timezone),
        )
        self.progress = progress
        self.result = ImportResult(chat.label, name)
        self.real_root = os.path.realpath(export.root)
        self.stored: set[int] = set()
        self.album_ids: dict[int, int] = {}

    def run(self) -> ImportResult:
        """Import every message, then write channel.yml."""
        if self.dir.is_dir():
            remove_temp_files(self.dir)
        self.stored = content.post_ids(self.dir)
        self.progress.begin(f"{self.chat.name or self.info.channel}", self.chat.count)
        ids: list[int] = []
        last_date = datetime(1970, 1, 1, tzinfo=UTC)
        try:
            for group in group_albums(self._messages()):
                for message in group:
                    date = message_date(message, self.info.tz)
                    if date is None:  # an "unsupported" message has only id and type
                        message["date_unixtime"] = str(int(last_date.timestamp()))
                    else:
                        last_date = date
                digest = self._digest(group)
                ids.extend(m["id"] for m in group)
                if self._unchanged(group, digest):
                    self.result.unchanged += 1
                else:
                    converted = convert_group(group, self.info, self.album_ids)
                    converted.post.extra[IMPORTED] = digest
                    self._store(converted, group)
                self.result.messages += len(group)
                self.progress.advance(len(group))
        except BaseException:
            # Ctrl-C may land between a temp file's creation and its rename: leave none behind
            remove_temp_files(self.dir)
            raise
        finally:
            self.progress.end()
        self._write_channel(ids)
        return self.result

    def _digest(self, group: list[dict]) -> str:
        """A short hash of the messages a post is made from, and of how they are converted."""
        data = json.dumps(group, sort_keys=True, ensure_ascii=False, default=str)
        settings = f"{FORMAT}|{self.info.channel}|{self.info.type}|{self.info.public}|{self.info.tz}"
        return hashlib.blake2b(f"{settings}|{data}".encode(), digest_size=8).hexdigest()

    def _unchanged(self, group: list[dict], digest: str) -> bool:
        """Whether the stored post was made from exactly these messages (then nothing is done)."""
        post_id = group[0]["id"]
        for message in group[1:]:
            self.album_ids[message["id"]] = post_id
        if post_id not in self.stored:
            return False
        try:
            data = read_bytes(content.post_path(self.dir, post_id))
        except OSError:
            return False
        return f"\n{IMPORTED}: '{digest}'\n".encode() in data or f"\n{IMPORTED}: {digest}\n".encode() in data

    def _messages(self) -> Iterator[dict[str, Any]]:
        for message in self.chat.messages():
            if message["id"] <= 0:
                self.result.skipped += 1
                self.progress.advance(1)
                continue
            yield message

    def _store(self, converted: Converted, group: list[dict]) -> None:
        """Copy the post's files, merge it with the stored one and write it if it changed."""
        post = converted.post
        mimes = [str(m.get("mime_type") or "") for m in group if m.get("file") or m.get("photo")]
        for ref in converted.files:
            item = post.media[ref.index]
            mime = mimes[ref.index] if ref.index < len(mimes) and ref.role == "file" else None
            self._copy(post, item, ref.index, ref.role, ref.path, mime)
        self.result.unknown.update(converted.unknown_keys)
        stored = self._read_stored(post.id)
        merged = merge_post(post, stored, self.dir, source="import")
        for item in merged.media:
            item.url = item.url or merged.source  # as the scraper does: the item's page on Telegram
            if item.file:
                item.not_exported = False
        path = content.post_path(self.dir, merged.id)
        changed = write_if_changed(path, content.format_post(merged).encode("utf-8"), durable=False)
        if stored is None and merged.id not in self.stored:
            self.result.new += 1
            self.stored.add(merged.id)
        elif changed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1

    def _copy(self, post: Post, item: Media, index: int, role: str, relative: str, mime: str | None) -> None:
        """Copy one export file into the archive under the scraper's name; note what went wrong."""
        if is_placeholder(relative):
            if role == "file":
                item.not_exported = True
                self.result.not_included += 1
            return
        try:
            source = resolve_file(self.export.root, self.real_root, relative)
        except FileProblem as exc:
            if role == "file":
                item.not_exported = True
            if exc.kind == "refused":
                self.result.refused += 1
                self._warn("refused", f"message {post.id}: {exc}")
            elif role == "file":
                self.result.missing += 1
                self._warn("missing", f"message {post.id}: {exc}")
            return
        relative_target = f"{item_stem(post.id, index, role)}.{media_extension(source, mime)}"
        target = self.dir / relative_target
        try:
            same = target.stat().st_size == source.stat().st_size
        except FileNotFoundError:
            same = False
        if same:
            self.result.media_kept += 1
        else:
            atomic_copy(source, target, durable=False)
            self.result.media += 1
        if role == "thumb":
            item.thumb = relative_target
        else:
            item.file = relative_target

    def _warn(self, kind: str, text: str) -> None:
        count = sum(1 for w in self.result.warnings if w.startswith(kind))
        if count < MAX_WARNINGS:
            self.result.warnings.append(f"{kind}: {text}")

    def _read_stored(self, post_id: int) -> Post | None:
        """The stored post with this id, or None (a broken file is replaced, with a warning)."""
        return read_stored(self.dir, post_id, self.stored, self.result.warnings)

    def _write_channel(self, ids: list[int]) -> None:
        """channel.yml: the chat's title and type (a scraped header wins) and the ids now archived."""
        channel = content.read_channel(self.dir) if (self.dir / content.CHANNEL_FILE).exists() else None
        if channel is None:
            channel = Channel(username=self.info.channel)
        if not channel.title:
            saved = self.chat.type == "saved_messages"
            channel.title = self.chat.name or ("Saved Messages" if saved else None)
        if self.chat.type:
            channel.extra.setdefault(CHAT_TYPE, self.chat.type)
        if self.chat.bare_id:
            channel.extra.setdefault(CHAT_ID, self.chat.bare_id)
        if ids:
            ranges = load_ranges(channel, self.stored - set(ids))
            channel.extra[SCRAPED_IDS] = add_range(ranges, min(ids), max(ids))
        write_if_changed(self.dir / content.CHANNEL_FILE, content.format_channel(channel).encode("utf-8"))


# --- the stage ------------------------------------------------------------------------------------------


def import_chats(
    cfg: Config,
    export: Export,
    chats: list[Chat],
    channel: str | None = None,
    progress: ProgressSink | None = None,
) -> list[ImportResult]:
    """Import each chat into its content folder; everything is checked before the first write."""
    if channel is not None and len(chats) > 1:
        raise ExportError("--channel names one folder: import one chat at a time, or leave --channel out")
    plans = []
    for chat in chats:
        check_messages(export.file, chat)
        name = folder_name(chat, channel)
        public = channel is not None and chat.type in PUBLIC_TYPES
        plans.append((chat, name, public))
    names = [name for _, name, _ in plans]
    if len(set(names)) < len(names):
        raise ExportError(
            f"{export.file}: two chats would share one folder ({names}); import them one by one"
        )
    results = []
    for chat, name, public in plans:
        job = ChatImport(cfg, export, chat, name, public, progress or NoProgress())
        results.append(job.run())
    return results
