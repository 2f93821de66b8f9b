"""Build step: what needs absolute URLs — an Atom feed per channel, sitemap.xml and robots.txt.

All three are skipped when the site has no ``base_url`` (the build warns once). Feeds carry the
newest posts as full HTML, rendered by the theme's ``feed_entry.html`` with the base URL as the
root of every link, so media and tag links work in a feed reader. Dates come from the posts, never
from the clock, so an unchanged archive gives byte-identical files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from sitegen.build.pages import Page, PostView, Section
from sitegen.build.render import Renderer

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_ENTRIES = 50  # newest posts per feed
SITEMAP_LIMIT = 50_000  # URLs per sitemap file (the protocol's limit)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot carry
UNPAGED = frozenset({"404.html", "search.html"})  # pages no search engine should list

ET.register_namespace("", ATOM)


_PLAIN_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote() leaves as it is


def url_path(path: str) -> str:
    """An output file's path as a URL path: percent-encoded, index.html dropped."""
    path = path.removesuffix("index.html")
    return path if _PLAIN_PATH.fullmatch(path) else quote(path)


def absolute(base_url: str, path: str) -> str:
    """The public URL of an output file: ``base_url`` + the percent-encoded path, index.html dropped."""
    return base_url + url_path(path)


def xml_text(value: str) -> str:
    """Text with the characters XML 1.0 forbids removed."""
    return _NOT_XML.sub("", value)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = xml_text(text)
    return element


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def feed_entry(feed: ET.Element, view: PostView, section: Section, renderer: Renderer, base_url: str) -> None:
    """Add one post as an Atom entry: title from its first line, full HTML content, tags as categories."""
    url = absolute(base_url, view.path)
    entry = _sub(feed, "entry")
    _sub(entry, "title", renderer.post_title(view))
    _sub(entry, "id", url)
    _sub(entry, "link", rel="alternate", type="text/html", href=url)
    _sub(entry, "published", _stamp(view.post.date))
    _sub(entry, "updated", _stamp(view.post.date))
    if view.post.author:
        _sub(_sub(entry, "author"), "name", view.post.author)
    for tag in view.tags:
        _sub(entry, "category", term=xml_text(tag))
    if view.summary:
        _sub(entry, "summary", view.summary)
    html = renderer.render_fragment("feed_entry.html", base_url, view=view, section=section)
    _sub(entry, "content", html.strip(), type="html")


def feed_xml(section: Section, renderer: Renderer, base_url: str, entries: int = FEED_ENTRIES) -> bytes:
    """The Atom feed of one channel: its newest posts (service messages left out), newest first."""
    posts = [view for view in section.posts if not view.service][-entries:][::-1]
    channel = section.channel
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "title", channel.name)
    if channel.description:
        _sub(feed, "subtitle", channel.description)
    _sub(feed, "id", absolute(base_url, f"{section.name}/"))
    _sub(
        feed,
        "link",
        rel="self",
        type="application/atom+xml",
        href=absolute(base_url, f"{section.name}/feed.xml"),
    )
    _sub(feed, "link", rel="alternate", type="text/html", href=absolute(base_url, f"{section.name}/"))
    newest = max((view.local_date for view in section.posts), default=datetime(1970, 1, 1, tzinfo=UTC))
    _sub(feed, "updated", _stamp(newest))
    _sub(_sub(feed, "author"), "name", channel.name)
    _sub(feed, "generator", "sitegen")
    if section.avatar_href:
        _sub(feed, "icon", absolute(base_url, section.avatar_href))
    for view in posts:
        feed_entry(feed, view, section, renderer, base_url)
    ET.indent(feed, space="")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _lastmod(page: Page) -> str | None:
    view = page.context.get("view")
    return view.local_date.date().isoformat() if isinstance(view, PostView) else None


def urlset(entries: list[tuple[str, str | None]]) -> bytes:
    """A sitemap's <urlset> of (URL, ISO date or None), one element a line, as ElementTree would
    write it (indented with space=""), but built as text: 100,000 URLs take a tenth of the time.
    The URLs are XML text already (see :func:`sitemap_files`)."""
    lines = [f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{SITEMAP}\">"]
    add = lines.append
    for loc, lastmod in entries:
        if lastmod:
            add(f"<url>\n<loc>{loc}</loc>\n<lastmod>{lastmod}</lastmod>\n</url>")
        else:
            add(f"<url>\n<loc>{loc}</loc>\n</url>")
    add("</urlset>\n")
    return "\n".join(lines).encode("utf-8")


def sitemap_files(pages: list[Page], base_url: str) -> dict[str, bytes]:
    """sitemap.xml listing every page once (posts with their date); an index of parts past 50,000 URLs."""
    seen: dict[str, str | None] = {}
    base = escape(base_url, quote=False)  # a URL path is percent-encoded: nothing in it to escape
    for page in pages:
        path = page.path
        if path not in UNPAGED:
            url = base + url_path(path)
            if url not in seen:
                seen[url] = _lastmod(page)
    entries = list(seen.items())
    if len(entries) <= SITEMAP_LIMIT:
        return {"sitemap.xml": urlset(entries)}
    files: dict[str, bytes] = {}
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP})
    for number, start in enumerate(range(0, len(entries), SITEMAP_LIMIT), start=1):
        name = f"sitemap-{number}.xml"
        files[name] = urlset(entries[start : start + SITEMAP_LIMIT])
        ET.SubElement(ET.SubElement(index, "sitemap"), "loc").text = base_url + name
    ET.indent(index, space="")
    files["sitemap.xml"] = ET.tostring(index, encoding="utf-8", xml_declaration=True) + b"\n"
    return files


def robots_txt(base_url: str) -> bytes:
    """robots.txt: everything may be crawled; the sitemap is here."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n".encode()


def discovery_files(
    sections: list[Section], pages: list[Page], renderer: Renderer, sitemap: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """Every file of this step, by output path: feeds, sitemap(s) (``sitemap``: made already, by
    :func:`sitemap_files`), robots.txt. Empty without base_url."""
    base_url = renderer.globals["base_url"]
    if not base_url:
        return {}
    files = {f"{section.name}/feed.xml": feed_xml(section, renderer, base_url) for section in sections}
    files.update(sitemap if sitemap is not None else sitemap_files(pages, base_url))
    files["robots.txt"] = robots_txt(base_url)
    return files
