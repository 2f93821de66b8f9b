"""Run the ``sitegen`` command for the CLI tests: in-process, as a terminal would, or as a
subprocess of this checkout's code."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sitegen.cli import main

REPO = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-c", "from sitegen.cli import main; main()"]  # ``sitegen`` as a subprocess


def environment() -> dict[str, str]:
    """This process's environment with this checkout first on PYTHONPATH: a subprocess runs this code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


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
