"""The text of an HTML node as a reader sees it, for tests that compare texts (not a test)."""

from __future__ import annotations

from selectolax.lexbor import LexborNode

# Elements that start and end a line of their own.
BLOCKS = frozenset(
    {"p", "blockquote", "pre", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "hr"}
)


def visible_text(node: LexborNode | None, emoji_images: bool = False) -> str:
    """``node``'s text, white space normalised: ``<br>`` and blocks break lines (which become spaces);
    with ``emoji_images``, Telegram's emoji images (``<i class="emoji"><b>😀</b></i>``) are their
    character."""
    parts: list[str] = []

    def walk(parent: LexborNode) -> None:
        child = parent.child
        while child is not None:
            if child.is_text_node:
                parts.append(child.text_content or "")
            elif child.is_element_node:
                classes = (child.attributes.get("class") or "").split()
                if child.tag == "br":
                    parts.append("\n")
                elif emoji_images and child.tag == "i" and "emoji" in classes:
                    b = child.css_first("b")
                    parts.append((b or child).text(deep=True))
                elif child.tag in BLOCKS:
                    parts.append("\n")
                    walk(child)
                    parts.append("\n")
                else:
                    walk(child)
            child = child.next

    if node is not None:
        walk(node)
    return " ".join("".join(parts).split())
