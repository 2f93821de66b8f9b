"""Titles and excerpts cut long text between words, never inside one."""

from __future__ import annotations

from datetime import UTC, datetime

from sitegen.build.pages import SUMMARY_LENGTH, TITLE_LENGTH, post_title, summarize
from sitegen.model import Post

TEXT = "Верховный Суд поставил точку в споре о размере компенсации за ДТП, повлекшее смерть " * 4


def test_a_long_first_line_is_cut_between_words() -> None:
    title = post_title(Post(id=1, date=datetime(2026, 9, 2, tzinfo=UTC), channel="x"), TEXT)
    assert title.endswith("…") and len(title) <= TITLE_LENGTH
    assert TEXT.startswith(title[:-1] + " "), title


def test_a_long_excerpt_is_cut_between_words() -> None:
    summary = summarize(TEXT)
    assert summary.endswith("…") and len(summary) <= SUMMARY_LENGTH
    assert TEXT.startswith(summary[:-1] + " "), summary


def test_one_long_word_is_still_cut() -> None:
    word = "https://example.org/" + "a" * 200
    title = post_title(Post(id=1, date=datetime(2026, 9, 2, tzinfo=UTC), channel="x"), word)
    assert len(title) == TITLE_LENGTH and title.endswith("…")
