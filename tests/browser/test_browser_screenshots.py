"""Check 7: screenshots of every kind of page (home, channel, a post with an album, a video post, tag,
month, archive, search with results, 404) at 360 and 1280 px, light and dark, in screenshots/
(git-ignored) for a person to look at; each scheme must really be light or dark."""

from __future__ import annotations

import time
from urllib.parse import quote

import pytest
from browser_site import BuiltSite, month_and_tag_pages, post_features, posts_of_each_kind, word_of
from conftest import SCREENSHOTS
from playwright.sync_api import Browser

# Relative luminance (0 black .. 1 white) of the page's background and of its body text.
LUMINANCE = """() => {
  const lum = c => {
    const [r, g, b] = (c.match(/[\\d.]+/g) || []).slice(0, 3).map(v => {
      v = Number(v) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const body = getComputedStyle(document.body);
  return [lum(body.backgroundColor), lum(body.color)];
}"""


def showcase_post(site: BuiltSite) -> str:
    """The page of a post with a photo and text, else of the post that shows the most kinds."""
    for channel, posts in site.posts.items():
        for post in posts:
            if {"media:photo", "text"} <= post_features(post):
                return site.post_path(channel, post.id)
    channel, post, _ = posts_of_each_kind(site)[0]
    return site.post_path(channel, post.id)


def page_kinds(site: BuiltSite) -> list[tuple[str, str]]:
    """(name, path or URL suffix) of one page of each kind."""
    channel = next(c for c, posts in site.posts.items() if posts)
    album = video = None
    for name, posts in site.posts.items():
        for post in posts:
            kinds = {m.kind for m in post.media}
            if album is None and len(post.media) > 1:
                album = site.post_path(name, post.id)
            if video is None and kinds & {"video", "round_video"}:
                video = site.post_path(name, post.id)
    found = dict(month_and_tag_pages(site))
    month, tag = found["month page"], found.get("tag page")
    word = next(word_of(p) for posts in site.posts.values() for p in posts if "text" in post_features(p))
    kinds = [("home", "index.html"), ("channel", f"{channel}/index.html"), ("post", showcase_post(site))]
    kinds += [("album", album), ("video", video), ("month", month), ("tag", tag)]
    kinds += [("archive", f"{channel}/archive/index.html"), ("search", "search.html?q=" + quote(word))]
    return [(what, path) for what, path in kinds if path] + [("404", "no-such-page/")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_home_and_post_pages(site: BuiltSite, browser: Browser, scheme: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    problems = []
    for width in (360, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
        page = context.new_page()
        try:
            for what, path in page_kinds(site):
                url = site.url(path)
                page.goto(url, wait_until="load")
                if what == "search":
                    page.wait_for_selector(".pagefind-ui__result", timeout=10_000)
                    time.sleep(0.3)  # the excerpts fill in after the titles
                page.evaluate(
                    "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
                )
                page.wait_for_function("[...document.images].every(i => i.complete)")
                target = SCREENSHOTS / f"{site}-{what}-{width}-{scheme}.png"
                target.unlink(missing_ok=True)
                page.screenshot(path=str(target), full_page=True)
                if target.stat().st_size < 2000:
                    problems.append(f"{url} at {width}px: the screenshot {target.name} is nearly empty")
                background, text = page.evaluate(LUMINANCE)
                dark = scheme == "dark"
                if (background > 0.3) if dark else (background < 0.7):
                    problems.append(
                        f"{url}: the {scheme} scheme has a background of luminance {background:.2f}"
                    )
                if abs(background - text) < 0.5:
                    problems.append(
                        f"{url} ({scheme}): text and background are too alike ({text:.2f}/{background:.2f})"
                    )
        finally:
            context.close()
    assert not problems, f"{site}: " + "\n".join(problems)
