"""The whole build when something changed: content/ -> output/, steps you can read top to bottom."""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sitegen.build import BuildReport
from sitegen.build.cache import BuildCache, parallel_map
from sitegen.build.feeds import discovery_files
from sitegen.build.load import BuildError, ChannelSource
from sitegen.build.pages import (
    Page,
    Section,
    make_post_view,
    make_section,
    render_order,
    site_pages,
)
from sitegen.build.render import STATIC_DIR, THEME_STATIC, Renderer
from sitegen.build.search import INDEX_DIR, SearchText, remove_search_index, update_search_index
from sitegen.build.write import OutputWriter, forget_folders, prepare_output, write_output_file
from sitegen.config import BASE_URL_WARNING, Config
from sitegen.content import MEDIA_DIR, POSTS_DIR
from sitegen.files import UnsafePathError, check_relative
from sitegen.progress import ProgressSink, Steps
from sitegen.sizes import Tally, folder_size, folder_tally, size_warnings


def check_media(source: ChannelSource, report: BuildReport) -> None:
    """Warn about media listed in front matter but missing on disk; refuse paths that leave the folder."""
    for entry in source.posts:
        number, _, _, _, _, media, preview, reply_thumb = entry.head
        if not (media or preview or reply_thumb):
            continue
        paths = [(file, "file") for _, file, _ in media] + [(thumb, "thumb") for _, _, thumb in media]
        paths += [(preview, "link preview image"), (reply_thumb, "reply thumbnail")]
        for path, what in paths:
            if not path:
                continue
            try:
                check_relative(path)
            except UnsafePathError as exc:
                raise BuildError(f"{source.dir}/posts/{number}.md: media {what}: {exc}") from None
            if path not in source.media_files:
                report.warnings.append(
                    f"{source.dir}/posts/{number}.md: media file '{path}' is missing; "
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
    # The posts live until the build ends: the collector, off while they load (cache.load_content),
    # leaves them alone from now on (build_site unfreezes them; at 100,000 posts full collections
    # cost seconds).
    gc.freeze()
    gc.enable()
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
    """Copy the theme's static files and every channel's media into output/; count media files."""
    writer.copy_tree(STATIC_DIR, THEME_STATIC)
    count = 0
    for source in sources:
        folder, name = os.fspath(source.dir), source.channel.username
        for relative in sorted(source.media_files):
            writer.link(f"{name}/{relative}", os.path.join(folder, relative))
            count += 1
    return count


def content_tally(
    cfg: Config, cache: BuildCache, sources: list[ChannelSource], writer: OutputWriter
) -> Tally:
    """The bytes and files of content/: the post files and media the build read (their sizes
    known), and whatever else lies there (walked: few files)."""
    size = files = 0
    known: dict[str, set[str]] = {}
    for source in sources:
        stats = cache.file_stats.get(os.path.join(source.dir, POSTS_DIR), {})
        size += sum(stat[0][0] for stat in stats.values())
        name = source.channel.username
        size += sum(writer.sizes.get(f"{name}/{relative}", 0) for relative in source.media_files)
        files += len(stats) + len(source.media_files)
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
) -> None:
    """Write the feeds, sitemap and robots.txt; without base_url, warn once and skip them."""
    if not cfg.base_url:
        report.warnings.append(BASE_URL_WARNING)
        return
    for path, data in discovery_files(sections, pages, renderer).items():
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
    sources = cache.load_content(cfg.content_dir, jobs, failures)
    report.failed = list(failures.values())
    for source in sources:
        check_media(source, report)
    prepare_output(cfg.output_dir, cfg.content_dir, clean)
    steps.next("Gathering pages")
    sections = make_sections(cfg, sources, progress)
    pages = site_pages(sections, cfg.posts_per_page, search=cfg.search)
    writer = OutputWriter(cfg.output_dir)
    renderer = Renderer(cfg, sections)
    renderer.env.bytecode_cache = cache.bytecode_cache()
    cache.set_site(cfg, sections, renderer.globals)
    steps.next("Rendering pages")
    render_pages(renderer, pages, writer, progress, cache, jobs)
    steps.next("Copying media, feeds")
    report.media = copy_assets(sources, writer)
    write_discovery(cfg, sections, pages, renderer, writer, report)
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
    cache.save_state(fingerprint, report)
    return report
