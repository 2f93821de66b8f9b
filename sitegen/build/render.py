"""Build step 3: render pages with Jinja (autoescaped), the site's templates first, then the theme.

A site overrides the theme by putting a template of the same name in its ``templates/`` folder;
the built-in templates stay reachable as ``!default/<name>`` for ``{% extends %}``.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
import jinja2.bccache
from markupsafe import Markup, escape

from sitegen import __version__, i18n
from sitegen.build.archive import Archive
from sitegen.build.excerpt import meta_text
from sitegen.build.markdown import HASHTAG, ROOT, make_parser, tag_slug, validate_link
from sitegen.build.mosaic import album_layout
from sitegen.build.pages import Page
from sitegen.config import Config

THEME = Path(str(resources.files("sitegen").joinpath("theme")))
THEME_TEMPLATES = THEME / "templates"
THEME_STATIC = THEME / "static"
STATIC_DIR = "_static"  # the theme's CSS and icons inside output/ (never a Telegram username)
ARTICLES_KEPT = 512  # rendered posts a renderer remembers: a channel page and its posts' pages share them


def make_environment(site_templates: Path | None) -> jinja2.Environment:
    """A Jinja environment that looks in the site's templates, then the theme's."""
    folders = [str(site_templates)] if site_templates and site_templates.is_dir() else []
    folders.append(str(THEME_TEMPLATES))
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"!default": jinja2.FileSystemLoader(str(THEME_TEMPLATES))}),
            jinja2.FileSystemLoader(folders),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # one build, one version of each template: no stat of every file per page
    )
    env.filters["urlpath"] = url_path
    env.filters["compact"] = compact_number
    env.filters["duration"] = format_duration
    env.filters["safe_url"] = safe_url
    env.filters["meta_text"] = meta_filter
    env.globals["album_layout"] = album_layout
    env.globals["linked_text"] = linked_text
    return env


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote() leaves as it is


def url_path(value: Any) -> str:
    """A path as it goes into a URL: percent-encoded (most paths need nothing)."""
    text = str(value)
    return text if _URL_SAFE.fullmatch(text) else quote(text)


def safe_url(value: str | None) -> str:
    """The URL if its scheme is safe to link to (http, https, mailto, tg, tel), else ""."""
    return value if value and validate_link(value) else ""


def meta_filter(value: Any) -> Any:
    """Text for a meta tag with spoiler placeholders dropped (``excerpt.meta_text``); markup stays markup."""
    if isinstance(value, Markup):
        return Markup(meta_text(str(value)))  # the placeholder and "…" need no escaping
    return meta_text(str(value))


def compact_number(value: int | None) -> str:
    """1290 -> "1.3K", 1_120_000 -> "1.1M", as Telegram shows counts."""
    if value is None:
        return ""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if value >= 1_000:
        return f"{value / 1_000:.1f}".rstrip("0").rstrip(".") + "K"
    return str(value)


def format_duration(seconds: int | None) -> str:
    """83 -> "1:23"."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_MENTION_OR_TAG = re.compile(r"(?<![\w@#/])(?:@([A-Za-z][A-Za-z0-9_]{3,31})|#(\w{1,100}))")


def linked_text(text: str, channel: str, tags: Any, root: str) -> Markup:
    """Plain text (a channel's description) as HTML with its links, @names and #tags clickable.

    URLs are found as in posts (linkify), unsafe schemes stay text; ``@name`` opens on Telegram; a
    hashtag links to its tag page when the channel has one, else to Telegram's search for it.
    """
    out: list[str] = []
    pos = 0
    for match in make_parser().linkify.match(text) or []:
        out.append(_mentions_and_tags(text[pos : match.index], channel, tags, root))
        url = match.url
        if validate_link(url):
            out.append(f'<a href="{escape(url)}">{escape(match.text)}</a>')
        else:
            out.append(str(escape(match.text)))
        pos = match.last_index
    out.append(_mentions_and_tags(text[pos:], channel, tags, root))
    return Markup("".join(out))


def _mentions_and_tags(text: str, channel: str, tags: Any, root: str) -> str:
    """Escape ``text``, linking @names to Telegram and #tags to the archive's tag pages."""
    out, pos = [], 0
    for match in _MENTION_OR_TAG.finditer(text):
        out.append(str(escape(text[pos : match.start()])))
        name, tag = match.groups()
        if name:
            href = f"https://t.me/{name}"
        else:
            slug = tag_slug(tag) if HASHTAG.fullmatch(match.group(0)) else ""
            href = (
                f"{root}{channel}/tags/{quote(slug)}/index.html"
                if slug in tags
                else (f"https://t.me/s/{channel}?q={quote('#' + tag)}")
            )
        out.append(f'<a href="{escape(href)}">{escape(match.group(0))}</a>')
        pos = match.end()
    out.append(str(escape(text[pos:])))
    return "".join(out)


class QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept in the build cache.

    They are written after the site (on a full disk the pages fail first, with a clear error), and a
    folder that cannot be written just means no reuse.
    """

    def __init__(self, directory: str) -> None:
        super().__init__(directory)
        self.pending: list[jinja2.bccache.Bucket] = []

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.pending.append(bucket)

    def flush(self) -> None:
        """Write the templates compiled by this build."""
        for bucket in self.pending:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)
        self.pending.clear()


class Renderer:
    """Renders :class:`Page` objects to HTML strings with the shared site context."""

    def __init__(self, cfg: Config, sections: list[Any], built_at: datetime | None = None) -> None:
        self.env = make_environment(cfg.templates_dir)
        self.lang = i18n.load(cfg.language)
        self.tz = ZoneInfo(cfg.timezone)
        base = cfg.base_url.rstrip("/") + "/" if cfg.base_url else ""
        self.globals: dict[str, Any] = {
            "config": cfg,
            "base_url": base,
            "sections": sections,
            "lang": self.lang,
            "t": self.lang.t,
            "ui": SimpleNamespace(**self.lang.data["strings"]),  # ui.home: t('home') without a call
            "static": STATIC_DIR,
            "version": __version__,
            "site_title": cfg.title
            or (sections[0].channel.name if len(sections) == 1 else self.lang.t("site_title")),
        }
        self.globals["article"] = self.article
        # Links to Telegram posts the site holds go to their pages (archive.py): looked up when a
        # page is rendered, never in the cached Markdown, as the posts of the site change.
        self.archive = Archive(sections)
        self.globals["archive"] = self.archive
        # Jinja globals, not render arguments: the macro files then import without context and
        # Jinja keeps one instance of each for the whole build instead of one per page.
        self.env.globals.update(self.globals)
        self.env.filters["post_title"] = self.post_title
        self.env.filters["in_archive"] = self.archive.rewrite
        self._articles: dict[str, Markup] = {}
        self._post_content: Any = None

    def compile_templates(self, names: set[str]) -> None:
        """Compile the pages' templates and every other one the site or theme has (the templates
        they import or extend), so forked workers inherit them and the bytecode cache keeps them all.

        A broken template no page uses is left alone; one a page uses fails here, with its error.
        """
        for name in sorted(names):
            self.env.get_template(name)
        for name in self.env.list_templates(filter_func=lambda n: not n.startswith("!")):
            if name.endswith((".html", ".xml")) and name not in names:
                with contextlib.suppress(jinja2.TemplateError):
                    self.env.get_template(name)

    def post_title(self, view: Any) -> str:
        """A post's title in the site's language (kind titles such as "Photo" are translated)."""
        return self.lang.t(view.title_key, n=view.post.id) if view.title_key else view.title

    def article(self, view: Any, section: Any) -> Markup:
        """A post's content as ``_post.html``'s ``post_content`` macro renders it, once per post.

        It is rendered with :data:`ROOT` for ``root``, so every page (and feed) that shows the post
        reuses it; the most recent :data:`ARTICLES_KEPT` are kept.
        """
        html = self._articles.get(view.path)
        if html is None:
            if self._post_content is None:
                module = self.env.get_template("_post.html").make_module()
                self._post_content = module.post_content
            html = self._articles[view.path] = self._post_content(view, section, ROOT)
            if len(self._articles) > ARTICLES_KEPT:
                del self._articles[next(iter(self._articles))]
        return html

    def render_fragment(self, template: str, root: str, **context: Any) -> str:
        """Render a template outside the page tree (a feed entry); ``root`` prefixes internal links."""
        out = self.env.get_template(template).render(**context, root=root, canonical="")
        return out.replace(ROOT, root)

    def render(self, page: Page) -> str:
        """Render one page; archive-internal links in post bodies are made relative to it."""
        template = self.env.get_template(page.template)
        root = page.root
        if page.path == "404.html" and self.globals["base_url"]:
            # A host serves 404.html for a missing URL at any depth: only absolute links work there.
            root = self.globals["base_url"]
        absolute = (
            self.globals["base_url"] + page.path.removesuffix("index.html")
            if self.globals["base_url"]
            else ""
        )
        out = template.render(**page.context, page=page, root=root, canonical=absolute)
        return out.replace(ROOT, root)
