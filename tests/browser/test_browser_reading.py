"""Check 8: what a reader sees, measured from element boxes in Chromium at 360 and 1280 px.

Albums lay out as a mosaic whose captions, play marks and duration badges stay inside their tiles and
never cover the post's text; no tile is a giant crop of its picture; a post page shows its text once;
videos that were not archived look like videos; the channel header links its description and shows
Telegram's counters and button; the search page has the body's type, one search box and dates.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_site import REPO, BuiltSite, SiteServer, build_site, post_features
from playwright.sync_api import Browser, Page

from sitegen.telegram.parse import parse_page

sys.path.insert(0, str(REPO / "scripts"))
from make_demo_content import make_content  # noqa: E402

WIDTHS = (360, 1280)

# Every caption-like box of a post (figcaptions, tile notes, play marks, duration badges) that
# intersects a text box of the post, sticks out of the media item it belongs to, or crops its
# picture to less than half of it; and albums taller than 1.6 times their width.
MEDIA_PROBLEMS = """() => {
  const box = el => el.getBoundingClientRect();
  const name = el => el.tagName.toLowerCase()
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const shown = el => {
    const r = box(el), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !el.closest(".visually-hidden");
  };
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5
    && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const problems = [];
  for (const post of document.querySelectorAll("article.post")) {
    const captions = [...post.querySelectorAll(
      "figcaption, .tile-note, .badge-duration, .play, .media-remote .note")].filter(shown);
    const texts = [...post.querySelectorAll(
      ".post-text, .post-forwarded, .post-reply, .post-footer, .link-preview, .poll, .buttons, .post-meta"
    )].filter(shown);
    for (const caption of captions) {
      for (const text of texts) {
        if (meet(box(caption), box(text))) problems.push(`${name(caption)} covers ${name(text)}`);
      }
      const holder = caption.parentElement.closest(".tile, figure, .poster, .media");
      if (holder && !inside(box(caption), box(holder))) {
        problems.push(`${name(caption)} sticks out of ${name(holder)}`);
      }
      const clipped = getComputedStyle(caption).textOverflow === "ellipsis";
      if (caption.scrollWidth > caption.clientWidth + 1 && !clipped) {
        problems.push(`${name(caption)} overflows its own box`);
      }
    }
    for (const album of post.querySelectorAll(".album")) {
      const a = box(album);
      if (a.height > 1.6 * a.width) problems.push(`album is ${Math.round(a.width)}x${Math.round(a.height)}`);
      for (const img of album.querySelectorAll("img")) {
        const r = box(img);
        if (!img.naturalWidth || !r.height) continue;
        const crop = (r.width / r.height) / (img.naturalWidth / img.naturalHeight);
        if (crop < 0.5 || crop > 2) problems.push(`${img.src} is cropped to ${crop.toFixed(2)} of its shape`);
      }
    }
  }
  return problems;
}"""

# How often the first 40 characters of each post's visible text occur in the page's visible text.
TEXT_REPEATS = """() => {
  const body = document.body.innerText.replace(/\\s+/g, " ");
  return [...document.querySelectorAll("article .post-text")].map(el => {
    const start = el.innerText.replace(/\\s+/g, " ").trim().slice(0, 40);
    return [start, start ? body.split(start).length - 1 : 1];
  });
}"""


@pytest.fixture(scope="module")
def saved_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltSite]:
    """Every saved real t.me/s page (tests/data/telegram/pages/), scraped the way the demo is (stand-in
    pictures from a local server, scripts/make_demo_content.py), built and served under /repo/."""
    root = tmp_path_factory.mktemp("saved")
    pages: dict[str, tuple[int, Path]] = {}
    for file in sorted((REPO / "tests" / "data" / "telegram" / "pages").glob("*.html")):
        parsed = parse_page(file.read_text(encoding="utf-8"))
        name = parsed.channel.username
        if len(parsed.posts) > pages.get(name, (0, file))[0]:
            pages[name] = (len(parsed.posts), file)
    assert make_content({name: file for name, (_, file) in pages.items()}, root / "content") == 0
    (root / "sitegen.toml").write_text('language = "ru"\n', encoding="utf-8")
    (root / "output").mkdir()
    server = SiteServer(root / "output")
    site = build_site("saved", root / "content", root / "output", server.base_url, root / "sitegen.toml")
    server.start()
    yield site
    server.stop()


@pytest.mark.parametrize("width", WIDTHS)
def test_saved_real_pages_keep_captions_in_their_tiles(
    saved_site: BuiltSite, browser: Browser, width: int
) -> None:
    paths = media_post_pages(saved_site)
    assert len(paths) > 5, f"only {paths} have albums or videos"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for path in paths:
            open_page(page, saved_site.url(path))
            problems += [f"{path} at {width}px: {p}" for p in page.evaluate(MEDIA_PROBLEMS)]
            problems += [f"{path}: {t!r} shown {n} times" for t, n in page.evaluate(TEXT_REPEATS) if n != 1]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def media_post_pages(site: BuiltSite) -> list[str]:
    """The pages of posts with an album or any kind of video."""
    return [
        site.post_path(channel, post.id)
        for channel, posts in site.posts.items()
        for post in posts
        if len(post.media) > 1 or any(m.kind in ("video", "round_video", "gif") for m in post.media)
    ]


def open_page(page: Page, url: str) -> None:
    """Open ``url`` and wait for every image, lazy ones included."""
    page.goto(url, wait_until="load")
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    page.wait_for_function("[...document.images].every(i => i.complete)")


@pytest.mark.parametrize("width", WIDTHS)
def test_album_and_video_captions_stay_in_their_tiles(site: BuiltSite, browser: Browser, width: int) -> None:
    paths = media_post_pages(site)
    assert paths, f"{site}: no album or video post to check"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for path in [*paths, "index.html"]:
            open_page(page, site.url(path))
            problems += [f"{path} at {width}px: {p}" for p in page.evaluate(MEDIA_PROBLEMS)]
    finally:
        context.close()
    assert not problems, f"{site}:\n" + "\n".join(problems)


def test_albums_are_mosaics_of_rows(site: BuiltSite, browser: Browser) -> None:
    """Every tile of a row has the row's height; the rows fill the post's width."""
    paths = [
        site.post_path(channel, post.id)
        for channel, posts in site.posts.items()
        for post in posts
        if len(post.media) > 1
    ]
    assert paths, f"{site}: no album"
    context = browser.new_context(viewport={"width": 360, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for path in paths:
            open_page(page, site.url(path))
            rows = page.evaluate(
                """() => [...document.querySelectorAll('.album-row')].map(row => ({
                  width: row.getBoundingClientRect().width,
                  tiles: [...row.children].map(t => {
                    const r = t.getBoundingClientRect();
                    return [r.width, r.height];
                  }),
                }))"""
            )
            for row in rows:
                heights = {round(h) for _, h in row["tiles"]}
                filled = sum(w for w, _ in row["tiles"]) + 2 * (len(row["tiles"]) - 1)
                if len(heights) > 1 or abs(filled - row["width"]) > 2:
                    problems.append(f"{path}: row {row}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_post_page_shows_its_text_once(site: BuiltSite, browser: Browser) -> None:
    paths = [
        site.post_path(channel, post.id)
        for channel, posts in site.posts.items()
        for post in posts
        if "text" in post_features(post)
    ]
    context = browser.new_context(viewport={"width": 360, "height": 900})
    page = context.new_page()
    problems = []
    try:
        for path in paths:
            page.goto(site.url(path), wait_until="load")
            problems += [
                f"{path}: {start!r} shown {n} times" for start, n in page.evaluate(TEXT_REPEATS) if n != 1
            ]
            heading = page.locator("h1")
            assert heading.count() == 1, f"{path}: {heading.count()} h1"
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_videos_not_archived_show_a_play_mark_a_duration_and_a_link(
    rich_site: BuiltSite, browser: Browser
) -> None:
    """Post 6: a video too big for the web preview; post 27: an album of three of them."""
    context = browser.new_context(viewport={"width": 360, "height": 900})
    page = context.new_page()
    try:
        page.goto(rich_site.url(rich_site.post_path("rich_demo", 6)), wait_until="load")
        figure = page.locator("article figure.media-video")
        assert figure.locator(".play").is_visible()
        assert figure.locator(".badge-duration").inner_text().endswith("1:02:05")
        link = figure.locator("figcaption a")
        assert link.get_attribute("href") == "https://t.me/rich_demo/6?single" and link.is_visible()
        page.goto(rich_site.url(rich_site.post_path("rich_demo", 27)), wait_until="load")
        tiles = page.locator("article .album .tile")
        assert tiles.count() == 3
        assert page.locator("article .album .tile .badge-duration").count() == 3
        assert [tiles.nth(i).get_attribute("href") for i in range(3)] == [
            f"https://t.me/rich_demo/{i}?single" for i in (27, 28, 29)
        ]
    finally:
        context.close()


def test_round_video_keeps_its_player_controls(rich_site: BuiltSite, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 900})
    page = context.new_page()
    try:
        page.goto(rich_site.url(rich_site.post_path("rich_demo", 8)), wait_until="load")
        radius = page.evaluate(
            "() => getComputedStyle(document.querySelector('.media-round_video video')).borderTopLeftRadius"
        )
        assert not radius.endswith("%") and float(radius.removesuffix("px")) <= 20, radius
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_channel_header_reads_like_telegrams(
    built_sites: dict[str, BuiltSite], browser: Browser, width: int
) -> None:
    site = built_sites["demo"]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(site.url("sudpress53/index.html"), wait_until="load")
        header = page.locator(".channel-header")
        link = header.locator(".channel-description a")
        assert link.first.get_attribute("href") == "http://oblsud.nvg.sudrf.ru/"
        counters = header.locator(".channel-counters li").all_inner_texts()
        for shown in ("578", "1.5K", "333", "23", "192"):
            assert any(shown in c for c in counters), (shown, counters)
        button = header.locator("a.button-telegram")
        assert button.get_attribute("href") == "https://t.me/sudpress53" and button.is_visible()
        # The avatar does not squeeze the description: it runs the header's full width.
        widths = page.evaluate(
            """() => [document.querySelector('.channel-header').clientWidth,
                      document.querySelector('.channel-description').getBoundingClientRect().width]"""
        )
        assert widths[1] >= widths[0] - 2 * 16 - 1, widths
        # No word of the description is broken across lines: each line ends at a space.
        broken = page.evaluate(
            """() => {
              const el = document.querySelector('.channel-description'), text = el.firstChild;
              const range = document.createRange(), out = [];
              let top = null;
              for (let i = 0; i < text.length; i++) {
                range.setStart(text, i); range.setEnd(text, i + 1);
                const r = range.getClientRects()[0];
                if (!r) continue;
                const inWord = /\\S/.test(text.data[i - 1]) && /\\S/.test(text.data[i]);
                if (top !== null && r.top > top + 2 && inWord)
                  out.push(text.data.slice(Math.max(0, i - 8), i + 8));
                top = r.top;
              }
              return out;
            }"""
        )
        assert not broken, f"words broken at {width}px: {broken}"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_page_looks_like_the_site(site: BuiltSite, browser: Browser, scheme: str) -> None:
    word = "суд" if site.name == "demo" else "ракета"
    context = browser.new_context(viewport={"width": 360, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(site.url("search.html") + "?q=" + quote(word), wait_until="load")
        page.wait_for_selector(".pagefind-ui__result-excerpt")
        sizes = page.evaluate(
            """() => [getComputedStyle(document.body).fontSize,
                      getComputedStyle(document.querySelector('.pagefind-ui__result-excerpt')).fontSize]"""
        )
        assert sizes[0] == sizes[1], f"body {sizes[0]}, results {sizes[1]}"
        assert page.locator("input[type=search], input.pagefind-ui__search-input").count() == 1
        date = page.locator(".pagefind-ui__result-tag").first.inner_text()
        assert any(ch.isdigit() for ch in date), date
        background = page.evaluate(
            "() => getComputedStyle(document.querySelector('.pagefind-ui__result')).backgroundColor"
        )
        card = page.evaluate("() => getComputedStyle(document.body).getPropertyValue('--card').trim()")
        assert background != "rgba(0, 0, 0, 0)" and card, background
    finally:
        context.close()


def test_search_page_of_a_one_channel_site_has_no_channel_filter_and_keeps_its_links(
    tmp_path_factory: pytest.TempPathFactory, browser: Browser
) -> None:
    """A site of the demo's sudpress53 alone: no one-option "Channel" filter; Archive and Tags stay."""
    root = tmp_path_factory.mktemp("one-channel")
    shutil.copytree(REPO / "content" / "sudpress53", root / "content" / "sudpress53")
    (root / "sitegen.toml").write_text("", encoding="utf-8")
    (root / "output").mkdir()
    server = SiteServer(root / "output")
    site = build_site(
        "one-channel", root / "content", root / "output", server.base_url, root / "sitegen.toml"
    )
    server.start()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site.url("search.html") + "?q=" + quote("суд"), wait_until="load")
        page.wait_for_selector(".pagefind-ui__result-excerpt")
        assert page.locator(".pagefind-ui__filter-panel").is_hidden()
        nav = page.locator(".site-nav")
        assert nav.get_by_role("link", name="Archive").is_visible()
        assert nav.get_by_role("link", name="Tags").is_visible()
        assert page.locator("input:visible").count() == 1
    finally:
        context.close()
        server.stop()
