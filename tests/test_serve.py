"""``sitegen serve``: the site under a base path like a GitHub project site, rebuilds, live reload, Ctrl-C.

The end-to-end test goes from ``sitegen init`` to a crawl of the served site: it scrapes a saved
real page from a local stand-in for t.me, builds with a sub-path base URL, serves under /repo/ and
follows every internal link and asset.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from sitegen.config import Config
from sitegen.serve import (
    LiveState,
    Rebuilder,
    ServeError,
    Watcher,
    base_path_of,
    inject_live_script,
    make_server,
    normalise_base_path,
    parse_range,
)
from tests.linkcheck import references as html_references

CHANNEL = "infoscape_test"
SAVED_PAGE = "telegram/pages/infoscape_test_start_of_channel.html"
CDN = re.compile(r"https://cdn\d*\.(?:telesco\.pe|telegram-cdn\.org)/")


# --- helpers --------------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG image, made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x33\x33" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def get(
    url: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request without following redirects: (status, headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def references(url: str, kind: str, body: bytes) -> list[str]:
    """Every URL a response points at (HTML attributes, CSS url(), feed and sitemap links)."""
    text = body.decode("utf-8", "replace")
    if "html" in kind:
        refs = html_references(text)
    elif "css" in kind:
        refs = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
    elif "xml" in kind:
        refs = re.findall(r'href="([^"]+)"', text) + re.findall(r"<loc>([^<]+)</loc>", text)
    else:
        refs = re.findall(r"(?mi)^sitemap:\s*(\S+)", text)  # robots.txt
    return [urldefrag(urljoin(url, ref.replace("&amp;", "&")))[0] for ref in refs]


def crawl(*start: str) -> dict[str, int]:
    """Follow every same-origin link from the ``start`` URLs; return each URL with its status."""
    origin = urlsplit(start[0]).netloc
    seen: dict[str, int] = {}
    queue = list(start)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        status, headers, body = get(url)
        seen[url] = status
        if status != 200:
            continue
        for ref in references(url, headers.get("content-type", ""), body):
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https") and parts.netloc == origin and ref not in seen:
                queue.append(ref)
    return seen


def wait_for(check, seconds: float, message: str) -> None:  # noqa: ANN001
    """Poll ``check()`` until it is true, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(message)


# --- a local stand-in for t.me serving one saved real page --------------------------------------


@pytest.fixture
def telegram(fixtures_dir: Path) -> Iterator[str]:
    """Serve the saved start-of-channel page at /s/infoscape_test and its CDN media at /cdn/."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    page = CDN.sub(f"{base}/cdn/", (fixtures_dir / SAVED_PAGE).read_text(encoding="utf-8")).encode()
    image = tiny_png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            path = urlsplit(self.path).path
            if path == f"/s/{CHANNEL}":
                body, kind = page, "text/html; charset=utf-8"
            elif path.startswith("/cdn/"):
                body, kind = image, "image/png"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def sitegen(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real command line in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-c", "from sitegen.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_serve(cwd: Path, *args: str) -> subprocess.Popen[str]:
    """Start ``sitegen serve`` and wait until it says where it serves."""
    proc = subprocess.Popen(
        [sys.executable, "-u", "-c", "from sitegen.cli import main; main()", "serve", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Serving "):
            return proc
    proc.kill()
    raise AssertionError("sitegen serve did not start:\n" + "".join(lines) + proc.stderr.read())  # type: ignore[union-attr]


def stop_with_ctrl_c(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Send SIGINT like Ctrl-C does; return (exit code, rest of stdout, stderr)."""
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("sitegen serve did not stop on Ctrl-C") from None
    return proc.returncode, out, err


# --- the whole path: init -> scrape -> build -> serve -> crawl -> edit -> reload ------------------


