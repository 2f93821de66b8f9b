"""Ctrl-C during a real build: a SIGINT to the process group, as a terminal sends it, mid-render.

The build runs as a real ``sitegen build`` subprocess on a pseudo-terminal (so it draws its
progress bar and hides the cursor, as it does for a person), with worker processes rendering a
few hundred generated posts. Afterwards: exit code 130, one line, no traceback, no worker noise,
the cursor shown again, no process of the group left, every output file whole, and the next
build completes and makes the same bytes as a cold build.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen.files import TEMP_PREFIX

REPO = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-c", "from sitegen.cli import run; run()"]  # as the `sitegen` command
POSTS = 300
# A site's own template that costs real rendering time, so the SIGINT lands while pages render.
SLOW_POST = (
    '{% extends "!default/post.html" %}\n'
    "{% set ns = namespace(n=0) %}{% for i in range(4000) %}{% set ns.n = ns.n + i %}{% endfor %}\n"
)
HIDE, SHOW = b"\x1b[?25l", b"\x1b[?25h"


def make_site(root: Path) -> None:
    """A few hundred generated posts (bench/generate.py) and a slow post template."""
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), "--posts", str(POSTS), "--out", "content"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    (root / "templates").mkdir()
    (root / "templates" / "post.html").write_text(SLOW_POST, encoding="utf-8")


def read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float) -> bool:
    """Read the terminal into ``seen`` until ``wanted`` (a pattern) shows up (True) or the child ends."""
    deadline = time.monotonic() + timeout
    while not re.search(wanted, seen) and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                return False
            if not chunk:
                return False
            seen += chunk
    return re.search(wanted, seen) is not None


def build_on_a_terminal_and_interrupt(root: Path) -> tuple[int, bytes, int]:
    """Start ``sitegen build`` on a pty, SIGINT its process group mid-render: (exit code, output, pgid)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [*COMMAND, "build", "--no-search"],
        cwd=root,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,  # its own process group, like a shell job
        env=env,
    )
    os.close(slave)
    seen = bytearray()
    try:
        assert read_until(master, b"Rendering pages", seen, 120), seen.decode(errors="replace")
        moved = rb"Rendering pages[^\r\n]*\b[1-9]\d?%"  # the bar has moved: pages are being written
        assert read_until(master, moved, seen, 60), seen.decode(errors="replace")
        os.killpg(proc.pid, signal.SIGINT)
        read_until(master, b"\x00never", seen, 60)  # everything until the terminal closes
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        os.close(master)
    return code, bytes(seen), proc.pid


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by relative path."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_ctrl_c_mid_render_exits_130_in_one_line_and_the_next_build_equals_a_cold_one(tmp_path: Path) -> None:
    make_site(tmp_path)
    code, seen, pgid = build_on_a_terminal_and_interrupt(tmp_path)
    text = seen.decode(errors="replace")

    assert code == 130, text
    assert text.count("Interrupted; everything written so far is whole") == 1, text
    for noise in ("Traceback", "ForkPoolWorker", "KeyboardInterrupt", "Error"):
        assert noise not in text, text
    # The one line is the only thing printed besides the progress bar's redraws.
    lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", part).strip() for part in re.split(r"[\r\n]", text)]
    bars = r"^(Rendering pages|Reading posts|Parsing posts of @\w+)\b"
    progress = re.compile(bars + r"|^[A-Z][\w ,]*\.\.\. \d+ s$")  # and ticking status lines
    others = [line for line in lines if line and not progress.match(line)]
    assert others == ["Interrupted; everything written so far is whole. Run the command again to go on."]
    # The bar hid the cursor; it is shown again after the last hide.
    assert HIDE in seen and seen.rfind(SHOW) > seen.rfind(HIDE)
    # No process of the group is left (workers included).
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)

    output = tmp_path / "output"
    pages = list(output.rglob("index.html"))
    assert 0 < len(pages) < POSTS, "the interrupt should land while pages render"
    assert not [p for p in tmp_path.rglob(TEMP_PREFIX + "*")], "temp files left behind"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.rstrip().endswith("</html>"), page

    again = subprocess.run([*COMMAND, "build", "--no-search"], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    cold = subprocess.run(
        [*COMMAND, "build", "--no-search", "--output", "cold"], cwd=tmp_path, capture_output=True, text=True
    )
    assert cold.returncode == 0, cold.stderr
    assert tree(output) == tree(tmp_path / "cold")
