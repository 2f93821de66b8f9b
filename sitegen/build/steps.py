"""The whole build when something changed: content/ -> output/, steps you can read top to bottom."""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sitegen.build import BuildReport
from sitegen.build.cache import BuildCache, freeze_objects, parallel_map
from sitegen.build.feeds import discovery_files, sitemap_files
from sitegen.build.forked import Forked
from sitegen.build.load import BuildError, ChannelSource
from sitegen.build.pages import (
    Page,
    Section,
    head_files,
    make_post_view,
    make_section,
    render_order,
    site_pages,
)
from sitegen.build.render import STATIC_DIR, THEME_STATIC, Renderer, compile_all, make_environment
from sitegen.build.search import INDEX_DIR, SearchText, remove_search_index, update_search_index
from sitegen.build.write import OutputWriter, forget_folders, prepare_output, write_output_file
from sitegen.config import BASE_URL_WARNING, Config
from sitegen.content import MEDIA_DIR, POSTS_DIR
from sitegen.progress import ProgressSink, Steps
from sitegen.sizes import Tally, folder_size, folder_tally, size_warnings


def check_media(source: ChannelSource, report: BuildReport) -> None:
    """Warn about media listed in front matter but missing on disk (paths that would leave the
    folder were refused when the post was parsed: see cache.parse_detail)."""
    files = source.media_files
    for entry in source.posts:
        head = entry.head
        if not (head[5] or head[6] or head[7]):  # media, link preview image, reply thumbnail
            continue
        for path, _ in head_files(head):
            if path not in files:
                report.warnings.append(
                    f"{source.dir}/posts/{head[0]}.md: media file '{path}' is missing; "
                    "the page links to the original on Telegram instead"
                )


def make_sections(cfg: Config, sources: list[ChannelSource], progress: ProgressSink) -> list[Section]:
    """Gather the cross-page data of every channel from its posts' heads (details load on use)."""
    tz = ZoneInfo(cfg.timezone)
    total = sum(len(s.posts) for s in sources)
    progress.begin("Reading posts", total)
    sections = []
    for source in sources:
        channel, files = source.channel.username, source.media_files
        views = [make_post_view(e.head, channel, files, tz, e.key, e.detail, e) for e in source.posts]
        progress.advance(len(views))
        sections.append(make_section(source, views))
    progress.end()
    return sections


_RENDERER: Renderer | None = None  # the renderer of the running build, inherited by forked workers
_OUTPUT = Path()


def _render_page(page: Page) -> tuple[int, bool, frozenset[Any], tuple[str, ...]]:
    """Render one page into the output folder unless it already holds these bytes: (size, written,
    what the render read of posts and channels, which of the page's context variables it read)."""
    html, reads, names = _RENDERER.render_recorded(page)  # type: ignore[union-attr]
    data = html.encode("utf-8")
    try:
        return len(data), write_output_file(_OUTPUT / page.path, data), reads, names
    except OSError as exc:
        raise BuildError(f"cannot write '{_OUTPUT / page.path}': {exc.strerror}") from None


