"""Regenerate the demo archive in content/ from saved real t.me pages, offline.

    python scripts/make_demo_content.py [--pages tests/data/telegram] [--content content]

The saved pages (tests/data/telegram/, with their provenance in tests/data/telegram/README.md) are
served from a local HTTP server and read with ``sitegen scrape --telegram-url http://127.0.0.1:PORT``,
exactly as a real scrape would read t.me. Each saved page is one page of its channel, so ``--limit``
stops the scrape at the posts the page holds.

The pictures are STAND-INS. Telegram's media CDN cannot be reached from a saved page (its links
expire), so before serving a page this script points every media address in it at the same local
server, which answers each picture with a generated PNG of the real picture's size: a colour
gradient with the words "STAND-IN" on it. The scrape downloads them as it would the real files, so
the demo shows photos, albums, video posters and link-preview images the way a real archive does.
Videos are not generated: the server answers them with 404, and the archive keeps them as links to
Telegram (with their stand-in posters). Nothing here reaches the network.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import struct
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sitegen.telegram.parse import parse_page  # noqa: E402

# channel name -> saved page of it (inside tests/data/telegram/)
DEMO_PAGES = {
    "sudpress53": "pages/court_monitor_tme_s_sudpress53_ru_2026.html",
    "infoscape_test": "pages/infoscape_test_start_of_channel.html",
    "nflbite_official": "snippets/sundaysignal/nflbite_official_trimmed_poll_inline_buttons.html",
}
# Every absolute media address in a page: Telegram's CDN hosts (STRUCTURE.md, section 1).
CDN_URL = re.compile(r"https://cdn\d*\.(?:telesco\.pe|telegram-cdn\.org|cdn-telegram\.org)/[^'\"\s)]+")
# A browser's "Save page as" keeps pictures in a "<title>_files/" folder beside the page (the
# nflbite_official snippet's avatar): they too become stand-ins, so the scrape never reaches out.
SAVED_FILE = re.compile(r'(?<=src=")[^":]+_files/[^"]+')
STANDIN = "/standin/"

# A 5x7 pixel font for the words on a stand-in picture.
GLYPHS = {
    "S": ["01111", "10000", "10000", "01110", "00001", "00001", "11110"],
    "T": ["11111", "00100", "00100", "00100", "00100", "00100", "00100"],
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "N": ["10001", "11001", "10101", "10011", "10001", "10001", "10001"],
    "D": ["11110", "10001", "10001", "10001", "10001", "10001", "11110"],
    "-": ["00000", "00000", "00000", "11111", "00000", "00000", "00000"],
    "I": ["11111", "00100", "00100", "00100", "00100", "00100", "11111"],
}


def standin_png(width: int, height: int, seed: int) -> bytes:
    """A ``width`` x ``height`` PNG: a diagonal colour gradient with "STAND-IN" written across it."""
    shrink = max(width, height) / 320  # small files: the proportions are what a page needs
    if shrink > 1:
        width, height = round(width / shrink), round(height / shrink)
    width, height = max(16, width), max(16, height)
    hue = [(64, 110, 180), (180, 90, 70), (60, 140, 100), (150, 90, 160), (190, 150, 60)][seed % 5]
    word = "STAND-IN"
    scale = max(1, width // (len(word) * 6 * 3))
    text_w, text_h = len(word) * 6 * scale, 7 * scale
    left, top = (width - text_w) // 2, (height - text_h) // 2
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            t = ((x + y) // 16 * 16) / (width + height)  # bands: long runs compress well
            r, g, b = (int(c * (0.55 + 0.45 * t)) for c in hue)
            tx, ty = (x - left) // scale, (y - top) // scale
            if (
                0 <= ty < 7
                and 0 <= tx < len(word) * 6
                and tx % 6 < 5
                and GLYPHS[word[tx // 6]][ty][tx % 6] == "1"
            ):
                r = g = b = 255
            row += bytes((r, g, b))
        rows.append(b"\x00" + bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def point_media_here(page: str) -> tuple[str, dict[str, tuple[int, int] | None]]:
    """The page with every media address replaced by a stand-in address on the local server, and
    what each stand-in is: a picture's size, or None for a video (answered with 404)."""
    parsed = parse_page(page)
    posts = {post.id: post for post in parsed.posts}
    sizes: dict[str, tuple[int, int] | None] = {}
    for ref in parsed.media:
        post = posts.get(ref.post_id)
        item = post.media[ref.media_index] if post and ref.media_index is not None else None
        is_video = ref.role == "file" and item is not None and item.kind in ("video", "round_video", "gif")
        size = (item.width or 640, item.height or 480) if item else (600, 314)
        sizes[ref.url] = None if is_video else size
    if parsed.avatar_url:
        sizes[parsed.avatar_url] = (160, 160)
    names: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        url = html.unescape(match.group(0))
        if url not in names:
            size = sizes.get(url, (640, 480))
            kind = "video.mp4" if size is None else f"{size[0]}x{size[1]}.png"
            names[url] = f"{STANDIN}{len(names) + 1}-{kind}"
        return names[url]

    sizes.update((match.group(0), (160, 160)) for match in SAVED_FILE.finditer(page))
    rewritten = SAVED_FILE.sub(replace, CDN_URL.sub(replace, page))
    return rewritten, {name: sizes.get(url, (640, 480)) for url, name in names.items()}


