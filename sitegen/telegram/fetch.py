"""Polite HTTP for the scraper: one page request at a time, retries with backoff, clear errors.

Everything that can go wrong on the network ends here as either a parsed page or one
:class:`ScrapeError` whose message fits on one line. Telegram answers 200 for almost everything,
so the page itself is checked: a redirect away from ``/s/<name>`` means the channel has no public
preview, a landing page means the name is a group, a user, a bot or nothing at all.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser

from sitegen import __version__
from sitegen.config import ScrapeConfig
from sitegen.errors import SitegenError
from sitegen.telegram.parse import PageError, ParsedPage, parse_page

USER_AGENT = f"sitegen/{__version__} (+static archive of public Telegram channels)"
PUBLIC_BASE = "https://t.me"  # links in the archive point at Telegram, wherever the pages came from
MAX_PAGE_BYTES = 4_000_000  # a t.me page is about 100 KB; anything this big is not one
RETRY_AFTER_CAP = 300.0  # seconds: the longest a Retry-After header can make us wait
BACKOFF_CAP = 120.0  # seconds: the longest wait between two attempts without Retry-After
MIN_BACKOFF = 0.1  # seconds: the first wait when the configured delay is 0 (tests)


class ScrapeError(SitegenError):
    """The scrape of a channel cannot go on; the message says why on one line."""


class RetryableError(Exception):
    """A fault worth another attempt: a throttle, a server error, a time-out, a cut-off body."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait  # seconds the server asked for (Retry-After), if any


@dataclass
class Body:
    """A whole HTTP response: status, headers, the URL after redirects, and every byte."""

    status: int
    headers: httpx.Headers
    url: httpx.URL
    content: bytes

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 by default), never failing."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Read a Retry-After header (seconds or an HTTP date) as seconds to wait, capped; None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def backoff_seconds(attempt: int, base: float, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter: about ``base * 2**attempt`` (x0.5 to x1.5), capped."""
    return min(BACKOFF_CAP, max(base, MIN_BACKOFF) * 2**attempt) * (0.5 + rand())


def make_client(settings: ScrapeConfig, connections: int = 1) -> httpx.Client:
    """An httpx client with sitegen's User-Agent, the configured time-out and few connections."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept-Language": "en"},
        timeout=httpx.Timeout(settings.timeout),
        follow_redirects=True,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def read_body(client: httpx.Client, url: str, timeout: float, max_bytes: int) -> Body:
    """GET ``url`` and read the whole body; raise RetryableError on transient faults.

    The whole request must finish within a few time-outs (plus time for a big body at a slow
    100 KB/s), so a server that trickles bytes cannot hold the scrape forever. A body over
    ``max_bytes`` raises :class:`TooLarge`.
    """
    deadline = time.monotonic() + 4 * timeout + max_bytes / 100_000
    try:
        with client.stream("GET", url) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes and response.status_code == 200:
                raise TooLarge(int(declared))
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(size)
                if time.monotonic() > deadline:
                    raise RetryableError("the server was too slow to send the response")
                chunks.append(chunk)
            return Body(response.status_code, response.headers, response.url, b"".join(chunks))
    except httpx.TimeoutException:
        raise RetryableError(f"no answer within {timeout:g} s") from None
    except httpx.RemoteProtocolError:
        raise RetryableError("the connection broke off mid-response") from None
    except httpx.TransportError as exc:
        raise RetryableError(f"connection failed ({type(exc).__name__})") from None


class TooLarge(Exception):
    """The body is larger than the caller accepts."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def check_status(body: Body) -> None:
    """Raise RetryableError for 429 and 5xx answers (with the Retry-After wait, when given)."""
    if body.status == 429:
        raise RetryableError(
            "too many requests (HTTP 429)", retry_after_seconds(body.headers.get("retry-after"))
        )
    if body.status >= 500:
        wait = retry_after_seconds(body.headers.get("retry-after")) if body.status == 503 else None
        raise RetryableError(f"server error (HTTP {body.status})", wait)


