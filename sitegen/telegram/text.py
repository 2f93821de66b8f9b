"""Telegram message HTML -> Markdown that renders back to the same visible text.

The input is the inner HTML of ``div.tgme_widget_message_text`` (or the element itself). The output is
CommonMark for the build's markdown-it-py (raw HTML off, linkify and strikethrough on, ``||spoiler||``):

* ``<b>`` -> ``**bold**``, ``<i>`` -> ``*italic*``, ``<s>`` -> ``~~strike~~``,
  ``<tg-spoiler>`` -> ``||spoiler||``, ``<code>`` -> a code span, ``<pre>`` -> a fenced block with its
  language, ``<blockquote>`` (expandable too) -> ``>`` lines, ``<a>`` -> ``[label](url)``, or the bare
  URL when the label is the URL and linkify will make the same link.
* **Underline has no Markdown form** and raw HTML is off, so ``<u>`` keeps its text and loses the line.
* ``<i class="emoji">`` is an emoji (its ``<b>`` character), never italic; ``<tg-emoji>`` becomes its
  fallback character. Hashtag and cashtag links (``?q=%23tag``) become plain ``#tag`` text: the build
  links them.
* ``<br>`` is a hard line break (a trailing backslash); two or more in a row start a new paragraph
  (Markdown cannot show more than one empty line, so a run of three ``<br>`` looks like two).
* Every character of the text that is Markdown syntax is backslash-escaped: ``*``, ``_`` unless it is
  inside a word, ``[``, ``]``, backticks, ``|``, ``~``, ``<``, ``\\``, an ``&`` that would start an
  entity; and ``#``, ``>``, ``-``, ``+``, ``=``, ``1.`` at the start of a line. Leading spaces of a line
  are dropped (four would start a code block).
* A bold/italic/strike span that CommonMark's flanking rules cannot delimit where it sits (e.g. it
  starts with punctuation right after a letter: ``a**"b"**``) keeps its text without the formatting.
* Links with a scheme other than http(s), mailto, tg or tel keep only their label (the build drops
  them). A link cut by a line break becomes one link per line; parts with no text are left out.

The two Unicode noncharacters U+FDD0 and U+FDD1 are removed from the text. Nothing here does I/O.
"""

from __future__ import annotations

import html as html_lib
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from selectolax.lexbor import LexborHTMLParser, LexborNode

DEFAULT_BASE = "https://t.me/s/"
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tg", "tel"})  # as the build allows

_BOLD_TAGS = frozenset({"b", "strong"})
_ITALIC_TAGS = frozenset({"i", "em"})
_STRIKE_TAGS = frozenset({"s", "strike", "del"})
_BLOCK_TAGS = frozenset({"div", "p", "section", "article"})
_SKIP_TAGS = frozenset({"script", "style", "template", "svg", "img", "video", "audio", "picture"})
_ALWAYS_ESCAPED = frozenset("\\`*[]<|~")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_NEWLINE_SPACE = re.compile(r"[ \t\r\f]*\n[ \t\r\n\f]*")
_LANGUAGE = re.compile(r"language-([\w+#.-]+)")
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


# --- pieces of one inline run ------------------------------------------------------------------


@dataclass(eq=False)
class _Span:
    """A delimited inline span (emphasis, strike, spoiler) or a link."""

    kind: str  # "**", "*", "~~", "||" or "link"
    url: str = ""
    keep: bool = True
    bare: bool = False  # a link written as the bare URL (linkify makes the same link)
    label: str = ""  # plain label text, for links
    group: int = 0  # the parts of one span split at line breaks share a group
    angle: bool = False  # a bare URL that ends a line: written as ``<url>``, see _choose_bare_links

    def clone(self) -> _Span:
        return _Span(
            self.kind, self.url, self.keep, self.bare, self.label, self.group or id(self), self.angle
        )


@dataclass
class _Piece:
    """One piece of an inline run: escaped text, raw code, a line break, or a span boundary."""

    kind: str  # "text" | "code" (content) | "raw" (a code span) | "nl" | "open" | "close"
    text: str = ""
    span: _Span | None = None


# --- the public API ----------------------------------------------------------------------------


