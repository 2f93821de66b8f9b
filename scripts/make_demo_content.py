"""Regenerate the demo archive in content/ from two saved real t.me pages, offline.

    python scripts/make_demo_content.py [--pages tests/data/telegram/pages] [--content content]

The saved pages (tests/data/telegram/pages/, with their provenance in tests/data/telegram/README.md) are served from a local HTTP server and read
with ``sitegen scrape --telegram-url http://127.0.0.1:PORT``, exactly as a real scrape would read
t.me. Telegram's media CDN is not reachable from a saved page, so the scrape runs with
``--no-media``: every photo and video is recorded as remote-only (no file, ``url`` pointing at
the post on t.me). Each saved page is one page of its channel, so ``--limit`` stops the scrape
at the posts the page holds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sitegen.telegram.parse import parse_page  # noqa: E402

# channel name -> saved page of it
DEMO_PAGES = {
    "sudpress53": "court_monitor_tme_s_sudpress53_ru_2026.html",
    "infoscape_test": "infoscape_test_start_of_channel.html",
}


def serve(pages: dict[str, bytes]) -> ThreadingHTTPServer:
    """Serve ``/s/<name>`` from ``pages`` on 127.0.0.1 (any other address is a 404)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            path = urlsplit(self.path)
            body = pages.get(path.path.removeprefix("/s/")) if not path.query else None
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    """Serve the saved pages, scrape each channel into content/, print what was made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    pages_dir = REPO / "tests" / "data" / "telegram" / "pages"
    parser.add_argument("--pages", type=Path, default=pages_dir, help="the folder of saved t.me pages")
    parser.add_argument("--content", type=Path, default=REPO / "content", help="where the archive goes")
    args = parser.parse_args()
    folder = args.pages
    pages = {name: (folder / file).read_bytes() for name, file in DEMO_PAGES.items()}
    server = serve(pages)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        for name, html in pages.items():
            shutil.rmtree(args.content / name, ignore_errors=True)
            count = len(parse_page(html.decode("utf-8")).posts)
            command = [sys.executable, "-c", "from sitegen.cli import main; main()", "scrape", name]
            command += ["--telegram-url", url, "--content", str(args.content), "--no-media"]
            command += ["--limit", str(count), "--refresh", "0"]
            done = subprocess.run(command, cwd=REPO, check=False)
            if done.returncode:
                return done.returncode
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
