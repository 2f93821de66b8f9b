"""Media downloads: a few at a time, a size cap, names from the post id, extension from the content type.

A download either writes a whole file (atomically) or nothing: the post then keeps an empty
field and the next run tries again. File names never come from the network:
``media/<post id>/<n>.<ext>``, ``<n>-thumb.<ext>``, ``preview.<ext>``, ``reply.<ext>`` (the thumbnail of
the replied message) and ``media/avatar.<ext>``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from sitegen.archive import AVATAR_STEM, item_stem  # noqa: F401  (named here before archive.py)
from sitegen.config import ScrapeConfig
from sitegen.files import atomic_write_bytes
from sitegen.telegram.fetch import (
    RetryableError,
    TooLarge,
    backoff_seconds,
    check_status,
    make_client,
    read_body,
)

# Content types Telegram's CDN serves, and the extension each file gets.
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "application/x-tgsticker": "tgs",
    "application/pdf": "pdf",
}

# Magic numbers for the bodies served as application/octet-stream (or with no type at all).
_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"OggS", "ogg"),
    (b"\x1a\x45\xdf\xa3", "webm"),
    (b"%PDF-", "pdf"),
    (b"ID3", "mp3"),
)


def extension_for(content_type: str, data: bytes) -> str | None:
    """The file extension for a response: from its content type, else from its first bytes.

    None means the body is not a media file at all (an HTML error page, say).
    """
    kind = content_type.split(";")[0].strip().lower()
    if kind in EXTENSIONS:
        return EXTENSIONS[kind]
    # SVG is left out on purpose: opened from the site, its scripts would run in the site's origin.
    if kind.startswith("text/") or kind in ("application/json", "application/xhtml+xml", "image/svg+xml"):
        return None
    for magic, ext in _SIGNATURES:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        return "mp4"
    return "bin"


@dataclass
class Download:
    """One file to fetch: from ``url`` to ``<stem>.<ext>`` inside the channel folder."""

    url: str
    stem: str  # e.g. media/475/1 (no extension); built from ids, never from the network


@dataclass
class Result:
    """What became of a download: ``path`` (relative to the channel folder) when it worked."""

    status: str  # "ok" | "too_big" | "failed"
    path: str | None = None
    size: int = 0
    error: str | None = None


class MediaDownloader:
    """Downloads media into a channel folder, ``media_workers`` at a time, with retries.

    ``requests`` counts HTTP requests for media (retries included); ``files`` counts files written.
    """

    def __init__(self, settings: ScrapeConfig, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._client = client or make_client(settings, connections=max(1, settings.media_workers))
        self._own_client = client is None
        self._lock = threading.Lock()
        self.requests = 0
        self.files = 0
        self.bytes = 0

    def close(self) -> None:
        """Close the HTTP client (if this downloader made it)."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> MediaDownloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str) -> tuple[bytes, str] | Result:
        """Fetch one media body with retries; return ``(bytes, extension)`` or a failed Result."""
        if not url.startswith(("http://", "https://")):
            return Result("failed", error=f"not a web address: {url[:80]!r}")
        attempts = self.settings.retries
        last = ""
        for attempt in range(attempts):
            with self._lock:
                self.requests += 1
            try:
                body = read_body(self._client, url, self.settings.timeout, self.settings.max_media_size)
                check_status(body)
            except TooLarge as exc:
                return Result(
                    "too_big", size=exc.size, error=f"larger than max_media_size ({exc.size} bytes)"
                )
            except RetryableError as exc:
                last = exc.reason
                if attempt + 1 < attempts:
                    time.sleep(
                        exc.wait if exc.wait is not None else backoff_seconds(attempt, self.settings.delay)
                    )
                continue
            if body.status != 200:
                return Result("failed", error=f"HTTP {body.status}")
            ext = extension_for(body.headers.get("content-type", ""), body.content)
            if ext is None or not body.content:
                return Result("failed", error="the answer is not a media file")
            return body.content, ext
        return Result("failed", error=last)

    def download(self, channel_dir: Path, item: Download) -> Result:
        """Fetch one file and write it atomically into the channel folder."""
        got = self.fetch(item.url)
        if isinstance(got, Result):
            return got
        data, ext = got
        relative = f"{item.stem}.{ext}"
        atomic_write_bytes(channel_dir / relative, data)
        with self._lock:
            self.files += 1
            self.bytes += len(data)
        return Result("ok", path=relative, size=len(data))

    def download_all(self, channel_dir: Path, items: list[Download]) -> list[Result]:
        """Download several files, ``media_workers`` at a time; results come in the order of ``items``."""
        if not items:
            return []
        workers = max(1, self.settings.media_workers)
        if workers == 1 or len(items) == 1:
            return [self.download(channel_dir, item) for item in items]
        pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="sitegen-media")
        try:
            futures = [pool.submit(self.download, channel_dir, item) for item in items]
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