def landing_problem(html: str, name: str) -> str | None:
    """Explain a t.me landing page (``t.me/<name>``) in one sentence, or None if it is not one."""
    tree = LexborHTMLParser(html)
    if tree.css_first(".tgme_channel_history, .tgme_widget_message_wrap") is not None:
        return None
    extra = tree.css_first(".tgme_page_extra")
    extra_text = extra.text(strip=True).lower() if extra is not None else ""
    title = tree.css_first(".tgme_page_title")
    lowered = html.lower()
    if title is None and ("tgme_username_link" in lowered or "you can contact" in lowered):
        return f"@{name} does not exist on Telegram (no channel, group or user has this name)"
    if title is None and extra is None:
        return None
    if "subscriber" in extra_text:
        return f"@{name} has no public web preview (t.me/s/{name} is closed); only public ones can be read"
    if "member" in extra_text or "online" in extra_text:
        return f"@{name} is a group, not a channel; only public channels can be archived"
    if "bot" in extra_text or "start bot" in lowered:
        return f"@{name} is a bot, not a channel"
    if "invited" in lowered:
        return f"@{name} is a private invitation, not a public channel"
    return f"@{name} is not a public channel (Telegram shows its contact page instead of a preview)"


class PageFetcher:
    """Fetches channel preview pages one at a time, with a delay between them and retries.

    ``requests`` counts every HTTP request made for pages, retries included.
    """

    def __init__(self, settings: ScrapeConfig, client: httpx.Client | None = None) -> None:
        base = settings.telegram_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ScrapeError(
                f"the Telegram URL must start with http:// or https://, not {settings.telegram_url!r}"
            )
        self.settings = settings
        self.base = base
        self._prefix = urlsplit(base).path.rstrip("/") + "/s/"
        self._client = client or make_client(settings)
        self._own_client = client is None
        self._last_request = 0.0
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    def close(self) -> None:
        """Close the HTTP client (if this fetcher made it)."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page_url(self, name: str, before: int | None = None) -> str:
        """The address of a channel's newest page, or of the page of posts older than ``before``."""
        url = f"{self.base}/s/{name}"
        return f"{url}?before={int(before)}" if before is not None else url

    def _wait_turn(self) -> None:
        """Sleep until ``delay`` seconds (with a little jitter) have passed since the last request."""
        delay = self.settings.delay * (1.0 + 0.1 * random.random()) if self.settings.delay else 0.0
        pause = self._last_request + delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        self._last_request = time.monotonic()

    def fetch_page(self, name: str, before: int | None = None, *, first: bool = False) -> ParsedPage:
        """Fetch and parse one page of ``name``; retry transient faults; raise ScrapeError otherwise.

        ``first`` marks the first request for a channel: a page that is not a channel preview is
        then reported at once (a wrong name or URL) instead of being retried as a glitch.
        A "No posts found" page is taken for a throttle (Telegram sends it under load) and retried.
        """
        url = self.page_url(name, before)
        attempts = self.settings.retries
        last = ""
        for attempt in range(attempts):
            if attempt:
                self.retries += 1
            try:
                return self._fetch_once(url, name, first=first)
            except RetryableError as exc:
                last = exc.reason
                if attempt + 1 < attempts:
                    wait = exc.wait if exc.wait is not None else backoff_seconds(attempt, self.settings.delay)
                    time.sleep(wait)
        raise ScrapeError(f"{url}: gave up after {attempts} attempts: {last}")

    def _fetch_once(self, url: str, name: str, *, first: bool) -> ParsedPage:
        with self._lock:
            self._wait_turn()
            self.requests += 1
            try:
                body = read_body(self._client, url, self.settings.timeout, MAX_PAGE_BYTES)
            except TooLarge as exc:
                raise ScrapeError(f"{url}: not a channel preview page ({exc} is far too large)") from None
        check_status(body)
        if body.status == 404 or body.status == 410:
            raise ScrapeError(f"@{name} does not exist ({url} answered HTTP {body.status})")
        if body.status != 200:
            raise ScrapeError(f"{url} answered HTTP {body.status}; expected a channel preview page")
        html = body.text
        if not body.url.path.startswith(self._prefix):
            problem = landing_problem(html, name)
            raise ScrapeError(
                problem or f"@{name} has no public web preview (t.me/s/{name} redirects to {body.url})"
            )
        if "<html" not in html[:4096].lower():
            if first:
                raise ScrapeError(f"{url} is not a Telegram channel preview page (not an HTML document)")
            raise RetryableError("the answer was not an HTML page")
        if "</html>" not in html[-4096:].lower():
            raise RetryableError("the page was cut off before its end")
        problem = landing_problem(html, name)
        if problem:
            raise ScrapeError(problem)
        try:
            page = parse_page(html, PUBLIC_BASE)
        except PageError as exc:
            if first:
                raise ScrapeError(f"{url} is not a Telegram channel preview page ({exc})") from None
            raise RetryableError(f"not a channel preview page ({exc})") from None
        if page.no_posts_found and not page.posts:
            raise RetryableError('Telegram answered "No posts found" (a throttle)')
        return page
