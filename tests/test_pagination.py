"""Channel pagination, walked over the built HTML: "Older" from the home shows every post once, in order.

Set SITEGEN_LONG_TESTS=1 for a longer randomised run.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from sitegen.build import build_site
from sitegen.build.pages import home_start
from sitegen.config import Config
from sitegen.content import write_channel, write_post
from sitegen.model import Channel, Post

EXAMPLES = 200 if os.environ.get("SITEGEN_LONG_TESTS") else 8
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def build_channel(root: Path, total: int, per_page: int) -> Path:
    """A channel of ``total`` posts (ids 1, 3, 5... with gaps like deleted posts), built to root/output."""
    folder = root / "content" / "chan"
    write_channel(folder, Channel(username="chan", title="Chan"))
    for i in range(total):
        post = Post(id=2 * i + 1, channel="chan", date=START + timedelta(hours=i), text=f"post {i}")
        write_post(folder, post)
    build_site(Config(root=root, search=False, posts_per_page=per_page))
    return root / "output"


def page_posts(out: Path, path: str) -> tuple[list[int], dict[str, str]]:
    """The post ids a page shows, in order, and its pagination links by rel (as output paths)."""
    tree = LexborHTMLParser((out / path).read_text(encoding="utf-8"))
    ids = [int(node.attributes["id"].removeprefix("post-")) for node in tree.css("article[id^=post-]")]
    links = {}
    for link in tree.css(".pagination a[rel]"):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link.attributes["href"]))
        links[link.attributes["rel"]] = target
    return ids, links


def walk(out: Path, start: str, rel: str) -> list[list[int]]:
    """The posts of each page met following ``rel`` links from ``start``, until a page has none."""
    seen_pages, shown = set(), []
    path: str | None = start
    while path is not None:
        assert path not in seen_pages, f"the {rel} links loop back to {path}"
        seen_pages.add(path)
        ids, links = page_posts(out, path)
        shown.append(ids)
        path = links.get(rel)
    return shown


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(total=st.integers(0, 17), per_page=st.integers(1, 6))
def test_walking_older_from_the_home_shows_every_post_once_newest_first(total: int, per_page: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = build_channel(Path(tmp), total, per_page)
        everything = [2 * i + 1 for i in reversed(range(total))]
        older = walk(out, "chan/index.html", "next")
        assert [i for ids in older for i in ids] == everything
        assert all(older) or total == 0, "a page of the walk shows no post"
        # and back: "Newer" from page 1 (the oldest posts) shows each post once too
        first_page = "chan/page/1/index.html" if total > per_page else "chan/index.html"
        newer = walk(out, first_page, "prev")
        flat = [i for ids in newer for i in ids]
        assert sorted(flat) == sorted(everything) and len(flat) == len(set(flat))
        assert newer[0] == everything[-per_page:]


def test_the_home_ends_where_a_numbered_page_starts() -> None:
    # 45 posts, 20 a page: pages hold 1-20, 21-40, 41-45; the home shows 45..21, then "Older" is page 1
    assert home_start(45, 20) == 20
    assert home_start(60, 20) == 40  # the newest page is full: the home is that page
    assert home_start(20, 20) == 0 and home_start(21, 20) == 0 and home_start(0, 20) == 0
    for total in range(200):
        for per_page in (1, 2, 7, 20):
            start = home_start(total, per_page)
            assert start % per_page == 0 and 0 <= start <= total
            assert min(total, per_page) <= total - start < 2 * per_page or total == 0


def list_posts(out: Path, path: str) -> tuple[list[int], dict[str, str]]:
    """The post ids a list page (a tag's) links to, in order, and its pagination links by rel."""
    tree = LexborHTMLParser((out / path).read_text(encoding="utf-8"))
    ids = [int(a.attributes["href"].split("/")[-2]) for a in tree.css("ul.post-list > li > a")]
    links = {}
    for link in tree.css(".pagination a[rel]"):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), link.attributes["href"]))
        links[link.attributes["rel"]] = target
    return ids, links


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(total=st.integers(1, 14), tag_page=st.integers(1, 5))
def test_a_hashtag_with_many_posts_is_paged_and_walking_older_shows_each_once(
    total: int, tag_page: int
) -> None:
    import sitegen.build.pages as pages

    saved, pages.TAG_PAGE = pages.TAG_PAGE, tag_page
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            folder = root / "content" / "chan"
            write_channel(folder, Channel(username="chan", title="Chan"))
            for i in range(total):  # every other post has the tag
                text = f"post {i} #news" if i % 2 == 0 else f"post {i}"
                write_post(folder, Post(id=i + 1, channel="chan", date=START + timedelta(hours=i), text=text))
            build_site(Config(root=root, search=False))
            out = root / "output"
            tagged = [i + 1 for i in reversed(range(total)) if i % 2 == 0]
            shown = []
            path: str | None = "chan/tags/news/index.html"
            while path is not None:
                ids, links = list_posts(out, path)
                assert ids, f"{path} shows no post"
                shown += ids
                path = links.get("next")
            assert shown == tagged
            numbered = sorted((out / "chan/tags/news/page").glob("*/index.html")) if len(tagged) > 1 else []
            assert (len(tagged) > tag_page) == bool(numbered)
            page = (out / "chan/tags/news/index.html").read_text(encoding="utf-8")
            assert f"{len(tagged)} post" in page  # the count is the tag's, not the page's
    finally:
        pages.TAG_PAGE = saved
