"""Shared pytest fixtures: where the saved real pages are, and small content trees."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# A suite started in the background by a script (`bash .ci/run &`, nohup) inherits SIGINT ignored,
# and so would every sitegen it starts: the Ctrl-C tests need it delivered as a terminal does.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
# Real saved t.me pages and Telegram Desktop exports, copied into the repository with their provenance
# (tests/data/telegram/README.md, tests/data/tdesktop/README.md): a clone needs nothing beside it.
FIXTURES = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The folder of real saved Telegram pages and exports (tests/data: telegram/, tdesktop/)."""
    return FIXTURES


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository's root folder."""
    return REPO
