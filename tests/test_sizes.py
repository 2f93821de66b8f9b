"""The size of the search index, tallied by walking only the bundles that changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sitegen.sizes as sizes


def _fill(folder: Path, files: dict[str, int]) -> None:
    for name, size in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x" * size)


def test_a_tally_walks_only_the_bundles_that_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "pagefind"
    _fill(index, {"bundles.json": 10, "recent/a.pf_meta": 100, "recent/fragment/f1": 7})
    _fill(index, {"archive-1/b.pf_meta": 200, "archive-1/fragment/f2": 30, "archive-1/index/i": 5})
    walked: list[str] = []
    real = sizes.folder_size
    monkeypatch.setattr(sizes, "folder_size", lambda folder: walked.append(folder.name) or real(folder))
    known: dict[str, object] = {}
    assert sizes.folder_tally(index, known) == real(index) == (352, 6)
    assert sorted(walked) == ["archive-1", "recent"]

    walked.clear()  # nothing changed: nothing walked
    assert sizes.folder_tally(index, known) == (352, 6)
    assert walked == []

    # the newest month's bundle made again (a new folder swapped in), a file of the archive's
    # replaced by another (as padding writes a new meta): those two are walked again
    fresh = tmp_path / "fresh"
    _fill(fresh, {"c.pf_meta": 50, "fragment/f1": 7, "fragment/f3": 9})
    os.rename(index / "recent", tmp_path / "old")
    os.rename(fresh, index / "recent")
    (index / "archive-1/b.pf_meta").unlink()
    _fill(index, {"archive-1/d.pf_meta": 250})
    walked.clear()
    assert sizes.folder_tally(index, known) == real(index) == (361, 7)
    assert sorted(walked) == ["archive-1", "recent"]

    # a bundle gone, and a tally remembered by an older sitegen: counted again, right
    os.rename(index / "archive-1", tmp_path / "gone")
    assert sizes.folder_tally(index, {"stamp": "[]", "tally": (1, 1)}) == real(index) == (76, 4)
