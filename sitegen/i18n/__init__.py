"""UI strings and date formats of the built site, one TOML file per language."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Language:
    """One language's strings and date patterns."""

    code: str
    data: dict[str, Any]

    def t(self, key: str, **values: Any) -> str:
        """The UI string ``key``, with ``{name}`` placeholders filled in; the key itself if unknown."""
        text = self.data["strings"].get(key, key)
        return text.format(**values) if values else text

    def date(self, value: datetime) -> str:
        """A date such as "March 14, 2024" / "14 марта 2024"."""
        month = self.data["months_genitive"][value.month - 1]
        return self.data["date_format"].format(day=value.day, month=month, year=value.year)

    def datetime(self, value: datetime) -> str:
        """A date with the time of day, minutes precision."""
        month = self.data["months_genitive"][value.month - 1]
        time = value.strftime("%H:%M")
        return self.data["datetime_format"].format(day=value.day, month=month, year=value.year, time=time)

    def month(self, year: int, month: int) -> str:
        """A month heading such as "March 2024"."""
        return self.data["month_format"].format(month=self.data["months"][month - 1], year=year)


def available() -> list[str]:
    """The language codes that have a strings file."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".toml"))


@cache
def load(code: str) -> Language:
    """Load a language by code (``en``, ``ru``...)."""
    text = resources.files(__package__).joinpath(f"{code}.toml").read_text(encoding="utf-8")
    return Language(code, tomllib.loads(text))
