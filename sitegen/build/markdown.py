"""Markdown -> HTML for post text: markdown-it-py with raw HTML off and two small plugins.

- ``||spoiler||`` becomes a hidden-until-clicked span that needs no JavaScript (a checkbox in a label);
  search indexes leave its text out (``data-pagefind-ignore``), and excerpts show a placeholder
  (``excerpt.py``).
- ``#hashtag`` links to the channel's tag page inside the archive (not inside a spoiler: it stays text).

Links with schemes other than http, https, mailto, tg and tel are dropped (rendered as text).
Links inside the archive start with :data:`ROOT`, a marker each page replaces by its relative path
to the site root, so one rendering of a post serves pages at every depth.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from urllib.parse import quote, unquote

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.linkify import SCHEME_RE
from markdown_it.rules_inline.linkify import linkify as _linkify_rule

ROOT = "\ue000"  # replaced per page by "../" * depth; stripped from post text before rendering
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tg", "tel"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
MAX_SLUG_BYTES = 200  # a tag page's folder name, in UTF-8 bytes
HASHTAG = re.compile(r"#(\w{1,100})", re.UNICODE)
_TAG_BEFORE_OK = frozenset(" \t\n([{\"'«„“*_~|")


def validate_link(url: str) -> bool:
    """Allow relative links and the few schemes a post may link to; refuse javascript:, data: and the rest."""
    match = _SCHEME.match(url.strip())
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def tag_slug(tag: str) -> str:
    """The folder name of a hashtag's page: NFC, lower case; only word characters, so never a path.

    A tag too long for a file name (255 bytes on most systems) is no tag: it stays text.
    """
    slug = unicodedata.normalize("NFC", tag).lower()
    fits = len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    return slug if fits and re.fullmatch(r"\w{1,100}", slug) else ""


def hashtags(text: str) -> list[str]:
    """The distinct tag slugs of a post's Markdown text, in order of appearance."""
    seen: dict[str, None] = {}
    for match in HASHTAG.finditer(text):
        start = match.start()
        if start and text[start - 1] not in _TAG_BEFORE_OK:
            continue
        slug = tag_slug(match.group(1))
        if slug and not slug.isdigit():
            seen.setdefault(slug, None)
    return list(seen)


_TAG_LINK = re.compile(r'<a href="[^"]*/tags/([^/"]+)/index\.html" class="hashtag">')


def tags_in_html(fragment: str) -> list[str]:
    """The distinct tag slugs a rendered post links to, in order: what its tag pages list it under.

    A ``#tag`` inside a spoiler or a code span is no link, so no tag page gives it away.
    """
    seen: dict[str, None] = {}
    for match in _TAG_LINK.finditer(fragment):
        seen.setdefault(unquote(match.group(1)), None)
    return list(seen)


# markdown-it's text rule swallows characters that start no rule; "|" must stop it for spoilers.
_TERMINATORS = re.compile(r"[\n!#$%&*+\-:<=>@\[\\\]^_`{}~|]")


def _text_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it's plain-text rule, with ``|`` added to the characters that end a text run."""
    found = _TERMINATORS.search(state.src, state.pos, state.posMax)
    pos = found.start() if found else state.posMax
    if pos == state.pos:
        return False
    if not silent:
        state.pending += state.src[state.pos : pos]
    state.pos = pos
    return True


def _closing_bars(src: str, pos: int, limit: int) -> int:
    """Where the ``||`` that closes a spoiler lies in ``src[pos:limit]``; -1 if nowhere.

    Bars escaped by a backslash or inside a code span do not close it.
    """
    while pos + 1 < limit:
        char = src[pos]
        if char == "\\":
            pos += 2
        elif char == "`":
            run = len(src[pos:limit]) - len(src[pos:limit].lstrip("`"))
            closing = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(src, pos + run, limit)
            pos = closing.end() if closing else pos + run
        elif src.startswith("||", pos):
            return pos
        else:
            pos += 1
    return -1


