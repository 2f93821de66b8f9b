"""Build step 3: render pages with Jinja (autoescaped), the site's templates first, then the theme.

A site overrides the theme by putting a template of the same name in its ``templates/`` folder;
the built-in templates stay reachable as ``!default/<name>`` for ``{% extends %}``.
"""

from __future__ import annotations

import contextlib
import re
import traceback
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from types import FunctionType, MethodType, SimpleNamespace
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
import jinja2.bccache
import jinja2.runtime
from markupsafe import Markup, escape

from sitegen import __version__, i18n
from sitegen.build.archive import Archive
from sitegen.build.excerpt import meta_text
from sitegen.build.load import BuildError
from sitegen.build.markdown import HASHTAG, ROOT, make_parser, tag_slug, validate_link
from sitegen.build.mosaic import album_layout
from sitegen.build.pages import READS, Page, PostView, ReadKey, Section, note_name, note_read
from sitegen.config import Config

THEME = Path(str(resources.files("sitegen").joinpath("theme")))
THEME_TEMPLATES = THEME / "templates"
THEME_STATIC = THEME / "static"
STATIC_DIR = "_static"  # the theme's CSS and icons inside output/ (never a Telegram username)
ARTICLES_KEPT = 512  # rendered posts a renderer remembers: a channel page and its posts' pages share them
ITEMS_KEPT = 4096  # list items (a post's title, date and excerpt): a post's tag pages and month share them


class TrackingTemplate(jinja2.Template):
    """A template whose imported modules remember what their top-level code read.

    Jinja runs an imported template's top level once and reuses the module, so every later page
    that imports it gets those reads added to its own.
    """

    def make_module(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: Any = None
    ) -> jinja2.environment.TemplateModule:
        outer = READS.keys
        READS.keys = inner = set()
        try:
            module = super().make_module(vars, shared, locals)
        finally:
            READS.keys = outer
        module.__dict__["_sitegen_reads"] = inner
        if outer is not None:
            outer |= inner
        return module

    def _get_default_module(self, ctx: Any = None) -> jinja2.environment.TemplateModule:
        module = super()._get_default_module(ctx)
        if READS.keys is not None:
            READS.keys |= module.__dict__.get("_sitegen_reads", ())
        return module


class TrackingContext(jinja2.runtime.Context):
    """A render context that records which of the page's variables the templates look up."""

    def resolve_or_missing(self, key: str) -> Any:
        # Jinja's own, inlined (about 270,000 lookups at 4,000 posts): the page's variables, then
        # the globals
        if READS.names is not None:
            READS.names.add(key)
        if key in self.vars:
            return self.vars[key]
        if key in self.parent:
            return self.parent[key]
        return jinja2.runtime.missing

    def get_all(self) -> dict[str, Any]:  # an include or an import "with context" copies it all
        note_name("*")
        return super().get_all()

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's signature)
        # Every call in a template ({{ t(...) }}, a macro) comes here (~100,000 at 4,000 posts).
        # Jinja's own asks each callable twice whether it wants the context passed, by attribute
        # lookups that fail; for macros and plain functions and methods the answer is kept.
        kind = type(__obj)
        if kind is jinja2.runtime.Macro:
            wants = None
        elif kind is FunctionType or kind is MethodType:
            func = __obj.__func__ if kind is MethodType else __obj
            wants = _WANTS.get(func, _ASK)
            if wants is _ASK:
                wants = _WANTS[func] = getattr(func, "jinja_pass_arg", None)
        else:
            wants = _ASK
        if wants is not None:  # a context, environment... to pass, or another kind of callable
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_block_vars", None)
        kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's own
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


_ASK = object()
_WANTS: dict[Any, Any] = {}  # function -> what Jinja passes it first (jinja_pass_arg), None: nothing


TRACKED_TYPES = frozenset({PostView, Section, Page})  # the only types pages.note_read records


