"""Time ``sitegen import`` of a big made-up Telegram Desktop export, and its peak memory.

    python bench/import_bench.py --messages 100000 --rounds 3
    python bench/import_bench.py --messages 100000 --rounds 1 --work /dev/shm/import-bench

The export (tests/tdesktop_export.py ``synthetic_chat``: formatted text, links, hashtags, quotes,
reactions, replies, a photo every fifth message, some albums, some files left out) is generated once
per size. Each round, alternating: ``json.load`` of result.json alone (the floor: what any importer
pays to read the file), a cold import into an empty content folder, and a repeated import (the no-op).
Every run goes through ``/usr/bin/time -v`` for its peak memory. The targets: under 60 s and 500 MB.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from tdesktop_export import synthetic_chat, write_export  # noqa: E402

TIME = "/usr/bin/time"
TARGET_SECONDS = 60.0
TARGET_MB = 500.0
LOAD_ONLY = "import json, sys; json.load(open(sys.argv[1], encoding='utf-8'))"


def export_for(work: Path, messages: int) -> Path:
    """The export of ``messages`` messages under ``work`` (generated once per size)."""
    folder = work / f"export-{messages}"
    if not (folder / "result.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        data, files = synthetic_chat(messages, seed=11)
        write_export(folder, data, files)
    return folder


def timed(command: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run ``command``; its wall time and CPU time (user + system) in seconds, peak MB and output."""
    started = time.perf_counter()
    run = subprocess.run([TIME, "-v", *command], cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"{command[:4]} failed: {run.stderr[-2000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", run.stderr))
    return elapsed, cpu, (int(peak.group(1)) / 1024 if peak else float("nan")), run.stdout


def main() -> None:
    """Generate, run the rounds, print medians and the ratios to the targets and to json.load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "data" / "import")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    export = export_for(args.work, args.messages)
    size = (export / "result.json").stat().st_size / 1e6
    files = sum(1 for p in export.rglob("*") if p.is_file()) - 1
    print(f"export: {args.messages} messages, result.json {size:.1f} MB, {files} media files")
    sitegen = [sys.executable, "-c", "from sitegen.cli import main; main()", "import", str(export)]
    load = [sys.executable, "-c", LOAD_ONLY, str(export / "result.json")]
    results: dict[str, list[tuple[float, float, float]]] = {
        "json.load": [],
        "cold import": [],
        "no-op import": [],
    }
    for round_number in range(args.rounds):
        site = args.work / "site"
        shutil.rmtree(site, ignore_errors=True)
        site.mkdir()
        results["json.load"].append(timed(load, site)[:3])
        *cold, out = timed(sitegen, site)
        results["cold import"].append((cold[0], cold[1], cold[2]))
        if round_number == 0:
            print(out.strip())
        results["no-op import"].append(timed(sitegen, site)[:3])
    floor = statistics.median(cpu for _, cpu, _ in results["json.load"])
    print(
        f"\n{'run':14} {'wall s':>8} {'(min-max)':>15} {'CPU s':>7} {'peak MB':>8} {'CPU x json.load':>16}"
        f" {'wall/60 s':>10} {'peak/500 MB':>12}"
    )
    for name, runs in results.items():
        wall = [w for w, _, _ in runs]
        cpu = statistics.median(c for _, c, _ in runs)
        peak = max(m for _, _, m in runs)
        median = statistics.median(wall)
        print(
            f"{name:14} {median:8.2f} {f'({min(wall):.1f}-{max(wall):.1f})':>15} {cpu:7.2f} {peak:8.0f} "
            f"{cpu / floor:16.1f} {median / TARGET_SECONDS:10.0%} {peak / TARGET_MB:12.0%}"
        )


if __name__ == "__main__":
    main()
