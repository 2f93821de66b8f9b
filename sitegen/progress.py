"""How long-running stages report progress, and how the CLI talks to the user.

Stages report to a :class:`ProgressSink` (tests pass nothing). The CLI passes a :class:`Console`:
a progress bar or a ticking status line on a terminal, nothing in logs and pipes; with
``--verbose`` the time of each step (:class:`Steps`); warnings grouped, so a thousand alike show
the first few and "and N more".
"""

from __future__ import annotations

import re
import sys
import threading
import time
from typing import Any, Protocol, TextIO

SHOW_CURSOR = "\033[?25h"
_CLEAR_LINE = "\r\033[K"
STATUS_AFTER = 0.5  # seconds before a stage without a count shows its status line
WARNINGS_SHOWN = 3  # warnings of one kind printed before "and N more"


class ProgressSink(Protocol):
    """What a stage reports its progress to (the CLI's ``Console`` fits)."""

    def begin(self, label: str, total: int) -> None: ...  # noqa: D102
    def advance(self, steps: int = 1) -> None: ...  # noqa: D102
    def end(self) -> None: ...  # noqa: D102


class NoProgress:
    """A progress sink that shows nothing."""

    def begin(self, label: str, total: int) -> None:
        """Ignore the start of a stage."""

    def advance(self, steps: int = 1) -> None:
        """Ignore progress."""

    def end(self) -> None:
        """Ignore the end of a stage."""


class Steps:
    """Step timings without indenting the steps: ``steps.next(label)`` ends the last step, starts one.

    While a step runs, a terminal shows its label (a step that counts its work shows a bar
    instead); with ``--verbose`` each step's time is printed when it ends.
    """

    def __init__(self, progress: ProgressSink) -> None:
        self.progress = progress
        self.label = ""
        self.started = 0.0

    def next(self, label: str) -> None:
        """End the running step and start ``label``."""
        self.done()
        self.label, self.started = label, time.perf_counter()
        self.progress.begin(label, 0)

    def done(self) -> None:
        """End the running step (if any) and report its time."""
        if not self.label:
            return
        self.progress.end()
        timing = getattr(self.progress, "timing", None)
        if timing is not None:
            timing(self.label, time.perf_counter() - self.started)
        self.label = ""


def show_status(progress: ProgressSink, text: str) -> None:
    """Show counts next to the running stage's bar (``pages 3, posts 60``), if the sink can."""
    status = getattr(progress, "status", None)
    if status is not None:
        status(text)


def _kind(warning: str) -> str:
    """What a warning says with its particulars (paths, quoted names, numbers) left out."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", warning)
    text = re.sub(r"\S*/\S*", "…", text)
    return re.sub(r"\d+", "#", text)


def group_warnings(warnings: list[str], shown: int = WARNINGS_SHOWN) -> list[str]:
    """The lines to print: the first ``shown`` warnings of each kind, then "... and N more like these"."""
    kinds: dict[str, list[str]] = {}
    for warning in warnings:
        kinds.setdefault(_kind(warning), []).append(warning)
    lines = []
    for alike in kinds.values():
        lines += alike[:shown]
        if len(alike) > shown:
            lines.append(f"... and {len(alike) - shown} more like the one above")
    return lines


class Console:
    """The CLI's voice: results on stdout; warnings, errors, progress and timings on stderr.

    ``verbosity``: -1 (``--quiet``: errors only), 0 (normal), 1 (``--verbose``: step timings too).
    Progress shows only when stderr is a terminal.
    """

    def __init__(self, verbosity: int = 0, err: TextIO | None = None, out: TextIO | None = None) -> None:
        self.verbosity = verbosity
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        self.interactive = verbosity >= 0 and self.err.isatty()
        self._bar: Any = None
        self._status: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._shown = False  # a status line is on the screen

    # -- messages --

    def info(self, text: str) -> None:
        """A result line on stdout (not with --quiet)."""
        if self.verbosity >= 0:
            self.end()
            print(text, file=self.out, flush=True)

    def detail(self, text: str) -> None:
        """A line on stderr only with --verbose."""
        if self.verbosity > 0:
            self.end()
            print(text, file=self.err, flush=True)

    def warn(self, text: str) -> None:
        """One warning on stderr (not with --quiet)."""
        if self.verbosity >= 0:
            self.end()
            print(f"warning: {text}", file=self.err, flush=True)

    def warnings(self, warnings: list[str], prefix: str = "") -> None:
        """Many warnings, the same kind shown a few times and then counted (all of them with --verbose)."""
        for line in group_warnings(warnings, len(warnings) if self.verbosity > 0 else WARNINGS_SHOWN):
            self.warn(prefix + line)

    def error(self, text: str) -> None:
        """One error line on stderr (always)."""
        self.end()
        print(f"Error: {text}", file=self.err, flush=True)

    def timing(self, label: str, seconds: float) -> None:
        """A step's time, with --verbose (like Hugo's and Zola's step timings)."""
        self.detail(f"  {label:<24} {seconds * 1000:8.0f} ms")

    # -- progress --

    def begin(self, label: str, total: int) -> None:
        """Start a stage: a bar of ``total`` steps, or a ticking status line when total is 0."""
        self.end()
        if not self.interactive:
            return
        if total > 1:
            import click

            self._bar = click.progressbar(
                length=total, label=label, file=self.err, item_show_func=lambda text: text
            )
            self._bar.__enter__()
        else:  # no count to show: the label, and how long it has been running
            self._stop = threading.Event()
            self._status = threading.Thread(target=self._tick, args=(label, self._stop), daemon=True)
            self._status.start()

    def _tick(self, label: str, stop: threading.Event) -> None:
        """Show ``label`` and the seconds it has been running, once it runs longer than a moment."""
        started = time.monotonic()
        while not stop.wait(STATUS_AFTER if not self._shown else 1.0):
            with self._lock:
                if stop.is_set():
                    return
                seconds = int(time.monotonic() - started)
                self.err.write(f"{_CLEAR_LINE}{label}..." + (f" {seconds} s" if seconds else ""))
                self.err.flush()
                self._shown = True

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more steps of the current stage."""
        if self._bar is not None:
            self._bar.update(steps)

    def status(self, text: str) -> None:
        """Counts shown after the current bar (pages, posts, media files)."""
        if self._bar is not None:
            self._bar.current_item = text
            self._bar.render_progress()

    def end(self) -> None:
        """Close the current stage: the bar is finished, a status line cleared, the cursor shown."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.__exit__(None, None, None)
        if self._status is not None:
            with self._lock:
                self._stop.set()
                if self._shown:
                    self.err.write(_CLEAR_LINE)
                    self.err.flush()
                self._shown = False
            self._status.join()
            self._status = None

    def close(self) -> None:
        """End any stage and make sure the terminal's cursor is visible (also after Ctrl-C)."""
        try:
            self.end()
        finally:
            if self.err.isatty():
                self.err.write(SHOW_CURSOR)
                self.err.flush()
