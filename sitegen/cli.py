"""The ``sitegen`` command line: parse options, call the library, print progress and errors.

Nothing here knows how to scrape or build; it only wires options to the stages.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sitegen import __version__
from sitegen.config import CONFIG_FILE, Config, load_config
from sitegen.errors import SitegenError


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--config`` option shared by every command."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Settings file (default: ./{CONFIG_FILE} when it exists).",
    )(func)


def content_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--content`` option shared by scrape, build and serve."""
    return click.option(
        "--content",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder of the archive (default: content).",
    )(func)


def get_config(config_path: Path | None, **overrides: Any) -> Config:
    """Load the settings file and apply command-line overrides."""
    for key in ("content", "output", "templates"):
        if isinstance(overrides.get(key), Path):
            overrides[key] = str(overrides[key])
    return load_config(config_path).with_overrides(**overrides)


class Progress:
    """A progress bar on a terminal; a single summary line elsewhere (CI logs, pipes)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._label = ""
        self._count = 0
        self._interactive = sys.stderr.isatty()

    def begin(self, label: str, total: int) -> None:
        """Start a stage of ``total`` steps."""
        self.end()
        self._label, self._count = label, 0
        if self._interactive and total > 1:
            self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
            self._bar.__enter__()

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more steps of the current stage."""
        self._count += steps
        if self._bar is not None:
            self._bar.update(steps)

    def end(self) -> None:
        """Close the current stage."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="sitegen")
def cli() -> None:
    """Turn public Telegram channels into a permanent, searchable static website.

    \b
    sitegen init --channel NAME   start a project: settings, .gitignore, GitHub Pages workflow
    sitegen scrape CHANNEL        read t.me/s/CHANNEL into content/ (Markdown + media)
    sitegen import EXPORT         read a Telegram Desktop export (JSON) into content/
    sitegen build                 render content/ into a static site in output/
    sitegen serve                 preview the site locally; rebuilds and reloads on changes
    """


@cli.command()
@config_option
@content_option
@click.argument("channels", nargs=-1, metavar="CHANNEL...")
@click.option("--limit", type=click.IntRange(min=0), help="At most N new posts per channel (default: all).")
@click.option(
    "--refresh", type=click.IntRange(min=0), help="Re-read the newest N posts for edits (default: 50)."
)
@click.option("--no-media", "no_media", is_flag=True, help="Do not download photos, videos and other files.")
@click.option("--telegram-url", help="Where the web preview lives (default: https://t.me).")
def scrape(
    config_path: Path | None,
    content: Path | None,
    channels: tuple[str, ...],
    limit: int | None,
    refresh: int | None,
    no_media: bool,
    telegram_url: str | None,
) -> None:
    """Read public channels' web previews (t.me/s/CHANNEL) into content/.

    CHANNEL is a name, @name, t.me/name or https://t.me/s/name; without one, the channels
    listed under [scrape] in sitegen.toml are read. Later runs only fetch what is new.

    \b
    Example:
      sitegen scrape durov --limit 100
    """
    from sitegen.scrape import scrape_channels

    cfg = get_config(
        config_path,
        content=content,
        limit=limit,
        refresh=refresh,
        media=False if no_media else None,
        telegram_url=telegram_url,
    )
    started = time.perf_counter()
    progress = Progress()
    summary = scrape_channels(cfg, channels or cfg.scrape.channels, progress=progress)
    progress.end()
    for result in summary.channels:
        for warning in result.warnings:
            click.echo(f"warning: @{result.channel}: {warning}", err=True)
    if len(summary.errors) < len(summary.channels):
        click.echo(f"{summary.line()} in {time.perf_counter() - started:.1f} s")
    for result in summary.channels:
        if result.error:
            click.echo(f"Error: {result.error}", err=True)
    if summary.errors:
        click.get_current_context().exit(1)


@cli.command()
@config_option
@content_option
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the site goes (default: output).",
)
@click.option(
    "--base-url", help="Public address of the site, e.g. https://user.github.io/repo/ (feeds, sitemap)."
)
@click.option("--clean", is_flag=True, help="Empty the output folder first (and drop the build cache).")
@click.option("--no-search", "no_search", is_flag=True, help="Skip the full-text search index.")
def build(
    config_path: Path | None,
    content: Path | None,
    output: Path | None,
    base_url: str | None,
    clean: bool,
    no_search: bool,
) -> None:
    """Render the archive in content/ into a static website in output/.

    \b
    Example:
      sitegen build --base-url https://user.github.io/repo/
    """
    from sitegen.build import build_site

    cfg = get_config(
        config_path, content=content, output=output, base_url=base_url, search=False if no_search else None
    )
    started = time.perf_counter()
    progress = Progress()
    report = build_site(cfg, clean=clean, progress=progress)
    progress.end()
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    elapsed = time.perf_counter() - started
    click.echo(
        f"Built {report.posts} posts of {report.channels} channel(s) into {cfg.output_dir}/: "
        f"{report.pages} pages, {report.written} files written, {report.media} media files"
        + (f", {report.searchable} pages searchable" if cfg.search else ", search skipped")
        + f" in {elapsed:.2f} s"
    )


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".", metavar="[DIR]")
@click.option(
    "--channel", "channels", multiple=True, required=True, metavar="NAME", help="Channel (repeatable)."
)
@click.option("--force", is_flag=True, help="Overwrite the project files (never content/) if they exist.")
def init(directory: Path, channels: tuple[str, ...], force: bool) -> None:
    """Create a ready project in DIR (default: here) that archives a channel on GitHub Pages.

    \b
    Example:
      sitegen init my-archive --channel durov
    """
    from sitegen.init import init_project

    result = init_project(directory, channels, force=force)
    for path in result.written:
        click.echo(f"  created      {directory / path}")
    for path in result.overwritten:
        click.echo(f"  overwritten  {directory / path}")
    where = "" if directory == Path(".") else f"cd {directory}\n  "
    click.echo(
        f"Next:\n  {where}sitegen scrape     # read the channel into content/\n"
        "  sitegen serve      # preview at http://127.0.0.1:8000/\n"
        "To publish: on GitHub set Settings -> Pages -> Source: GitHub Actions, then push (see README)."
    )


@cli.command()
@config_option
@content_option
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path), help="Site folder (default: output)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port on 127.0.0.1."
)
@click.option("--base-path", help="Serve under this path, e.g. /repo/ (default: the path of base_url).")
def serve(
    config_path: Path | None, content: Path | None, output: Path | None, port: int, base_path: str | None
) -> None:
    """Build the site, serve it on 127.0.0.1 and rebuild when content, templates or settings change.

    The browser reloads after each rebuild. Ctrl-C stops the server.

    \b
    Example:
      sitegen serve --base-path /repo/
    """
    from sitegen.serve import serve as serve_site

    serve_site(
        lambda: get_config(config_path, content=content, output=output),
        config_path=config_path,
        port=port,
        base_path=base_path,
        echo=click.echo,
    )


# --- sitegen import (Telegram Desktop exports) -----------------------------------------------------


@cli.command("import")
@config_option
@content_option
@click.argument("path", type=click.Path(path_type=Path), metavar="PATH")
@click.option(
    "--channel", metavar="NAME", help="Content folder to import into (default: from the chat's name)."
)
@click.option(
    "--chat", "chats", multiple=True, metavar="NAME|ID", help="Whole-account export: the chat(s) to import."
)
def import_(
    config_path: Path | None, content: Path | None, path: Path, channel: str | None, chats: tuple[str, ...]
) -> None:
    """Import a Telegram Desktop export (Export chat history -> JSON) into content/.

    PATH is the export folder or its result.json. Private channels, groups, saved messages and
    every file the export holds become posts in the same format `sitegen scrape` writes; run it
    again after a new export, or scrape the same public channel: posts merge by message id.

    \b
    Example:
      sitegen import ~/Downloads/Telegram\\ Desktop/ChatExport_2024-05-01 --channel durov
    """
    from sitegen.importer import import_chats
    from sitegen.tdesktop.export import pick_chats, read_export

    cfg = get_config(config_path, content=content)
    started = time.perf_counter()
    export = read_export(path)
    if export.account and not chats:
        click.echo(f"{export.file} is a whole-account export; pick chats with --chat NAME or --chat ID:")
        for chat in export.chats:
            click.echo(f"  {chat.label}, {chat.count} messages")
        return
    progress = Progress()
    results = import_chats(cfg, export, pick_chats(export, chats), channel=channel, progress=progress)
    progress.end()
    for result in results:
        for warning in result.warnings:
            click.echo(f"warning: {result.channel}: {warning}", err=True)
        if result.unknown:
            keys = ", ".join(sorted(result.unknown))
            click.echo(f"warning: {result.channel}: kept unknown message keys as they are: {keys}", err=True)
        click.echo(f"{result.line()} in {time.perf_counter() - started:.1f} s")


def main() -> None:
    """Entry point: run the CLI and turn user errors into one line and exit code 1."""
    try:
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        click.echo(
            "Interrupted; everything written so far is whole. Run the command again to go on.", err=True
        )
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SitegenError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
