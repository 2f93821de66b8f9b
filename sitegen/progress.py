"""How long-running stages report progress: the CLI passes a progress bar, tests pass nothing."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    """What a stage reports its progress to (the CLI's ``Progress`` fits)."""

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
