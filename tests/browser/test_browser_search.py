"""Check 5: typing a Russian word in another inflected form into the search box finds the post, and
the result link opens that post."""

from __future__ import annotations

from browser_site import BuiltSite
from playwright.sync_api import Browser

# "Закат" (sunset) appears in exactly one post of the rich sample; the reader types the instrumental
# plural, which shares only its stem with the text.
WORD_IN_POST = "Закат"
TYPED = "закатами"


def test_inflected_russian_word_finds_the_post_and_opens_it(rich_site: BuiltSite, browser: Browser) -> None:
    site = rich_site
    matches = [(ch, p) for ch, posts in site.posts.items() for p in posts if WORD_IN_POST in p.text]
    assert len(matches) == 1, f"{site}: expected one post with {WORD_IN_POST!r}, found {len(matches)}"
    channel, post = matches[0]
    expected = site.url(site.post_path(channel, post.id))
    assert TYPED not in post.text.lower(), "the typed form must differ from the text"

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught exception: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    try:
        page.goto(site.url("index.html"))
        box = page.get_by_role("search").get_by_role("searchbox").first
        box.press_sequentially(TYPED)
        box.press("Enter")
        page.wait_for_url("**/search.html?q=*")
        links = page.locator(".pagefind-ui__result-link")
        try:
            links.first.wait_for(timeout=15_000)
        except Exception as exc:
            raise AssertionError(f"{page.url}: no search results for {TYPED!r}") from exc
        hrefs = [page.evaluate("a => a.href", link.element_handle()) for link in links.all()]
        found = [h for h in hrefs if h.removesuffix("index.html") == expected]
        assert found, f"{page.url}: results for {TYPED!r} do not include {expected}; they are {hrefs}"
        links.nth(hrefs.index(found[0])).click()
        page.wait_for_load_state("load")
        assert page.url.removesuffix("index.html") == expected, (
            f"the result link opened {page.url}, not {expected}"
        )
        assert WORD_IN_POST in page.locator("main").inner_text(), f"{page.url} does not show {WORD_IN_POST!r}"
        assert not errors, "while searching: " + "; ".join(errors)
    finally:
        context.close()


def test_results_of_the_newest_month_and_the_archive_come_together(
    rich_site: BuiltSite, browser: Browser
) -> None:
    """The index is two bundles (the newest month, the archive): one query lists posts of both, with
    links under the site's sub-path, and the channel filter counts the results of both bundles."""
    site = rich_site
    april = site.url(site.post_path("rich_demo", 25))  # "Новые ракеты уже на стартовой площадке"
    march = site.url(site.post_path("rich_demo", 19))  # "Исправленная новость о ракетах"
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"uncaught exception: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    try:
        page.goto(site.url("search.html") + "?q=ракетой")
        links = page.locator(".pagefind-ui__result-link")
        links.first.wait_for(timeout=15_000)
        page.wait_for_timeout(500)  # the second bundle's results arrive with the first render
        hrefs = {
            page.evaluate("a => a.href", link.element_handle()).removesuffix("index.html")
            for link in links.all()
        }
        assert {april, march} <= hrefs, f"{page.url}: {hrefs}"
        filters = page.locator(".pagefind-ui__filter-panel").text_content() or ""
        # the filter counts the results of both bundles, and shows only channels with results
        assert f"Богатый архив ({len(hrefs)})" in filters, f"{len(hrefs)} results, filter: {filters!r}"
        assert "Second demo" not in filters, filters
        assert not errors, "; ".join(errors)
    finally:
        context.close()


def test_opened_from_disk_the_search_page_says_why_it_cannot_search(
    rich_site: BuiltSite, browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((rich_site.output / "search.html").as_uri() + "?q=ракетой")
        note = page.locator("#search-offline")
        note.wait_for(state="visible", timeout=5_000)
        assert page.locator(".pagefind-ui__result-link").count() == 0
    finally:
        context.close()
