"""Time ``sitegen build`` against Hugo on the same synthetic channel, alternating, and print medians.

    python bench/run.py --posts 4000 --rounds 3
    python bench/run.py --posts 100000 --rounds 1 --no-hugo
    python bench/run.py --posts 4000 --rounds 5 --outputs /dev/shm/sitegen-bench

Each round runs, in this order: Hugo (cold), sitegen cold / no-op / one new post without search,
then the same three with the Pagefind search step. Cold means an empty output folder and no
build cache. Every run goes through ``/usr/bin/time -v`` for its peak memory (the largest single
process: the main process or one worker). The content is generated once per size and reused.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import add_post, generate  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHANNEL = "benchchan"
TIME = "/usr/bin/time"
HUGO_CONFIG = """baseURL = "https://example.org/"
languageCode = "en"
title = "Bench"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT"]
paginate = 20
"""
HUGO_SINGLE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><article><p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">
{{ .Date.Format "2 Jan 2006 15:04" }}</time></p>{{ .Content }}</article>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">prev</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">next</a>{{ end }}</nav></main></body></html>
"""
HUGO_LIST = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main>{{ $pager := .Paginate site.RegularPages }}{{ range $pager.Pages }}
<article><p><a href="{{ .RelPermalink }}">{{ .Date.Format "2 Jan 2006 15:04" }}</a></p>
{{ .Content }}</article>
{{ end }}<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">newer</a>{{ end }}
{{ with $pager.Next }}<a href="{{ .URL }}">older</a>{{ end }}</nav></main></body></html>
"""


def prepare_content(work: Path, posts: int) -> Path:
    """Generate the channel once per size (a marker file remembers the size)."""
    content = work / f"content-{posts}"
    marker = content / ".generated"
    if not marker.exists():
        started = time.perf_counter()
        generate(content, posts, CHANNEL)
        marker.write_text(str(posts))
        print(f"generated {posts} posts in {time.perf_counter() - started:.1f} s", flush=True)
    return content


def prepare_hugo(work: Path, content: Path, posts: int) -> Path:
    """A plain Hugo site over the same post files (hard links): one list and one single template."""
    site = work / f"hugo-{posts}"
    marker = site / ".generated"
    if marker.exists():
        return site
    if site.exists():
        shutil.rmtree(site)
    (site / "content" / "posts").mkdir(parents=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE)
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST)
    for source in (content / CHANNEL / "posts").glob("*.md"):
        (site / "content" / "posts" / source.name).hardlink_to(source)
    marker.write_text(str(posts))
    return site


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run a command under /usr/bin/time -v; return (wall seconds, peak RSS in MB); fail loudly.

    sitegen is imported from this checkout (PYTHONPATH), whatever copy is installed.
    """
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    )
    started = time.perf_counter()
    done = subprocess.run([TIME, "-v", *command], cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return elapsed, int(peak.group(1)) / 1024 if peak else float("nan")


def sitegen(work: Path, content: Path, output: Path, search: bool) -> list[str]:
    """The sitegen build command line (run with this Python)."""
    command = [sys.executable, "-c", "from sitegen.cli import main; main()", "build"]
    command += ["--content", str(content), "--output", str(output)]
    return command + ([] if search else ["--no-search"])


def wipe(output: Path) -> None:
    """Remove an output folder and the build cache beside it: the next build is cold."""
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(output.parent / ".sitegen-cache", ignore_errors=True)


def sitegen_round(work: Path, content: Path, search: bool, new_id: int, results: dict, outputs: Path) -> None:
    """Cold, no-op and one-new-post builds of sitegen; the new post is removed afterwards."""
    suffix = " +search" if search else ""
    output = outputs / "out" / "site"
    output.parent.mkdir(parents=True, exist_ok=True)
    wipe(output)
    results.setdefault(f"sitegen cold{suffix}", []).append(
        timed(sitegen(work, content, output, search), work)
    )
    results.setdefault(f"sitegen no-op{suffix}", []).append(
        timed(sitegen(work, content, output, search), work)
    )
    post = add_post(content / CHANNEL, new_id)
    try:
        run = timed(sitegen(work, content, output, search), work)
        results.setdefault(f"sitegen +1 post{suffix}", []).append(run)
    finally:
        post.unlink()
        shutil.rmtree(content / CHANNEL / "media" / str(new_id), ignore_errors=True)


def hugo_round(site: Path, results: dict, outputs: Path) -> None:
    """One cold Hugo build."""
    public = outputs / "hugo-public"
    shutil.rmtree(public, ignore_errors=True)
    shutil.rmtree(site / "resources", ignore_errors=True)
    results.setdefault("hugo cold", []).append(timed(["hugo", "--quiet", "--destination", str(public)], site))


def table(results: dict[str, list[tuple[float, float]]]) -> str:
    """Medians of time and memory per step, with ratios to Hugo and to sitegen's cold build."""
    hugo = statistics.median(t for t, _ in results["hugo cold"]) if "hugo cold" in results else None
    lines = [f"{'step':<26}{'runs':>5}{'median s':>10}{'peak MB':>9}{'/ hugo':>8}{'/ cold':>8}"]
    for step, runs in results.items():
        seconds = statistics.median(t for t, _ in runs)
        memory = max(m for _, m in runs)
        cold_step = "sitegen cold" + (" +search" if step.endswith("+search") else "")
        cold = statistics.median(t for t, _ in results[cold_step]) if cold_step in results else None
        vs_hugo = f"{seconds / hugo:.2f}" if hugo and step.startswith("sitegen") else ""
        vs_cold = f"{seconds / cold:.2f}" if cold and step.startswith("sitegen") else ""
        lines.append(f"{step:<26}{len(runs):>5}{seconds:>10.2f}{memory:>9.0f}{vs_hugo:>8}{vs_cold:>8}")
    return "\n".join(lines)


def main() -> None:
    """Command line: --posts N --rounds R [--work DIR] [--outputs DIR] [--no-hugo] [--no-search-runs]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo reference builds")
    parser.add_argument("--no-search-runs", action="store_true", help="skip the builds with Pagefind")
    parser.add_argument(
        "--outputs",
        type=Path,
        help="where both tools write their sites (default: --work); /dev/shm leaves out the disk",
    )
    args = parser.parse_args()
    if not Path(TIME).exists():
        sys.exit(f"{TIME} is missing: apt-get install -y time")
    if not args.no_hugo and not shutil.which("hugo"):
        sys.exit("hugo is missing: apt-get install -y hugo (or pass --no-hugo)")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    outputs = (args.outputs or work).resolve()
    content = prepare_content(work, args.posts)
    site = None if args.no_hugo else prepare_hugo(work, content, args.posts)
    results: dict[str, list[tuple[float, float]]] = {}
    for round_number in range(args.rounds):
        if site:
            hugo_round(site, results, outputs)
        sitegen_round(work, content, False, args.posts + 1 + round_number, results, outputs)
        if not args.no_search_runs:
            sitegen_round(work, content, True, args.posts + 1 + round_number, results, outputs)
        print(f"round {round_number + 1}/{args.rounds} done", flush=True)
    print(f"\n{args.posts} posts, {args.rounds} round(s), medians:\n{table(results)}")


if __name__ == "__main__":
    main()
