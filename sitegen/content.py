"""Read and write the content format: ``content/<channel>/posts/<id>.md`` and ``channel.yml``.

A post file is YAML front matter between two ``---`` lines, then the message text as Markdown.
Writing is canonical (a fixed key order, empty values left out) and atomic, so load -> save gives
the same bytes for every file sitegen wrote. Unknown keys are kept in ``extra`` and written back.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sitegen.errors import SitegenError
from sitegen.files import atomic_write_text
from sitegen.model import Channel, Post

try:  # the C loader is 4-5x faster; the pure one is the fallback
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

CHANNEL_FILE = "channel.yml"
POSTS_DIR = "posts"
MEDIA_DIR = "media"
FENCE = "---\n"

# Telegram usernames are 5-32 characters; we accept a little more but never a path.
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


class ContentError(SitegenError):
    """A content file that cannot be read: the message names the file and the problem."""


class _Dumper(yaml.SafeDumper):
    """A YAML dumper that writes datetimes as ISO 8601 with a ``T`` and keeps the offset.

    It is the pure-Python dumper on purpose: libyaml escapes emoji as ``\\U0001F44D``,
    and these files are meant to be read and diffed by people.
    """


def _represent_datetime(dumper: yaml.BaseDumper, value: datetime) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


def _represent_str(dumper: yaml.BaseDumper, value: str) -> yaml.Node:
    """Multi-line text as a readable ``|`` block; PyYAML falls back to quotes where a block can't hold it.

    A raw NEL (U+0085) reads back as a line break (folded to a space inside quotes), so text with
    one is double-quoted, where it is written as the escape ``\\N``.
    """
    style = '"' if "\x85" in value else ("|" if "\n" in value else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(datetime, _represent_datetime)
_Dumper.add_representer(str, _represent_str)


def is_channel_name(name: str) -> bool:
    """Tell whether ``name`` is usable as a channel folder (letters, digits, underscore)."""
    return bool(_CHANNEL_NAME.match(name))


# --- dataclass <-> plain data -----------------------------------------------------------------


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def to_data(obj: Any) -> Any:
    """Turn a model object into plain YAML data, leaving out empty optional values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if f.name == "extra" or (f.name == "text" and isinstance(obj, Post)):
                continue
            value = getattr(obj, f.name)
            if value is None or value is False or value == [] or value == {}:
                continue
            out[f.name] = to_data(value)
        for key, value in getattr(obj, "extra", {}).items():
            if key not in out:
                out[key] = value
        return out
    if isinstance(obj, list):
        return [to_data(item) for item in obj]
    return obj


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def from_data(tp: Any, value: Any, where: str) -> Any:
    """Build a value of type ``tp`` from YAML data; raise ContentError naming ``where`` on a mismatch."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return from_data(args[0], value, where)
    if origin is list:
        if not isinstance(value, list):
            raise ContentError(f"{where}: expected a list")
        (item_tp,) = typing.get_args(tp)
        return [from_data(item_tp, item, f"{where}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ContentError(f"{where}: expected a mapping")
        return value
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        return _dataclass_from_data(tp, value, where)
    if tp is datetime:
        return _parse_datetime(value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ContentError(f"{where}: expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContentError(f"{where}: expected a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ContentError(f"{where}: expected a number")
        return float(value)
    if tp is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise ContentError(f"{where}: expected text")
        return value
    raise ContentError(f"{where}: unsupported type {_type_name(tp)}")  # pragma: no cover


def _dataclass_from_data(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise ContentError(f"{where}: expected a mapping")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, item in value.items():
        key = str(key)
        if key in names and key != "extra" and not (key == "text" and cls is Post):
            kwargs[key] = from_data(hints[key], item, f"{where}.{key}" if where else key)
        elif "extra" in names:
            extra[key] = item
        else:
            raise ContentError(f"{where}: unknown key {key!r}")
    for f in dataclasses.fields(cls):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and f.name not in kwargs:
            label = f"{where}.{f.name}" if where else f.name
            raise ContentError(f"missing required key {label!r}")
    if "extra" in names:
        kwargs["extra"] = extra
    return cls(**kwargs)


def _parse_datetime(value: Any, where: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ContentError(f"{where}: not an ISO 8601 date-time: {value!r}") from None
    if not isinstance(value, datetime):
        raise ContentError(
            f"{where}: expected an ISO 8601 date-time with offset, like 2024-03-14T09:30:00+00:00"
        )
    if value.tzinfo is None:
        raise ContentError(f"{where}: the date-time needs a UTC offset, like +00:00")
    return value


# --- posts ------------------------------------------------------------------------------------


def split_front_matter(text: str) -> tuple[str, str]:
    """Split a post file into its YAML front matter and its Markdown body."""
    text = text.replace("\r\n", "\n")
    if not text.startswith(FENCE):
        raise ContentError("does not start with a '---' front-matter line")
    end = text.find("\n" + FENCE, len(FENCE) - 1)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise ContentError("front matter is not closed by a '---' line")
    header = text[len(FENCE) : end + 1]
    body = text[end + 1 + len(FENCE) :]
    if body.endswith("\n"):
        body = body[:-1]
    return header, body


def parse_post(text: str) -> Post:
    """Parse the text of a post file into a :class:`Post`."""
    header, body = split_front_matter(text)
    try:
        data = yaml.load(header, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContentError(f"front matter is not valid YAML{line}: {problem}") from None
    if not isinstance(data, dict):
        raise ContentError("front matter must be a mapping of keys to values")
    post: Post = from_data(Post, data, "")
    post.text = body
    return post


def format_post(post: Post) -> str:
    """Render a post as the text of its file: canonical key order, empty values left out."""
    data = to_data(post)
    data = {"id": post.id, "channel": post.channel, "date": post.date, **data}
    if not post.channel:
        del data["channel"]
    header = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000)
    body = post.text + "\n" if post.text else ""
    return FENCE + header + FENCE + body


def post_path(channel_dir: Path, post_id: int) -> Path:
    """Where the file of post ``post_id`` lives inside a channel folder."""
    return channel_dir / POSTS_DIR / f"{int(post_id)}.md"


def read_post(path: Path) -> Post:
    """Read one post file; errors name the file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_post_file(path, data)


