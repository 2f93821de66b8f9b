"""Support for the browser checks: build a site, serve it under /repo/, crawl it, pick pages.

Nothing here is a test. The fixtures in conftest.py put these pieces together.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from sitegen.build.markdown import hashtags
from sitegen.content import channel_dirs, read_posts
from sitegen.model import Post

REPO = Path(__file__).resolve().parents[2]
PREFIX = "/repo/"  # the sub-path the site is served under, like a GitHub Pages project site

# Attributes that make the browser fetch something, or that a reader follows.
LINK_ATTRIBUTES = (
    ("a", "href"),
    ("link", "href"),
    ("img", "src"),
    ("script", "src"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("source", "src"),
    ("iframe", "src"),
    ("form", "action"),
)
SRCSET_TAGS = ("img", "source")


class SubPathHandler(SimpleHTTPRequestHandler):
    """Serves one folder under /repo/ only; every other path answers 404, like a project site."""

    def send_head(self):  # type: ignore[no-untyped-def]
        """Refuse paths outside the sub-path before the file lookup."""
        path = urlsplit(self.path).path
        if path == PREFIX.rstrip("/"):
            self.send_response(301)
            self.send_header("Location", PREFIX)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if not path.startswith(PREFIX):
            self.send_error(404, "outside the site's sub-path")
            return None
        not_found = Path(self.directory) / "404.html"
        if not os.path.exists(self.translate_path(self.path)) and not_found.is_file():
            # Like GitHub Pages: a missing page answers 404 with the site's own 404.html.
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()

    def translate_path(self, path: str) -> str:
        """Map /repo/<rest> to <folder>/<rest>."""
        path = urlsplit(path).path
        return super().translate_path("/" + path[len(PREFIX) :])

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet: failures are reported by the tests."""


class SiteServer:
    """A threaded http.server on 127.0.0.1 on a free port, serving ``folder`` under /repo/."""

    def __init__(self, folder: Path) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SubPathHandler, directory=str(folder)))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.started = False

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT/repo/"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"

    def start(self) -> None:
        """Start answering requests."""
        self.thread.start()
        self.started = True

    def stop(self) -> None:
        """Stop the server and free the port."""
        if self.started:
            self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class BuiltSite:
    """A site built from one content folder and served under /repo/."""

    name: str
    content: Path
    output: Path
    base_url: str
    language: str
    posts: dict[str, list[Post]] = field(
        default_factory=dict, repr=False
    )  # channel folder -> posts, oldest first

    def url(self, path: str = "") -> str:
        """The served URL of ``path`` (a path inside output/)."""
        return self.base_url + path.removesuffix("index.html")

    def html_files(self) -> list[str]:
        """Every built HTML file, as a path inside output/, sorted."""
        return sorted(p.relative_to(self.output).as_posix() for p in self.output.rglob("*.html"))

    def post_path(self, channel: str, post_id: int) -> str:
        """The file of one post's page inside output/."""
        return f"{channel}/{post_id}/index.html"

    def __str__(self) -> str:
        return self.name


