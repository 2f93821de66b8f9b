"""The page fetcher against a local server that misbehaves on purpose: retries, backoff, clear errors."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fake_telegram import (
    LANDING_CHANNEL,
    LANDING_GROUP,
    NO_SUCH_NAME,
    NOT_TELEGRAM,
    FakeTelegram,
    Fault,
    LocalServer,
    scrape_config,
)

from sitegen import __version__
from sitegen.config import ScrapeConfig
from sitegen.telegram.fetch import (
    RETRY_AFTER_CAP,
    PageFetcher,
    ScrapeError,
    backoff_seconds,
    retry_after_seconds,
)


@pytest.fixture(scope="module")
def server():
    local = LocalServer()
    yield local
    local.stop()


@pytest.fixture
def fake(server):
    return server.fresh(count=60)


def fetcher_for(fake: FakeTelegram, tmp_path, **settings) -> PageFetcher:
    return PageFetcher(scrape_config(tmp_path, fake, **settings).scrape)


def test_retry_after_reads_seconds_http_dates_and_caps():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert retry_after_seconds("86400", now) == RETRY_AFTER_CAP
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_backoff_doubles_with_jitter_and_is_capped():
    assert backoff_seconds(0, 1.0, rand=lambda: 0.5) == 1.0
    assert backoff_seconds(3, 1.0, rand=lambda: 0.5) == 8.0
    assert backoff_seconds(2, 1.0, rand=lambda: 0.0) == 2.0  # jitter: half ...
    assert backoff_seconds(2, 1.0, rand=lambda: 1.0) == 6.0  # ... to one and a half
    assert backoff_seconds(30, 1.0, rand=lambda: 0.5) <= 120.0


def test_newest_page_is_one_request_with_a_clear_user_agent(fake, tmp_path):
    with fetcher_for(fake, tmp_path) as fetcher:
        page = fetcher.fetch_page("sudpress53", first=True)
    assert [p.id for p in page.posts] == list(range(41, 61))
    assert page.before == 41
    assert fetcher.requests == 1
    assert fake.user_agents == {f"sitegen/{__version__} (+static archive of public Telegram channels)"}


def test_429_with_retry_after_waits_as_told(fake, tmp_path):
    fake.faults.append(Fault("status", 429, {"Retry-After": "1"}))
    started = time.monotonic()
    with fetcher_for(fake, tmp_path) as fetcher:
        page = fetcher.fetch_page("sudpress53", before=21)
    assert time.monotonic() - started >= 0.95
    assert [p.id for p in page.posts] == list(range(1, 21))
    assert fetcher.requests == 2


def test_429_with_an_http_date_waits_until_then(fake, tmp_path):
    when = datetime.now(UTC) + timedelta(seconds=2)
    fake.faults.append(Fault("status", 429, {"Retry-After": format_datetime(when, usegmt=True)}))
    started = time.monotonic()
    with fetcher_for(fake, tmp_path) as fetcher:
        fetcher.fetch_page("sudpress53")
    assert time.monotonic() - started >= 0.9  # the date has one-second resolution
    assert fetcher.requests == 2


def test_429_without_retry_after_backs_off_and_recovers(fake, tmp_path):
    fake.faults += [Fault("status", 429), Fault("status", 429)]
    with fetcher_for(fake, tmp_path, retries=3) as fetcher:
        page = fetcher.fetch_page("sudpress53")
    assert len(page.posts) == 20
    assert fetcher.requests == 3


def test_burst_of_500_502_503_is_retried(fake, tmp_path):
    fake.faults += [Fault("status", 500), Fault("status", 502), Fault("status", 503)]
    with fetcher_for(fake, tmp_path, retries=4) as fetcher:
        page = fetcher.fetch_page("sudpress53", before=41)
    assert [p.id for p in page.posts] == list(range(21, 41))
    assert fetcher.requests == 4


def test_gives_up_with_one_line_after_the_last_attempt(fake, tmp_path):
    fake.faults += [Fault("status", 503)] * 3
    with fetcher_for(fake, tmp_path, retries=3) as fetcher, pytest.raises(ScrapeError) as caught:
        fetcher.fetch_page("sudpress53")
    message = str(caught.value)
    assert "gave up after 3 attempts" in message and "HTTP 503" in message
    assert "\n" not in message
    assert fetcher.requests == 3


def test_a_hanging_server_times_out_and_is_retried(fake, tmp_path):
    fake.faults.append(Fault("hang", seconds=3.0))
    started = time.monotonic()
    with fetcher_for(fake, tmp_path, timeout=0.5) as fetcher:
        page = fetcher.fetch_page("sudpress53")
    assert len(page.posts) == 20
    assert time.monotonic() - started < 2.5
    assert fetcher.requests == 2


def test_a_page_cut_off_mid_body_is_retried(fake, tmp_path):
    fake.faults.append(Fault("cut"))
    with fetcher_for(fake, tmp_path) as fetcher:
        page = fetcher.fetch_page("sudpress53", before=41)
    assert [p.id for p in page.posts] == list(range(21, 41))
    assert fetcher.requests == 2


def test_no_posts_found_in_the_middle_of_history_is_a_throttle(fake, tmp_path):
    fake.faults += [Fault("no_posts"), Fault("no_posts")]
    with fetcher_for(fake, tmp_path, retries=3) as fetcher:
        page = fetcher.fetch_page("sudpress53", before=21)
    assert [p.id for p in page.posts] == list(range(1, 21))
    assert fetcher.requests == 3


def test_garbage_in_the_middle_of_history_is_retried(fake, tmp_path):
    fake.faults.append(Fault("garbage"))
    with fetcher_for(fake, tmp_path) as fetcher:
        page = fetcher.fetch_page("sudpress53", before=21)
    assert len(page.posts) == 20


def test_delay_is_kept_between_requests(fake, tmp_path):
    with fetcher_for(fake, tmp_path, delay=0.3) as fetcher:
        started = time.monotonic()
        for before in (None, 41, 21):
            fetcher.fetch_page("sudpress53", before)
    assert time.monotonic() - started >= 0.6


def test_channel_without_public_preview_is_one_clear_error(fake, tmp_path):
    fake.landing["closedchannel"] = LANDING_CHANNEL.format(name="closedchannel")
    with fetcher_for(fake, tmp_path) as fetcher, pytest.raises(ScrapeError) as caught:
        fetcher.fetch_page("closedchannel", first=True)
    assert "no public web preview" in str(caught.value)
    assert fetcher.requests == 1


def test_group_is_refused_as_not_a_channel(fake, tmp_path):
    fake.landing["somegroup"] = LANDING_GROUP.format(name="somegroup")
    with fetcher_for(fake, tmp_path) as fetcher, pytest.raises(ScrapeError, match="is a group"):
        fetcher.fetch_page("somegroup", first=True)


def test_nonexistent_name_is_one_clear_error(fake, tmp_path):
    fake.pages["nosuchname42"] = NO_SUCH_NAME.format(name="nosuchname42")
    with fetcher_for(fake, tmp_path) as fetcher, pytest.raises(ScrapeError, match="does not exist"):
        fetcher.fetch_page("nosuchname42", first=True)
    assert fetcher.requests == 1


def test_a_page_that_is_not_a_channel_preview_is_refused_at_once(fake, tmp_path):
    fake.pages["itworks"] = NOT_TELEGRAM
    with fetcher_for(fake, tmp_path) as fetcher, pytest.raises(ScrapeError, match="not a Telegram channel"):
        fetcher.fetch_page("itworks", first=True)
    assert fetcher.requests == 1


def test_telegram_url_must_be_http():
    with pytest.raises(ScrapeError, match="http"):
        PageFetcher(ScrapeConfig(telegram_url="ftp://t.me"))


def _resetting_server(page: bytes) -> tuple[str, threading.Thread, list[int]]:
    """A raw server that resets the first connection, then answers with ``page``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    seen = [0]

    def run() -> None:
        while seen[0] < 2:
            conn, _ = listener.accept()
            seen[0] += 1
            conn.recv(65536)
            if seen[0] == 1:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
                continue
            head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(page)}\r\n"
            conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + page)
            conn.close()
        listener.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", thread, seen


def test_a_reset_connection_is_retried(fake):
    page = fake.page_html(None).encode()
    url, thread, seen = _resetting_server(page)
    settings = ScrapeConfig(telegram_url=url, delay=0.0, timeout=2.0, retries=3)
    with PageFetcher(settings) as fetcher:
        parsed = fetcher.fetch_page("sudpress53", first=True)
    thread.join(timeout=5)
    assert len(parsed.posts) == 20
    assert seen[0] == 2 and fetcher.requests == 2
