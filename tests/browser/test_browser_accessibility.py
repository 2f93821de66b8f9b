"""Check 4: axe-core finds no serious or critical violation on the home page, a post page of each kind,
a tag page, a month page and the search page (with results), in the light and the dark colour scheme."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from browser_site import BuiltSite, month_and_tag_pages, posts_of_each_kind, word_of
from playwright.sync_api import Browser, Page

SERIOUS = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n =>
      n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n").slice(1).join(" ").trim()),
  }));
}"""


def pages_to_audit(site: BuiltSite) -> list[tuple[str, str]]:
    """(what, path with query) for every page the audit covers."""
    pages = [("home page", "index.html")]
    for channel, post, kinds in posts_of_each_kind(site):
        pages.append((f"post ({', '.join(sorted(kinds))})", site.post_path(channel, post.id)))
    pages += month_and_tag_pages(site)
    first = next(p for posts in site.posts.values() for p in posts if p.text and not p.service)
    pages.append(("search page with results", f"search.html?q={quote(word_of(first))}"))
    return pages


def audit(page: Page, axe_js: Path, url: str, searching: bool) -> list[str]:
    """The serious and critical axe violations of one page, one line each."""
    page.goto(url, wait_until="load")
    if searching:
        page.wait_for_selector(".pagefind-ui__result", timeout=15_000)
    page.add_script_tag(path=str(axe_js))
    problems = []
    for v in page.evaluate(RUN_AXE):
        if v["impact"] in SERIOUS:
            problems.append(f"{url}: {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]))
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(
    site: BuiltSite, browser: Browser, axe_js: Path, scheme: str
) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems: list[str] = []
    pages = pages_to_audit(site)
    try:
        for what, path in pages:
            found = audit(page, axe_js, site.url(path), searching=path.startswith("search.html"))
            problems += [f"{what} ({scheme}): {p}" for p in found]
    finally:
        context.close()
    assert not problems, f"{site}: {len(problems)} violation(s) on {len(pages)} pages:\n" + "\n".join(
        problems
    )
