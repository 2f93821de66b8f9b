"""Kill a running ``sitegen`` command part-way, for the resumption tests (not a test)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from sitegen import content


def kill_at_thresholds(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    folder: Path,
    thresholds: Iterable[int],
    wait: float = 60.0,
    poll: float = 0.01,
) -> int:
    """Run ``command`` once per threshold and SIGKILL it as soon as the channel ``folder`` holds that
    many posts (or let it end, or give up after ``wait`` seconds); after each run every post file
    must still parse. Returns how many runs were killed."""
    kills = 0
    for threshold in thresholds:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + wait
        while process.poll() is None and time.monotonic() < deadline:
            if len(content.post_ids(folder)) >= threshold:
                process.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(poll)
        process.communicate(timeout=wait / 2)
        for path in folder.glob("posts/*.md"):  # whole, even right after a kill
            content.read_post(path)
    return kills
