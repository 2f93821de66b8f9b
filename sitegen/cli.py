"""The ``sitegen`` command line: parse options, call the library, print progress and errors.

Nothing here knows how to scrape or build; it only wires options to the stages.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sitegen import __version__
from sitegen.config import CONFIG_FILE, Config, load_config
from sitegen.errors import SitegenError
from sitegen.files import remove_in_flight
from sitegen.progress import SHOW_CURSOR, Console


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


def voice_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``-q/--quiet`` and ``-v/--verbose``, shared by every command; the command gets a ``console``."""

    @functools.wraps(func)
    def command(*args: Any, quiet: bool, verbose: bool, **kwargs: Any) -> Any:
        if quiet and verbose:
            raise click.UsageError("--quiet and --verbose cannot go together: pick one")
        console = Console(-1 if quiet else 1 if verbose else 0)
        try:
            return func(*args, console=console, **kwargs)
        finally:
            console.close()  # also on Ctrl-C: the bar is closed and the cursor shown again

    command = click.option(
        "-v", "--verbose", is_flag=True, help="Say more: each step's time, every warning."
    )(command)
    return click.option("-q", "--quiet", is_flag=True, help="Print errors only.")(command)


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
@voice_options
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
    console: Console,
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
    from sitegen.scrape import normalise_channel, scrape_channels
    from sitegen.telegram.fetch import ScrapeError

    cfg = get_config(
        config_path,
        content=content,
        limit=limit,
        refresh=refresh,
        media=False if no_media else None,
        telegram_url=telegram_url,
    )
    if not channels:  # names from the settings file: say where the bad one is
        for name in cfg.scrape.channels:
            try:
                normalise_channel(name)
            except ScrapeError as exc:
                raise SitegenError(f"{cfg.source}: scrape.channels: {exc}") from None
    started = time.perf_counter()
    summary = scrape_channels(cfg, channels or cfg.scrape.channels, progress=console)
    console.end()
    for result in summary.channels:
        console.warnings(result.warnings, prefix=f"@{result.channel}: ")
    if len(summary.errors) < len(summary.channels):
        console.info(f"{summary.line()} in {time.perf_counter() - started:.1f} s")
    for result in summary.channels:
        if result.error:
            console.error(result.error)
    if summary.errors:
        click.get_current_context().exit(1)


def base_url_said(output: Path, verbose: bool) -> bool:
    """Whether the base_url warning was already given for this output folder (its first build says it)."""
    from sitegen.build.write import MANIFEST

    return not verbose and (output / MANIFEST).is_file()


@cli.command()
@voice_options
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
    console: Console,
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
    from sitegen.config import BASE_URL_WARNING

    cfg = get_config(
        config_path, content=content, output=output, base_url=base_url, search=False if no_search else None
    )
    started = time.perf_counter()
    said = base_url_said(cfg.output_dir, console.verbosity > 0)
    report = build_site(cfg, clean=clean, progress=console)
    console.end()
    console.warnings([w for w in report.warnings if not (said and w == BASE_URL_WARNING)])
    for failure in report.failed:
        console.error(failure)
    elapsed = time.perf_counter() - started
    failed = f", {len(report.failed)} channel(s) left out" if report.failed else ""
    console.info(
        f"Built {report.posts} posts of {report.channels} channel(s) into {cfg.output_dir}/: "
        f"{report.pages} pages, {report.written} files written, {report.media} media files"
        + (f", {report.searchable} pages searchable" if cfg.search else ", search skipped")
        + f"{failed} in {elapsed:.2f} s"
    )
    if report.failed:
        click.get_current_context().exit(1)


@cli.command()
@voice_options
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".", metavar="[DIR]")
@click.option(
    "--channel", "channels", multiple=True, required=True, metavar="NAME", help="Channel (repeatable)."
)
@click.option("--force", is_flag=True, help="Overwrite the project files (never content/) if they exist.")
def init(console: Console, directory: Path, channels: tuple[str, ...], force: bool) -> None:
    """Create a ready project in DIR (default: here) that archives a channel on GitHub Pages.

    \b
    Example:
      sitegen init my-archive --channel durov
    """
    from sitegen.init import init_project

    result = init_project(directory, channels, force=force)
    for path in result.written:
        console.info(f"  created      {directory / path}")
    for path in result.overwritten:
        console.info(f"  overwritten  {directory / path}")
    where = "" if directory == Path(".") else f"  cd {directory}\n"
    console.info(
        f'Next steps (see README.md, "Publish on GitHub Pages"):\n{where}'
        "  sitegen scrape --limit 100   # read the newest posts into content/\n"
        "  sitegen serve                # preview at http://127.0.0.1:8000/\n"
        "  on GitHub: Settings -> Pages -> Source: GitHub Actions, then push this folder"
    )


@cli.command()
@voice_options
@config_option
@content_option
@click.option(
    "--output", type=click.Path(file_okay=False, path_type=Path), help="Site folder (default: output)."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port (default: 8000, or the next free one when it is busy; 0 picks any free port).",
)
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on, e.g. 0.0.0.0.")
@click.option("--base-path", help="Serve under this path, e.g. /repo/ (default: the path of base_url).")
def serve(
    console: Console,
    config_path: Path | None,
    content: Path | None,
    output: Path | None,
    port: int | None,
    bind: str,
    base_path: str | None,
) -> None:
    """Build the site, serve it locally and rebuild when content, templates or settings change.

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
        echo=console.info,
        warn=console.warnings,
        error=console.error,
        bind=bind,
        progress=console,
    )


# --- sitegen import (Telegram Desktop exports) -----------------------------------------------------


@cli.command("import")
@voice_options
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
    console: Console,
    config_path: Path | None,
    content: Path | None,
    path: Path,
    channel: str | None,
    chats: tuple[str, ...],
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
    results = import_chats(cfg, export, pick_chats(export, chats), channel=channel, progress=console)
    console.end()
    for result in results:
        console.warnings(result.warnings, prefix=f"{result.channel}: ")
        if result.unknown:
            keys = ", ".join(sorted(result.unknown))
            console.warn(f"{result.channel}: kept unknown message keys as they are: {keys}")
        console.info(f"{result.line()} in {time.perf_counter() - started:.1f} s")


def main() -> None:
    """Entry point: run the CLI and turn user errors into one line and exit code 1."""
    try:
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        remove_in_flight()  # a temp file Ctrl-C caught between its open and its cleanup
        if sys.stderr.isatty():
            sys.stderr.write(SHOW_CURSOR)
        click.echo(
            "Interrupted; everything written so far is whole. Run the command again to go on.", err=True
        )
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "sitegen"
        message = " ".join(exc.format_message().split())
        click.echo(f"Error: {message} (see '{where} --help')", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"Error: {' '.join(exc.format_message().split())}", err=True)
        sys.exit(exc.exit_code)
    except SitegenError as exc:
        click.echo(f"Error: {' '.join(str(exc).split())}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
        sys.exit(1)


def run() -> None:
    """The ``sitegen`` command: :func:`main`, then the process ends at once.

    A large build leaves millions of objects that the interpreter would otherwise free one by one
    on the way out (a third of a second at 100,000 posts). Every file is closed by then; the two
    streams are flushed here. An unexpected exception still ends with its traceback, as usual.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