def parse_post_file(path: Path, data: bytes) -> Post:
    """Parse the bytes of the post file at ``path`` (already read); errors name the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentError(f"{path}: not UTF-8 text") from None
    try:
        post = parse_post(text)
    except ContentError as exc:
        raise ContentError(f"{path}: {exc}") from None
    if not path.stem.isdigit() or int(path.stem) != post.id:
        raise ContentError(
            f"{path}: id {post.id} does not match the file name (post files are named <id>.md)"
        )
    return post


def write_post(channel_dir: Path, post: Post) -> Path:
    """Write a post into its channel folder atomically and return the file's path."""
    path = post_path(channel_dir, post.id)
    atomic_write_text(path, format_post(post))
    return path


def read_posts(channel_dir: Path) -> list[Post]:
    """Read every post of a channel folder, oldest first."""
    posts_dir = channel_dir / POSTS_DIR
    if not posts_dir.is_dir():
        return []
    posts = [read_post(p) for p in posts_dir.glob("*.md")]
    posts.sort(key=lambda p: p.id)
    return posts


def post_ids(channel_dir: Path) -> set[int]:
    """The ids of the posts stored for a channel, from the file names alone."""
    posts_dir = channel_dir / POSTS_DIR
    if not posts_dir.is_dir():
        return set()
    return {int(p.stem) for p in posts_dir.glob("*.md") if p.stem.isdigit()}


# --- channels ---------------------------------------------------------------------------------


def parse_channel(text: str, username: str) -> Channel:
    """Parse the text of channel.yml; ``username`` (the folder name) fills a missing username."""
    try:
        data = yaml.load(text, Loader=_Loader) if text.strip() else {}
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContentError(f"not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise ContentError("must be a mapping of keys to values")
    data.setdefault("username", username)
    return from_data(Channel, data, "")


def format_channel(channel: Channel) -> str:
    """Render channel.yml's text."""
    return yaml.dump(to_data(channel), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000)


def read_channel(channel_dir: Path) -> Channel:
    """Read a channel folder's channel.yml, or make a bare header from the folder name."""
    path = channel_dir / CHANNEL_FILE
    if not path.exists():
        return Channel(username=channel_dir.name)
    try:
        return parse_channel(path.read_text(encoding="utf-8"), channel_dir.name)
    except ContentError as exc:
        raise ContentError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot read: {exc}") from None


def write_channel(channel_dir: Path, channel: Channel) -> Path:
    """Write channel.yml atomically."""
    path = channel_dir / CHANNEL_FILE
    atomic_write_text(path, format_channel(channel))
    return path


def channel_dirs(content_dir: Path) -> list[Path]:
    """The channel folders of a content tree, sorted by name; hidden and odd names are skipped."""
    if not content_dir.is_dir():
        return []
    found = []
    for child in sorted(content_dir.iterdir()):
        is_channel = (child / POSTS_DIR).is_dir() or (child / CHANNEL_FILE).exists()
        if child.is_dir() and is_channel_name(child.name) and is_channel:
            found.append(child)
    return found
