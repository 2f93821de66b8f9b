"""Titles and excerpts: whole sentences when they fit, else cut between words, never inside one,
and never with punctuation before the "…"."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from sitegen.build import build_site
from sitegen.build.markdown import markdown_to_html
from sitegen.build.pages import SUMMARY_LENGTH, TITLE_LENGTH, post_detail, post_title, summarize
from sitegen.config import Config
from sitegen.content import write_channel, write_post
from sitegen.model import Post
from sitegen.telegram.parse import parse_page

PAGES = Path(__file__).parent / "data" / "telegram" / "pages"
TEXT = "Верховный Суд поставил точку в споре о размере компенсации за ДТП, повлекшее смерть " * 4
PUNCTUATION_BEFORE_ELLIPSIS = re.compile(r"[.,;:!?…\-–—]…$")


def title_of(text: str) -> str:
    return post_title(Post(id=1, date=datetime(2026, 9, 2, tzinfo=UTC), channel="x"), text)


def real_post(page: str, post_id: int) -> Post:
    """One post of a saved t.me page."""
    parsed = parse_page((PAGES / page).read_text(encoding="utf-8"))
    return next(post for post in parsed.posts if post.id == post_id)


def test_a_long_first_line_is_cut_between_words() -> None:
    title = title_of(TEXT)
    assert title.endswith("…") and len(title) <= TITLE_LENGTH
    assert TEXT.startswith(title[:-1] + " ") or TEXT.startswith(title[:-1] + ", "), title


def test_a_long_excerpt_is_cut_between_words() -> None:
    summary = summarize(TEXT)
    assert summary.endswith("…") and len(summary) <= SUMMARY_LENGTH
    assert TEXT.startswith(summary[:-1] + " ") or TEXT.startswith(summary[:-1] + ", "), summary


def test_one_long_word_is_still_cut() -> None:
    word = "https://example.org/" + "a" * 200
    title = title_of(word)
    assert len(title) == TITLE_LENGTH and title.endswith("…")


@pytest.mark.parametrize("mark", [".", ",", ";", ":", "!", "?", "…", " —", " -"])
def test_a_cut_drops_the_punctuation_before_its_ellipsis(mark: str) -> None:
    # lower-case words after each mark: no sentence ends, so every cut is between words
    for shift in range(12):
        text = "начало" + "а" * shift + " " + f"слово{mark} " * 60
        for short, length in ((title_of(text), TITLE_LENGTH), (summarize(text), SUMMARY_LENGTH)):
            assert short.endswith("…") and len(short) <= length, short
            assert not PUNCTUATION_BEFORE_ELLIPSIS.search(short), short
            assert short.endswith("слово…") and text.startswith(short[:-1]), short


def test_a_first_sentence_that_fits_is_the_title_of_a_real_post() -> None:
    """sudpress53/6510 on the saved t.me page: its first line is 430 characters, its first sentence 85."""
    post = real_post("court_monitor_tme_s_sudpress53_ru_2026.html", 6510)
    (_, _, title, summary, _), _ = post_detail(post, markdown_to_html(post.text, post.channel))
    assert title == "ВС России защитил право покупательницы на возмещение расходов в солидарном порядке."
    # one sentence is less than half an excerpt: the excerpt goes on, cut between words
    assert summary.startswith(title + " Жительница Москвы") and summary.endswith("соглашение…")


def test_an_excerpt_ends_at_the_last_sentence_that_fits() -> None:
    """topwar_official/70996: two sentences fill over two thirds of an excerpt; the third does not fit."""
    post = real_post("any2feed_topwar_official_ru_full.html", 70996)
    (_, _, _, summary, _), _ = post_detail(post, markdown_to_html(post.text, post.channel))
    assert summary.endswith("пока не соответствует действительности. Музыканты уже близко, но не настолько.")
    assert SUMMARY_LENGTH * 2 / 3 <= len(summary) <= SUMMARY_LENGTH


def test_an_excerpt_goes_on_past_a_first_sentence_that_fills_less_than_two_thirds() -> None:
    """sudpress53/6528: its first sentence (135 characters) is mostly the title already; the list's
    excerpt, which goes on after the title, would be a stub if the excerpt stopped there."""
    post = real_post("court_monitor_tme_s_sudpress53_ru_2026.html", 6528)
    (_, _, title, summary, _), _ = post_detail(post, markdown_to_html(post.text, post.channel))
    assert title.endswith(" является основанием для…")
    assert "указал ВС России. Житель Москвы взыскал долг" in summary and summary.endswith("…")


@pytest.mark.parametrize(
    "text",
    [
        "Председатель Верховного Суда встретился со студентами университета имени В.М. Лебедева "
        "и ответил на их вопросы о работе судов и о профессии судьи",
        "Суд признал жителя Новгорода виновным и назначил ему наказание по статье 158 ч. 2 УК РФ, "
        "учтя все обстоятельства дела и данные о его личности",
        "The meeting with the students of the university took place in the hall of Mr. Smith "
        "and lasted for three hours and a half",
    ],
)
def test_initials_and_abbreviations_do_not_end_a_sentence(text: str) -> None:
    title = title_of(text)
    assert title.endswith("…") and len(title) > TITLE_LENGTH - 30, title


def test_a_list_excerpt_goes_on_where_the_title_stops(tmp_path: Path) -> None:
    """Two real posts on a month page: a title that is the first sentence, and one cut after a comma."""
    first = real_post("court_monitor_tme_s_sudpress53_ru_2026.html", 6510)
    comma = real_post("any2feed_topwar_official_ru_full.html", 70999)
    channel = parse_page((PAGES / "court_monitor_tme_s_sudpress53_ru_2026.html").read_text("utf-8")).channel
    folder = tmp_path / "content" / channel.username
    write_channel(folder, channel)
    date = datetime(2026, 8, 1, 12, tzinfo=UTC)
    for number, post in enumerate((first, comma), 1):
        post.id, post.channel, post.date, post.media = number, channel.username, date, []
        write_post(folder, post)
    build_site(Config(root=tmp_path, search=False))
    month = LexborHTMLParser((tmp_path / f"output/{channel.username}/2026/08/index.html").read_text("utf-8"))
    shown = {
        li.css_first("a").text(): li.css_first(".summary").text(strip=True)
        for li in month.css(".post-list li")
    }
    assert shown == {
        "ВС России защитил право покупательницы на возмещение расходов в солидарном порядке.": (
            "Жительница Москвы приобрела автомобиль и по инициативе продавца, перечислив на его счет "
            "денежные средства, заключила соглашение…"
        ),
        "Ночью ВСУ предприняли попытку применения беспилотников в Краснодарском крае и Адыгее…": (
            "…подразделениями радиоэлектронной борьбы БПЛА были подавлены — Минобороны РФ"
        ),
    }
