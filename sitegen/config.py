"""``sitegen.toml`` -> a frozen :class:`Config`. Every setting has its one default here.

Every error names the file and the key, so ``sitegen`` can print it on one line.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sitegen import i18n
from sitegen.errors import SitegenError

CONFIG_FILE = "sitegen.toml"
MAX_PER_PAGE = 1000
BASE_URL_WARNING = (
    "base_url is not set: no Atom feeds, sitemap.xml, robots.txt, canonical or og:image URLs "
    "(set base_url in sitegen.toml or pass --base-url)"
)


class ConfigError(SitegenError):
    """A setting that cannot be used: the message names the file and the key."""


@dataclass(frozen=True)
class ScrapeConfig:
    """Settings of ``sitegen scrape`` (the ``[scrape]`` table)."""

    channels: tuple[str, ...] = ()  # channels scraped when none are named on the command line
    telegram_url: str = "https://t.me"  # where the web preview lives; tests point it at a local server
    limit: int = 0  # at most this many new posts per channel and run; 0 = the whole history
    refresh: int = 50  # re-read the newest N posts to pick up edits, views, reactions, deletions
    media: bool = True  # download photos, videos, voice notes...
    max_media_size: int = 50_000_000  # bytes; larger files are recorded as links only
    delay: float = 1.0  # seconds between page requests
    timeout: float = 30.0  # seconds before a request counts as hung
    retries: int = 5  # attempts per request on 429, 5xx, time-outs and resets
    media_workers: int = 3  # media downloads at a time


@dataclass(frozen=True)
class Config:
    """Everything that shapes a build. CLI options override the file; the file overrides defaults."""

    content: str = "content"  # the archive of record
    output: str = "output"  # the built site
    templates: str = "templates"  # your theme overrides, looked up before the built-in theme
    base_url: str = ""  # e.g. https://user.github.io/repo/ ; needed for feeds, sitemap, canonical URLs
    title: str = ""  # the site's title when content/ holds several channels
    language: str = "en"  # UI strings and date formats: a file in sitegen/i18n/ (en, ru)
    timezone: str = "UTC"  # dates on pages are shown in this zone
    posts_per_page: int = 20
    search: bool = True  # build the Pagefind search index
    scrape: ScrapeConfig = field(default_factory=ScrapeConfig)
    root: Path = Path(".")  # the folder the relative paths above are resolved against
    source: str = field(default=CONFIG_FILE, compare=False, repr=False)  # the settings file, for errors
    file_keys: frozenset[str] = field(default=frozenset(), compare=False, repr=False)  # keys set in it

    @property
    def content_dir(self) -> Path:
        """The content folder as a path."""
        return self.root / self.content

    @property
    def output_dir(self) -> Path:
        """The output folder as a path."""
        return self.root / self.output

    @property
    def templates_dir(self) -> Path:
        """The site's own template folder as a path (it may not exist)."""
        return self.root / self.templates

    def with_overrides(self, **values: Any) -> Config:
        """Return a copy with the given settings replaced; ``None`` values are ignored."""
        values = {k: v for k, v in values.items() if v is not None}
        scrape_values = {k: values.pop(k) for k in list(values) if k in setting_types(ScrapeConfig)}
        overridden = frozenset(values) | frozenset(scrape_values)
        cfg = dataclasses.replace(self, **values)
        if scrape_values:
            cfg = dataclasses.replace(cfg, scrape=dataclasses.replace(cfg.scrape, **scrape_values))
        _check_values(cfg, self.source, overridden)
        return cfg


def setting_types(cls: type) -> dict[str, Any]:
    """The keys a settings table may hold (``Config`` or ``ScrapeConfig``) and their type names."""
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return {k: v for k, v in hints.items() if k not in ("scrape", "root", "source", "file_keys")}


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "tuple[str, ...]": (list,),
}
_TYPE_WORDS = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false"}


def _convert(source: str, table: str, key: str, type_name: str, value: Any) -> Any:
    where = f"{source}: {table}{key}"
    ok = _TYPES[type_name]
    if isinstance(value, bool) and type_name != "bool":
        ok = ()
    if not isinstance(value, ok):
        word = _TYPE_WORDS.get(type_name, "a list of text")
        raise ConfigError(f"{where} must be {word}, not {value!r}")
    if type_name == "tuple[str, ...]":
        if not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where} must be a list of text")
        return tuple(value)
    if type_name == "float":
        return float(value)
    return value


