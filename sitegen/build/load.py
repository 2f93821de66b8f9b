"""Build step 1: read the content tree (every channel, every post) into memory."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sitegen.content import MEDIA_DIR, channel_dirs, read_channel
from sitegen.errors import SitegenError
from sitegen.model import Channel


class BuildError(SitegenError):
    """The build cannot go on: bad content, a bad output folder, a failing step."""


@dataclass
class ChannelSource:
    """One channel folder as read from disk: its header, its posts (oldest first: each a
    :class:`sitegen.build.cache.PostEntry`), its media files."""

    channel: Channel
    dir: Path
    posts: list[Any]
    media_files: dict[str, int] = field(default_factory=dict)  # path relative to the channel folder -> inode


def file_inodes(folder: Path) -> dict[str, int]:
    """Every file below ``folder``: its path relative to it (sorted) -> its inode as the folder
    lists it (os.scandir: no system call per file)."""
    found: dict[str, int] = {}
    stack = [("", str(folder))]
    while stack:
        prefix, current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except (FileNotFoundError, NotADirectoryError, PermissionError):  # as rglob: skipped
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((f"{prefix}{entry.name}/", entry.path))
            elif entry.is_file():
                found[prefix + entry.name] = entry.inode()
    return dict(sorted(found.items()))


def list_media(channel_dir: Path) -> dict[str, int]:
    """Every file below the channel's media folder: its path relative to the channel folder -> its inode."""
    return {f"{MEDIA_DIR}/{name}": inode for name, inode in file_inodes(channel_dir / MEDIA_DIR).items()}


def check_distinct_names(names: list[str], content_dir: Path) -> None:
    """Refuse two channel folders whose names differ only in case: Telegram names ignore case."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(name.lower(), name)
        if other != name:
            raise BuildError(
                f"'{content_dir}/{other}' and '{content_dir}/{name}' are the same Telegram channel "
                "(names ignore case): merge them into one folder"
            )


def load_content(
    content_dir: Path,
    read: Callable[[Path], list[Any]],
    failures: dict[str, str] | None = None,
    media: Callable[[Path], dict[str, int]] = list_media,
) -> list[ChannelSource]:
    """Read every channel of a content tree; a broken post stops with one line naming the file.

    ``read`` reads one channel folder's posts (the build cache's reader), ``media`` lists its
    media files. With
    ``failures``, a channel that cannot be read (its channel.yml, a post) is left out and its
    error recorded there by folder name, so the other channels still build.
    """
    if not content_dir.is_dir():
        raise BuildError(
            f"content folder '{content_dir}' not found: "
            "run 'sitegen scrape CHANNEL' first, or pass --content DIR"
        )
    sources = []
    first: SitegenError | None = None  # the first channel's error, raised when no channel is left
    folders = channel_dirs(content_dir)
    check_distinct_names([folder.name for folder in folders], content_dir)
    for channel_dir in folders:
        try:
            channel = read_channel(channel_dir)
            channel.username = channel_dir.name
            posts = read(channel_dir)
        except SitegenError as exc:
            if failures is None:
                raise
            failures[channel_dir.name] = str(exc)
            first = first or exc
            continue
        sources.append(ChannelSource(channel, channel_dir, posts, media(channel_dir)))
    if first is not None and not sources:
        if len(failures or ()) == 1:
            raise first
        raise BuildError("no channel could be read: " + "; ".join((failures or {}).values()))
    if not sources:
        raise BuildError(
            f"no channels in '{content_dir}' yet: run 'sitegen scrape CHANNEL' to fill it "
            f"(a channel is a folder like {content_dir}/<channel>/posts/<id>.md)"
        )
    return sources
