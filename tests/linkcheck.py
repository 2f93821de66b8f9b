"""Check a built site on disk: every relative href/src of every page points at a file that exists."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src", "poster", "data-src"):
                self.refs.append(value)
            elif name == "srcset":
                self.refs.extend(item.split()[0] for item in value.split(",") if item.strip())


def references(html: str) -> list[str]:
    """Every href, src, poster, data-src and srcset URL of a page."""
    parser = _Refs()
    parser.feed(html)
    return parser.refs


def broken_links(output: Path) -> list[str]:
    """Relative references that do not resolve to a file, as 'page -> ref' lines; root-absolute ones too."""
    problems = []
    for page in sorted(output.rglob("*.html")):
        for ref in references(page.read_text(encoding="utf-8")):
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc:
                continue
            if ref.startswith("/"):
                problems.append(
                    f"{page.relative_to(output)} -> {ref} (root-absolute: breaks under a sub-path)"
                )
                continue
            if not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or output.resolve() not in target.parents:
                problems.append(f"{page.relative_to(output)} -> {ref}")
    return problems