def html_to_markdown(html: str, base_url: str = DEFAULT_BASE) -> str:
    """Convert the inner HTML of a Telegram message text to Markdown."""
    tree = LexborHTMLParser(f"<div>{html}</div>")
    body = tree.body
    node = body.child if body is not None else None
    if node is None:
        return ""
    return node_to_markdown(node, base_url)


_PLAIN_SAFE = re.compile(r"[^\r\x00\ufdd0\ufdd1]*")


def plain_to_markdown(text: str) -> str:
    """Markdown for unformatted text: what :func:`html_to_markdown` gives for it (``\\n`` as ``<br>``).

    Without the HTML round trip: a thousand times a second matters when importing a whole history.
    Text with a URL (linkify needs explicit links there), a carriage return, a NUL or one of the
    removed noncharacters takes the full converter. A property test holds the two to the same output.
    """
    if "://" in text or not _PLAIN_SAFE.fullmatch(text):
        return html_to_markdown(html_lib.escape(text, quote=False).replace("\n", "<br>"))
    lines = "\n".join(escape_text(line) for line in text.split("\n"))
    return "\n\n".join(_paragraphs(lines))


def node_to_markdown(node: LexborNode, base_url: str = DEFAULT_BASE) -> str:
    """Convert the children of a parsed Telegram text element to Markdown."""
    converter = _Converter(base_url)
    converter.walk_children(node)
    return _render_blocks(converter.finish())


def plain_text(node: LexborNode | None, spoiler: str | None = None) -> str:
    """The visible text of an element: emoji as characters, ``<br>`` as newlines, spaces tidied.

    With ``spoiler``, the text of each ``<tg-spoiler>`` is replaced by it.
    """
    if node is None:
        return ""
    parts: list[str] = []
    _collect_plain(node, parts, spoiler)
    lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
    return "\n".join(lines).strip("\n")


def _collect_plain(node: LexborNode, parts: list[str], spoiler: str | None = None) -> None:
    for child in children(node):
        if child.is_text_node:
            parts.append(_clean(child.text_content or "").replace("\n", " "))
        elif child.is_element_node:
            tag = child.tag or ""
            if tag == "br":
                parts.append("\n")
            elif spoiler is not None and tag == "tg-spoiler":
                parts.append(spoiler)
            elif _is_emoji(child):
                parts.append(_emoji_text(child))
            elif tag not in _SKIP_TAGS:
                block = tag in _BLOCK_TAGS or tag in ("blockquote", "pre")
                if block:
                    parts.append("\n")
                _collect_plain(child, parts, spoiler)
                if block:
                    parts.append("\n")


_SYNTAX = re.compile(r"[\\`*\[\]<|~_&]")


def escape_text(text: str) -> str:
    """Backslash-escape the inline Markdown syntax in ``text`` (line starts are handled elsewhere)."""
    last = len(text) - 1

    def fix(match: re.Match[str]) -> str:
        ch, i = match.group(), match.start()
        if ch == "_":
            inside_word = 0 < i < last and text[i - 1].isalnum() and text[i + 1].isalnum()
            return "_" if inside_word else "\\_"
        if ch == "&":
            return "\\&" if _ENTITY.match(text, i) else "&"
        return "\\" + ch

    return _SYNTAX.sub(fix, text)


# --- helpers on nodes ---------------------------------------------------------------------------


def children(node: LexborNode) -> list[LexborNode]:
    """A node's direct children, text nodes included, in order."""
    out = []
    child = node.child
    while child is not None:
        out.append(child)
        child = child.next
    return out


def _classes(node: LexborNode) -> list[str]:
    return (node.attributes.get("class") or "").split()


def _is_emoji(node: LexborNode) -> bool:
    tag = node.tag or ""
    return tag == "tg-emoji" or (tag == "i" and "emoji" in _classes(node))


def _emoji_text(node: LexborNode) -> str:
    """The character of a standard emoji (its ``<b>``) or the fallback of a custom one."""
    b = node.css_first("b")
    text = (b.text(deep=True) if b is not None else node.text(deep=True)) or ""
    return _clean(text).strip()


def _clean(text: str) -> str:
    return text.replace("\ufdd0", "").replace("\ufdd1", "")


def _collapse(text: str) -> str:
    """HTML white space: a line break in the source with its indentation is one space."""
    return _NEWLINE_SPACE.sub(" ", text.replace("\r\n", "\n"))


# --- the converter -------------------------------------------------------------------------------