def test_init_scrape_build_serve_under_a_sub_path_and_crawl_every_link(tmp_path: Path, telegram: str) -> None:
    site = tmp_path / "site"
    result = sitegen(tmp_path, "init", "site", "--channel", CHANNEL)
    assert result.returncode == 0, result.stderr
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/repo/"
    settings = site / "sitegen.toml"
    text = settings.read_text()
    text = text.replace('# base_url = ""', f'base_url = "{base_url}"').replace("# delay = 1.0", "delay = 0.0")
    settings.write_text(text)

    result = sitegen(site, "scrape", "--telegram-url", telegram)
    assert result.returncode == 0, result.stdout + result.stderr
    posts = sorted((site / "content" / CHANNEL / "posts").glob("*.md"))
    assert len(posts) >= 5
    assert list((site / "content" / CHANNEL / "media").rglob("*.png")), "the photo was downloaded"

    result = sitegen(site, "build", "--base-url", base_url)
    assert result.returncode == 0, result.stdout + result.stderr

    proc = start_serve(site, "--port", str(port), "--base-path", "/repo/")
    try:
        names = ("robots.txt", "search.html")
        extra = [base_url + name for name in names if (site / "output" / name).exists()]
        seen = crawl(base_url, *extra)
        broken = sorted(url for url, status in seen.items() if status != 200)
        assert broken == [], broken
        pages = [url for url in seen if url.endswith("/")]
        for post in posts:
            assert f"{base_url}{CHANNEL}/{post.stem}/" in seen, f"post {post.stem} is linked"
        assert len(pages) >= len(posts) + 3
        print(f"crawled {len(seen)} URLs under {base_url}: {len(pages)} pages")
        assert any(url.endswith(".png") for url in seen), "the downloaded photo is shown"
        assert any(url.endswith(".css") for url in seen)
        assert base_url + "sitemap.xml" in seen and base_url + f"{CHANNEL}/feed.xml" in seen
        assert all(urlsplit(url).path.startswith("/repo/") for url in seen)

        # Like a GitHub project site.
        status, headers, _ = get(f"http://127.0.0.1:{port}/repo")
        assert status == 301 and headers["location"].endswith("/repo/")
        status, _, _ = get(f"http://127.0.0.1:{port}/")
        assert status == 404
        status, _, _ = get(f"http://127.0.0.1:{port}/{CHANNEL}/")
        assert status == 404, "paths outside the base path are not the site"
        status, headers, body = get(f"{base_url}no/such/page/")
        assert status == 404 and headers["content-type"].startswith("text/html")
        assert body.startswith((site / "output" / "404.html").read_bytes()[:200])

        # The reload script is the server's, never written into output/.
        status, _, body = get(base_url)
        assert b"/repo/__sitegen__/live.js" in body
        assert not [p for p in (site / "output").rglob("*.html") if b"__sitegen__" in p.read_bytes()]

        # Editing a post rebuilds the site; the version endpoint tells browsers to reload.
        _, _, version = get(f"{base_url}__sitegen__/version")
        post = site / "content" / CHANNEL / "posts" / f"{posts[-1].stem}.md"
        post.write_text(
            post.read_text(encoding="utf-8").rstrip("\n") + "\n\nEdited-in-serve-test\n", encoding="utf-8"
        )
        page_url = f"{base_url}{CHANNEL}/{posts[-1].stem}/"
        wait_for(lambda: b"Edited-in-serve-test" in get(page_url)[2], 30, "the page never showed the edit")
        newer = f"{base_url}__sitegen__/version?since={version.decode()}"
        assert int(get(newer)[2]) > int(version), "the version changes once the rebuild is done"
    finally:
        code, out, err = stop_with_ctrl_c(proc)
    assert code == 0, err
    assert "Traceback" not in err
    assert "Rebuilt" in out


# --- the server on its own ------------------------------------------------------------------------


@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    """An output folder with a home page, a folder page, a 404 page, a binary file and a secret beside it."""
    out = tmp_path / "output"
    (out / "chan" / "1").mkdir(parents=True)
    (out / "index.html").write_text("<html><body><h1>Home</h1></body></html>")
    (out / "chan" / "1" / "index.html").write_text("<html><BODY>Post 1</BODY></html>")
    (out / "404.html").write_text("<html><body>Nothing here</body></html>")
    (out / "chan" / "data.bin").write_bytes(bytes(range(256)))
    (out / "теги").mkdir()
    (out / "теги" / "index.html").write_text("<p>tag</p>")
    (tmp_path / "secret.txt").write_text("secret")
    return out


@pytest.fixture
def served(small_site: Path) -> Iterator[tuple[str, LiveState]]:
    """``small_site`` served under /repo/ in a thread; yields (site URL, live state)."""
    live = LiveState()
    server = make_server(small_site, "/repo/", 0, live)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/repo/", live
    live.close()
    server.shutdown()
    server.server_close()


def test_folder_urls_serve_their_index_and_redirect_without_the_slash(served: tuple[str, LiveState]) -> None:
    url, _ = served
    status, headers, body = get(url + "chan/1/")
    assert status == 200 and b"Post 1" in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    status, headers, _ = get(url + "chan/1")
    assert status == 301 and headers["location"] == "/repo/chan/1/"
    status, headers, _ = get(url[:-1] + "?x=1")
    assert status == 301 and headers["location"] == "/repo/?x=1"
    status, _, body = get(url + "%D1%82%D0%B5%D0%B3%D0%B8/")
    assert status == 200 and b"tag" in body


def test_unknown_paths_get_the_sites_404_page_with_status_404(served: tuple[str, LiveState]) -> None:
    url, _ = served
    status, headers, body = get(url + "missing/page.html")
    assert status == 404
    assert b"Nothing here" in body and headers["content-type"].startswith("text/html")
    status, _, body = get(url.replace("/repo/", "/elsewhere/"))
    assert status == 404 and b"/repo/" in body


