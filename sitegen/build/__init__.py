"""``sitegen build``: content/ -> output/, as a list of steps you can read top to bottom."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol
from zoneinfo import ZoneInfo

from sitegen.build.feeds import discovery_files
from sitegen.build.load import BuildError, ChannelSource, load_content
from sitegen.build.pages import Page, Section, make_post_view, make_section, site_pages
from sitegen.build.render import STATIC_DIR, THEME_STATIC, Renderer
from sitegen.build.search import build_search_index, remove_search_index
from sitegen.build.write import OutputWriter, prepare_output
from sitegen.config import Config
from sitegen.files import UnsafePathError, safe_relative

__all__ = ["BuildError", "BuildReport", "build_site"]


class ProgressSink(Protocol):
    """What the build reports progress to (the CLI's progress bar, or nothing)."""

    def begin(self, label: str, total: int) -> None: ...
    def advance(self, steps: int = 1) -> None: ...
    def end(self) -> None: ...


class _NoProgress:
    def begin(self, label: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass

    def end(self) -> None:
        pass


@dataclass
class BuildReport:
    """What a build did, for the summary line."""

    channels: int = 0
    posts: int = 0
    pages: int = 0
    written: int = 0
    removed: int = 0
    media: int = 0
    searchable: int = 0  # pages in the search index
    warnings: list[str] = field(default_factory=list)


def check_media(source: ChannelSource, report: BuildReport) -> None:
    """Warn about media listed in front matter but missing on disk; refuse paths that leave the folder."""
    for post in source.posts:
        paths = [(m.file, "file") for m in post.media] + [(m.thumb, "thumb") for m in post.media]
        if post.link_preview and post.link_preview.image:
            paths.append((post.link_preview.image, "link preview image"))
        for path, what in paths:
            if not path:
                continue
            try:
                safe_relative(source.dir, path)
            except UnsafePathError as exc:
                raise BuildError(f"{source.dir}/posts/{post.id}.md: media {what}: {exc}") from None
            if path not in source.media_files:
                report.warnings.append(
                    f"{source.dir}/posts/{post.id}.md: media file '{path}' is missing; "
                    "the page links to the original on Telegram instead"
                )


def make_sections(cfg: Config, sources: list[ChannelSource], progress: ProgressSink) -> list[Section]:
    """Render every post's text and gather the cross-page data of every channel."""
    tz = ZoneInfo(cfg.timezone)
    total = sum(len(s.posts) for s in sources)
    progress.begin("Reading posts", total)
    sections = []
    for source in sources:
        views = []
        for post in source.posts:
            views.append(make_post_view(post, source, tz))
            progress.advance()
        sections.append(make_section(source, views))
    progress.end()
    return sections


def render_pages(renderer: Renderer, pages: list[Page], writer: OutputWriter, progress: ProgressSink) -> None:
    """Render every page and write the ones whose bytes changed."""
    progress.begin("Rendering pages", len(pages))
    for page in pages:
        writer.write(page.path, renderer.render(page).encode("utf-8"))
        progress.advance()
    progress.end()


def copy_assets(sources: list[ChannelSource], writer: OutputWriter) -> int:
    """Copy the theme's static files and every channel's media into output/; count media files."""
    writer.copy_tree(STATIC_DIR, THEME_STATIC)
    count = 0
    for source in sources:
        for relative in sorted(source.media_files):
            writer.link(f"{source.channel.username}/{relative}", source.dir / relative)
            count += 1
    return count


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
        report.warnings.append(
            "base_url is not set: no Atom feeds, sitemap.xml, robots.txt, canonical or og:image URLs "
            "(set base_url in sitegen.toml or pass --base-url)"
        )
        return
    for path, data in discovery_files(sections, pages, renderer).items():
        writer.write(path, data)


def update_search(cfg: Config, report: BuildReport, progress: ProgressSink) -> None:
    """Index the written site for search (after stale pages are gone), or drop an old index."""
    if not cfg.search:
        remove_search_index(cfg.output_dir)
        return
    progress.begin("Indexing for search", 1)
    report.searchable = build_search_index(cfg.output_dir)
    progress.end()


def build_site(cfg: Config, clean: bool = False, progress: ProgressSink | None = None) -> BuildReport:
    """Build the whole site from ``cfg.content_dir`` into ``cfg.output_dir``."""
    progress = progress or _NoProgress()
    report = BuildReport()
    sources = load_content(cfg.content_dir)
    for source in sources:
        check_media(source, report)
    prepare_output(cfg.output_dir, cfg.content_dir, clean)
    sections = make_sections(cfg, sources, progress)
    pages = site_pages(sections, cfg.posts_per_page, search=cfg.search)
    writer = OutputWriter(cfg.output_dir)
    renderer = Renderer(cfg, sections)
    render_pages(renderer, pages, writer, progress)
    report.media = copy_assets(sources, writer)
    write_discovery(cfg, sections, pages, renderer, writer, report)
    writer.write(".nojekyll", b"")
    report.removed = writer.finish()
    update_search(cfg, report, progress)
    report.channels = len(sources)
    report.posts = sum(len(s.posts) for s in sources)
    report.pages = len(pages)
    report.written = writer.written
    return report
