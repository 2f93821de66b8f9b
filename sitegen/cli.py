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
    sitegen scrape CHANNEL   read t.me/s/CHANNEL into content/ (Markdown + media)
    sitegen build            render content/ into a static site in output/
    """


@cli.command()
@config_option
@content_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), help="Where the site goes (default: output).")
@click.option("--base-url", help="Public address of the site, e.g. https://user.github.io/repo/ (feeds, sitemap).")
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
        f"{report.pages} pages, {report.written} files written, {report.media} media files "
        f"in {elapsed:.2f} s"
    )


def main() -> None:
    """Entry point: run the CLI and turn user errors into one line and exit code 1."""
    try:
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("Interrupted; everything written so far is whole. Run the command again to go on.", err=True)
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
