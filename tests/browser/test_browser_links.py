"""Check 1: from the home page, every internal link and resource answers 200; no page is unreachable."""

from __future__ import annotations

from browser_site import BuiltSite, crawl, fetch


def test_every_internal_link_and_resource_answers_200(site: BuiltSite) -> None:
    result = crawl(site)
    assert result.checked > 1, f"{site}: the crawl found nothing to follow from {site.url()}"
    assert not result.broken, f"{site}: {len(result.broken)} broken link(s):\n" + "\n".join(result.broken)


def test_every_built_page_is_reachable_from_the_home_page(site: BuiltSite) -> None:
    built = set(site.html_files()) - {"404.html"}
    reached = crawl(site).pages
    unreachable = sorted(built - reached)
    assert not unreachable, f"{site}: {len(unreachable)} built page(s) no link leads to:\n" + "\n".join(
        unreachable
    )


def test_paths_outside_the_sub_path_are_not_served(site: BuiltSite) -> None:
    """The server really behaves like a project site: a link that escapes /repo/ would be caught."""
    outside = site.base_url.replace("/repo/", "/index.html")
    assert fetch(outside).status == 404
    assert fetch(site.base_url).status == 200
