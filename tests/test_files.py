"""Atomic writes when a signal lands at the worst moment: just after the temp file is opened,
before the write's own cleanup is in place (a Ctrl-C in the build, a SIGTERM to a render worker)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from sitegen import files
from sitegen.build.cache import _exit_quietly
from sitegen.cli import main
from sitegen.files import TEMP_PREFIX, atomic_write_bytes

REPO = Path(__file__).resolve().parents[1]


def open_then(monkeypatch: pytest.MonkeyPatch, interrupt) -> None:
    """Make the next open of a temp file succeed, then call ``interrupt`` (as a signal handler would)."""
    real_open = os.open

    def opened_then_interrupted(path, flags, mode=0o777):
        fd = real_open(path, flags, mode)
        if os.path.basename(path).startswith(TEMP_PREFIX):
            os.close(fd)
            interrupt()
        return fd

    monkeypatch.setattr(files.os, "open", opened_then_interrupted)


def temp_files(folder: Path) -> list[Path]:
    return list(folder.glob(TEMP_PREFIX + "*"))


def test_ctrl_c_just_after_the_open_leaves_no_temp_file_once_the_cli_has_handled_it(
    tmp_path, monkeypatch, capsys
):
    def ctrl_c() -> None:
        raise KeyboardInterrupt

    shutil.copytree(REPO / "content" / "sudpress53", tmp_path / "content" / "sudpress53")
    open_then(monkeypatch, ctrl_c)  # the build's first atomic write is interrupted
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["sitegen", "build", "--no-search"])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 130
    assert "Interrupted; everything written so far is whole" in capsys.readouterr().err
    assert list(tmp_path.rglob(TEMP_PREFIX + "*")) == []
    assert files._in_flight == set()


def test_a_worker_ended_just_after_the_open_removes_its_temp_file(tmp_path, monkeypatch):
    open_then(monkeypatch, lambda: _exit_quietly(signal.SIGTERM, None))
    (tmp_path / "page.html").write_bytes(b"old and whole")
    with pytest.raises(SystemExit):
        atomic_write_bytes(tmp_path / "page.html", b"new")
    assert temp_files(tmp_path) == []
    assert (tmp_path / "page.html").read_bytes() == b"old and whole"


def test_finished_and_failed_writes_leave_nothing_in_flight(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_in_flight", set())
    atomic_write_bytes(tmp_path / "a", b"a")
    with pytest.raises(IsADirectoryError):
        atomic_write_bytes(tmp_path, b"b")  # the rename onto a folder fails
    assert files._in_flight == set()
    assert temp_files(tmp_path) == []
    assert (tmp_path / "a").read_bytes() == b"a"
