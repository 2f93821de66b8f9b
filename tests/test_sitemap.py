"""The sitemap, written as text, against ElementTree as the reference writer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import quote

from sitegen.build.feeds import SITEMAP, sitemap_files, urlset
from sitegen.build.pages import Page, PostView


def reference_urlset(entries: list[tuple[str, str | None]]) -> bytes:
    """How ElementTree writes the same <urlset> (the sitemap writer's format before it was text)."""
    root = ET.Element("urlset", {"xmlns": SITEMAP})
    for loc, lastmod in entries:
        url = ET.SubElement(root, "url")
        ET.SubElement(url, "loc").text = loc
        if lastmod:
            ET.SubElement(url, "lastmod").text = lastmod
    ET.indent(root, space="")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def test_the_text_urlset_is_byte_for_byte_what_elementtree_writes() -> None:
    entries = [
        ("https://example.org/archive/", None),
        ("https://example.org/archive/chan/12/", "2024-02-29"),
        ("https://example.org/archive/chan/tags/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/", None),
    ]
    assert urlset(entries) == reference_urlset(entries)


def test_every_page_is_listed_once_with_its_url_encoded_and_escaped() -> None:
    base = "https://example.org/a&b/"
    view = PostView(7, "chan", (), "chan/7/index.html", datetime(2024, 3, 1, 12, tzinfo=UTC), None, [])
    pages = [
        Page("index.html", "channel.html", {}),
        Page("chan/7/index.html", "post.html", {"view": view}, True),
        Page("chan/tags/новости/index.html", "tag.html", {}),
        Page("chan/tags/a b+c/index.html", "tag.html", {}),
        Page("404.html", "404.html", {}),
        Page("chan/7/index.html", "post.html", {"view": view}, True),  # twice: listed once
    ]
    root = ET.fromstring(sitemap_files(pages, base)["sitemap.xml"])
    urls = [
        (url.findtext(f"{{{SITEMAP}}}loc"), url.findtext(f"{{{SITEMAP}}}lastmod"))
        for url in root.iter(f"{{{SITEMAP}}}url")
    ]
    assert urls == [
        (base, None),
        (base + "chan/7/", "2024-03-01"),
        (base + "chan/tags/" + quote("новости") + "/", None),
        (base + "chan/tags/a%20b%2Bc/", None),
    ]