def render_pages(
    renderer: Renderer,
    pages: list[Page],
    writer: OutputWriter,
    progress: ProgressSink,
    cache: BuildCache | None = None,
    jobs: int = 1,
) -> None:
    """Render the pages whose keys changed (in ``jobs`` processes) and write the ones whose bytes changed."""
    global _RENDERER, _OUTPUT
    progress.begin("Rendering pages", len(pages))
    forget_folders()
    todo = cache.stale_pages(pages, writer.output) if cache else pages
    if cache:
        stale = {id(page) for page in todo}
        for page in pages:
            if id(page) not in stale:
                writer.keep(page.path, cache.sizes[page.path])
    progress.advance(len(pages) - len(todo))
    todo = render_order(todo)
    renderer.compile_templates({page.template for page in todo})  # once, before workers fork
    _RENDERER, _OUTPUT = renderer, writer.output
    try:
        done = 0
        # a page's cost in simple items: a tag page's many posts cost more, but a few pages never
        # pay for starting workers
        cost = sum(1 + len(page.context.get("posts", ())) // 4 for page in todo)
        for chunk in parallel_map(_render_page, todo, jobs, cost):
            for page, (size, written, reads, names) in zip(
                todo[done : done + len(chunk)], chunk, strict=True
            ):
                writer.keep(page.path, size, written)
                if cache:
                    cache.record_page(page, names, reads, size)
            done += len(chunk)
            progress.advance(len(chunk))
    finally:
        _RENDERER = None
    progress.end()


def copy_assets(sources: list[ChannelSource], writer: OutputWriter) -> int:
    """Copy the theme's static files and every channel's media into output/ (media the last build
    linked from the same files are kept as they are); count media files."""
    writer.copy_tree(STATIC_DIR, THEME_STATIC)
    count = 0
    for source in sources:
        folder, name = os.fspath(source.dir), source.channel.username
        try:
            device = os.stat(os.path.join(folder, MEDIA_DIR)).st_dev
        except OSError:
            device = -1
        keep, link = writer.keep_link, writer.link
        for relative, inode in source.media_files.items():
            path = f"{name}/{relative}"
            if not keep(path, device, inode):
                link(path, os.path.join(folder, relative))
        count += len(source.media_files)
    return count


def content_tally(
    cfg: Config, cache: BuildCache, sources: list[ChannelSource], writer: OutputWriter
) -> Tally:
    """The bytes and files of content/: the post files and media the build read (their sizes
    known), and whatever else lies there (walked: few files)."""
    size = files = 0
    known: dict[str, set[str]] = {}
    for source in sources:
        posts = cache.posts_tally.get(os.path.join(source.dir, POSTS_DIR), (0, 0))
        name = source.channel.username
        size += posts[0] + sum(writer.sizes.get(f"{name}/{relative}", 0) for relative in source.media_files)
        files += posts[1] + len(source.media_files)
        known[os.fspath(source.dir)] = {POSTS_DIR, MEDIA_DIR}
    folders = [os.fspath(cfg.content_dir)]
    while folders:
        folder = folders.pop()
        skip = known.get(folder, set())
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                if entry.name in skip:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if entry.path in known or folder == os.fspath(cfg.content_dir):
                        folders.append(entry.path)  # a channel folder, or the content folder's
                    else:
                        more = folder_size(Path(entry.path))
                        size, files = size + more[0], files + more[1]
                elif entry.is_file(follow_symlinks=False):
                    size += entry.stat(follow_symlinks=False).st_size
                    files += 1
    return size, files


def output_tally(cfg: Config, cache: BuildCache, writer: OutputWriter) -> Tally:
    """The bytes and files of the site: what the build made, and the search index."""
    search = folder_tally(cfg.output_dir / INDEX_DIR, cache.search_tally) if cfg.search else (0, 0)
    return sum(writer.sizes.values()) + search[0], len(writer.sizes) + search[1]


def write_discovery(
    cfg: Config,
    sections: list[Section],
    pages: list[Page],
    renderer: Renderer,
    writer: OutputWriter,
    report: BuildReport,
    sitemap: Forked | None = None,
) -> None:
    """Write the feeds, sitemap (made by ``sitemap`` when given) and robots.txt; without
    base_url, warn once and skip them."""
    if not cfg.base_url:
        report.warnings.append(BASE_URL_WARNING)
        return
    made = sitemap.result() if sitemap is not None else None
    for path, data in discovery_files(sections, pages, renderer, made).items():
        writer.write(path, data)


def update_search(
    cfg: Config,
    sections: list[Section],
    renderer: Renderer,
    cache: BuildCache,
    report: BuildReport,
    progress: ProgressSink,
    jobs: int = 1,
) -> None:
    """Index the posts for search (only the tiers whose records changed; new records made in
    ``jobs`` processes), or drop an old index."""
    if not cfg.search:
        remove_search_index(cfg.output_dir)
        return
    progress.begin("Indexing for search", 1)
    strings = renderer.lang.data["strings"]
    lang = renderer.lang
    text = SearchText(lang.code, strings["channel"], strings["spoiler"], strings["date"], lang.date)
    report.searchable = update_search_index(
        cfg.output_dir, cache.folder, sections, text, renderer.lang.t, jobs
    )
    progress.end()


def build_changed(
    cfg: Config, cache: BuildCache, clean: bool, progress: ProgressSink, jobs: int, fingerprint: str | None
) -> BuildReport:
    """Build the site after :func:`sitegen.build.build_site` found that something changed."""
    report = BuildReport()
    steps = Steps(progress)  # a status line on a terminal, and each step's time with --verbose
    cache.forget_state()
    failures: dict[str, str] = {}
    steps.next("Loading posts")
    env = make_environment(cfg.templates_dir)  # its templates compile while workers parse posts
    env.bytecode_cache = cache.bytecode_cache()
    sources = cache.load_content(cfg.content_dir, jobs, failures, meanwhile=lambda: compile_all(env))
    report.failed = list(failures.values())
    for source in sources:
        check_media(source, report)
    prepare_output(cfg.output_dir, cfg.content_dir, clean)
    steps.next("Gathering pages")
    sections = make_sections(cfg, sources, progress)
    pages = site_pages(sections, cfg.posts_per_page, search=cfg.search)
    writer = OutputWriter(cfg.output_dir, cache.changed_outputs(), cache.last_links)
    renderer = Renderer(cfg, sections, env)
    base_url = renderer.globals["base_url"]  # the sitemap (100,000 URLs) is made while pages render
    sitemap = cache.fork(sitemap_files, pages, base_url) if base_url else None
    cache.set_site(cfg, sections, renderer.globals)
    # The posts, pages and states live until the build ends: the collector, off while they were
    # made (build_site), leaves them alone from now on (at 100,000 posts each full collection
    # would walk them all); rendering makes cycles, so it runs again.
    freeze_objects()
    gc.enable()
    steps.next("Rendering pages")
    render_pages(renderer, pages, writer, progress, cache, jobs)
    cache.save_pages({page.path for page in pages})  # by a child process, while media and feeds are copied
    steps.next("Copying media, feeds")
    report.media = copy_assets(sources, writer)
    write_discovery(cfg, sections, pages, renderer, writer, report, sitemap)
    writer.write(".nojekyll", b"")
    report.removed = writer.finish(tuple(f"{name}/" for name in failures))
    cache.save(writer.made)
    steps.next("Indexing for search")
    update_search(cfg, sections, renderer, cache, report, progress, jobs)
    steps.done()
    report.channels = len(sources)
    report.posts = sum(len(s.posts) for s in sources)
    report.pages = len(pages)
    report.written = writer.written
    if cache.warning:
        report.warnings.append(cache.warning)
    report.warnings.extend(  # near GitHub's 1 GB
        size_warnings(
            cfg.content_dir,
            cfg.output_dir,
            content=content_tally(cfg, cache, sources, writer),
            output=output_tally(cfg, cache, writer),
        )
    )
    cache.save_state(fingerprint, report, writer.links)
    return report