class TrackingEnvironment(jinja2.Environment):
    """Jinja's environment, recording each read of a post's or channel's data while a page renders.

    Jinja routes every ``a.b`` and ``a[b]`` of a template through :meth:`getattr` and
    :meth:`getitem` (its sandbox relies on it), filters such as ``sort(attribute=...)`` and ``map``
    included; see :data:`sitegen.build.pages.READS` for what a read is.
    """

    template_class = TrackingTemplate
    context_class = TrackingContext

    def make_globals(self, d: Any) -> Any:
        # Every template shares the environment's globals (none gets its own): one dict instead of
        # a chain per template, so Jinja's check at each {% from ... import %} ("does this page
        # bring globals the imported module lacks?") compares two dicts' keys in C.
        return self.globals if not d else super().make_globals(d)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Jinja's own getattr, inlined: this runs for every ``a.b`` of every page (~500,000 calls at
        # 4,000 posts); only posts, channels and pages are recorded (see pages.note_read).
        if type(obj) in TRACKED_TYPES and READS.keys is not None:
            note_read(obj, attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if type(obj) in TRACKED_TYPES and READS.keys is not None and isinstance(argument, str):
            note_read(obj, argument)
        return super().getitem(obj, argument)


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
    env = TrackingEnvironment(
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
    # bound to the build by Renderer; named here so the templates compile before there is one
    env.filters["post_title"] = env.filters["in_archive"] = _not_bound
    return env


def _not_bound(value: Any) -> Any:  # pragma: no cover - Renderer replaces it before any render
    raise RuntimeError("a filter of the renderer used before there is one")


def template_problem(exc: jinja2.TemplateError) -> str:
    """One line for a template that cannot be compiled or rendered, with where and what to do."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.filename or exc.name}:{exc.lineno}: "
    else:  # raised while rendering: Jinja names the template's file and line in the traceback
        frames = [
            f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml"))
        ]
        where = f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""
    message = " ".join(str(exc.message or exc).split())
    return f"{where}{message} (fix the template, or remove it to use the theme's)"


def compile_all(env: jinja2.Environment) -> None:
    """Compile every template of the site and the theme that compiles (a broken one is left for
    the page that uses it to report)."""
    for name in env.list_templates(filter_func=lambda n: not n.startswith("!")):
        if name.endswith((".html", ".xml")):
            with contextlib.suppress(jinja2.TemplateError):
                env.get_template(name)


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


_PATH_NAMES = frozenset({"page", "root", "canonical"})  # render arguments made from the page's path
# A fragment shared by pages: its HTML, what its render read, the objects its key names by identity.
_Fragment = tuple[Markup, set[ReadKey], tuple[Any, ...]]


class Renderer:
    """Renders :class:`Page` objects to HTML strings with the shared site context."""

    def __init__(self, cfg: Config, sections: list[Any], env: jinja2.Environment | None = None) -> None:
        """``env``: :func:`make_environment`'s for this site, when made (and templates compiled) early."""
        self.env = env or make_environment(cfg.templates_dir)
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
        self.env.globals["list_entry"] = self.list_entry
        self.env.filters["in_archive"] = self.archive.rewrite
        self.env.globals["list_item"] = self.list_item
        self.env.globals["linked_text"] = self.linked_text
        self._articles: dict[Any, _Fragment] = {}
        self._items: dict[Any, _Fragment] = {}
        self._texts: dict[Any, _Fragment] = {}
        self._module: Any = None  # _post.html, imported once for article() and list_item()
        self._module_reads: set[ReadKey] = set()

    def compile_templates(self, names: set[str]) -> None:
        """Compile the pages' templates and every other one the site or theme has (the templates
        they import or extend), so forked workers inherit them and the bytecode cache keeps them all.

        A broken template no page uses is left alone; one a page uses fails here, with its error.
        """
        try:
            for name in sorted(names):
                self.env.get_template(name)
        except jinja2.TemplateError as exc:
            raise BuildError(template_problem(exc)) from None
        compile_all(self.env)

    def post_title(self, view: Any) -> str:
        """A post's title in the site's language (kind titles such as "Photo" are translated)."""
        note_read(view, "title")  # both are "file" reads: see pages.POST_FACETS
        return self.lang.t(view.title_key, n=view.id) if view.title_key else view.title

    def list_entry(self, view: Any) -> tuple[str, str]:
        """A list item's title, and its excerpt going on where the title stops ("" when the title
        says it all): a title cut between words drops its last punctuation, so does the excerpt's
        start ("Адыгее…" then "…подразделениями")."""
        head = self.post_title(view)
        note_read(view, "summary")
        summary = view.summary
        stem = head[:-1] if head.endswith("…") else head
        rest = summary[len(stem) :].lstrip(" .,;:!?…-–—") if summary.startswith(stem) else summary
        if not rest or rest == "…":
            return head, ""
        return head, ("…" if head.endswith("…") and rest != summary else "") + rest

    def article(self, view: Any, section: Any) -> Markup:
        """A post's content as ``_post.html``'s ``post_content`` macro renders it, once per post.

        It is rendered with :data:`ROOT` for ``root``, so every page (and feed) that shows the post
        reuses it; the most recent :data:`ARTICLES_KEPT` are kept.
        """
        note_read(view, "path")
        return self._shared(
            self._articles, ARTICLES_KEPT, view.path, lambda: self._macro("post_content")(view, section, ROOT)
        )

    def list_item(self, view: Any) -> Markup:
        """A post's item in a list of posts (``_post.html``'s ``post_list_item``), once per post, as
        :meth:`article`; the most recent :data:`ITEMS_KEPT` are kept."""
        note_read(view, "path")
        return self._shared(
            self._items, ITEMS_KEPT, view.path, lambda: self._macro("post_list_item")(view, ROOT)
        )

    def linked_text(self, text: str, channel: str, tags: Any, root: str) -> Markup:
        """:func:`linked_text`, once per text, channel and root: a channel's description is on
        each of its pages."""
        key = (text, channel, root, id(tags))
        return self._shared(self._texts, 64, key, lambda: linked_text(text, channel, tags, root), tags)

    def _macro(self, name: str) -> Any:
        """A macro of ``_post.html`` (imported once: what its top level read goes with each use)."""
        if self._module is None:
            self._module = self.env.get_template("_post.html").make_module()
            self._module_reads = self._module.__dict__["_sitegen_reads"]
        macro = getattr(self._module, name)
        if READS.keys is not None:
            READS.keys |= self._module_reads
        return macro

    def _shared(
        self, kept: dict[Any, _Fragment], limit: int, key: Any, render: Callable[[], Markup], *alive: Any
    ) -> Markup:
        """A fragment rendered once and shown by many pages: what its render read is added to the
        reads of each page that shows it. ``kept`` holds the ``limit`` most recent; ``alive``:
        objects the key names by identity, kept with it."""
        known = kept.get(key)
        if known is None:
            outer = READS.keys
            READS.keys = reads = set()  # what the fragment reads, for every page that shows it
            try:
                known = kept[key] = (render(), reads, alive)
            finally:
                READS.keys = outer
            if len(kept) > limit:
                del kept[next(iter(kept))]
        if READS.keys is not None:
            READS.keys |= known[1]
        return known[0]

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
        try:
            out = template.render(**page.context, page=page, root=root, canonical=absolute)
        except jinja2.TemplateError as exc:
            raise BuildError(f"{page.path}: {template_problem(exc)}") from None
        return out.replace(ROOT, root)

    def render_recorded(self, page: Page) -> tuple[str, frozenset[ReadKey], tuple[str, ...]]:
        """Render one page; say what it read of the posts and channels, and which of its own
        context variables it looked up (see :class:`pages.READS`)."""
        READS.keys, READS.names = reads, names = set(), set()
        try:
            html = self.render(page)
        finally:
            READS.keys = READS.names = None
        # the page's own variables, read or looked up in vain (a variable that appears later must
        # count as a change): every name but the globals and the three that follow from the path
        own = ("*",) if "*" in names else tuple(sorted(names - self.env.globals.keys() - _PATH_NAMES))
        return html, frozenset(reads), own