def _spoiler_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``||text||`` -> spoiler_open, the inner inline tokens, spoiler_close."""
    src, start = state.src, state.pos
    if not src.startswith("||", start):
        return False
    end = _closing_bars(src, start + 2, state.posMax)
    if end == -1 or end == start + 2:
        return False
    if silent:  # a silent match must still move past the span (link labels are scanned this way)
        state.pos = end + 2
        return True
    old_max = state.posMax
    state.pos, state.posMax = start + 2, end
    # Inside a link a checkbox would be invalid HTML: there the spoiler is a span revealed on hover/focus.
    in_link = getattr(state, "linkLevel", 0) > 0
    state.push("spoiler_open", "span" if in_link else "label", 1).meta = {"in_link": in_link}
    env = state.env if isinstance(state.env, dict) else {}
    env["spoiler"] = env.get("spoiler", 0) + 1  # a #tag inside stays text: a tag page would tell it
    state.md.inline.tokenize(state)
    env["spoiler"] -= 1
    state.push("spoiler_close", "span" if in_link else "label", -1).meta = {"in_link": in_link}
    state.pos, state.posMax = end + 2, old_max
    return True


def _hashtag_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``#tag`` after a space or start of text -> a link to the tag page."""
    src, start = state.src, state.pos
    if src[start] != "#" or (start and src[start - 1] not in _TAG_BEFORE_OK):
        return False
    match = HASHTAG.match(src, start)
    if not match:
        return False
    slug = tag_slug(match.group(1))
    env = state.env if isinstance(state.env, dict) else {}
    channel = env.get("channel")
    if not slug or slug.isdigit() or not channel or env.get("spoiler"):
        return False
    if not silent:
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": f"{ROOT}{channel}/tags/{quote(slug)}/index.html", "class": "hashtag"}
        token.markup = "hashtag"
        text = state.push("text", "", 0)
        text.content = match.group(0)
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


def _render_spoiler_open(self, tokens, idx, options, env) -> str:  # type: ignore[no-untyped-def]
    if tokens[idx].meta.get("in_link"):
        return '<span class="spoiler-in-link" data-pagefind-ignore>'
    return (
        '<label class="spoiler"><input type="checkbox" class="spoiler-toggle">'
        '<span class="spoiler-text" data-pagefind-ignore>'
    )


def _render_spoiler_close(self, tokens, idx, options, env) -> str:  # type: ignore[no-untyped-def]
    if tokens[idx].meta.get("in_link"):
        return "</span>"
    return "</span></label>"


def _linkify_before_break(state: StateInline, silent: bool) -> bool:
    """markdown-it's linkify rule, leaving out backslashes at the end of the URL.

    Older scrapes wrote a hard line break after a bare URL as a trailing backslash, and linkify
    takes it into the link (``href="...%5C"``). A URL does not end in a backslash: the backslash
    goes back to the text, where it is the line break (or an escape) it was written as.
    """
    if not state.src.startswith("://", state.pos):
        return False  # linkify's own first test, before the scheme search over all pending text
    scheme = SCHEME_RE.search(state.pending) if state.pending else None
    start = state.pos - len(scheme.group(1)) if scheme else state.pos
    if not _linkify_rule(state, silent):
        return False
    src, end = state.src, state.pos
    url_end = end
    while url_end > start and src[url_end - 1] in "\\*":
        url_end -= 1
    if "\\" not in src[url_end:end]:
        return True
    url = src[start:url_end]
    href = state.md.normalizeLink(url)
    if "://" not in url or not state.md.validateLink(href):
        return True  # nothing left worth a link: keep what linkify made
    state.pos = url_end
    if not silent:
        state.tokens[-3].attrs["href"] = href
        state.tokens[-2].content = state.md.normalizeLinkText(url)
    return True


# linkify-it's pretest (a huge regex, a fifth of the Markdown time) can only pass on text with one of
# these: a scheme's colon or "//", an e-mail's @, a dot before a TLD or an IP part, "www.",
# "localhost", "xn--". Checking them first skips it on most text, with the same output.
_MAY_LINK = re.compile(r"[:@]|//|\.\w|www\.|localhost|xn--", re.IGNORECASE)


@cache
def make_parser() -> MarkdownIt:
    """The one markdown-it-py set-up: CommonMark, raw HTML off, linkify, strikethrough, spoilers, tags."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
    md.enable(["linkify", "strikethrough"])
    md.disable(["image"])  # a post's images come from its media, never from text
    md.validateLink = validate_link  # type: ignore[method-assign]
    md.inline.ruler.at("text", _text_rule)
    md.inline.ruler.at("linkify", _linkify_before_break)
    md.inline.ruler.before("emphasis", "spoiler", _spoiler_rule)
    md.inline.ruler.before("emphasis", "hashtag", _hashtag_rule)
    md.add_render_rule("spoiler_open", _render_spoiler_open)
    md.add_render_rule("spoiler_close", _render_spoiler_close)
    full_pretest = md.linkify.pretest
    md.linkify.pretest = lambda text: _MAY_LINK.search(text) is not None and full_pretest(text)
    return md


def markdown_to_html(text: str, channel: str | None = None) -> str:
    """Render a post's Markdown text to HTML; hashtags link into ``channel``'s tag pages when given."""
    env = {"channel": channel} if channel else {}
    return make_parser().render(text.replace(ROOT, ""), env)
