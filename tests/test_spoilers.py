"""Spoilers stay hidden on every surface but the post body: excerpts, meta tags, the feed and search."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from sitegen.build import build_site
from sitegen.config import Config
from sitegen.content import write_channel, write_post
from sitegen.model import Channel, Post
from sitegen.telegram.parse import parse_page
from tests.test_site_search import search

SECRETS = ("дворецкий", "гувернантка", "садовник")
TEXT = (
    "Финал сезона: убийца ||дворецкий|| #сериал\n\n"
    "Подсказка: [ссылка ||гувернантка||](https://example.org/a) и ||**садовник**|| тоже под подозрением.\n\n"
    "Тег: ||#дворецкий||"
)
ATOM = "{http://www.w3.org/2005/Atom}"
# How a post body shows a spoiler in full: the reveal-on-click span (or the span inside a link).
_REVEAL = re.compile(r'<span class="spoiler-(?:text|in-link)"[^>]*>(?:<strong>)?#?\w+(?:</strong>)?</span>')


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spoilers")
    folder = root / "content" / "kino"
    write_channel(folder, Channel(username="kino", title="Кино"))
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    write_post(folder, Post(id=7, channel="kino", date=when, text=TEXT, source="https://t.me/kino/7"))
    write_post(folder, Post(id=8, channel="kino", date=when, text="Другая запись о сериале #сериал"))
    build_site(Config(root=root, language="ru", base_url="https://example.org/repo/", search=True))
    return root / "output"


def test_the_post_body_still_reveals_the_spoiler(out: Path) -> None:
    html = (out / "kino/7/index.html").read_text(encoding="utf-8")
    assert '<span class="spoiler-text" data-pagefind-ignore>дворецкий</span>' in html


@pytest.mark.parametrize(
    "path", ["kino/7/index.html", "kino/index.html", "kino/tags/сериал/index.html", "kino/2024/05/index.html"]
)
def test_no_page_shows_a_spoiler_outside_the_post_body(out: Path, path: str) -> None:
    html = (out / path).read_text(encoding="utf-8")
    outside = _REVEAL.sub("", html)
    for secret in SECRETS:
        assert secret not in outside, (path, secret)


def test_a_hashtag_inside_a_spoiler_makes_no_tag_page(out: Path) -> None:
    assert sorted(p.name for p in (out / "kino/tags").iterdir() if p.is_dir()) == ["сериал"]
    html = (out / "kino/7/index.html").read_text(encoding="utf-8")
    assert '<span class="spoiler-text" data-pagefind-ignore>#дворецкий</span>' in html  # text, not a link


def test_list_excerpts_show_a_placeholder(out: Path) -> None:
    for path in ("kino/tags/сериал/index.html", "kino/2024/05/index.html"):
        html = (out / path).read_text(encoding="utf-8")
        assert "Финал сезона: убийца ▒▒▒ #сериал" in html, path


def test_meta_tags_carry_neither_the_spoiler_nor_the_placeholder(out: Path) -> None:
    html = (out / "kino/7/index.html").read_text(encoding="utf-8")
    meta = r'<meta (?:name|property)="(?:description|og:[a-z_]+|twitter:[a-z_]+)" content="([^"]*)"'
    metas = re.findall(meta, html)
    assert any("Финал сезона" in m for m in metas)
    for content in metas:
        assert "▒" not in content and not any(s in content for s in SECRETS), content


def test_feed_titles_and_summaries_hide_it_and_the_content_keeps_the_reveal_span(out: Path) -> None:
    feed = ElementTree.parse(out / "kino/feed.xml").getroot()
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id", "").endswith("/kino/7/"))
    for tag in ("title", "summary"):
        text = entry.findtext(f"{ATOM}{tag}", "")
        assert "▒▒▒" in text and not any(s in text for s in SECRETS), (tag, text)
    assert 'class="spoiler-text"' in entry.findtext(f"{ATOM}content", "")


def test_search_neither_finds_nor_shows_the_spoiler(out: Path) -> None:
    for secret in SECRETS:
        assert search(out, secret) == [], secret
    results = search(out, "подозрением")
    assert [r["url"] for r in results] == ["/kino/7/"]
    for result in results:
        assert not any(s in result["excerpt"] + result["title"] for s in SECRETS), result


def test_the_spoilers_of_a_saved_real_page_stay_in_their_post_bodies(tmp_path: Path) -> None:
    page = Path(__file__).resolve().parent / "data" / "telegram" / "pages"
    source = (page / "enbv2022_tme_s_start_of_channel_ru_2026.html").read_text(encoding="utf-8")
    parsed = parse_page(source)
    folder = tmp_path / "content" / parsed.channel.username
    write_channel(folder, parsed.channel)
    for post in parsed.posts:
        write_post(folder, post)
    build_site(Config(root=tmp_path, language="ru", base_url="https://example.org/", search=False))
    out = tmp_path / "output"
    # the words of each spoiler that Telegram's own page shows nowhere else (a spoiler's word may
    # also be said in the open, in another post or in the channel's description)
    open_text = re.sub(r"<tg-spoiler>.*?</tg-spoiler>", " ", source, flags=re.S)
    secrets = {
        word
        for post in parsed.posts
        for spoiler in re.findall(r"\|\|(.+?)\|\|", post.text)
        for word in re.findall(r"\w{6,}", spoiler)
        if word not in open_text
    }
    assert len(secrets) >= 10  # the page has 13 spoilers
    reveal = re.compile(r'<label class="spoiler">.*?</label>', re.S)
    for path in out.rglob("*.html"):
        outside = reveal.sub("", path.read_text(encoding="utf-8"))
        leaked = sorted(word for word in secrets if word in outside)
        assert not leaked, (path.relative_to(out), leaked)
    feed = ElementTree.parse(out / parsed.channel.username / "feed.xml").getroot()
    for entry in feed.iter(f"{ATOM}entry"):
        shown = entry.findtext(f"{ATOM}title", "") + entry.findtext(f"{ATOM}summary", "")
        assert not [word for word in secrets if word in shown], entry.findtext(f"{ATOM}id")
