"""A fake t.me for scraper tests: real saved markup, re-numbered into a channel history of any size.

The message wraps of a saved real page (pages/court_monitor_tme_s_sudpress53_ru_2026.html) are
cycled and re-numbered to make posts 1..N; pages of 20 ids carry the real pagination markup
(``link rel=prev``, ``a.tme_messages_more[data-before]``, canonical). CDN media URLs point at the
same server, which answers with small generated files and remembers every body it sent.
Faults can be queued for the next requests (429, 5xx, hangs, cut-off bodies, "No posts found").
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sitegen.config import Config, ScrapeConfig

PAGES = Path(__file__).resolve().parent / "data" / "telegram" / "pages"
SOURCE_PAGE = "court_monitor_tme_s_sudpress53_ru_2026.html"
SOURCE_NAME = "sudpress53"
WRAP_START = '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
NO_POSTS_WRAP = (
    '<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message_centered">'
    '<div class="tme_no_messages_found">No posts found</div></div></div>'
)
CDN = re.compile(r"https://cdn\d*\.(?:telesco\.pe|telegram-cdn\.org)/")
PAGE_IDS = 20


def fixture_page(name: str) -> str:
    """The text of one saved real page."""
    return (PAGES / name).read_text(encoding="utf-8")


@dataclass
class Template:
    """A saved page cut into the part before the messages, the message wraps, and the rest."""

    head: str
    wraps: list[tuple[int, str]]  # (original id, wrap html)
    tail: str

    @classmethod
    def load(cls, name: str = SOURCE_PAGE) -> Template:
        """Cut a saved page into head, wraps and tail, dropping its pagination links."""
        html = fixture_page(name)
        first = html.index(WRAP_START)
        end = html.rindex("</section>")
        head, body, tail = html[:first], html[first:end], html[end:]
        head = re.sub(r'<link rel="(?:prev|next|canonical)"[^>]*>', "", head)
        head = re.sub(r'<div class="tgme_widget_message_centered js-messages_more_wrap">.*?</div>', "", head)
        wraps = []
        for chunk in body.split(WRAP_START)[1:]:
            found = re.search(r'data-post="[^"/]+/(\d+)"', chunk)
            if found:
                wraps.append((int(found.group(1)), WRAP_START + chunk))
        return cls(head, wraps, tail)


@dataclass
class Fault:
    """One queued misbehaviour, used by the next page request(s) it matches."""

    kind: str  # "status", "hang", "cut", "no_posts", "garbage"; "pass" answers normally
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class FakeTelegram:
    """Serves ``/s/<channel>`` pages of a made-up history built from real markup, plus CDN media."""

    def __init__(self, base_url: str, channel: str = SOURCE_NAME, count: int = 100) -> None:
        self.base_url = base_url.rstrip("/")
        self.channel = channel
        self.template = Template.load()
        self.ids: list[int] = list(range(1, count + 1))
        self.deleted: set[int] = set()
        self.faults: list[Fault] = []
        self.page_requests: list[str] = []
        self.media_requests: list[str] = []
        self.media_sent: dict[str, bytes] = {}
        self.page_delay = 0.0
        self.media_status: Callable[[str], int] | None = None  # URL -> status; 0 = hang
        self.edits: dict[int, str] = {}
        self.user_agents: set[str] = set()
        self.landing: dict[str, str] = {}  # name -> html of t.me/<name>; /s/<name> redirects there
        self.pages: dict[str, str] = {}  # name -> html served at /s/<name> as it is
        self._lock = threading.Lock()

    # -- the history --

    def add_posts(self, count: int) -> None:
        """Publish ``count`` new posts after the newest one."""
        top = max(self.ids, default=0)
        self.ids.extend(range(top + 1, top + count + 1))

    def visible(self) -> list[int]:
        """The ids Telegram would show, oldest first."""
        return [i for i in self.ids if i not in self.deleted]

    def wrap(self, post_id: int) -> str:
        """The markup of post ``post_id``: a real wrap, re-numbered, with media on this server."""
        original, html = self.template.wraps[(post_id - 1) % len(self.template.wraps)]
        offset = post_id - original
        html = re.sub(
            rf"{SOURCE_NAME}/(\d+)",
            lambda m: f"{self.channel}/{int(m.group(1)) + offset}",
            html,
        )
        html = CDN.sub(f"{self.base_url}/cdn/{post_id}/", html)
        if post_id in self.edits:  # an edited post: new words at the start of its text, new views
            opening = '<div class="tgme_widget_message_text js-message_text" dir="auto">'
            html = html.replace(opening, opening + self.edits[post_id] + " ", 1)
            html = re.sub(r'(<span class="tgme_widget_message_views">)[^<]*', r"\g<1>9.99K", html, count=1)
        return html

    def page_html(self, before: int | None) -> str:
        """The page of the 20 newest visible posts older than ``before`` (all posts when None)."""
        shown = [i for i in self.visible() if before is None or i < before]
        shown = shown[-PAGE_IDS:]
        head = self.template.head.replace(SOURCE_NAME, self.channel)
        tail = self.template.tail.replace(SOURCE_NAME, self.channel)
        head = CDN.sub(f"{self.base_url}/cdn/avatar/", head)
        links = ""
        more = ""
        newest = shown[-1] if shown else (before or 1) - 1
        has_older = bool(shown) and any(i < shown[0] for i in self.visible())
        if has_older:
            links += f'<link rel="prev" href="/s/{self.channel}?before={shown[0]}">\n'
            more = (
                '<div class="tgme_widget_message_centered js-messages_more_wrap">'
                f'<a href="/s/{self.channel}?before={shown[0]}" class="tme_messages_more js-messages_more" '
                f'data-before="{shown[0]}"></a></div>'
            )
        links += f'<link rel="canonical" href="/s/{self.channel}?before={newest + 1}">\n'
        head = head.replace("</head>", links + "</head>", 1)
        body = "".join(self.wrap(i) for i in shown) if shown else NO_POSTS_WRAP
        return head + more + body + tail

    # -- the server --

    def handle(self, request: Request) -> Response:
        """Answer one request: a page, a media file, or a queued fault."""
        path = request.path
        if path.startswith("/cdn/"):
            return self._media(request)
        with self._lock:
            self.page_requests.append(request.full_path)
            self.user_agents.add(request.headers.get("User-Agent", ""))
            fault = self.faults.pop(0) if self.faults else None
        name = path.strip("/").removeprefix("s/")
        if path.startswith("/s/") and name in self.landing:
            return Response("", status=302, headers={"Location": f"/{name}"})
        if not path.startswith("/s/") and name in self.landing:
            return Response(self.landing[name], content_type="text/html; charset=utf-8")
        if path.startswith("/s/") and name in self.pages:
            return Response(self.pages[name], content_type="text/html; charset=utf-8")
        if self.page_delay:
            time.sleep(self.page_delay)
        if fault is not None:
            return self._fault(fault, request)
        if path.rstrip("/") != f"/s/{self.channel}":
            return Response("not here", status=404)
        before = request.args.get("before", type=int)
        return Response(self.page_html(before), content_type="text/html; charset=utf-8")

    def _fault(self, fault: Fault, request: Request) -> Response:
        if fault.kind == "status":
            return Response("busy", status=fault.status, headers=fault.headers)
        if fault.kind == "hang":
            time.sleep(fault.seconds)
        if fault.kind == "no_posts":
            return Response(
                self.template.head.replace(SOURCE_NAME, self.channel) + NO_POSTS_WRAP + self.template.tail,
                content_type="text/html; charset=utf-8",
            )
        if fault.kind == "garbage":
            return Response("\x00\x01 not html at all " * 50, content_type="text/html")
        before = request.args.get("before", type=int)
        html = self.page_html(before)
        if fault.kind == "cut":
            return Response(html[: len(html) // 2], content_type="text/html; charset=utf-8")
        return Response(html, content_type="text/html; charset=utf-8")

    def _media(self, request: Request) -> Response:
        key = request.full_path.rstrip("?")
        with self._lock:
            self.media_requests.append(key)
        status = self.media_status(key) if self.media_status else 200
        if status == 0:  # a hang: answer only after the client has given up
            time.sleep(3.0)
            status = 200
        if status != 200:
            return Response("no", status=status)
        data, kind = media_body(key)
        with self._lock:
            self.media_sent[key] = data
        return Response(data, content_type=kind)


def media_body(key: str) -> tuple[bytes, str]:
    """The bytes and content type the fake CDN sends for a URL (decided by its extension)."""
    seed = hashlib.sha256(key.encode()).digest()
    filler = (seed * 64)[: 1000 + seed[0] * 4]
    if ".mp4" in key:
        return b"\x00\x00\x00\x18ftypmp42" + filler, "video/mp4"
    return b"\xff\xd8\xff\xe0" + filler, "image/jpeg"


class LocalServer:
    """One HTTP server on 127.0.0.1 that can serve a fresh FakeTelegram for each test."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.http = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        self.http.start()

    def fresh(self, count: int = 100, channel: str = SOURCE_NAME) -> FakeTelegram:
        """Forget the previous fake and serve a new history of ``count`` posts."""
        fake = FakeTelegram(self.http.url_for("/"), channel=channel, count=count)
        self.http.clear()
        self.http.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
        return fake

    def stop(self) -> None:
        """Shut the server down."""
        self.http.clear()
        self.http.stop()


