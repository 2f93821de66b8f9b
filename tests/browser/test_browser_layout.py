"""Check 6: spoilers hide and reveal; images keep their aspect ratio at 360 and 1280 px; nothing
overflows horizontally at 360 px."""

from __future__ import annotations

import pytest
from browser_site import BuiltSite, post_features
from conftest import sample_pages
from playwright.sync_api import Browser, Page

# Whether an element's text can be read: visible, opaque, unblurred, and not painted in its own background.
READABLE = """el => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const paintedBackground = node => {
    for (; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg.length && (bg.length < 4 || bg[3] > 0)) return bg.slice(0, 3).join(",");
    }
    return "255,255,255";
  };
  return [el, ...el.querySelectorAll("*")].every(node => {
    const s = getComputedStyle(node);
    const color = parse(s.color);
    return s.visibility === "visible" && Number(s.opacity) > 0 && !s.filter.includes("blur")
      && (color.length < 4 || color[3] > 0.5) && color.slice(0, 3).join(",") !== paintedBackground(node);
  });
}"""

# Every image whose box does not have the picture's own proportions, unless object-fit crops or fits it.
DISTORTED_IMAGES = """() => [...document.images].filter(img => img.offsetWidth > 0).flatMap(img => {
  const fit = getComputedStyle(img).objectFit;
  if (!img.naturalWidth) return [`${img.src}: not loaded`];
  if (fit !== "fill" && fit !== "none") return [];
  const natural = img.naturalWidth / img.naturalHeight, shown = img.clientWidth / img.clientHeight;
  const sizes = `shown ${img.clientWidth}x${img.clientHeight}`
    + `, picture ${img.naturalWidth}x${img.naturalHeight}`;
  return Math.abs(shown / natural - 1) > 0.03 ? [`${img.src}: ${sizes}`] : [];
})"""

# When the page is wider than the viewport: the outermost elements that stick out on the right.
OVERFLOW = """() => {
  const root = document.documentElement, width = root.clientWidth;
  if (root.scrollWidth <= width) return [];
  const out = el => el.getBoundingClientRect().right > width + 0.5;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const culprits = [...document.body.querySelectorAll("*")].filter(el => out(el) && !out(el.parentElement));
  const reach = el => `${name(el)} reaches ${Math.round(el.getBoundingClientRect().right)}px`;
  return [`page is ${root.scrollWidth}px wide in a ${width}px viewport`, ...culprits.slice(0, 5).map(reach)];
}"""


def load_all_images(page: Page, url: str) -> None:
    """Open ``url`` and wait until every image, lazy ones included, has loaded."""
    page.goto(url, wait_until="load")
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    page.wait_for_function("[...document.images].every(i => i.complete)")


def pages_with(site: BuiltSite, feature: str) -> list[str]:
    """The post pages of the posts that show ``feature``."""
    return [
        site.post_path(channel, post.id)
        for channel, posts in site.posts.items()
        for post in posts
        if any(f == feature or f.startswith(feature + ":") for f in post_features(post))
    ]


def test_spoilers_hide_their_text_until_clicked_or_toggled_with_the_keyboard(
    rich_site: BuiltSite, browser: Browser
) -> None:
    paths = pages_with(rich_site, "spoiler")
    assert paths, f"{rich_site}: no post with a ||spoiler|| to check"
    context = browser.new_context()
    page = context.new_page()
    problems = []
    try:
        for path in paths + ["index.html"]:
            url = rich_site.url(path)
            page.goto(url)
            spoilers = page.locator(".spoiler")
            if path == "index.html" and not spoilers.count():
                continue
            assert spoilers.count(), f"{url}: the post has a ||spoiler|| but the page shows no .spoiler"
            spoiler = spoilers.first
            text = spoiler.locator(".spoiler-text")
            if text.evaluate(READABLE):
                problems.append(f"{url}: the spoiler's text is readable before it is revealed")
            spoiler.click()
            if not text.evaluate(READABLE):
                problems.append(f"{url}: a click does not reveal the spoiler")
            spoiler.click()
            if text.evaluate(READABLE):
                problems.append(f"{url}: a second click does not hide the spoiler again")
            spoiler.locator("input").focus()
            page.keyboard.press("Space")
            if not text.evaluate(READABLE):
                problems.append(f"{url}: the Space key on the focused spoiler does not reveal it")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [360, 1280])
def test_images_keep_their_aspect_ratio(site: BuiltSite, browser: Browser, width: int) -> None:
    paths = ["index.html"] + pages_with(site, "media") + pages_with(site, "link_preview")
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    problems = []
    try:
        for path in paths:
            url = site.url(path)
            load_all_images(page, url)
            problems += [f"{url} at {width}px: {p}" for p in page.evaluate(DISTORTED_IMAGES)]
    finally:
        context.close()
    assert not problems, f"{site}: {len(problems)} distorted image(s):\n" + "\n".join(problems)


def test_nothing_overflows_horizontally_at_360px(site: BuiltSite, browser: Browser) -> None:
    paths = sample_pages(site)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    problems = []
    try:
        for path in paths:
            url = site.url(path)
            load_all_images(page, url)
            found = page.evaluate(OVERFLOW)
            if found:
                problems.append(f"{url}: " + "; ".join(found))
    finally:
        context.close()
    assert not problems, f"{site}: {len(problems)} of {len(paths)} pages overflow at 360px:\n" + "\n".join(
        problems
    )
