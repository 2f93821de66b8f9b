"""Time ``sitegen build`` against Hugo (and an older sitegen) on the same synthetic channel, alternating.

    python bench/run.py --posts 4000 --rounds 3
    python bench/run.py --posts 4000,20000,100000 --rounds 1 --no-search-runs --hugo-max 20000 \
        --baseline /tmp/sitegen-base --outputs /dev/shm/sitegen-bench

Each round runs, in this order: Hugo (cold), then for this checkout (and the ``--baseline`` one):
cold, no-op, one new post (in the newest month), one new post that starts a new month, the view
counts of the newest 50 raised, and a daily run (10 new posts, the view counts of the newest 50
raised, as a scheduled scrape leaves them) without search, then the same with the Pagefind search step.
Cold means an empty output folder and no build cache. Every run goes through ``/usr/bin/time -v``
for its peak memory (the largest single process: the main process or one worker). The content is
generated once per size and reused; every edit a run makes is undone after it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import add_post, generate, refresh_views, same_month  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CHANNEL = "benchchan"
BASE_URL = "https://example.org/bench/"  # the scaffolded workflow always passes one
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
    if not marker.exists() or marker.read_text() != str(posts):
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


def compile_source(source: Path) -> None:
    """Compile a sitegen source's modules to bytecode, as installing a wheel does, so its builds
    time the build and not the compiling of sitegen (which PYTHONDONTWRITEBYTECODE=1 would make
    every run pay again: ~0.2 s)."""
    if not compileall.compile_dir(source / "sitegen", quiet=1):
        sys.exit(f"cannot compile {source / 'sitegen'}")


def timed(command: list[str], cwd: Path, source: Path = REPO) -> tuple[float, float, float]:
    """Run a command under /usr/bin/time -v; return (wall seconds, peak RSS in MB, CPU seconds of
    the process and its workers: user + system); fail loudly.

    sitegen is imported from ``source`` (PYTHONPATH): this checkout, or the baseline's.
    """
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")]))
    )
    started = time.perf_counter()
    done = subprocess.run([TIME, "-v", *command], cwd=cwd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    cpu = sum(float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
    return elapsed, int(peak.group(1)) / 1024 if peak else float("nan"), cpu


def sitegen(work: Path, content: Path, output: Path, search: bool) -> list[str]:
    """The sitegen build command line (run with this Python)."""
    # as the `sitegen` command runs it (cli.run; an older sitegen has only cli.main)
    command = [sys.executable, "-c", "import sitegen.cli as c; getattr(c, 'run', c.main)()", "build"]
    command += ["--content", str(content), "--output", str(output)]
    command += ["--base-url", BASE_URL]  # as a deployed site builds: feeds and the sitemap too
    return command + ([] if search else ["--no-search"])


def wipe(output: Path) -> None:
    """Remove an output folder and the build cache beside it: the next build is cold."""
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(output.parent / ".sitegen-cache", ignore_errors=True)


NEW_POSTS = 10  # a daily run: new posts since yesterday
REFRESHED = 50  # and the newest posts whose view counts a scrape refreshes


def sitegen_round(
    work: Path, content: Path, search: bool, variant: tuple[str, Path], results: dict, outputs: Path
) -> None:
    """Cold, no-op, one-new-post and daily builds of one sitegen (``variant``: label and source);
    every edit of the content is undone afterwards."""
    label, source = variant
    suffix = " +search" if search else ""
    output = outputs / f"out-{label}" / "site"
    output.parent.mkdir(parents=True, exist_ok=True)
    channel = content / CHANNEL
    total = int((content / ".generated").read_text())

    def run(step: str) -> None:
        seconds, peak, cpu = timed(sitegen(work, content, output, search), work, source)
        results.setdefault(f"{label} {step}{suffix}", []).append((seconds, peak, cpu))
        print(f"  {label} {step}{suffix}: {seconds:.2f} s, {cpu:.2f} CPU s, {peak:.0f} MB", flush=True)

    def remove(post_id: int) -> None:
        (channel / "posts" / f"{post_id}.md").unlink(missing_ok=True)
        shutil.rmtree(channel / "media" / str(post_id), ignore_errors=True)

    wipe(output)
    run("cold")
    run("no-op")
    month = same_month(channel, total)  # new posts in the newest month, as most days' are
    add_post(channel, total + 1, date=month)
    try:
        run("+1 post")
    finally:
        remove(total + 1)
    run("back")  # not reported: puts the site back to the state before the next step
    add_post(channel, total + 1)  # the first post of a new month: the search archive takes the last one
    try:
        run("+1 post, new month")
    finally:
        remove(total + 1)
    run("back")
    newest = list(range(total - REFRESHED + 1, total + 1))
    saved = {post_id: (channel / "posts" / f"{post_id}.md").read_bytes() for post_id in newest}
    try:
        refresh_views(channel, newest)
        run("views only")  # no searchable text changed
    finally:
        for post_id, data in saved.items():
            (channel / "posts" / f"{post_id}.md").write_bytes(data)
    run("back")
    try:
        for post_id in range(total + 1, total + NEW_POSTS + 1):
            add_post(channel, post_id, date=month)
        refresh_views(channel, newest)
        run("daily run")
    finally:
        for post_id in range(total + 1, total + NEW_POSTS + 1):
            remove(post_id)
        for post_id, data in saved.items():
            (channel / "posts" / f"{post_id}.md").write_bytes(data)
    del results[f"{label} back{suffix}"]


def hugo_round(site: Path, results: dict, outputs: Path) -> None:
    """One cold Hugo build."""
    public = outputs / "hugo-public"
    shutil.rmtree(public, ignore_errors=True)
    shutil.rmtree(site / "resources", ignore_errors=True)
    results.setdefault("hugo cold", []).append(timed(["hugo", "--quiet", "--destination", str(public)], site))


def table(results: dict[str, list[tuple[float, float, float]]], base_label: str) -> str:
    """Medians of wall time, CPU time and memory per step, with wall-time ratios to Hugo and to the
    same tool's cold build, and wall and CPU ratios to the baseline's same step. On a busy machine
    the CPU time (user + system, workers included) is the steadier figure."""
    hugo = statistics.median(r[0] for r in results["hugo cold"]) if "hugo cold" in results else None

    def median(step: str, index: int) -> float | None:
        return statistics.median(r[index] for r in results[step]) if step in results else None

    head = f"{'step':<28}{'runs':>5}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}"
    lines = [head + f"{'/ hugo':>8}{'/ cold':>8}{'/ base':>8}{'cpu/base':>9}"]
    for step, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[2] for r in runs)
        memory = max(r[1] for r in runs)
        label, _, rest = step.partition(" ")
        cold = median(f"{label} cold" + (" +search" if step.endswith("+search") else ""), 0)
        base = median(f"{base_label} {rest}", 0) if label == "sitegen" else None
        base_cpu = median(f"{base_label} {rest}", 2) if label == "sitegen" else None
        vs_hugo = f"{seconds / hugo:.2f}" if hugo and label != "hugo" else ""
        vs_cold = f"{seconds / cold:.2f}" if cold and label != "hugo" else ""
        vs_base = f"{seconds / base:.2f}" if base else ""
        cpu_base = f"{cpu / base_cpu:.2f}" if base_cpu else ""
        lines.append(
            f"{step:<28}{len(runs):>5}{seconds:>8.2f}{cpu:>8.2f}{memory:>9.0f}"
            f"{vs_hugo:>8}{vs_cold:>8}{vs_base:>8}{cpu_base:>9}"
        )
    return "\n".join(lines)


def main() -> None:
    """Command line: --posts N[,N...] --rounds R [--baseline DIR] [--work DIR] [--outputs DIR]
    [--no-hugo | --hugo-max N] [--no-search-runs | --search-only]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", default="4000", help="channel sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo reference builds")
    parser.add_argument("--hugo-max", type=int, default=0, help="no Hugo builds above this many posts")
    parser.add_argument("--no-search-runs", action="store_true", help="skip the builds with Pagefind")
    parser.add_argument("--search-only", action="store_true", help="only the builds with Pagefind")
    parser.add_argument(
        "--source",
        type=Path,
        default=REPO,
        help="the sitegen source to time (default: this checkout), e.g. a snapshot that stays put",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a folder holding another sitegen's source (its sitegen/ package), timed side by side, "
        "e.g. from: git archive <commit> sitegen | tar -x -C DIR",
    )
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
    if args.baseline and not (args.baseline / "sitegen" / "__init__.py").is_file():
        sys.exit(f"--baseline {args.baseline}: no sitegen/ package there")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    outputs = (args.outputs or work).resolve()
    variants = [("sitegen", args.source.resolve())] + (
        [("base", args.baseline.resolve())] if args.baseline else []
    )
    for _, source in variants:
        compile_source(source)
    for posts in (int(n) for n in args.posts.split(",")):
        content = prepare_content(work, posts)
        hugo = not args.no_hugo and not (args.hugo_max and posts > args.hugo_max)
        site = prepare_hugo(work, content, posts) if hugo else None
        results: dict[str, list[tuple[float, float, float]]] = {}
        for round_number in range(args.rounds):
            if site:
                hugo_round(site, results, outputs)
            order = variants if round_number % 2 == 0 else variants[::-1]  # neither always goes first
            modes = (True,) if args.search_only else (False,) if args.no_search_runs else (False, True)
            for search in modes:
                for variant in order:
                    sitegen_round(work, content, search, variant, results, outputs)
            print(f"{posts} posts: round {round_number + 1}/{args.rounds} done", flush=True)
        results = {step: results[step] for step in sorted(results, key=_step_order)}
        print(f"\n{posts} posts, {args.rounds} round(s), medians:\n{table(results, 'base')}\n", flush=True)


def _step_order(step: str) -> tuple[bool, int, int]:
    """Hugo first, then each step of this checkout right above the baseline's same step."""
    steps = ("cold", "no-op", "+1 post", "+1 post, new month", "views only", "daily run")
    label, _, rest = step.partition(" ")
    name = rest.removesuffix(" +search")
    return (step.endswith("+search"), -1 if label == "hugo" else steps.index(name), label != "sitegen")


if __name__ == "__main__":
    main()