def build_site(name: str, content: Path, output: Path, base_url: str, config: Path) -> BuiltSite:
    """Run ``sitegen build`` (the real CLI) with ``config`` on ``content`` into ``output`` at ``base_url``."""
    assert content.is_dir(), f"{name}: content folder {content} is missing"
    command = [
        sys.executable,
        "-m",
        "sitegen.cli",
        "build",
        "--config",
        str(config),
        "--content",
        str(content),
        "--output",
        str(output),
        "--base-url",
        base_url,
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, f"{name}: sitegen build failed:\n{done.stdout}\n{done.stderr}"
    language = str(tomllib.loads(config.read_text(encoding="utf-8")).get("language", "en"))
    posts = {d.name: read_posts(d) for d in channel_dirs(content)}
    return BuiltSite(name, content, output, base_url, language, posts)


# --- crawling -----------------------------------------------------------------------------------


@dataclass
class Fetched:
    """One answer of the server."""

    url: str
    status: int
    content_type: str
    body: bytes


def fetch(url: str) -> Fetched:
    """GET ``url`` without following redirects; 4xx/5xx answers are returned, not raised."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        # Browsers percent-encode raw UTF-8 in an href; so does this.
        with opener.open(quote(url, safe=":/?#[]@!$&'()*+,;=%"), timeout=30) as answer:
            return Fetched(url, answer.status, answer.headers.get_content_type(), answer.read())
    except urllib.error.HTTPError as exc:
        return Fetched(url, exc.code, exc.headers.get_content_type() if exc.headers else "", b"")


def page_references(html: str, page_url: str) -> Iterator[tuple[str, str]]:
    """(what, absolute URL without fragment) for everything a page links to or loads."""
    tree = LexborHTMLParser(html)
    for tag, attribute in LINK_ATTRIBUTES:
        for node in tree.css(f"{tag}[{attribute}]"):
            value = (node.attributes.get(attribute) or "").strip()
            if value and not value.startswith("#"):
                yield f"<{tag} {attribute}>", urldefrag(urljoin(page_url, value)).url
    for tag in SRCSET_TAGS:
        for node in tree.css(f"{tag}[srcset]"):
            for candidate in (node.attributes.get("srcset") or "").split(","):
                value = candidate.strip().split(" ")[0]
                if value:
                    yield f"<{tag} srcset>", urldefrag(urljoin(page_url, value)).url


@dataclass
class CrawlResult:
    """What a crawl from the home page found."""

    pages: set[str] = field(default_factory=set)  # HTML files reached, as paths inside output/
    checked: int = 0  # distinct internal URLs requested
    broken: list[str] = field(default_factory=list)  # "<page>: <what> <url> answered <status>"


def crawl(site: BuiltSite) -> CrawlResult:
    """Follow every internal link from the home page; request every internal resource once."""
    result = CrawlResult()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site.base_url))
    queue = [site.base_url]
    seen = {site.base_url}
    referrers: dict[str, str] = {site.base_url: "(start)"}
    while queue:
        url = queue.pop()
        answer = fetch(url)
        result.checked += 1
        if answer.status != 200:
            result.broken.append(f"{referrers[url]}: {url} answered {answer.status}")
            continue
        if answer.content_type != "text/html":
            continue
        path = unquote(urlsplit(url).path)[len(PREFIX) :]
        result.pages.add(path + "index.html" if path.endswith("/") or not path else path)
        for what, target in page_references(answer.body.decode("utf-8"), url):
            if not target.startswith(origin) or target in seen:
                continue
            seen.add(target)
            referrers[target] = f"{site.url(path)} {what}"
            queue.append(target)
    return result


# --- choosing pages -----------------------------------------------------------------------------


def post_features(post: Post) -> set[str]:
    """What a post shows: its service kind, media kinds, cards and text features."""
    features = {f"service:{post.service}"} if post.service else set()
    for item in post.media:
        features.add(
            f"media:{item.kind}"
            + ("" if item.file else ":not-archived")
            + (":too-big" if item.too_big else "")
        )
    if len(post.media) > 1:
        features.add("album")
    for name in ("poll", "location", "link_preview", "forwarded_from", "reply_to", "buttons", "reactions"):
        if getattr(post, name):
            features.add(name)
    for flag in ("deleted", "unsupported", "edited"):
        if getattr(post, flag):
            features.add(flag)
    if post.text:
        features.add("text")
    if hashtags(post.text):
        features.add("hashtag")
    for marker, name in (("||", "spoiler"), ("```", "code block"), ("> ", "quote")):
        if marker in post.text:
            features.add(name)
    return features


def posts_of_each_kind(site: BuiltSite) -> list[tuple[str, Post, set[str]]]:
    """A few posts that together show every kind of post the site has: (channel, post, its new kinds)."""
    candidates = [
        (channel, post, post_features(post)) for channel, posts in site.posts.items() for post in posts
    ]
    missing = set().union(*(features for _, _, features in candidates)) if candidates else set()
    chosen = []
    while missing:
        channel, post, features = max(candidates, key=lambda c: (len(c[2] & missing), -c[1].id))
        chosen.append((channel, post, features & missing))
        missing -= features
    return chosen


def month_and_tag_pages(site: BuiltSite) -> list[tuple[str, str]]:
    """(what, path) of the first month page and, when any post has a hashtag, the first tag page."""
    files = site.html_files()
    month = next((f for f in files if re.fullmatch(r"[^/]+/\d{4}/\d{2}/index\.html", f)), None)
    assert month, f"{site}: no month page (<channel>/<yyyy>/<mm>/index.html) was built"
    pages = [("month page", month)]
    if any("hashtag" in post_features(p) for posts in site.posts.values() for p in posts):
        tag = next((f for f in files if re.fullmatch(r"[^/]+/tags/[^/]+/index\.html", f)), None)
        assert tag, (
            f"{site}: posts have hashtags, but no tag page (<channel>/tags/<tag>/index.html) was built"
        )
        pages.append(("tag page", tag))
    return pages


def word_of(post: Post) -> str:
    """The longest plain word (letters only) of a post's text."""
    words = re.findall(r"(?<![#\w])[^\W\d_]{4,}(?!\w)", post.text)
    assert words, f"post {post.id} has no word to search for"
    return max(words, key=len)
