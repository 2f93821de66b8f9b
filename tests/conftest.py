"""Shared pytest fixtures: where the saved real pages are, and small content trees."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# shared/ sits beside the repository, here and in CI's clean clone.
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The folder of real saved Telegram pages (../shared/fixtures)."""
    assert SHARED_FIXTURES.is_dir(), f"saved pages not found at {SHARED_FIXTURES}"
    return SHARED_FIXTURES


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    """The repository's root folder."""
    return REPO
