"""``sitegen serve``: build, serve output/ on 127.0.0.1 under a base path, rebuild and reload on changes.

The server behaves like a GitHub project site: the site lives under a base path such as ``/repo/``,
everything outside it is 404, ``/repo`` redirects to ``/repo/``, folder URLs serve their
``index.html`` and unknown paths get the site's ``404.html`` with status 404.

Live reload: the server (never the build) adds a small script to every HTML page it sends. The
script long-polls a version endpoint under ``<base>__sitegen__/`` and reloads the page when a
rebuild finishes. output/ itself stays exactly what ``sitegen build`` makes.
"""

from __future__ import annotations

import errno
import ipaddress
import mimetypes
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from sitegen.config import BASE_URL_WARNING, CONFIG_FILE, Config
from sitegen.errors import SitegenError
from sitegen.files import TEMP_PREFIX
from sitegen.progress import ProgressSink, group_warnings

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT_TRIES = 10  # without --port: 8000, 8001, ... 8009, then any free port
LIVE_DIR = "__sitegen__/"  # below the base path; Telegram names never start with "_"
LIVE_SCRIPT = "live.js"
LIVE_VERSION = "version"
LONG_POLL_SECONDS = 25.0
CHUNK = 64 * 1024

EXTRA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}

LIVE_JS = """\
(() => {
  "use strict";
  const me = document.currentScript;
  const url = me.src.replace(/live\\.js(\\?.*)?$/, "version");
  const version = me.dataset.version;
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  (async () => {
    for (;;) {
      try {
        const answer = await fetch(url + "?since=" + encodeURIComponent(version), { cache: "no-store" });
        if (answer.ok) {
          if ((await answer.text()).trim() !== version) { location.reload(); return; }
        } else {
          await sleep(2000);
        }
      } catch (error) {
        await sleep(2000);  // the server is restarting or gone: try again
      }
    }
  })();
})();
"""


class ServeError(SitegenError):
    """The server cannot start (port in use, a failed first build, a bad base path)."""


# --- pure helpers ---------------------------------------------------------------------------------


def normalise_base_path(text: str) -> str:
    """``repo``, ``/repo`` or ``/repo/`` -> ``/repo/``; empty -> ``/``; refuses ``..`` and odd characters."""
    parts = [part for part in text.strip().split("/") if part]
    for part in parts:
        if part in (".", "..") or not re.fullmatch(r"[^\x00-\x20\\?#%]+", part):
            raise ServeError(f"--base-path: {text!r} is not a usable URL path like /repo/")
    return "/" + "".join(f"{part}/" for part in parts)


def base_path_of(base_url: str) -> str:
    """The path part of a base URL (``https://user.github.io/repo/`` -> ``/repo/``)."""
    return normalise_base_path(unquote(urlsplit(base_url).path)) if base_url else "/"


def inject_live_script(html: bytes, script_url: str, version: int) -> bytes:
    """Add the live-reload script to an HTML page, before its last ``</body>`` (or at the end)."""
    tag = f'<script src="{script_url}" data-version="{version}" defer></script>'.encode()
    at = html.lower().rfind(b"</body>")
    if at < 0:
        return html + tag
    return html[:at] + tag + html[at:]


def content_type(path: Path) -> str:
    """The Content-Type for a file of the site."""
    suffix = path.suffix.lower()
    if suffix in EXTRA_TYPES:
        return EXTRA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single ``Range: bytes=...`` request, or None to send it all."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if not match or size == 0 or (not match[1] and not match[2]):
        return None
    if match[1]:
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        first, last = max(size - int(match[2]), 0), size - 1
    if first > last or first >= size:
        return None
    return first, last


@dataclass(frozen=True)
class Target:
    """What a request path leads to: a file, a redirect, the live-reload endpoints or nothing."""

    kind: str  # "file", "redirect", "live-script", "live-version", "not-found", "outside"
    path: Path | None = None
    location: str = ""


def resolve_request(output: Path, base: str, url_path: str) -> Target:
    """Map the path of a request to what the server sends, the way GitHub Pages does."""
    path = unquote(url_path)
    if path == base.rstrip("/") and base != "/":
        return Target("redirect", location=quote(base))
    if not path.startswith(base):
        return Target("outside")
    relative = path[len(base) :]
    if relative == LIVE_DIR + LIVE_SCRIPT:
        return Target("live-script")
    if relative == LIVE_DIR + LIVE_VERSION:
        return Target("live-version")
    parts = [part for part in relative.split("/") if part]
    if any(part in (".", "..") or "\x00" in part or "\\" in part for part in parts):
        return Target("not-found")
    target = output.joinpath(*parts)
    if target.is_dir():
        if relative and not relative.endswith("/"):
            return Target("redirect", location=quote(path + "/"))
        target = target / "index.html"
    if not target.is_file() or not _inside(target, output):
        return Target("not-found")
    return Target("file", target)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


