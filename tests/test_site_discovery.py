"""Feeds, sitemap, robots.txt, canonical and social tags, from the rich sample with and without base_url."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sitegen.build import build_site
from sitegen.config import Config
from tests.site_sample import BASE_URL, build_rich, page, post_page

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RICH_POSTS = 27
SERVICE_POSTS = 2


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich sample built in Russian with a base URL under a sub-path."""
    root = tmp_path_factory.mktemp("discovery")
    output, _ = build_rich(root, language="ru", timezone="Europe/Moscow", base_url=BASE_URL, search=False)
    return output


def test_feed_is_valid_atom_with_the_newest_posts(out: Path) -> None:
    feed = ET.parse(out / "rich_demo/feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}title").text == "Богатый архив"
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.attrib["href"] == BASE_URL + "rich_demo/feed.xml"
    assert feed.find(f"{ATOM}updated").text == "2024-04-16T09:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == RICH_POSTS - SERVICE_POSTS
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert ids[0] == BASE_URL + "rich_demo/27/" and ids[-1] == BASE_URL + "rich_demo/2/"
    assert len(set(ids)) == len(ids)
    for entry in entries:
        for required in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{required}") is not None
        assert entry.find(f"{ATOM}link[@rel='alternate']").attrib["href"] == entry.find(f"{ATOM}id").text


def test_feed_titles_come_from_the_first_line(out: Path) -> None:
    feed = ET.parse(out / "rich_demo/feed.xml").getroot()
    titles = {
        e.find(f"{ATOM}id").text.split("/")[-2]: e.find(f"{ATOM}title").text
        for e in feed.iter(f"{ATOM}entry")
    }
    assert titles["25"] == "Новые ракеты уже на стартовой площадке #анонс"
    assert titles["13"] == "Когда следующий запуск?"
    assert titles["9"] == "Голосовое сообщение"


def test_feed_content_is_html_with_absolute_links(out: Path) -> None:
    feed = ET.parse(out / "rich_demo/feed.xml").getroot()
    entry = next(e for e in feed.iter(f"{ATOM}entry") if e.find(f"{ATOM}id").text.endswith("/3/"))
    content = entry.find(f"{ATOM}content")
    assert content.attrib["type"] == "html"
    html = content.text
    assert f'src="{BASE_URL}rich_demo/media/3/1.png"' in html
    assert f'href="{BASE_URL}rich_demo/tags/%D1%84%D0%BE%D1%82%D0%BE/index.html"' in html
    assert "../" not in html and "\ue000" not in html
    assert [c.attrib["term"] for c in entry.findall(f"{ATOM}category")] == ["фото"]


def test_sitemap_lists_every_post_url_once(out: Path) -> None:
    urls = [loc.text for loc in ET.parse(out / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    assert len(urls) == len(set(urls))
    posts = [u for u in urls if re.fullmatch(re.escape(BASE_URL) + r"\w+/\d+/", u)]
    expected = {f"{BASE_URL}rich_demo/{i}/" for i in range(1, RICH_POSTS + 1)}
    expected |= {f"{BASE_URL}second_demo/{i}/" for i in (101, 102, 103)}
    assert set(posts) == expected
    assert all(u.startswith(BASE_URL) for u in urls)
    assert BASE_URL + "rich_demo/tags/%D0%B0%D0%BD%D0%BE%D0%BD%D1%81/" in urls
    assert not any(u.endswith(("404.html", "search.html")) for u in urls)


def test_robots_points_at_the_sitemap(out: Path) -> None:
    assert f"Sitemap: {BASE_URL}sitemap.xml" in (out / "robots.txt").read_text().splitlines()


def test_post_page_has_canonical_open_graph_and_twitter_tags(out: Path) -> None:
    doc = post_page(out, 3)
    meta = {
        m.attributes.get("property") or m.attributes.get("name"): m.attributes.get("content")
        for m in doc.css("meta")
    }
    assert doc.css_first("link[rel=canonical]").attributes["href"] == BASE_URL + "rich_demo/3/"
    assert meta["og:url"] == BASE_URL + "rich_demo/3/"
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "Закат над рекой #фото"
    assert meta["og:image"] == BASE_URL + "rich_demo/media/3/1.png"
    assert meta["og:locale"] == "ru_RU"
    assert meta["twitter:card"] == "summary_large_image"
    feed = doc.css_first("link[rel=alternate]")
    assert (
        feed.attributes["type"] == "application/atom+xml"
        and feed.attributes["href"] == "../../rich_demo/feed.xml"
    )


def test_every_page_has_canonical_and_open_graph(out: Path) -> None:
    for path in sorted(out.rglob("*.html")):
        relative = path.relative_to(out).as_posix()
        doc = page(out, relative)
        assert doc.css_first("meta[property='og:title']") is not None, relative
        if relative not in ("404.html", "search.html"):
            canonical = doc.css_first("link[rel=canonical]").attributes["href"]
            assert canonical.startswith(BASE_URL), relative


def test_without_base_url_one_warning_and_no_absolute_files(tmp_path: Path) -> None:
    out, report = build_rich(tmp_path, search=False)
    warnings = [w for w in report.warnings if "base_url" in w]
    assert len(warnings) == 1
    for name in ("sitemap.xml", "robots.txt", "rich_demo/feed.xml"):
        assert not (out / name).exists(), name
    doc = post_page(out, 3)
    assert doc.css_first("link[rel=canonical]") is None
    assert doc.css_first("meta[property='og:image']") is None
    assert doc.css_first("meta[property='og:title']").attributes["content"] == "Закат над рекой #фото"
    assert doc.css_first("html").attributes["lang"] == "en"
    assert "January 18, 2024, 09:00 UTC" in doc.css_first(".post-meta time").text()


def test_removing_base_url_removes_the_old_feeds(tmp_path: Path) -> None:
    out, _ = build_rich(tmp_path, base_url=BASE_URL, search=False)
    assert (out / "rich_demo/feed.xml").is_file()
    build_site(Config(root=tmp_path, search=False))
    assert not (out / "rich_demo/feed.xml").exists() and not (out / "sitemap.xml").exists()