def test_paths_that_climb_out_of_the_output_folder_are_refused(served: tuple[str, LiveState]) -> None:
    url, _ = served
    for path in ("../secret.txt", "%2e%2e/secret.txt", "chan/..%2f..%2fsecret.txt", "..%5csecret.txt"):
        status, _, body = get(url + path)
        assert status == 404 and b"secret" not in body, path


def test_html_gets_the_reload_script_and_other_files_are_sent_untouched(
    served: tuple[str, LiveState], small_site: Path
) -> None:
    url, live = served
    _, _, body = get(url + "chan/1/")
    script = b'<script src="/repo/__sitegen__/live.js" data-version="1" defer></script>'
    assert body == b"<html><BODY>Post 1" + script + b"</BODY></html>"
    assert b"live.js" not in (small_site / "chan" / "1" / "index.html").read_bytes()
    status, headers, body = get(url + "chan/data.bin")
    assert status == 200 and body == bytes(range(256))
    assert headers["content-length"] == "256"
    status, headers, body = get(url + "__sitegen__/live.js")
    assert (
        status == 200 and headers["content-type"].startswith("text/javascript") and b"location.reload" in body
    )


def test_head_and_range_requests(served: tuple[str, LiveState]) -> None:
    url, _ = served
    status, headers, body = get(url + "chan/data.bin", method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == "256"
    status, headers, body = get(url + "chan/data.bin", headers={"Range": "bytes=10-19"})
    assert status == 206 and body == bytes(range(10, 20))
    assert headers["content-range"] == "bytes 10-19/256"
    status, _, body = get(url + "chan/data.bin", headers={"Range": "bytes=-6"})
    assert status == 206 and body == bytes(range(250, 256))


def test_version_endpoint_answers_as_soon_as_a_build_finishes(served: tuple[str, LiveState]) -> None:
    url, live = served
    _, _, body = get(url + "__sitegen__/version")
    assert body == b"1"
    threading.Timer(0.3, live.bump).start()
    started = time.monotonic()
    _, _, body = get(url + "__sitegen__/version?since=1")
    assert body == b"2"
    assert 0.2 < time.monotonic() - started < 5


def test_a_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ServeError, match=f"port {port} is already in use"):
            make_server(Path("."), "/", port)


def test_serve_command_reports_a_busy_port_on_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        result = sitegen(tmp_path, "serve", "--port", str(sock.getsockname()[1]))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: port ") and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [("/repo/", "/repo/"), ("repo", "/repo/"), ("/repo", "/repo/"), ("", "/"), ("/", "/"), ("/a/b", "/a/b/")],
)
def test_base_paths_are_normalised(given: str, expected: str) -> None:
    assert normalise_base_path(given) == expected


@pytest.mark.parametrize("bad", ["/../x/", "/a b/", "/a?b/", "/%2e%2e/"])
def test_unusable_base_paths_are_refused(bad: str) -> None:
    with pytest.raises(ServeError):
        normalise_base_path(bad)


def test_base_path_defaults_to_the_path_of_base_url() -> None:
    assert base_path_of("https://user.github.io/repo/") == "/repo/"
    assert base_path_of("https://user.github.io/repo") == "/repo/"
    assert base_path_of("https://example.org/") == "/"
    assert base_path_of("") == "/"


def test_reload_script_goes_before_the_last_body_end_tag() -> None:
    assert (
        inject_live_script(b"<body>x</body>", "/s.js", 3)
        == b'<body>x<script src="/s.js" data-version="3" defer></script></body>'
    )
    assert inject_live_script(b"<p>no body", "/s.js", 1).startswith(b"<p>no body<script")


def test_range_headers_are_read_like_a_web_server() -> None:
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range("bytes=5-", 10) == (5, 9)
    assert parse_range("bytes=8-100", 10) == (8, 9)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=20-", 10) is None
    assert parse_range("items=1-2", 10) is None
    assert parse_range(None, 10) is None


# --- rebuilding while serving ---------------------------------------------------------------------


def write_small_content(root: Path, text: str = "First version") -> Path:
    """A one-post channel below ``root``; returns the post file."""
    from datetime import UTC, datetime

    from sitegen.content import write_channel, write_post
    from sitegen.model import Channel, Post

    write_channel(root / "content" / "chan_one", Channel(username="chan_one", title="Chan One"))
    when = datetime(2024, 5, 1, tzinfo=UTC)
    return write_post(root / "content" / "chan_one", Post(id=1, channel="chan_one", date=when, text=text))


