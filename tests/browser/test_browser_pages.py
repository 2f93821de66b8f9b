"""Check 2: every page loads in Chromium with no console error, no uncaught exception, no failed request."""

from __future__ import annotations

from browser_site import BuiltSite
from conftest import sample_pages
from playwright.sync_api import Browser, ConsoleMessage, Request, Response


def test_pages_load_without_console_errors_or_failed_requests(site: BuiltSite, browser: Browser) -> None:
    pages = sample_pages(site)
    problems: list[str] = []
    context = browser.new_context()
    page = context.new_page()
    current = [""]

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or ""
            problems.append(f"{current[0]}: console error: {message.text} {where}".rstrip())

    def on_request_failed(request: Request) -> None:
        # Chromium fetches the favicon after 'load' and cancels it when the next page is opened: an
        # abort of that one request is the browser's doing (a missing favicon still answers 404 below).
        if request.url.endswith("/favicon.svg") and request.failure == "net::ERR_ABORTED":
            return
        problems.append(f"{current[0]}: request failed: {request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{current[0]}: {response.url} answered {response.status}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{current[0]}: uncaught exception: {error}"))
    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)
    try:
        for path in pages:
            current[0] = site.url(path)
            page.goto(current[0], wait_until="load")
            # Lazy images load once scrolled to; bring every one of them in.
            page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            if "search" in path:  # the search page keeps loading Pagefind's files after 'load'
                page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert len(pages) > 3, f"{site}: only {len(pages)} pages built"
    assert not problems, f"{site}: {len(problems)} problem(s) on {len(pages)} pages:\n" + "\n".join(problems)


def test_a_missing_page_answers_404_with_the_styled_404_page(site: BuiltSite, browser: Browser) -> None:
    """GitHub Pages serves 404.html at any missing address, however deep: its links must not be relative."""
    url = site.url("no/such/page/")
    context = browser.new_context()
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"{request.url} failed"))

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.url != url:
            failed.append(f"{response.url} answered {response.status}")

    page.on("response", on_response)
    try:
        answer = page.goto(url, wait_until="load")
        assert answer is not None and answer.status == 404, f"{url}: expected a 404 answer"
        styled = page.evaluate("[...document.styleSheets].some(s => s.cssRules.length > 0)")
        home = page.evaluate("[...document.links].map(a => a.href)")
    finally:
        context.close()
    assert not failed, f"{url} (the 404 page): " + "; ".join(failed)
    assert styled, f"{url}: the 404 page loads no stylesheet"
    homes = {site.base_url, site.base_url + "index.html"}
    assert homes & set(home), f"{url}: the 404 page has no link home"
