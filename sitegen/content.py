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
from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache
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


class _Mismatch(Exception):
    """A value that does not fit its type; ``path`` collects where it sits, innermost part first."""

    def __init__(self, problem: str, missing: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.missing = missing  # set for a required key that is not there
        self.path: list[str] = []


def from_data(tp: Any, value: Any, where: str) -> Any:
    """Build a value of type ``tp`` from YAML data; raise ContentError naming ``where`` on a mismatch."""
    try:
        return _converter(tp)(value)
    except _Mismatch as exc:
        inner = "".join(reversed(exc.path))
        label = f"{where}{inner}" if where else inner.removeprefix(".")
        if exc.missing:
            raise ContentError(
                f"missing required key {f'{label}.{exc.missing}' if label else exc.missing!r}"
            ) from None
        raise ContentError(f"{label}: {exc.problem}") from None


@cache
def _converter(tp: Any) -> Callable[[Any], Any]:
    """A function that checks and converts YAML data to ``tp``, made once per type (typing is slow)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = _converter([a for a in typing.get_args(tp) if a is not type(None)][0])
        return lambda value: None if value is None else inner(value)
    if origin is list:
        return _list_converter(_converter(typing.get_args(tp)[0]))
    if origin is dict:
        return _check(dict, "expected a mapping")
    if tp is Any:
        return lambda value: value
    if dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)  # type: ignore[arg-type]
    simple = {datetime: _to_datetime, bool: _to_bool, int: _to_int, float: _to_float, str: _to_str}
    if tp in simple:
        return simple[tp]
    raise ContentError(f"unsupported type {_type_name(tp)}")  # pragma: no cover


def _check(kind: type, problem: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if not isinstance(value, kind):
            raise _Mismatch(problem)
        return value

    return convert


def _list_converter(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _Mismatch("expected a list")
        out = []
        for i, element in enumerate(value):
            try:
                out.append(item(element))
            except _Mismatch as exc:
                exc.path.append(f"[{i}]")
                raise
        return out

    return convert


def _dataclass_converter(cls: type) -> Callable[[Any], Any]:
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    has_extra = "extra" in names
    fields = {
        name: _converter(hints[name])
        for name in names
        if name != "extra" and not (name == "text" and cls is Post)
    }
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]

    def convert(value: Any) -> Any:
        if not isinstance(value, dict):
            raise _Mismatch("expected a mapping")
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                key = str(key)
            field_converter = fields.get(key)
            if field_converter is not None:
                try:
                    kwargs[key] = field_converter(item)
                except _Mismatch as exc:
                    exc.path.append(f".{key}")
                    raise
            elif has_extra:
                extra[key] = item
            else:
                raise _Mismatch(f"unknown key {key!r}")
        for name in required:
            if name not in kwargs:
                raise _Mismatch("", missing=name)
        if has_extra:
            kwargs["extra"] = extra
        return cls(**kwargs)

    return convert


def _to_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Mismatch("expected true or false")
    return value


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Mismatch("expected a whole number")
    return value


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Mismatch("expected a number")
    return float(value)


def _to_str(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _Mismatch("expected text")
    return value


def _to_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _Mismatch(f"not an ISO 8601 date-time: {value!r}") from None
    if not isinstance(value, datetime):
        raise _Mismatch("expected an ISO 8601 date-time with offset, like 2024-03-14T09:30:00+00:00")
    if value.tzinfo is None:
        raise _Mismatch("the date-time needs a UTC offset, like +00:00")
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


# --- fast front matter -----------------------------------------------------------------------
# Most front matter is what sitegen writes: block mappings and lists with plain scalars. Reading that
# line by line is several times faster than YAML; anything else (quotes, | blocks, comments, flow
# style, odd spacing) is left to PyYAML. Plain scalars are typed by PyYAML's own resolver and
# constructors, so both readers give the same values (a property test holds them to it).


class _NotSimple(Exception):
    """Front matter outside the simple block style: read it with YAML."""


_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_STR_TAG = "tag:yaml.org,2002:str"
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp"))
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")  # what int() and YAML read alike
# Printable YAML characters less tabs and every character YAML 1.1 takes for a line break.
_PLAIN = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]+")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")  # and a space: YAML would skip it


def _scalar(text: str) -> Any:
    """The value of a one-line scalar as PyYAML reads it; _NotSimple when it may be anything else.

    Quoted ones are taken only without escapes: "..." without backslashes, '...' with ''.
    """
    if not text:
        raise _NotSimple
    first = text[0]
    if first == '"' or first == "'":
        inner = text[1:-1]
        if (
            len(text) < 2
            or text[-1] != first
            or (inner and not _PLAIN.fullmatch(inner))
            or (first == '"' and ('"' in inner or "\\" in inner))
            or (first == "'" and "'" in inner.replace("''", ""))
        ):
            raise _NotSimple
        return inner if first == '"' else inner.replace("''", "'")
    if first in _INDICATORS or text[-1] in " :" or ": " in text or " #" in text or not _PLAIN.fullmatch(text):
        raise _NotSimple
    if first not in _RESOLVER.yaml_implicit_resolvers:  # how PyYAML itself rules out other types
        return text
    if _DECIMAL.fullmatch(text):
        return int(text)
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))
    if tag == _STR_TAG:
        return text
    if tag not in _SCALAR_TAGS:
        raise _NotSimple
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))


@lru_cache(maxsize=1024)
def _is_key(text: str) -> bool:
    """Whether ``text`` reads as a plain-text key (not a number, bool or null)."""
    return bool(_KEY.fullmatch(text)) and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG


def _key(text: str) -> str:
    if not _is_key(text):
        raise _NotSimple
    return text


def _is_mapping_entry(text: str) -> bool:
    key, colon, rest = text.partition(":")
    return bool(colon) and (not rest or rest[0] == " ") and _KEY.fullmatch(key) is not None


def _block(rows: list[tuple[int, str]], i: int, indent: int) -> tuple[Any, int]:
    """The mapping or list starting at row ``i`` (at ``indent``), and the row after it."""
    if rows[i][1].startswith("- "):
        return _sequence(rows, i, indent)
    return _mapping(rows, i, indent)


def _mapping(rows: list[tuple[int, str]], i: int, indent: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    while i < len(rows):
        at, text = rows[i]
        if at < indent:
            break
        key, colon, rest = text.partition(":")
        if at > indent or not colon:
            raise _NotSimple
        key = _key(key)
        i += 1
        if rest:
            if rest[0] != " " or len(rest) < 2:
                raise _NotSimple
            out[key] = _scalar(rest[1:])
        elif i < len(rows) and rows[i][0] == indent and rows[i][1].startswith("- "):
            out[key], i = _sequence(rows, i, indent)  # a list under a key sits at the key's indent
        elif i < len(rows) and rows[i][0] > indent:
            out[key], i = _block(rows, i, rows[i][0])
        else:
            raise _NotSimple  # an empty value
    return out, i


def _sequence(rows: list[tuple[int, str]], i: int, indent: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    while i < len(rows):
        at, text = rows[i]
        if at < indent or (at == indent and not text.startswith("- ")):
            break
        if at > indent or text[2:3] == " ":
            raise _NotSimple
        item = text[2:]
        if item.startswith("- ") or _is_mapping_entry(item):
            rows[i] = (indent + 2, item)  # the item's first line, as if it stood on a line of its own
            value, i = _block(rows, i, indent + 2)
        else:
            value, i = _scalar(item), i + 1
        out.append(value)
    return out, i


def fast_front_matter(header: str) -> dict[str, Any] | None:
    """The front matter as YAML would read it, when it is in the simple block style; else None."""
    rows = []
    for line in header.split("\n"):
        text = line.lstrip(" ")
        if not text:
            if line:
                return None
            continue
        if text[0] in "#\t%" or text.startswith(("---", "...")):
            return None
        rows.append((len(line) - len(text), text))
    if not rows or rows[0][0] != 0:
        return None
    try:
        data, end = _mapping(rows, 0, 0)
    except (_NotSimple, ValueError, OverflowError):  # a bad value: YAML says what is wrong
        return None
    return data if end == len(rows) else None


def parse_post(text: str) -> Post:
    """Parse the text of a post file into a :class:`Post`."""
    header, body = split_front_matter(text)
    try:
        data = fast_front_matter(header)
        if data is None:
            data = yaml.load(header, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContentError(f"front matter is not valid YAML{line}: {problem}") from None
    except (ValueError, OverflowError) as exc:  # a date YAML reads but no calendar has: 2024-13-45
        raise ContentError(f"front matter has an impossible value: {exc}") from None
    if not isinstance(data, dict):
        raise ContentError("front matter must be a mapping of keys to values")
    post: Post = from_data(Post, data, "")
    post.text = body
    return post


# --- fast front matter writing ---------------------------------------------------------------------
# PyYAML's pure-Python emitter takes most of the time of writing a post. What sitegen writes is
# mostly block mappings and lists of plain scalars: those lines are written here directly, and
# anything else (quotes, | blocks, floats, nulls, empty lists) goes to PyYAML. A plain scalar is
# written as it is only when the fast reader above reads it back as the same string, which is
# stricter than PyYAML's own test; a property test holds the two writers to the same bytes.


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def _plain_text(value: Any) -> str:
    """A scalar exactly as PyYAML's block emitter writes it, when that is simple; else _NotSimple."""
    kind = type(value)
    if kind is str:
        if not value:
            return "''"
        if len(value) > 4000 or value.startswith("...") or "\U0010ffff" in value:
            raise _NotSimple
        if _scalar(value) != value:  # (also rules out text YAML would read as a number, bool, date)
            raise _NotSimple
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is datetime:
        text = value.isoformat()
        if _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _TIMESTAMP_TAG:
            raise _NotSimple
        return text
    raise _NotSimple


def _mapping_lines(mapping: dict[str, Any], indent: int, out: list[str], first: str | None = None) -> None:
    """Block mapping lines at ``indent``; ``first`` replaces the first line's indent (a "- " item)."""
    if not mapping:
        raise _NotSimple
    pad = " " * indent
    for i, (key, value) in enumerate(mapping.items()):
        if type(key) is not str or not _is_key(key):
            raise _NotSimple
        lead = first if i == 0 and first is not None else pad
        if isinstance(value, dict):
            out.append(f"{lead}{key}:\n")
            _mapping_lines(value, indent + 2, out)
        elif isinstance(value, list):
            out.append(f"{lead}{key}:\n")
            _sequence_lines(value, indent, out)
        else:
            out.append(f"{lead}{key}: {_plain_text(value)}\n")


def _sequence_lines(items: list[Any], indent: int, out: list[str], first: str | None = None) -> None:
    """Block sequence lines with their dashes at ``indent`` (PyYAML's indentless style in mappings)."""
    if not items:
        raise _NotSimple
    pad = " " * indent
    for i, item in enumerate(items):
        lead = first if i == 0 and first is not None else pad
        if isinstance(item, dict):
            _mapping_lines(item, indent + 2, out, first=lead + "- ")
        elif isinstance(item, list):
            _sequence_lines(item, indent + 2, out, first=lead + "- ")
        else:
            out.append(f"{lead}- {_plain_text(item)}\n")


def fast_dump(data: dict[str, Any]) -> str | None:
    """Front matter as ``yaml_dump`` writes it, when it is in the simple block style; else None."""
    out: list[str] = []
    try:
        _mapping_lines(data, 0, out)
    except (_NotSimple, ValueError, OverflowError):
        return None
    return "".join(out)


def yaml_dump(data: dict[str, Any]) -> str:
    """Front matter or channel.yml text: the fast writer when it can, PyYAML otherwise (same bytes)."""
    fast = fast_dump(data)
    if fast is not None:
        return fast
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000)


def format_post(post: Post) -> str:
    """Render a post as the text of its file: canonical key order, empty values left out."""
    data = to_data(post)
    data = {"id": post.id, "channel": post.channel, "date": post.date, **data}
    if not post.channel:
        del data["channel"]
    header = yaml_dump(data)
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
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ContentError(f"not valid YAML{line}: {problem}") from None
    except (ValueError, OverflowError) as exc:
        raise ContentError(f"has an impossible value: {exc}") from None
    if not isinstance(data, dict):
        raise ContentError("must be a mapping of keys to values")
    data.setdefault("username", username)
    return from_data(Channel, data, "")


def format_channel(channel: Channel) -> str:
    """Render channel.yml's text."""
    return yaml_dump(to_data(channel))


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
