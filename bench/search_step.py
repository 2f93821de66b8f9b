"""Time and profile sitegen's search step alone (update_search_index) inside a real build.

    python bench/search_step.py --content bench/out/content-20000 --output /dev/shm/out-20000
    python bench/search_step.py ... --shard-size 5000      # the archive in bundles of 5,000
    python bench/search_step.py ... --quality              # + ranking against one single index

Prints the build's and the search step's wall time, Pagefind's share (each bundle it made), the
rest (records, padding) with cProfile's top functions, and the peak memory of sitegen and of the
largest child process (Pagefind, or a build worker). Run it again for an incremental build: edit
the content in between (a new post, view counts). ``--quality`` then indexes every record into
one single bundle (Pagefind needs about 46 KB a post for it) and reports, for English and Russian
queries, the share of the merged bundles' top 10 that is in the single index's top 10.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sitegen.build.search as search_index  # noqa: E402
import sitegen.build.steps as steps  # noqa: E402
from sitegen.build import build_site  # noqa: E402
from sitegen.config import Config  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import QUERIES, agreement  # noqa: E402

TOP = 10
LOADED = 100_000  # results whose URL is loaded per query and layout (all: the sets are compared)


def peak_mb(who: int) -> float:
    """The peak resident memory of this process or its largest child, in MB."""
    return resource.getrusage(who).ru_maxrss / 1024


def profiled_build(content: Path, output: Path, language: str, rows: int) -> None:
    """Build the site, timing the search step and each Pagefind run; print a profile of the step."""
    pagefind = {"seconds": 0.0, "runs": 0}
    real_finish, real_step = search_index.finish_run, steps.update_search_index

    def timed_finish(run: search_index.PagefindRun) -> int:
        pages = real_finish(run)
        seconds = time.monotonic() - run.started  # from its start: this process works meanwhile
        pagefind["seconds"] += seconds
        pagefind["runs"] += 1
        print(f"  Pagefind {run.fresh.name}: {pages} pages, {seconds:.2f} s", flush=True)
        return pages

    def timed_step(*args: object) -> int:
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        try:
            return real_step(*args)
        finally:
            profile.disable()
            wall = time.perf_counter() - start
            print(
                f"search step {wall:.2f} s: Pagefind {pagefind['seconds']:.2f} s in {pagefind['runs']} runs,"
                f" the rest {wall - pagefind['seconds']:.2f} s"
            )
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(rows)
            print(text.getvalue().split("\n\n", 1)[-1].strip())

    search_index.finish_run, steps.update_search_index = timed_finish, timed_step
    try:
        start = time.perf_counter()
        build_site(Config(root=content.parent, content=str(content), output=str(output), language=language))
        print(f"build {time.perf_counter() - start:.2f} s")
    finally:
        search_index.finish_run, steps.update_search_index = real_finish, real_step
    print(
        f"peak memory: sitegen {peak_mb(resource.RUSAGE_SELF):.0f} MB,"
        f" largest child {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB"
    )


def query(folder: Path, queries: list[str]) -> dict[str, list[dict]]:
    """Query a pagefind/ folder (or one bundle) with Pagefind's JS in Node, as the search page does."""
    script = (ROOT / "tests/pagefind_query.mjs").read_text(encoding="utf-8")
    script = script.replace("search.results.map(", f"search.results.slice(0, {LOADED}).map(")
    with tempfile.TemporaryDirectory() as scratch:
        runner = Path(scratch) / "query.mjs"
        runner.write_text(script, encoding="utf-8")
        node = shutil.which("node") or "node"
        result = subprocess.run(
            [node, str(runner), str(folder), *queries], capture_output=True, text=True, check=True
        )
    return json.loads(result.stdout)


def quality(output: Path, cache: Path) -> None:
    """Compare the built site's merged bundles with one single index of the same records."""
    records = search_index.records_folder(output, cache)
    with tempfile.TemporaryDirectory(dir=output.parent) as scratch:
        union, single = Path(scratch) / "union", Path(scratch) / "single"
        bundles = json.loads((output / "pagefind" / search_index.BUNDLES).read_text())["bundles"]
        every: dict[str, tuple[str, bytes]] = {}
        for tier in bundles:
            every.update(search_index.load_records(records, tier))
        search_index.write_records(every, union)
        del every
        start = time.perf_counter()
        pages = search_index.build_bundle(union, single)
        print(f"one single index of {pages} records: {time.perf_counter() - start:.1f} s")
        # each query in a new Pagefind, as a reader opening the search page: chunks loaded by
        # earlier queries stay loaded and widen later queries' prefix matches
        merged = {q: query(output / "pagefind", [q])[q] for q in QUERIES}
        alone = {q: query(single, [q])[q] for q in QUERIES}
    shares = {q: agreement(merged[q], alone[q]) for q in QUERIES}
    same = [q for q in QUERIES if {r["url"] for r in merged[q]} == {r["url"] for r in alone[q]}]
    print(
        f"{len(bundles)} bundles: top-{TOP} agreement {sum(shares.values()) / len(shares):.3f},"
        f" the same result sets for {len(same)} of {len(QUERIES)} queries"
    )
    print(", ".join(f"{q} {share:.1f}" for q, share in shares.items()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--content", type=Path, required=True, help="a content folder (bench/generate.py --out)"
    )
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--language", default="en")
    parser.add_argument("--shard-size", type=int, default=search_index.SHARD_SIZE)
    parser.add_argument("--rows", type=int, default=25, help="profile rows to print")
    parser.add_argument("--quality", action="store_true", help="also rank against one single index")
    args = parser.parse_args()
    search_index.SHARD_SIZE = args.shard_size
    content, output = args.content.resolve(), args.output.resolve()
    profiled_build(content, output, args.language, args.rows)
    if args.quality:
        quality(output, content.parent / ".sitegen-cache")


if __name__ == "__main__":
    main()
