"""Run a command and report its wall time and the peak memory of its whole process tree.

    python bench/tree_peak.py sitegen build --content bench/out/content-100000 --output /dev/shm/site

``/usr/bin/time -v`` (bench/run.py) gives the largest single process; a build with search runs
Pagefind beside sitegen, so this samples the summed resident memory of the command and all its
descendants every 0.1 s (Linux /proc) and prints the largest sum.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """The summed resident memory, in bytes, of process ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(name))
        rss[int(name)] = int(fields[21]) * PAGE
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def main() -> None:
    """Command line: the command to run and its arguments."""
    if len(sys.argv) < 2:
        sys.exit("usage: python bench/tree_peak.py COMMAND [ARGS...]")
    started = time.perf_counter()
    process = subprocess.Popen(sys.argv[1:])
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    print(f"exit {process.returncode}, {elapsed:.1f} s, peak of the process tree {peak / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
