"""Album layout: split an album's items into rows, the way Telegram's mosaic does.

Every row is as wide as the post and its items share one height, so each item's width in the row is
proportional to its aspect ratio (the page does this with flexbox: ``flex-grow`` = the ratio, the
row's ``aspect-ratio`` = the sum). What remains to choose is how many items go in each row: this
module tries every split into rows of one to four items and keeps the one whose height is closest to
a square-ish album, preferring rows that hold similar numbers of items and no lone item under a
crowded row, like Telegram's own layout of 2 to 10 photos and videos (see
tests/data/telegram/STRUCTURE.md, section 6.3). Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MIN_RATIO, MAX_RATIO = 0.6, 2.5  # a tile is cropped to at most this tall or this wide
TARGET_HEIGHT = 0.9  # the album's height, as a share of its width, that reads best
MAX_PER_ROW = 4
MAX_HEIGHT = 1.55  # an album's height over its width, at most (Telegram's 8 x 16:9 album: 1.40)
MAX_ITEMS = 10  # the most items Telegram puts in one album


@dataclass(frozen=True, slots=True)
class Row:
    """One row of an album: the positions of its items and each item's width share (flex-grow)."""

    items: tuple[int, ...]
    ratios: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """The row's width divided by its height."""
        return sum(self.ratios)


def clamp_ratio(width: int | None, height: int | None) -> float:
    """An item's aspect ratio (width / height), clamped to what a tile may show; 1 when unknown."""
    if not width or not height or width <= 0 or height <= 0:
        return 1.0
    return min(max(width / height, MIN_RATIO), MAX_RATIO)


def album_rows(ratios: list[float]) -> list[Row]:
    """Split items with these aspect ratios into rows (in order); one row per item when alone."""
    if not ratios:
        return []
    # Telegram groups at most 10 items; a longer list (hand-written content) is laid out 10 at a
    # time, which also keeps the search over splits small (a few hundred at 10 items).
    counts = tuple(
        count
        for start in range(0, len(ratios), MAX_ITEMS)
        for count in _best_split(tuple(round(r, 3) for r in ratios[start : start + MAX_ITEMS]))
    )
    rows, start = [], 0
    for count in counts:
        part = tuple(range(start, start + count))
        rows.append(Row(part, tuple(round(ratios[i], 3) for i in part)))
        start += count
    return rows


@lru_cache(maxsize=1024)
def _best_split(ratios: tuple[float, ...]) -> tuple[int, ...]:
    """The row sizes with the lowest cost among every split of ``ratios`` into rows of 1-4 items."""
    best: tuple[float, tuple[int, ...]] | None = None
    for split in _splits(len(ratios)):
        cost = _cost(ratios, split)
        if best is None or cost < best[0]:
            best = (cost, split)
    assert best is not None
    return best[1]


def _splits(n: int) -> list[tuple[int, ...]]:
    """Every way to write ``n`` as an ordered sum of row sizes from 1 to MAX_PER_ROW."""
    if n == 0:
        return [()]
    return [(k, *rest) for k in range(1, min(n, MAX_PER_ROW) + 1) for rest in _splits(n - k)]


def _cost(ratios: tuple[float, ...], split: tuple[int, ...]) -> float:
    """How far a split is from a good mosaic: total height off target, uneven rows, thin tiles."""
    height, start, cost = 0.0, 0, 0.0
    for count in split:
        row = ratios[start : start + count]
        row_height = 1 / sum(row)
        height += row_height
        # A tile narrower than a quarter of the album, or a row taller than wide, reads badly.
        if count > 1 and min(row) * row_height < 0.22:
            cost += 0.6
        if count == 1 and len(ratios) > 2 and row[0] < 1.2:
            cost += 0.4  # a lone square or tall item on a row of its own, above or below others
        start += count
    cost += abs(height - TARGET_HEIGHT)
    cost += 10 * max(0.0, height - MAX_HEIGHT)  # never much taller than wide, as Telegram's albums
    cost += 0.15 * (max(split) - min(split))  # rows of similar sizes
    cost += 0.05 * len(split)  # fewer rows, fewer seams
    if len(split) > 1 and split[0] > split[1]:
        cost += 0.1  # Telegram puts the larger tiles first
    return cost


def album_layout(items: list[Any]) -> list[list[tuple[Any, float]]]:
    """The rows of an album of media views (anything with ``.item.width``/``.item.height``): each
    row a list of (view, ratio) pairs, for the template's ``flex-grow`` and ``aspect-ratio``."""
    ratios = [clamp_ratio(view.item.width, view.item.height) for view in items]
    return [
        [(items[i], ratio) for i, ratio in zip(row.items, row.ratios, strict=True)]
        for row in album_rows(ratios)
    ]