def serve(pages: dict[str, bytes]) -> ThreadingHTTPServer:
    """Serve ``/s/<name>`` from ``pages`` and stand-in pictures under /standin/ on 127.0.0.1 (any other
    address, and every video, is a 404)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            path = urlsplit(self.path)
            picture = re.fullmatch(re.escape(STANDIN) + r"(\d+)-(\d+)x(\d+)\.png", path.path)
            if picture:
                seed, width, height = (int(g) for g in picture.groups())
                body, kind = standin_png(width, height, seed), "image/png"
            else:
                # ?before= asks again for the page of a post whose video failed: the same page holds it
                body = pages.get(path.path.removeprefix("/s/"))
                kind = "text/html; charset=utf-8"
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_content(saved: dict[str, Path], content: Path) -> int:
    """Scrape each channel of ``saved`` (name -> saved page) into ``content`` with stand-in media;
    the exit code of the first scrape that failed, else 0."""
    pages: dict[str, bytes] = {}
    server = serve(pages)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for name, file in saved.items():
        page, _ = point_media_here(file.read_text(encoding="utf-8"))
        pages[name] = page.replace(STANDIN, f"{url}{STANDIN}").encode("utf-8")
    content.mkdir(parents=True, exist_ok=True)
    settings = content.parent / ".make-demo.toml"
    settings.write_text("[scrape]\ndelay = 0.0\nretries = 1\n", encoding="utf-8")
    try:
        for name, page in pages.items():
            shutil.rmtree(content / name, ignore_errors=True)
            count = len(parse_page(page.decode("utf-8")).posts)
            command = [sys.executable, "-c", "from sitegen.cli import main; main()", "scrape", name]
            command += ["--config", str(settings), "--telegram-url", url, "--content", str(content)]
            command += ["--limit", str(count), "--refresh", "0"]
            done = subprocess.run(command, cwd=REPO, check=False)
            if done.returncode:
                return done.returncode
            # The server's port changes from run to run; the avatar's source address need not.
            header = content / name / "channel.yml"
            header.write_text(
                header.read_text(encoding="utf-8").replace(url, "http://127.0.0.1"), encoding="utf-8"
            )
    finally:
        server.shutdown()
        settings.unlink(missing_ok=True)
    return 0


def main() -> int:
    """Serve the saved pages, scrape each channel into content/, print what was made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    pages_dir = REPO / "tests" / "data" / "telegram"
    parser.add_argument("--pages", type=Path, default=pages_dir, help="the folder of saved t.me pages")
    parser.add_argument("--content", type=Path, default=REPO / "content", help="where the archive goes")
    args = parser.parse_args()
    return make_content({name: args.pages / file for name, file in DEMO_PAGES.items()}, args.content)


if __name__ == "__main__":
    sys.exit(main())
