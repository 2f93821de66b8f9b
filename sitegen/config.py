"""``sitegen.toml`` -> a frozen :class:`Config`. Every setting has its one default here.

Every error names the file and the key, so ``sitegen`` can print it on one line.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sitegen import i18n
from sitegen.errors import SitegenError

CONFIG_FILE = "sitegen.toml"


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
        scrape_values = {k: values.pop(k) for k in list(values) if k in _field_types(ScrapeConfig)}
        cfg = dataclasses.replace(self, **values)
        if scrape_values:
            cfg = dataclasses.replace(cfg, scrape=dataclasses.replace(cfg.scrape, **scrape_values))
        _check_values(cfg, "command line")
        return cfg


def _field_types(cls: type) -> dict[str, Any]:
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return {k: v for k, v in hints.items() if k not in ("scrape", "root")}


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
    types = _field_types(cls)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in types:
            known = ", ".join(sorted(types))
            raise ConfigError(f"{source}: unknown key '{table}{key}' (known keys: {known})")
        values[key] = _convert(source, table, key, str(types[key]), value)
    return values


def _check_values(cfg: Config, source: str) -> None:
    languages = i18n.available()
    if cfg.language not in languages:
        raise ConfigError(f"{source}: language must be one of {', '.join(languages)}, not {cfg.language!r}")
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{source}: timezone {cfg.timezone!r} is not a known time zone, like Europe/Moscow"
        ) from None
    if cfg.posts_per_page < 1:
        raise ConfigError(f"{source}: posts_per_page must be at least 1")
    if cfg.base_url and not cfg.base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{source}: base_url must start with http:// or https://, not {cfg.base_url!r}")
    if cfg.scrape.refresh < 0 or cfg.scrape.limit < 0:
        raise ConfigError(f"{source}: scrape.refresh and scrape.limit cannot be negative")
    if cfg.scrape.delay < 0 or cfg.scrape.timeout <= 0 or cfg.scrape.retries < 1:
        raise ConfigError(
            f"{source}: scrape.delay >= 0, scrape.timeout > 0 and scrape.retries >= 1 are needed"
        )


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
    cfg = Config(**values, scrape=scrape, root=root)
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
        return Config(root=root)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    return parse_config(text, str(path), root=path.parent)