@contextmanager
def serve(count: int = 100, channel: str = SOURCE_NAME) -> Iterator[FakeTelegram]:
    """Run a FakeTelegram on 127.0.0.1 for the length of a ``with`` block."""
    server = LocalServer()
    try:
        yield server.fresh(count, channel)
    finally:
        server.stop()


def scrape_config(root: Path, fake: FakeTelegram, **scrape: Any) -> Config:
    """Settings for a test scrape: no delay, short time-outs, few retries, no refresh unless asked."""
    values: dict[str, Any] = {"telegram_url": fake.base_url, "delay": 0.0, "timeout": 2.0, "retries": 3}
    values["refresh"] = 0
    values.update(scrape)
    return Config(root=root, scrape=ScrapeConfig(**values))


LANDING_CHANNEL = """<!DOCTYPE html><html><head><title>Telegram: Contact @{name}</title></head><body>
<div class="tgme_page"><div class="tgme_page_photo"><img class="tgme_page_photo_image" src="/a.jpg"></div>
<div class="tgme_page_title"><span dir="auto">A closed channel</span></div>
<div class="tgme_page_extra">12 345 subscribers</div>
<div class="tgme_page_description">No preview here.</div></div></body></html>"""

LANDING_GROUP = LANDING_CHANNEL.replace("12 345 subscribers", "1 024 members, 12 online")

NO_SUCH_NAME = """<!DOCTYPE html><html><head><title>Telegram Messenger</title>
<meta name="robots" content="noindex, nofollow"></head><body><div class="tgme_page">
<div class="tgme_page_description">If you have <strong>Telegram</strong>, you can contact
<a class="tgme_username_link" href="tg://resolve?domain={name}">@{name}</a> right away.</div>
</div></body></html>"""

NOT_TELEGRAM = "<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works</h1></body></html>"