class _Converter:
    """Walks a text element and collects blocks: paragraphs, code blocks and quotes."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url or DEFAULT_BASE
        self.blocks: list[tuple] = []
        self.pieces: list[_Piece] = []
        self.link_depth = 0
        self.open_kinds: list[str] = []  # delimited spans we are inside of, outermost first

    def finish(self) -> list[tuple]:
        self.flush()
        return self.blocks

    def flush(self) -> None:
        """Turn the pending inline pieces into paragraph blocks."""
        if self.pieces:
            text = _resolve(self.pieces)
            self.pieces = []
            for para in _paragraphs(text):
                self.blocks.append(("para", para))

    def walk_children(self, node: LexborNode) -> None:
        for child in children(node):
            self.walk(child)

    def walk(self, node: LexborNode) -> None:
        if node.is_text_node:
            text = _collapse(_clean(node.text_content or ""))
            if text:
                self.text(text)
            return
        if not node.is_element_node:
            return
        tag = node.tag or ""
        if _is_emoji(node):
            char = _emoji_text(node)
            if char:
                self.pieces.append(_Piece("text", escape_text(char)))
        elif tag == "br":
            self.pieces.append(_Piece("nl"))
        elif tag in _BOLD_TAGS:
            self.span(node, _Span("**"))
        elif tag in _ITALIC_TAGS:
            self.span(node, _Span("*"))
        elif tag in _STRIKE_TAGS:
            self.span(node, _Span("~~"))
        elif tag == "tg-spoiler" or "tg-spoiler" in _classes(node):
            self.span(node, _Span("||"))
        elif tag == "code":
            self.code(node)
        elif tag == "pre":
            self.pre(node)
        elif tag == "blockquote":
            self.quote(node)
        elif tag == "a":
            self.link(node)
        elif tag in _BLOCK_TAGS:
            self.flush()
            self.walk_children(node)
            self.flush()
        elif tag not in _SKIP_TAGS:
            self.walk_children(node)  # u, ins, mark, span, unknown tags: keep the text

    def text(self, text: str) -> None:
        """Escaped text; a URL in it that escapes would garble is written as an explicit link.

        markdown-it's linkify reads ``scheme://...`` from the raw source, backslashes included.
        """
        if self.link_depth or "://" not in text:
            self.pieces.append(_Piece("text", escape_text(text)))
            return
        pos = 0
        for match in _linkify().match(text) or []:
            raw = text[match.index : match.last_index]
            if "://" not in raw or escape_text(raw) == raw:
                continue
            if match.index > pos:
                self.pieces.append(_Piece("text", escape_text(text[pos : match.index])))
            span = _Span("link", url=match.url, label=raw)
            self.pieces += [
                _Piece("open", span=span),
                _Piece("text", escape_text(raw)),
                _Piece("close", span=span),
            ]
            pos = match.last_index
        if pos < len(text):
            self.pieces.append(_Piece("text", escape_text(text[pos:])))

    def span(self, node: LexborNode, span: _Span) -> None:
        if span.kind != "link" and span.kind in self.open_kinds:
            self.walk_children(node)  # <s><s>x</s></s>: Markdown cannot nest a span in its own kind
            return
        self.open_kinds.append(span.kind)
        self.pieces.append(_Piece("open", span=span))
        self.walk_children(node)
        self.pieces.append(_Piece("close", span=span))
        self.open_kinds.pop()

    def code(self, node: LexborNode) -> None:
        """An inline code span; a ``<br>`` inside splits it into one span per line."""
        lines = plain_code(node).split("\n")
        for i, line in enumerate(lines):
            if i:
                self.pieces.append(_Piece("nl"))
            if line and self.link_depth and "]" in line:
                # `]:` in code at the start of a link label would read as a link reference
                # definition (which hides the whole paragraph): keep the text, drop the code style.
                self.pieces.append(_Piece("text", escape_text(line)))
            elif line:
                self.pieces.append(_Piece("code", line))

    def pre(self, node: LexborNode) -> None:
        self.flush()
        language = ""
        for candidate in [node, *node.css("code")]:
            match = _LANGUAGE.search(candidate.attributes.get("class") or "")
            if match:
                language = match.group(1)
                break
        self.blocks.append(("code", language, plain_code(node)))

    def quote(self, node: LexborNode) -> None:
        self.flush()
        inner = _Converter(self.base_url)
        inner.walk_children(node)
        blocks = inner.finish()
        if blocks:
            self.blocks.append(("quote", blocks))

    def link(self, node: LexborNode) -> None:
        href = (node.attributes.get("href") or "").strip()
        if node.attributes.get("onclick") is not None:
            href = href.replace("&amp;", "&")  # t.me double-escapes '&' in text links since 2024
        if href.startswith("?q=%23") or href.startswith("?q=%24") or href.startswith("?q=#"):
            self.walk_children(node)  # a hashtag or cashtag: plain text, the build links it
            return
        url = urljoin(self.base_url, href) if href else ""
        scheme = _URL_SCHEME.match(url)
        if not url or scheme is None or scheme.group(1).lower() not in SAFE_SCHEMES:
            self.walk_children(node)
            return
        span = _Span("link", url=url, label=plain_text(node))
        self.link_depth += 1
        self.span(node, span)
        self.link_depth -= 1


def plain_code(node: LexborNode) -> str:
    """The text of a code element, with ``<br>`` as newlines and nothing collapsed."""
    parts: list[str] = []
    for child in node.traverse(include_text=True):
        if child.is_text_node:
            parts.append(_clean(child.text_content or ""))
        elif child.tag == "br":
            parts.append("\n")
    text = "".join(parts)
    # traverse() also yields the text inside emoji wrappers once; that is what we want.
    return text.replace("\r\n", "\n")


def code_span(text: str) -> str:
    """A Markdown code span showing ``text`` exactly (CommonMark strips one padding space)."""
    runs = {len(m) for m in re.findall(r"`+", text)}
    n = 1
    while n in runs:
        n += 1
    fence = "`" * n
    pad = (
        " "
        if text.startswith("`")
        or text.endswith("`")
        or (text.startswith(" ") and text.endswith(" ") and text.strip(" "))
        else ""
    )
    return f"{fence}{pad}{text}{pad}{fence}"


# --- resolving an inline run -------------------------------------------------------------------


def _resolve(pieces: list[_Piece]) -> str:
    """Place the delimiters of an inline run so that CommonMark reads them back as written."""
    pieces = _split_at_newlines(pieces)
    pieces = _hoist_whitespace(pieces)
    pieces = _drop_empty_spans(pieces)
    pieces = _merge_touching_spans(pieces)
    _choose_bare_links(pieces)
    _check_flanking(pieces)
    _check_pairing(pieces)
    return _render(pieces)[0]


def _split_at_newlines(pieces: list[_Piece]) -> list[_Piece]:
    """Close every open span before a line break and reopen it after, so no span crosses a line."""
    out: list[_Piece] = []
    stack: list[_Span] = []
    for piece in pieces:
        if piece.kind == "open":
            stack.append(piece.span)  # type: ignore[arg-type]
            out.append(piece)
        elif piece.kind == "close":
            span = stack.pop()
            out.append(_Piece("close", span=span))
        elif piece.kind == "nl":
            out.extend(_Piece("close", span=s) for s in reversed(stack))
            out.append(piece)
            stack = [s.clone() for s in stack]
            out.extend(_Piece("open", span=s) for s in stack)
        else:
            out.append(piece)
    return out


def _hoist_whitespace(pieces: list[_Piece]) -> list[_Piece]:
    """Move white space at the inner edges of spans outside them (``** a **`` cannot be bold)."""
    changed = True
    while changed:
        changed = False
        for i in range(len(pieces) - 1):
            a, b = pieces[i], pieces[i + 1]
            if a.kind == "open" and b.kind == "text" and b.text[:1].isspace():
                body = b.text.lstrip()
                pieces[i : i + 2] = [_Piece("text", b.text[: len(b.text) - len(body)]), a]
                if body:
                    pieces.insert(i + 2, _Piece("text", body))
                changed = True
                break
            if b.kind == "close" and a.kind == "text" and a.text[-1:].isspace():
                body = a.text.rstrip()
                tail = a.text[len(body) :]
                new = [b, _Piece("text", tail)]
                if body:
                    new.insert(0, _Piece("text", body))
                pieces[i : i + 2] = new
                changed = True
                break
    return pieces


def _drop_empty_spans(pieces: list[_Piece]) -> list[_Piece]:
    """Remove spans with nothing inside (``****`` would be read as text).

    An empty link is kept (its target matters) unless another part of the same link has text.
    """
    groups_with_text = set()
    for i, piece in enumerate(pieces[:-1]):
        span = piece.span
        if piece.kind == "open" and span is not None and pieces[i + 1].span is not span:
            groups_with_text.add(span.group or id(span))
    changed = True
    while changed:
        changed = False
        for i in range(len(pieces) - 1):
            a, b = pieces[i], pieces[i + 1]
            if a.kind == "open" and b.kind == "close" and a.span is b.span:
                span = a.span
                if span.kind == "link" and (span.group or id(span)) not in groups_with_text:
                    continue
                del pieces[i : i + 2]
                changed = True
                break
    return pieces


def _merge_touching_spans(pieces: list[_Piece]) -> list[_Piece]:
    """Join ``**a**`` + ``**b**`` into ``**ab**``: ``**a****b**`` would not read as bold."""
    out: list[_Piece] = []
    rename: dict[int, _Span] = {}
    for piece in pieces:
        span = piece.span
        if span is not None and id(span) in rename:
            piece = _Piece(piece.kind, span=rename[id(span)])
            span = piece.span
        last = out[-1] if out else None
        if (
            piece.kind == "open"
            and span is not None
            and span.kind != "link"
            and last is not None
            and last.kind == "close"
            and last.span is not None
            and last.span.kind == span.kind
        ):
            out.pop()
            rename[id(span)] = last.span
            continue
        out.append(piece)
    return out


def _render(pieces: list[_Piece]) -> tuple[str, dict[int, tuple[int, int, int, int]], list[bool]]:
    """Join the pieces; return the text, each span's delimiter positions and a delimiter mask.

    Code pieces with nothing visible between them become one code span: two spans side by side
    would run their backtick fences together.
    """
    items: list[list] = []  # [text, is_delimiter, span id or None, code content or None]
    for piece in pieces:
        if piece.kind == "code":
            last = next((item for item in reversed(items) if item[0]), None)
            if last is not None and last[3] is not None:
                last[3] += piece.text
                last[0] = code_span(last[3])
                continue
            items.append([code_span(piece.text), False, None, piece.text])
        elif piece.kind in ("text", "raw"):
            items.append([piece.text, False, None, None])
        elif piece.kind == "nl":
            items.append(["\n", False, None, None])
        else:
            items.append([_delimiter(piece), True, id(piece.span), None])
    out: list[str] = []
    mask: list[bool] = []
    where: dict[int, list[int]] = {}
    pos = 0
    for text, marker, span_id, _ in items:
        if span_id is not None:
            where.setdefault(span_id, []).extend([pos, pos + len(text)])
        out.append(text)
        mask.extend([marker] * len(text))
        pos += len(text)
    spans = {k: (v[0], v[1], v[2], v[3]) for k, v in where.items() if len(v) == 4}
    return "".join(out), spans, mask


def _delimiter(piece: _Piece) -> str:
    span = piece.span
    assert span is not None
    if span.kind == "link":
        if span.bare:
            return ("<" if piece.kind == "open" else ">") if span.angle else ""
        return "[" if piece.kind == "open" else f"]({_destination(span.url)})"
    if not span.keep:
        return ""
    return span.kind


def _destination(url: str) -> str:
    """A link destination that CommonMark reads back as ``url``."""
    out = []
    for ch in url:
        if ch in "()\\":
            out.append("\\" + ch)
        elif ch == " ":
            out.append("%20")
        elif ch == "<":
            out.append("%3C")
        elif ch == ">":
            out.append("%3E")
        elif ch in "\n\r\t":
            continue
        else:
            out.append(ch)
    return "".join(out)


_BARE_URL = re.compile(r"^https?://[^\s<>\"']+$")


def _choose_bare_links(pieces: list[_Piece]) -> None:
    """Write a link as its bare URL when the label is the URL and linkify will find exactly it.

    A URL that ends a line is written as an autolink, ``<url>``: the hard break after it is a
    backslash, which linkify would take into a bare URL (``href="...%5C"``).
    """
    for i, piece in enumerate(pieces):
        span = piece.span
        if piece.kind != "open" or span is None or span.kind != "link":
            continue
        if span.label != span.url or not _BARE_URL.match(span.url) or escape_text(span.url) != span.url:
            continue
        if not _linkify_exact(span.url):
            continue
        j = pieces.index(next(p for p in pieces[i + 1 :] if p.kind == "close" and p.span is span))
        before = _neighbour(pieces[:i], last=True)
        after = _neighbour(pieces[j + 1 :], last=False)
        if _is_space_or_edge(before) and _is_space_or_edge(after):
            span.bare = True
            span.angle = _ends_line(pieces[j + 1 :])


def _ends_line(pieces: list[_Piece]) -> bool:
    """Tell whether a hard line break (a backslash) follows: only blank text up to a line break,
    and text after it on the next line (a blank line instead starts a paragraph, with no backslash)."""
    rest = iter(pieces)
    for p in rest:
        if p.kind == "nl":
            break
        if p.kind != "text" or p.text.strip(" \t"):
            return False
    else:
        return False
    for p in rest:
        if p.kind == "nl":
            return False
        if p.kind in ("text", "raw", "code") and p.text.strip(" \t"):
            return True
    return False


def _neighbour(pieces: list[_Piece], last: bool) -> str | None:
    seq = reversed(pieces) if last else iter(pieces)
    for p in seq:
        if p.kind in ("text", "raw", "code") and p.text:
            return p.text[-1] if last else p.text[0]
        if p.kind == "nl":
            return "\n"
        if p.kind in ("open", "close"):
            return "*"  # a delimiter: not a safe neighbour for a bare URL
    return None


def _is_space_or_edge(ch: str | None) -> bool:
    return ch is None or ch.isspace()


@cache
def _linkify() -> LinkifyIt:
    """linkify-it as markdown-it-py sets it up."""
    return LinkifyIt()


def _linkify_exact(url: str) -> bool:
    """Tell whether linkify-it, as markdown-it uses it, links exactly ``url`` in the text ``url``."""
    matches = _linkify().match(url) or []
    return (
        len(matches) == 1
        and matches[0].index == 0
        and matches[0].last_index == len(url)
        and (matches[0].url == url)
    )


def _check_flanking(pieces: list[_Piece]) -> None:
    """Drop the delimiters of spans that CommonMark would not read as open/close where they sit."""
    # The build's ``||`` rule pairs spoiler delimiters without flanking rules, but it takes a
    # backslash before the closing ``||`` as an escape, even an escaped backslash.
    spans = [p.span for p in pieces if p.kind == "open" and p.span is not None]
    spans = [s for s in spans if s.kind != "link"]
    spans.reverse()  # innermost (latest opened) first
    changed = True
    while changed:
        changed = False
        text, where, mask = _render(pieces)
        mixed = _mixed_run_opener(spans, text, where, mask)
        if mixed is not None:
            mixed.keep = False
            changed = True
            continue
        for span in spans:
            if not span.keep or id(span) not in where:
                continue
            o_start, o_end, c_start, c_end = where[id(span)]
            if span.kind == "||":
                if c_start > 0 and text[c_start - 1] == "\\":
                    span.keep = False
                    changed = True
                    break
                continue
            can_open, _ = _flanking(text, mask, o_start, o_end)
            _, can_close = _flanking(text, mask, c_start, c_end)
            if not (can_open and can_close):
                span.keep = False
                changed = True
                break


_EMPHASIS_OPEN = {"strong_open": "**", "em_open": "*", "s_open": "~~"}


@cache
def _commonmark() -> MarkdownIt:
    """A plain CommonMark inline parser with strikethrough, to check how delimiters pair."""
    return MarkdownIt("commonmark").enable("strikethrough")


def _check_pairing(pieces: list[_Piece]) -> None:
    """Drop formatting, innermost first, until CommonMark reads as many spans as were written.

    Flanking alone cannot tell how runs such as ``***a*b*c***`` pair up; a span CommonMark would
    not close leaves stray asterisks in the text.
    """
    spans = [p.span for p in pieces if p.kind == "open" and p.span is not None]
    spans = [s for s in spans if s.kind in ("**", "*", "~~")]
    while True:
        kept = [s for s in spans if s.keep]
        if not kept:
            return
        tokens = _commonmark().parseInline(_render(pieces)[0])
        found = Counter(
            _EMPHASIS_OPEN[t.type]
            for token in tokens
            for t in token.children or []
            if t.type in _EMPHASIS_OPEN
        )
        if found == Counter(s.kind for s in kept):
            return
        kept[-1].keep = False


def _mixed_run_opener(
    spans: list[_Span], text: str, where: dict[int, tuple[int, int, int, int]], mask: list[bool]
) -> _Span | None:
    """A span that opens in the same delimiter run where another one closes (``**a***b*``), if any.

    CommonMark reads such a run as one delimiter and may pair it the other way round, so the
    opening span has to give up its formatting.
    """
    roles: dict[int, tuple[_Span, bool]] = {}  # delimiter start -> (span, opens)
    for span in spans:
        if span.keep and span.kind != "||" and id(span) in where:
            o_start, _, c_start, _ = where[id(span)]
            roles[o_start] = (span, True)
            roles[c_start] = (span, False)
    pos = 0
    while pos < len(text):
        if not mask[pos] or text[pos] not in "*~":
            pos += 1
            continue
        end = pos
        while end < len(text) and mask[end] and text[end] == text[pos]:
            end += 1
        found = [roles[i] for i in range(pos, end) if i in roles]
        if any(opens for _, opens in found) and not all(opens for _, opens in found):
            return next(span for span, opens in found if opens)
        pos = end
    return None


def _flanking(text: str, mask: list[bool], start: int, end: int) -> tuple[bool, bool]:
    """CommonMark's can-open/can-close for the delimiter run around ``text[start:end]``."""
    if start == end:
        return False, False
    ch = text[start]
    while start > 0 and mask[start - 1] and text[start - 1] == ch:
        start -= 1
    while end < len(text) and mask[end] and text[end] == ch:
        end += 1
    last = text[start - 1] if start > 0 else " "
    nxt = text[end] if end < len(text) else " "
    last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
    next_punct = isMdAsciiPunct(ord(nxt)) or isPunctChar(nxt)
    last_space = isWhiteSpace(ord(last)) or last == "\n"
    next_space = isWhiteSpace(ord(nxt)) or nxt == "\n"
    left = not (next_space or (next_punct and not (last_space or last_punct)))
    right = not (last_space or (last_punct and not (next_space or next_punct)))
    return left, right


