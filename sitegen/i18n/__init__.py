"""UI strings and date formats of the built site, one TOML file per language.

A string that depends on a count is a table of plural forms (see :mod:`sitegen.i18n.plural`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from sitegen.i18n.plural import choose_form


@dataclass(frozen=True)
class Language:
    """One language's strings and date patterns."""

    code: str
    data: dict[str, Any]

    def t(self, key: str, **values: Any) -> str:
        """The UI string ``key``, with ``{name}`` placeholders filled in; the key itself if unknown.

        A string with plural forms takes the form for ``n`` ("1 subscriber", "5 подписчиков").
        """
        text = self.data["strings"].get(key, key)
        if isinstance(text, dict):
            text = choose_form(text, self.code, values.get("n"))
        return text.format(**values) if values else text

    def date(self, value: datetime) -> str:
        """A date such as "March 14, 2024" / "14 марта 2024"."""
        month = self.data["months_genitive"][value.month - 1]
        return self.data["date_format"].format(day=value.day, month=month, year=value.year)

    def datetime(self, value: datetime) -> str:
        """A date with the time of day and its time zone, e.g. "14 марта 2024, 12:30 UTC+3"."""
        month = self.data["months_genitive"][value.month - 1]
        time = f"{value.hour:02d}:{value.minute:02d} {zone_label(value)}"
        return self.data["datetime_format"].format(day=value.day, month=month, year=value.year, time=time)

    def month(self, year: int, month: int) -> str:
        """A month on its own, as a heading or link: "March 2024" / "Март 2024"."""
        return self.data["month_format"].format(month=self.data["months"][month - 1], year=year)

    def month_in_text(self, year: int, month: int) -> str:
        """A month inside a sentence: "Posts of March 2024" / "Записи за март 2024" (lower case in ru)."""
        name = self.data["months"][month - 1]
        if self.data.get("months_lowercase_in_text"):
            name = name.lower()
        return self.data["month_format"].format(month=name, year=year)


def zone_label(value: datetime) -> str:
    """The time zone of an aware date-time as its UTC offset: "UTC", "UTC+3", "UTC-4", "UTC+5:30"."""
    return _offset_label(value.utcoffset())


@cache  # a site has a few offsets and 100,000 dates
def _offset_label(offset: timedelta | None) -> str:
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def available() -> list[str]:
    """The language codes that have a strings file."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".toml"))


@cache
def load(code: str) -> Language:
    """Load a language by code (``en``, ``ru``...)."""
    text = resources.files(__package__).joinpath(f"{code}.toml").read_text(encoding="utf-8")
    return Language(code, tomllib.loads(text))
