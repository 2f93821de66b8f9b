"""A post's text as plain text for titles, summaries, feeds and search: spoilers stay hidden.

Every surface that shows a post other than its full body (list excerpts, ``<title>``, meta and Open
Graph tags, the feed's titles and summaries, search records) takes its text from
:func:`visible_text`, so a ``||spoiler||`` never shows there: it becomes
:data:`SPOILER_PLACEHOLDER`. Meta tags drop even the placeholder (:func:`meta_text`). Titles and
summaries are shortened by :func:`shorten`: whole sentences when they fit, else between words.
Nothing here does I/O.
"""

from __future__ import annotations

import html
import re

from sitegen.model import SPOILER_PLACEHOLDER

# How markdown.py renders a spoiler: raw HTML is off, so post text cannot forge these tags.
_SPOILER_OPENERS = ('<label class="spoiler"', '<span class="spoiler-in-link"')
_EDGE = re.compile(r"<(/?)(?:label|span)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_PLACEHOLDER_RUN = re.compile(rf"\s*{SPOILER_PLACEHOLDER}(?:\s*{SPOILER_PLACEHOLDER})*\s*")
# Where a sentence may end: ".", "!", "?" or "…" (closing quotes and brackets may follow), then a
# space and a capital letter, a digit or an opening quote. The word before a "." must have three
# characters or more, so "В.М. Лебедева", "ч. 1" and "Mr. Smith" are not sentence ends. (The "."
# comes before the look behind: every alternative then starts with a mark the search skips to.)
_SENTENCE_END = re.compile(r"(?:\.(?<=\w\w\w\.)|[!?…])[»”’\"')\]]*(?=\s+[«“„\"(]?[^\W_a-zа-яё])")
# What a cut must not end with before its "…".
_TRAILING = " \t\n.,;:!?…-–—«“„\"'(["
_SPACE_RUN = re.compile(r"\s*")


def hide_spoilers(fragment: str, placeholder: str = SPOILER_PLACEHOLDER) -> str:
    """Rendered post HTML with each spoiler (its tags and everything inside) replaced by
    ``placeholder`` (HTML: the caller escapes it)."""
    if 'class="spoiler' not in fragment:
        return fragment
    out: list[str] = []
    stack: list[bool] = []  # the open <label>/<span> elements: True for a spoiler
    pos = 0
    for match in _EDGE.finditer(fragment):
        hidden = any(stack)
        if not hidden:
            out.append(fragment[pos : match.start()])
        pos = match.end()
        if match.group(1):
            if stack:
                stack.pop()
            continue
        spoiler = match.group(0).startswith(_SPOILER_OPENERS)
        if spoiler and not hidden:
            out.append(placeholder)
        elif not hidden:
            out.append(match.group(0))
        stack.append(spoiler)
    if not any(stack):
        out.append(fragment[pos:])
    return "".join(out)


def visible_text(fragment: str) -> str:
    """The text of rendered post HTML without its markup, line breaks kept, spoilers hidden."""
    fragment = hide_spoilers(fragment).replace("<br />", "\n").replace("</p>", "\n")
    return html.unescape(_TAG.sub("", fragment))


def meta_text(text: str) -> str:
    """Text for a meta or Open Graph tag: spoiler placeholders become one "…"."""
    if SPOILER_PLACEHOLDER not in text:
        return text
    return _PLACEHOLDER_RUN.sub(" … ", text).strip()


def shorten(text: str, length: int, least: float = 0.5) -> str:
    """``text`` (one line) in at most ``length`` characters: ``text`` itself when it fits; else its
    longest run of whole sentences that fits, when that fills at least the fraction ``least`` of
    ``length``; else cut at the last space near ``length`` (words stay whole), its trailing
    punctuation dropped, plus "…"."""
    if len(text) <= length:
        return text
    end = 0
    # A sentence end at or before ``length`` is followed by spaces, then at most two characters
    # the pattern looks at: the search stops there instead of running through a long post.
    stop = _SPACE_RUN.match(text, length).end() + 2
    for match in _SENTENCE_END.finditer(text, 0, stop):
        if match.end() > length:
            break
        end = match.end()
    if end >= length * least:
        return text[:end]
    cut = text[: length - 1]
    space = cut.rfind(" ", length - 30)
    head = (cut[:space] if space > 0 else cut).rstrip(_TRAILING)
    return (head or cut) + "…"