# --- lines and blocks ----------------------------------------------------------------------------

_LINE_START_ESCAPES = (
    (re.compile(r"#{1,6}(?=[ \t]|$)"), lambda m: "\\" + m.group(0)),
    (re.compile(r">"), lambda m: "\\>"),
    (re.compile(r"[-+](?=[ \t]|$)"), lambda m: "\\" + m.group(0)),
    (re.compile(r"-[-\s]*$"), lambda m: "\\" + m.group(0)),
    (re.compile(r"=+[ \t]*$"), lambda m: "\\" + m.group(0)),
    (re.compile(r"(\d{1,9})([.)])(?=[ \t]|$)"), lambda m: m.group(1) + "\\" + m.group(2)),
)


def _escape_line_start(line: str) -> str:
    """Escape what would start a heading, quote, list or rule at the start of a line."""
    line = line.lstrip(" \t")
    for pattern, fix in _LINE_START_ESCAPES:
        match = pattern.match(line)
        if match:
            return fix(match) + line[match.end() :]
    return line


def _paragraphs(text: str) -> list[str]:
    """Split resolved inline Markdown into paragraphs; single newlines become hard breaks."""
    paragraphs: list[list[str]] = [[]]
    for raw in text.split("\n"):
        line = _escape_line_start(raw).rstrip(" \t")
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return ["\\\n".join(lines) for lines in paragraphs if lines]


def _render_blocks(blocks: list[tuple]) -> str:
    """Join blocks with blank lines; quotes get ``>`` prefixes."""
    out: list[str] = []
    for block in blocks:
        if block[0] == "para":
            out.append(block[1])
        elif block[0] == "code":
            out.append(_fence(block[1], block[2]))
        elif block[0] == "quote":
            inner = _render_blocks(block[1])
            out.append("\n".join(("> " + line).rstrip() if line else ">" for line in inner.split("\n")))
    return "\n\n".join(out)


def _fence(language: str, code: str) -> str:
    """A fenced code block longer than any backtick run in ``code``."""
    longest = max((len(m) for m in re.findall(r"`{3,}", code)), default=0)
    fence = "`" * max(3, longest + 1)
    body = code[:-1] if code.endswith("\n") else code
    return f"{fence}{language}\n{body}\n{fence}"
