"""UI languages: every language file has every string the English one has, with the same placeholders."""

from __future__ import annotations

import string
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sitegen import i18n


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", [c for c in i18n.available() if c != "en"])
def test_language_file_has_every_english_string(code: str) -> None:
    english, other = i18n.load("en").data, i18n.load(code).data
    assert set(other["strings"]) == set(english["strings"])
    for key, text in english["strings"].items():
        assert placeholders(other["strings"][key]) == placeholders(text), key
    for key in ("months", "months_genitive"):
        assert len(other[key]) == 12
    for key in ("date_format", "datetime_format", "month_format", "locale", "name"):
        assert other[key], key


def test_dates_follow_the_language() -> None:
    moment = datetime(2024, 3, 25, 9, 0, tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Moscow"))
    assert i18n.load("ru").datetime(moment) == "25 марта 2024, 12:00"
    assert i18n.load("en").date(moment) == "March 25, 2024"
    assert i18n.load("ru").month(2024, 3) == "Март 2024"