# --- live reload state ----------------------------------------------------------------------------


class LiveState:
    """The number of the current build; waiters learn about a new one as soon as it is there."""

    def __init__(self) -> None:
        self.version = 1
        self._changed = threading.Condition()
        self._closed = False

    def bump(self) -> int:
        """Count a new good build and wake every waiting browser."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()
            return self.version

    def wait(self, since: str | None, timeout: float) -> int:
        """Return the version once it differs from ``since`` (or after ``timeout`` seconds)."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or str(self.version) != since, timeout)
            return self.version

    def close(self) -> None:
        """Release every waiter (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()


# --- HTTP ---------------------------------------------------------------------------------------


class SiteHandler(BaseHTTPRequestHandler):
    """Serves one output folder under a base path; configured by :func:`make_server`."""

    server_version = "sitegen-serve"
    protocol_version = "HTTP/1.1"
    output: Path = Path("output")
    base: str = "/"
    live: LiveState | None = None

    def do_GET(self) -> None:  # noqa: N802 (the http.server naming)
        """Answer a GET request."""
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        """Answer a HEAD request."""
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet: a page load is dozens of requests."""

    def _answer(self, send_body: bool) -> None:
        url = urlsplit(self.path)
        target = resolve_request(self.output, self.base, url.path)
        try:
            if target.kind == "redirect":
                location = target.location + (f"?{url.query}" if url.query else "")
                self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", send_body, {"Location": location})
            elif target.kind == "live-script" and self.live:
                self._send(HTTPStatus.OK, LIVE_JS.encode(), EXTRA_TYPES[".js"], send_body)
            elif target.kind == "live-version" and self.live:
                since = parse_qs(url.query).get("since", [None])[0]
                version = self.live.wait(since, LONG_POLL_SECONDS if since else 0)
                self._send(HTTPStatus.OK, str(version).encode(), EXTRA_TYPES[".txt"], send_body)
            elif target.kind == "file" and target.path:
                self._send_file(target.path, HTTPStatus.OK, send_body)
            elif target.kind == "outside":
                text = f"Not found: this site is served under {self.base}\n".encode()
                self._send(HTTPStatus.NOT_FOUND, text, EXTRA_TYPES[".txt"], send_body)
            else:
                self._send_not_found(send_body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_not_found(self, send_body: bool) -> None:
        page = self.output / "404.html"
        if page.is_file():
            self._send_file(page, HTTPStatus.NOT_FOUND, send_body)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", EXTRA_TYPES[".txt"], send_body)

    def _send_file(self, path: Path, status: HTTPStatus, send_body: bool) -> None:
        kind = content_type(path)
        try:
            if kind.startswith("text/html"):
                version = self.live.version if self.live else 0  # before reading: never miss a rebuild
                data = path.read_bytes()
                if self.live:
                    data = inject_live_script(data, quote(self.base + LIVE_DIR + LIVE_SCRIPT), version)
                self._send(status, data, kind, send_body)
                return
            handle = path.open("rb")
        except OSError:
            self._send(HTTPStatus.NOT_FOUND, b"Not found\n", EXTRA_TYPES[".txt"], send_body)
            return
        with handle:
            size = os.fstat(handle.fileno()).st_size
            span = parse_range(self.headers.get("Range"), size) if status == HTTPStatus.OK else None
            first, last = span or (0, size - 1)
            headers = {"Accept-Ranges": "bytes"}
            if span:
                status = HTTPStatus.PARTIAL_CONTENT
                headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            self._head(status, kind, last - first + 1, headers)
            if send_body:
                handle.seek(first)
                left = last - first + 1
                while left > 0:
                    chunk = handle.read(min(CHUNK, left))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)

    def _send(
        self, status: HTTPStatus, data: bytes, kind: str, send_body: bool, extra: dict[str, str] | None = None
    ) -> None:
        self._head(status, kind, len(data), extra or {})
        if send_body:
            self.wfile.write(data)

    def _head(self, status: HTTPStatus, kind: str, length: int, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()


class SiteServer(ThreadingHTTPServer):
    """A threading HTTP server whose request threads never keep the process alive."""

    daemon_threads = True
    allow_reuse_address = True


def check_bind(address: str) -> str:
    """The address to listen on: an IP address (``127.0.0.1``, ``0.0.0.0``, ``::1``) or ``localhost``."""
    if address == "localhost":
        return HOST
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise ServeError(
            f"--bind: {address!r} is not an IP address of this machine, like 127.0.0.1, 0.0.0.0 or ::1"
        ) from None


def make_server(
    output: Path, base: str, port: int, live: LiveState | None = None, bind: str = HOST
) -> SiteServer:
    """Bind a server for ``output`` under ``base`` on ``bind``:``port`` (0 picks a free port)."""
    handler = type("BoundSiteHandler", (SiteHandler,), {"output": output, "base": base, "live": live})
    server_class = SiteServer
    if ":" in bind:
        server_class = type("SiteServer6", (SiteServer,), {"address_family": socket.AF_INET6})
    try:
        return server_class((bind, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(f"port {port} is already in use: pick another one with --port N") from None
        raise ServeError(f"cannot listen on {bind}:{port}: {exc.strerror or exc}") from None


def open_server(
    output: Path, base: str, port: int | None, live: LiveState | None = None, bind: str = HOST
) -> tuple[SiteServer, str]:
    """Bind the server; without a ``port``, the first free one from 8000 on: (server, note on the port)."""
    if port is not None:
        return make_server(output, base, port, live, bind), ""
    for candidate in range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES):
        try:
            server = make_server(output, base, candidate, live, bind)
        except ServeError as exc:
            if "already in use" not in str(exc):
                raise
            continue
        note = f" (port {DEFAULT_PORT} is busy)" if candidate != DEFAULT_PORT else ""
        return server, note
    return make_server(output, base, 0, live, bind), f" (ports {DEFAULT_PORT}-{candidate} are busy)"


def site_url(server: SiteServer, base: str) -> str:
    """The address of the served site, e.g. ``http://127.0.0.1:8000/repo/``."""
    host = server.server_address[0]
    host = {"0.0.0.0": HOST, "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{host}:{server.server_address[1]}{quote(base)}"


# --- building and watching ----------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    """An exception as one readable line (template errors keep their file and line)."""
    where = ""
    filename, lineno = getattr(exc, "filename", None), getattr(exc, "lineno", None)
    if filename and lineno and not isinstance(exc, OSError):
        where = f"{filename}:{lineno}: "
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    if isinstance(exc, SitegenError):
        return where + text
    return f"{where}{type(exc).__name__}: {text}"


class Rebuilder:
    """Loads the settings and builds the site; one build at a time; a failure leaves the last good one."""

    def __init__(
        self,
        load: Callable[[], Config],
        live: LiveState,
        echo: Callable[[str], None],
        warn: Callable[[list[str]], None] | None = None,
        error: Callable[[str], None] | None = None,
        progress: ProgressSink | None = None,
    ) -> None:
        self.load = load
        self.progress = progress  # the first build's progress (rebuilds are quick and run beside requests)
        self.live = live
        self.echo = echo  # results (stdout)
        self.warn = warn or (lambda warnings: [echo(f"warning: {w}") for w in group_warnings(warnings)])
        self.error = error or (lambda text: echo(f"Error: {text}"))
        self.lock = threading.Lock()
        self.cfg = load()

    def first_build(self) -> None:
        """The build before the server starts: a failure stops ``serve``."""
        from sitegen.build import build_site

        started = time.perf_counter()
        try:
            report = build_site(self.cfg, progress=self.progress)
        except Exception as exc:
            raise ServeError(one_line(exc)) from None
        finally:
            if self.progress is not None:
                self.progress.end()
        self.echo(
            f"Built {report.posts} posts into {self.cfg.output_dir}/ in {time.perf_counter() - started:.2f} s"
        )
        self._report(report)

    def _report(self, report: Any) -> None:
        """Print a build's warnings (grouped) and failed channels; base_url is not needed to preview."""
        self.warn([w for w in report.warnings if w != BASE_URL_WARNING])
        for failure in report.failed:
            self.error(f"{failure} (this channel is left out)")

    def rebuild(self, reason: str) -> bool:
        """Reload the settings and build again; print one line either way; True when it worked."""
        from sitegen.build import build_site

        with self.lock:
            started = time.perf_counter()
            try:
                cfg = self.load()
                report = build_site(cfg)
            except Exception as exc:
                self.error(f"{one_line(exc)} (still serving the last good build)")
                return False
            self.cfg = cfg
            self.live.bump()
            self.echo(
                f"Rebuilt after a change in {reason}: {report.written} files written "
                f"in {time.perf_counter() - started:.2f} s"
            )
            self._report(report)
            return True


class _Either:
    """Set when either of two events is set (watchfiles checks ``is_set()``)."""

    def __init__(self, first: threading.Event, second: threading.Event) -> None:
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()


class Watcher:
    """Two watchfiles loops: content/ and templates/ recursively, the settings folder on its own."""

    def __init__(self, rebuilder: Rebuilder, config_path: Path) -> None:
        self.rebuilder = rebuilder
        self.config_path = config_path
        self.stop = threading.Event()
        self.restart = threading.Event()
        self.threads: list[threading.Thread] = []
        self.polling = False  # set when the system cannot watch that many folders

    def start(self) -> None:
        """Start watching in background threads."""
        loops = [(self._tree_paths, True, self._tree_change), (self._root_paths, False, self._root_change)]
        for paths, recursive, relevant in loops:
            thread = threading.Thread(target=self._loop, args=(paths, recursive, relevant), daemon=True)
            thread.start()
            self.threads.append(thread)

    def close(self) -> None:
        """Stop watching."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=2)

    def _tree_paths(self) -> list[Path]:
        cfg = self.rebuilder.cfg
        return [p for p in (cfg.content_dir, cfg.templates_dir) if p.is_dir()]

    def _root_paths(self) -> list[Path]:
        folder = self.config_path.parent
        return [folder] if folder.is_dir() else []

    def _tree_change(self, path: Path) -> str | None:
        if path.name.startswith(TEMP_PREFIX):
            return None
        cfg = self.rebuilder.cfg
        for label, folder in (("templates", cfg.templates_dir), ("content", cfg.content_dir)):
            if _is_below(path, folder):
                return label
        return None

    def _root_change(self, path: Path) -> str | None:
        cfg = self.rebuilder.cfg
        if _same(path, self.config_path):
            return self.config_path.name
        if _same(path, cfg.templates_dir) or _same(path, cfg.content_dir):
            self.restart.set()  # a watched folder appeared or went away
            return path.name
        return None

    def _loop(
        self, paths: Callable[[], list[Path]], recursive: bool, relevant: Callable[[Path], str | None]
    ) -> None:
        import watchfiles

        while not self.stop.is_set():
            if recursive:
                self.restart.clear()
            folders = paths()
            if not folders:
                self.stop.wait(0.5)
                continue
            until = _Either(self.stop, self.restart) if recursive else self.stop
            try:
                for changes in watchfiles.watch(
                    *folders, recursive=recursive, stop_event=until, step=50, rust_timeout=500,
                    raise_interrupt=False, force_polling=self.polling,
                ):  # fmt: skip
                    reasons = {r for _, name in changes if (r := relevant(Path(name))) is not None}
                    if reasons:
                        self.rebuilder.rebuild(", ".join(sorted(reasons)))
            except FileNotFoundError:
                self.stop.wait(0.5)  # a watched folder vanished: look again
            except (OSError, RuntimeError) as exc:
                if self.polling:
                    self.stop.wait(0.5)
                    continue
                self.polling = True  # e.g. the system's limit of watched folders is reached
                self.rebuilder.warn([f"cannot watch for changes ({one_line(exc)}); polling instead"])


def _is_below(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _same(first: Path, second: Path) -> bool:
    return os.path.normcase(first.absolute()) == os.path.normcase(second.absolute())


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Let ``kill`` stop the server as cleanly as Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(
    load: Callable[[], Config],
    config_path: Path | None = None,
    port: int | None = None,
    base_path: str | None = None,
    watch: bool = True,
    echo: Callable[[str], None] = print,
    warn: Callable[[list[str]], None] | None = None,
    error: Callable[[str], None] | None = None,
    bind: str = HOST,
    progress: ProgressSink | None = None,
) -> None:
    """Build, serve output/ under the base path, and rebuild on changes until Ctrl-C.

    ``load`` returns the settings (called again on every rebuild, so sitegen.toml edits apply);
    ``base_path`` defaults to the path of ``base_url`` (``/`` without one). Without a ``port``,
    the first free one from 8000 on; a given port that is busy is an error. Results go to
    ``echo``, warnings to ``warn``, errors to ``error``; ``progress`` shows the first build's.
    """
    bind = check_bind(bind)
    live = LiveState()
    rebuilder = Rebuilder(load, live, echo, warn, error, progress)
    cfg = rebuilder.cfg
    base = normalise_base_path(base_path) if base_path is not None else base_path_of(cfg.base_url)
    server, note = open_server(cfg.output_dir, base, port, live, bind)
    watcher = Watcher(rebuilder, config_path or cfg.root / CONFIG_FILE)
    try:
        with _sigterm_as_interrupt():
            rebuilder.first_build()
            if watch:
                watcher.start()
            echo(f"Serving {cfg.output_dir}/ at {site_url(server, base)}{note} (Ctrl-C to stop)")
            server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        live.close()
        watcher.close()
        server.server_close()
    echo("Stopped.")
