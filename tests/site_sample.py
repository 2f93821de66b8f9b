"""Build the rich sample archive (tests/data/rich: two channels, one post of every kind) for site tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from sitegen.build import BuildReport, build_site
from sitegen.config import Config

RICH = Path(__file__).resolve().parent / "data" / "rich"
BASE_URL = "https://example.org/archive/"
CHANNEL = "rich_demo"


def build_rich(root: Path, **settings: object) -> tuple[Path, BuildReport]:
    """Copy the rich sample into ``root``/content and build it into ``root``/output."""
    shutil.copytree(RICH, root / "content")
    cfg = Config(root=root, **settings)  # type: ignore[arg-type]
    return root / "output", build_site(cfg)


def page(out: Path, path: str) -> LexborHTMLParser:
    """Parse one built page (``path`` relative to output/)."""
    return LexborHTMLParser((out / path).read_text(encoding="utf-8"))


def post_page(out: Path, post_id: int, channel: str = CHANNEL) -> LexborHTMLParser:
    """Parse the page of one post."""
    return page(out, f"{channel}/{post_id}/index.html")


def article(out: Path, post_id: int, channel: str = CHANNEL):  # type: ignore[no-untyped-def]
    """The <article> of one post on its own page."""
    node = post_page(out, post_id, channel).css_first(f"article#post-{post_id}")
    assert node is not None, f"post {post_id} has no article"
    return node