def _read_table(source: str, table: str, data: dict[str, Any], cls: type) -> dict[str, Any]:
    types = setting_types(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in types:
            known = ", ".join(sorted(types))
            raise ConfigError(f"{source}: unknown key '{table}{key}' (known keys: {known})")
        values[key] = _convert(source, table, key, str(types[key]), value)
    return values


# The command-line option of each setting that has one: errors name what the user typed.
OPTIONS = {
    "content": "--content",
    "output": "--output",
    "base_url": "--base-url",
    "search": "--no-search",
    "limit": "--limit",
    "refresh": "--refresh",
    "media": "--no-media",
    "telegram_url": "--telegram-url",
}
PACKAGE_DIR = Path(__file__).resolve().parent  # sitegen's own code, theme and strings


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a site's or Telegram's address, or None when it can."""
    if url != url.strip() or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "has spaces or control characters"
    if not url.lower().startswith(("http://", "https://")):
        return "must start with http:// or https://"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    host = parts.hostname or ""
    if not host or not re.fullmatch(r"[\w.-]+|[0-9a-f:.]+", host, re.IGNORECASE) or port == 0:
        return "needs a host name, like https://example.org/"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "cannot have a ?query or #fragment (every page's address is built on it)"
    if parts.username is not None or parts.password is not None:
        return "cannot hold a user name or password"
    return None


def _overlap(first: Path, second: Path) -> bool:
    """Whether two folders are the same or one holds the other."""
    return first == second or first in second.parents or second in first.parents


def check_folders(cfg: Config, name: Any) -> None:
    """Refuse an output folder that is (or holds, or sits in) a folder sitegen reads, and files as folders."""
    for key in ("content", "output", "templates"):
        value = getattr(cfg, key)
        if not value or "\x00" in value:
            raise ConfigError(f"{name(key)} must name a folder, not {value!r}")
        path = cfg.root / value
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{name(key)} '{path}' is a file, not a folder: pass another folder")
    out = cfg.output_dir.resolve()
    read = {
        "content": (f"the content folder {name('content')} = {cfg.content!r}", cfg.content_dir.resolve()),
        "templates": (
            f"the templates folder {name('templates')} = {cfg.templates!r}",
            cfg.templates_dir.resolve(),
        ),
        "": ("sitegen's own package", PACKAGE_DIR),
    }
    for what, folder in read.values():
        if _overlap(out, folder):
            raise ConfigError(
                f"the output folder {name('output')} = {cfg.output!r} overlaps {what} ('{folder}'), "
                "which sitegen reads: use separate folders (the default output folder is output)"
            )


def _check_values(cfg: Config, source: str, overridden: frozenset[str] = frozenset()) -> None:
    """Check every setting's range; the message names the option or the file and key, and the value."""

    def name(key: str) -> str:
        if key in overridden and key in OPTIONS:
            return OPTIONS[key]
        table = "scrape." if key in setting_types(ScrapeConfig) else ""
        return f"{source}: {table}{key}" if table + key in cfg.file_keys else f"{table}{key}"

    languages = i18n.available()
    if cfg.language not in languages:
        raise ConfigError(f"{name('language')} must be one of {', '.join(languages)}, not {cfg.language!r}")
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{name('timezone')}: {cfg.timezone!r} is not a known time zone, like Europe/Moscow or UTC"
        ) from None
    if cfg.posts_per_page < 1 or cfg.posts_per_page > MAX_PER_PAGE:
        raise ConfigError(f"{name('posts_per_page')} must be 1 to {MAX_PER_PAGE}, not {cfg.posts_per_page}")
    if cfg.base_url and (problem := _url_problem(cfg.base_url)):
        raise ConfigError(
            f"{name('base_url')} {problem}, not {cfg.base_url!r} (e.g. https://user.github.io/repo/)"
        )
    if problem := _url_problem(cfg.scrape.telegram_url):
        raise ConfigError(
            f"{name('telegram_url')} {problem}, not {cfg.scrape.telegram_url!r} (default https://t.me)"
        )
    s = cfg.scrape
    ranges = [
        ("limit", s.limit, s.limit >= 0, "0 or more (0 = the whole history)"),
        ("refresh", s.refresh, s.refresh >= 0, "0 or more"),
        ("max_media_size", s.max_media_size, s.max_media_size >= 0, "0 or more bytes"),
        ("delay", s.delay, 0 <= s.delay <= 3600, "0 to 3600 seconds"),
        ("timeout", s.timeout, 0 < s.timeout <= 3600, "more than 0 and at most 3600 seconds"),
        ("retries", s.retries, 1 <= s.retries <= 100, "1 to 100"),
        ("media_workers", s.media_workers, 1 <= s.media_workers <= 32, "1 to 32"),
    ]
    for key, value, ok, allowed in ranges:
        if not ok or (isinstance(value, float) and not math.isfinite(value)):
            raise ConfigError(f"{name(key)} must be {allowed}, not {value!r}")
    for channel in s.channels:
        if not channel.strip():
            raise ConfigError(f"{name('channels')} holds an empty name")
    check_folders(cfg, name)


def parse_config(text: str, source: str = CONFIG_FILE, root: Path = Path(".")) -> Config:
    """Parse the text of a sitegen.toml; ``source`` names the file in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    scrape_data = data.pop("scrape", {})
    if not isinstance(scrape_data, dict):
        raise ConfigError(f"{source}: scrape must be a table: [scrape]")
    values = _read_table(source, "", data, Config)
    scrape = ScrapeConfig(**_read_table(source, "scrape.", scrape_data, ScrapeConfig))
    keys = frozenset(values) | frozenset(f"scrape.{key}" for key in scrape_data)
    cfg = Config(**values, scrape=scrape, root=root, source=source, file_keys=keys)
    _check_values(cfg, source)
    return cfg


def load_config(path: Path | None = None, root: Path | None = None) -> Config:
    """Load ``sitegen.toml`` (by default from the current folder); defaults when there is none."""
    root = root if root is not None else Path(".")
    explicit = path is not None
    path = path if path is not None else root / CONFIG_FILE
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: no such config file")
        return Config(root=root, source="")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path), root=path.parent)
