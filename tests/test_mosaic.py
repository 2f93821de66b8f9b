"""The album mosaic: every item placed once, in order, in rows of one to four."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sitegen.build.mosaic import MAX_RATIO, MIN_RATIO, album_rows, clamp_ratio

ratios = st.lists(st.floats(min_value=MIN_RATIO, max_value=MAX_RATIO), min_size=1, max_size=10)


@given(ratios)
def test_every_item_once_in_order_in_rows_of_one_to_four(values: list[float]) -> None:
    rows = album_rows(values)
    assert [i for row in rows for i in row.items] == list(range(len(values)))
    assert all(1 <= len(row.items) <= 4 for row in rows)


@given(ratios)
def test_an_album_is_never_much_taller_than_wide(values: list[float]) -> None:
    """Telegram's album of eight 16:9 items is 453 x 632 px: rows keep an album under 1.6 x its width."""
    height = sum(1 / row.ratio for row in album_rows(values))
    assert height <= 1.6 or len(values) == 1 or len(values) > 8


def test_the_three_video_album_is_a_wide_one_over_two() -> None:
    """The album that overprinted its text: three 16:9 videos -> one across, two below (as Telegram)."""
    assert [len(row.items) for row in album_rows([16 / 9] * 3)] == [1, 2]


def test_two_wide_pictures_stack_and_two_squares_sit_side_by_side() -> None:
    assert [len(row.items) for row in album_rows([2.0, 2.0])] == [1, 1]
    assert [len(row.items) for row in album_rows([1.0, 1.0])] == [2]


def test_odd_sizes_are_clamped_and_unknown_sizes_are_square() -> None:
    assert clamp_ratio(10_000, 10) == MAX_RATIO and clamp_ratio(10, 10_000) == MIN_RATIO
    assert clamp_ratio(None, 5) == 1.0 and clamp_ratio(0, 0) == 1.0


def test_a_hand_written_list_of_many_items_is_laid_out_ten_at_a_time() -> None:
    """Trying every split of 200 items would never end: longer lists are albums of 10 in a row."""
    rows = album_rows([1.5] * 200)
    assert [i for row in rows for i in row.items] == list(range(200))
    ten = [len(row.items) for row in album_rows([1.5] * 10)]
    assert [len(row.items) for row in rows] == ten * 20