@contextlib.contextmanager
def live_server(root: Path, base_path: str) -> Iterator[tuple[str, list[str], LiveState]]:
    """Build ``root`` and serve it under ``base_path``, rebuilding live: (site URL, lines printed, state)."""
    lines: list[str] = []
    live = LiveState()
    rebuilder = Rebuilder(lambda: Config(root=root, search=False), live, lines.append)
    rebuilder.first_build()
    server = make_server(root / "output", base_path, 0, live)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    watcher = Watcher(rebuilder, root / "sitegen.toml")
    watcher.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base_path}", lines, live
    finally:
        watcher.close()
        live.close()
        server.shutdown()
        server.server_close()


def test_a_failed_rebuild_prints_one_line_and_keeps_the_last_good_build(tmp_path: Path) -> None:
    post = write_small_content(tmp_path)
    (tmp_path / "templates").mkdir()
    with live_server(tmp_path, "/") as (site, lines, live):
        url = site + "chan_one/1/"
        time.sleep(0.3)  # let the watchers start
        (tmp_path / "templates" / "post.html").write_text(
            "{% extends 'base.html' %}{% block main %}{{ oops(}}"
        )
        wait_for(lambda: any(line.startswith("Error:") for line in lines), 20, f"no error reported: {lines}")
        error = next(line for line in lines if line.startswith("Error:"))
        assert "\n" not in error and "post.html" in error
        assert live.version == 1
        status, _, body = get(url)
        assert status == 200 and b"First version" in body

        (tmp_path / "templates" / "post.html").unlink()
        post.write_text(post.read_text(encoding="utf-8").replace("First version", "Second version"))
        wait_for(lambda: b"Second version" in get(url)[2], 20, f"no rebuild after the fix: {lines}")
        # the page is written before the build returns; the version and the line come right after
        wait_for(lambda: live.version >= 2, 5, "the version moves after the rebuild")
        wait_for(lambda: any(line.startswith("Rebuilt") for line in lines), 5, f"no Rebuilt line: {lines}")


def test_editing_the_settings_file_rebuilds_with_the_new_settings(tmp_path: Path) -> None:
    from sitegen.config import load_config

    write_small_content(tmp_path)
    settings = tmp_path / "sitegen.toml"
    settings.write_text('title = "Old title"\nsearch = false\n')
    lines: list[str] = []
    live = LiveState()
    rebuilder = Rebuilder(lambda: load_config(settings), live, lines.append)
    rebuilder.first_build()
    watcher = Watcher(rebuilder, settings)
    watcher.start()
    try:
        time.sleep(0.3)
        settings.write_text('title = "New title"\nsearch = false\nlanguage = "ru"\n')
        page = tmp_path / "output" / "chan_one" / "1" / "index.html"
        wait_for(lambda: 'lang="ru"' in page.read_text(encoding="utf-8"), 20, f"no rebuild: {lines}")
        wait_for(lambda: rebuilder.cfg.language == "ru", 5, "the new settings are kept after the build")
    finally:
        watcher.close()


def test_ctrl_c_stops_serve_cleanly(tmp_path: Path) -> None:
    write_small_content(tmp_path)
    (tmp_path / "sitegen.toml").write_text("search = false\n")
    proc = start_serve(tmp_path, "--port", "0")
    code, out, err = stop_with_ctrl_c(proc)
    assert code == 0
    assert "Traceback" not in err
    assert "Stopped." in out


def test_the_404_page_works_at_any_depth_under_the_base_path(tmp_path: Path) -> None:
    from sitegen.build import build_site

    write_small_content(tmp_path)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/repo/"
    build_site(Config(root=tmp_path, search=False, base_url=base_url))
    server = make_server(tmp_path / "output", "/repo/", port)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        missing = base_url + "chan_one/no/such/page/"
        status, headers, body = get(missing)
        assert status == 404
        found = references(missing, headers["content-type"], body)
        # "#main" (the skip link) resolves to the missing page itself: only other URLs must work
        refs = [ref for ref in found if ref.startswith(base_url) and ref != missing]
        assert refs
        broken = [ref for ref in refs if get(ref)[0] != 200]
        assert broken == []
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
def test_the_browser_reloads_by_itself_after_a_rebuild(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    post = write_small_content(tmp_path)
    with live_server(tmp_path, "/repo/") as (site, _, _), sync_playwright() as pw:
        args = ["--no-sandbox", "--headless"]
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        page.goto(site + "chan_one/1/")
        assert "First version" in page.content()
        page.evaluate("window.notReloadedYet = true")
        time.sleep(0.3)
        post.write_text(post.read_text(encoding="utf-8").replace("First version", "Reloaded version"))
        shows_edit = "() => document.body.textContent.includes('Reloaded version')"
        page.wait_for_function(shows_edit, timeout=20_000)
        assert page.evaluate("window.notReloadedYet") is None, "the page itself was reloaded"
        browser.close()
