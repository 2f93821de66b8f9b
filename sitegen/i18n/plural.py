"""Plural categories (Unicode CLDR rules) for the site's languages, and counts as Telegram abbreviates them.

A UI string that depends on a number is a TOML table of its forms by category, e.g.
``subscribers = {one = "{n} подписчик", few = "{n} подписчика", many = "{n} подписчиков"}``;
:meth:`sitegen.i18n.Language.t` picks the form for ``n``. Only the rules of the languages sitegen
ships are here; a language without rules gets "other" for every number.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

CATEGORIES = ("zero", "one", "two", "few", "many", "other")
_COMPACT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([KMB]?)\s*$", re.IGNORECASE)
_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


def _english(n: Decimal) -> str:
    """CLDR en: "one" for exactly 1 (not 1.0), "other" for everything else."""
    return "one" if n == 1 and n.as_tuple().exponent == 0 else "other"


def _russian(n: Decimal) -> str:
    """CLDR ru: integers by their last digits (1, 21: one; 2-4, 22-24: few; 0, 5-20, 25: many).

    Fractions are "other" ("1,5 подписчика")."""
    if n != n.to_integral_value() or n.as_tuple().exponent < 0:
        return "other"
    i = int(n)
    last, last_two = i % 10, i % 100
    if last == 1 and last_two != 11:
        return "one"
    if 2 <= last <= 4 and not 12 <= last_two <= 14:
        return "few"
    return "many"


_RULES = {"en": _english, "ru": _russian}


def count_value(value: object) -> Decimal | None:
    """A count as a number: 5, "5", or Telegram's abbreviations "1.3K" / "2,5M" (as 1300 / 2500000)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    match = _COMPACT.match(str(value))
    if not match:
        return None
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    scale = _SCALE[match.group(2).upper()]
    return number * scale if scale == 1 else (number * scale).to_integral_value()


def plural_category(language: str, value: object) -> str:
    """The CLDR plural category of ``value`` in ``language``: "one", "few", "many" or "other"."""
    try:
        return _category(language, value)
    except TypeError:  # not hashable
        return _find_category(language, value)


# Counts repeat ("1.2K" views, page numbers); typed: 1, 1.0 and True are different counts.
@lru_cache(maxsize=4096, typed=True)
def _category(language: str, value: object) -> str:
    return _find_category(language, value)


def _find_category(language: str, value: object) -> str:
    number = count_value(value)
    rule = _RULES.get(language.split("_")[0].split("-")[0].lower())
    if number is None or rule is None:
        return "other"
    return rule(abs(number))


def choose_form(forms: dict[str, str], language: str, value: object) -> str:
    """The form of a pluralised string for ``value``; "other", then "many", stand in for a missing one."""
    category = plural_category(language, value)
    for key in (category, "other", "many"):
        if key in forms:
            return forms[key]
    return next(iter(forms.values()))
