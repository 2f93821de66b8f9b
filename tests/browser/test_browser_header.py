"""Check 9: the header keeps its layout with long channel names, at 360 and 1280 px, light and dark.

The site's name is one line (ending in "…" when too long); the channel's links (its name, Archive,
Tags) sit on one row below it, the channel's name shortened with "…" so that Archive and Tags stay
whole; at 1280 px the search box sits beside the site's name. Nothing sticks out sideways.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_site import REPO, BuiltSite, SiteServer, build_site
from playwright.sync_api import Browser

LONG_NAMES = {
    "sudpress53": "Объединённая пресс-служба судов Новгородской области и Великого Новгорода",
    "nflbite_official": "The Extremely Long Official Channel Name of the National Football League Bites",
}

# The header's boxes: one rectangle per element, the line boxes of each link, and what overflows.
HEADER_BOXES = """() => {
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, height: r.height}; };
  const inner = document.querySelector(".header-inner");
  const pad = parseFloat(getComputedStyle(inner).paddingRight);
  const title = document.querySelector(".site-title"), form = document.querySelector(".search-form");
  const links = [...document.querySelectorAll(".site-header a:not(.site-title)")].map(a => ({
    text: a.textContent, box: box(a),
    lineHeight: parseFloat(getComputedStyle(a).lineHeight),
    cut: a.scrollWidth > a.clientWidth, ellipsis: getComputedStyle(a).textOverflow === "ellipsis"}));
  return {
    width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth,
    contentRight: inner.getBoundingClientRect().right - pad,
    title: {text: title.textContent, box: box(title), cut: title.scrollWidth > title.clientWidth,
            lineHeight: parseFloat(getComputedStyle(title).lineHeight),
            ellipsis: getComputedStyle(title).textOverflow === "ellipsis"},
    form: form && box(form), links,
    sticking: [...document.querySelector(".site-header").querySelectorAll("*")]
      .filter(el => el.getBoundingClientRect().right > inner.getBoundingClientRect().right + 0.5)
      .map(el => el.tagName.toLowerCase() + "." + el.className),
  };
}"""


def long_named_site(root: Path, channels: tuple[str, ...]) -> tuple[BuiltSite, SiteServer]:
    """The demo's ``channels``, renamed to LONG_NAMES, built and served under /repo/."""
    for name in channels:
        folder = root / "content" / name
        shutil.copytree(REPO / "content" / name, folder)
        meta = folder / "channel.yml"
        text = meta.read_text(encoding="utf-8")
        meta.write_text(re.sub(r"(?m)^title: .*$", f"title: {LONG_NAMES[name]}", text), encoding="utf-8")
    (root / "sitegen.toml").write_text("", encoding="utf-8")
    (root / "output").mkdir()
    server = SiteServer(root / "output")
    site = build_site(root.name, root / "content", root / "output", server.base_url, root / "sitegen.toml")
    server.start()
    return site, server


@pytest.fixture(scope="module")
def long_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, BuiltSite]]:
    """Two channels with long Russian and English names; one channel alone (its name is the site's)."""
    built = {
        "two": long_named_site(tmp_path_factory.mktemp("long-two"), ("sudpress53", "nflbite_official")),
        "one": long_named_site(tmp_path_factory.mktemp("long-one"), ("sudpress53",)),
    }
    yield {name: site for name, (site, _) in built.items()}
    for _, server in built.values():
        server.stop()


def header_problems(boxes: dict, width: int, channel_name: str) -> list[str]:
    """What is wrong with one page's header (HEADER_BOXES), as sentences."""
    problems = []
    if boxes["scrollWidth"] > boxes["width"] or boxes["sticking"]:
        problems.append(
            f"overflows sideways: page {boxes['scrollWidth']}px, sticking out: {boxes['sticking']}"
        )
    title, links = boxes["title"], boxes["links"]
    if title["box"]["height"] > 1.5 * title["lineHeight"]:
        problems.append(f"the site's name takes {title['box']['height']}px, more than one line")
    if title["cut"] and not title["ellipsis"]:
        problems.append("the site's name is cut without an ellipsis")
    names = [link["text"] for link in links]
    if names != [channel_name, "Archive", "Tags"]:
        problems.append(f"the links are {names}, not the channel's whole name, Archive and Tags")
        return problems
    tops = {round(link["box"]["top"]) for link in links}
    if max(tops) - min(tops) > 1:
        problems.append(f"the links are not on one row: their tops are {sorted(tops)}")
    for link in links:
        lines = round(link["box"]["height"] / link["lineHeight"])
        if lines > 1:
            problems.append(f"{link['text'][:20]!r} wraps onto {lines} lines")
        if link["box"]["right"] > boxes["contentRight"] + 0.5:
            problems.append(f"{link['text'][:20]!r} ends at {link['box']['right']}px, past the header")
    channel, archive, tags = links
    if not channel["cut"] or not channel["ellipsis"]:
        problems.append("the long channel name is not shortened with an ellipsis")
    if archive["cut"] or tags["cut"]:
        problems.append("Archive or Tags is cut")
    if channel["box"]["top"] < title["box"]["bottom"] - 1:
        problems.append("the links are not below the site's name")
    form = boxes["form"]
    if form is None:
        problems.append("no search box")
    elif width >= 1280 and not (
        form["top"] < title["box"]["bottom"] and title["box"]["top"] < form["bottom"]
    ):
        problems.append("at 1280 px the search box is not beside the site's name")
    elif width >= 1280 and form["left"] < title["box"]["right"]:
        problems.append("the search box covers the site's name")
    elif width < 640 and form["top"] < channel["box"]["bottom"]:
        problems.append("at 360 px the search box is not below the links")
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [360, 1280])
def test_long_channel_names_keep_the_header_on_its_rows(
    long_sites: dict[str, BuiltSite], browser: Browser, width: int, scheme: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    problems = []
    try:
        for site in long_sites.values():
            for channel, posts in site.posts.items():
                name = LONG_NAMES[channel]
                for path in (
                    f"{channel}/index.html",
                    f"{channel}/archive/index.html",
                    site.post_path(channel, posts[-1].id),
                ):
                    page.goto(site.url(path))
                    boxes = page.evaluate(HEADER_BOXES)
                    if len(site.posts) == 1 and boxes["title"]["text"] != name:
                        problems.append(f"{site.url(path)}: the one channel's site is not named after it")
                    problems += [
                        f"{site.url(path)} at {width}px, {scheme}: {p}"
                        for p in header_problems(boxes, width, name)
                    ]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
