"""Check 10: a post's frame at 360 and 1280 px: media at the top of a card keep its rounded corners;
the links to the older and newer post sit at the left and right edges, the channel's link centred."""

from __future__ import annotations

import pytest
from browser_site import BuiltSite
from playwright.sync_api import Browser

# The cards whose media start at the card's top edge: their ids, and whether the media paint the
# card's top corners (the card is rounded: they should not).
MEDIA_ON_TOP = """() => [...document.querySelectorAll("article.post")].flatMap(card => {
  const media = card.querySelector(":scope > .post-media");
  if (!media) return [];
  const box = card.getBoundingClientRect();
  if (Math.abs(media.getBoundingClientRect().top - box.top) > 1) return [];
  window.scrollTo(0, window.scrollY + box.top - 10);
  const top = card.getBoundingClientRect().top;
  const corners = [[box.left + 1, top + 1], [box.right - 2, top + 1]];
  return [{id: card.id, square: corners.some(([x, y]) => media.contains(document.elementFromPoint(x, y)))}];
})"""

# The post navigation's links: rel and box, and the box of the nav itself.
POST_NAV = """() => {
  const nav = document.querySelector(".post-nav"), box = el => el.getBoundingClientRect().toJSON();
  return {nav: box(nav), links: [...nav.querySelectorAll("a")].map(a => ({rel: a.rel, box: box(a)}))};
}"""


def nav_problems(nav: dict, width: int) -> list[str]:
    """What is out of place in one page's post navigation (POST_NAV), as sentences."""
    edges, links = nav["nav"], {link["rel"] or "back": link["box"] for link in nav["links"]}
    problems = []
    if "prev" in links and abs(links["prev"]["left"] - edges["left"]) > 1:
        problems.append("the older post's link is not at the left edge")
    if "next" in links and abs(links["next"]["right"] - edges["right"]) > 1:
        problems.append("the newer post's link is not at the right edge")
    back = links["back"]
    if abs((back["left"] + back["right"]) / 2 - (edges["left"] + edges["right"]) / 2) > 2:
        problems.append("the channel's link is not centred")
    boxes = list(links.values())
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["left"] < b["right"]
                and b["left"] < a["right"]
                and a["top"] < b["bottom"]
                and b["top"] < a["bottom"]
            ):
                problems.append("two links overlap")
    if width < 640 and any(back["top"] < links[rel]["bottom"] for rel in ("prev", "next") if rel in links):
        problems.append("on a narrow screen the channel's link is not below the others")
    return problems


@pytest.mark.parametrize("width", [360, 1280])
def test_post_cards_and_their_links_keep_their_frame(site: BuiltSite, browser: Browser, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    problems, cards = [], 0
    try:
        for channel, posts in site.posts.items():
            for path in [f"{channel}/index.html"] + [site.post_path(channel, post.id) for post in posts]:
                url = site.url(path)
                page.goto(url)
                on_top = page.evaluate(MEDIA_ON_TOP)
                cards += len(on_top)
                problems += [
                    f"{url} at {width}px: {c['id']}'s media square its corners" for c in on_top if c["square"]
                ]
                if path != f"{channel}/index.html":
                    problems += [
                        f"{url} at {width}px: {p}" for p in nav_problems(page.evaluate(POST_NAV), width)
                    ]
    finally:
        context.close()
    assert cards, f"{site}: no post starts with media: nothing checked the corners"
    assert not problems, "\n".join(problems)
