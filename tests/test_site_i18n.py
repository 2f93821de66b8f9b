"""UI languages: every language file has every string the English one has, with the same placeholders;
plural forms follow CLDR's rules; dates name their months in the right case and their time zone."""

from __future__ import annotations

import string
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sitegen import i18n
from sitegen.build import build_site
from sitegen.config import Config
from sitegen.content import write_post
from sitegen.i18n.plural import plural_category
from sitegen.model import Post


def placeholders(text: str | dict[str, str]) -> set[str]:
    """The ``{name}`` fields of a format string (of every form of a plural string)."""
    forms = text.values() if isinstance(text, dict) else [text]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


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


@pytest.mark.parametrize("code", i18n.available())
def test_plural_strings_have_every_form_their_language_uses(code: str) -> None:
    used = {"en": {"one", "other"}, "ru": {"one", "few", "many", "other"}}[code]
    plural = {k: v for k, v in i18n.load(code).data["strings"].items() if isinstance(v, dict)}
    assert {"subscribers", "posts_count", "views", "voters", "tag_count", "month_count"} <= set(plural)
    for key, forms in plural.items():
        assert set(forms) == used, key


@pytest.mark.parametrize(
    ("n", "category"),
    [(0, "other"), (1, "one"), (2, "other"), (11, "other"), (21, "other"), (101, "other"), ("1.3K", "other")],
)
def test_english_plural_categories(n: object, category: str) -> None:
    assert plural_category("en", n) == category


def test_equal_counts_of_other_types_keep_their_own_category() -> None:
    """Categories are remembered per count: 1 is "one", but 1.0, "1.0" and True are not."""
    assert [plural_category("en", n) for n in (1, 1.0, "1.0", True, 1)] == [
        "one",
        "other",
        "other",
        "other",
        "one",
    ]
    assert plural_category("ru", [1]) == "other"  # not a count (and not hashable)


@pytest.mark.parametrize(
    ("n", "category"),
    [
        (0, "many"),
        (1, "one"),
        (2, "few"),
        (4, "few"),
        (5, "many"),
        (11, "many"),
        (12, "many"),
        (14, "many"),
        (21, "one"),
        (22, "few"),
        (25, "many"),
        (101, "one"),
        (111, "many"),
        (112, "many"),
        (122, "few"),
        (1_000_001, "one"),
        ("1.5", "other"),
        ("1.3K", "many"),  # 1300
        ("2K", "many"),
        ("1.12M", "many"),
    ],
)
def test_russian_plural_categories(n: object, category: str) -> None:
    assert plural_category("ru", n) == category


def test_strings_take_the_plural_form_of_their_count() -> None:
    en, ru = i18n.load("en"), i18n.load("ru")
    assert en.t("subscribers", n=1) == "1 subscriber"
    assert en.t("subscribers", n=578) == "578 subscribers"
    assert en.t("views", n="1.3K") == "1.3K views"
    assert [ru.t("subscribers", n=n) for n in (1, 2, 5, 21, 111)] == [
        "1 подписчик",
        "2 подписчика",
        "5 подписчиков",
        "21 подписчик",
        "111 подписчиков",
    ]
    assert [ru.t("posts_count", n=n) for n in (1, 3, 11)] == ["1 запись", "3 записи", "11 записей"]
    assert ru.t("views", n="12.9K") == "12.9K просмотров"


def test_dates_follow_the_language_and_name_their_time_zone() -> None:
    moment = datetime(2024, 3, 25, 9, 0, tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Europe/Moscow"))
    assert i18n.load("ru").datetime(moment) == "25 марта 2024, 12:00 UTC+3"
    assert i18n.load("en").datetime(moment.astimezone(ZoneInfo("UTC"))) == "March 25, 2024, 09:00 UTC"
    india = moment.astimezone(ZoneInfo("Asia/Kolkata"))
    assert i18n.load("en").datetime(india) == "March 25, 2024, 14:30 UTC+5:30"
    new_york = moment.astimezone(ZoneInfo("America/New_York"))
    assert i18n.load("en").datetime(new_york).endswith("05:00 UTC-4")
    assert i18n.load("en").date(moment) == "March 25, 2024"


def test_month_names_take_the_case_of_their_place() -> None:
    ru, en = i18n.load("ru"), i18n.load("en")
    assert ru.month(2024, 1) == "Январь 2024"  # a heading or link on its own: nominative, capital
    assert ru.t("months_title", month=ru.month_in_text(2024, 1)) == "Записи за январь 2024"
    assert ru.date(datetime(2024, 1, 7)) == "7 января 2024"  # a day of the month: genitive
    assert en.t("months_title", month=en.month_in_text(2024, 1)) == "Posts of January 2024"


def test_a_post_with_nothing_to_title_it_is_named_in_the_site_language(tmp_path: Path) -> None:
    when = datetime(2024, 1, 7, 9, 0, tzinfo=ZoneInfo("UTC"))
    write_post(tmp_path / "content" / "chan", Post(id=23, channel="chan", date=when))
    build_site(Config(root=tmp_path, language="ru", search=False))
    html = (tmp_path / "output" / "chan" / "23" / "index.html").read_text(encoding="utf-8")
    assert "Запись 23" in html and "Post 23" not in html
