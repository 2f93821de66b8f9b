"""Run the ``sitegen`` command in-process, as a terminal would, for the CLI tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sitegen.cli import main


def run(
    root: Path, args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run ``sitegen ARGS`` in-process in ``root``: (exit code, stdout, stderr); a traceback fails."""
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "argv", ["sitegen", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
