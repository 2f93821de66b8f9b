"""Work handed to a forked child process (the build's output check and media listing)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sitegen.build import build_site
from sitegen.build.forked import Forked
from sitegen.config import Config
from sitegen.errors import SitegenError
from sitegen.files import TEMP_PREFIX, _temp_then_rename


def numbers(count: int) -> dict[str, list[int]]:
    """A result larger than a pipe's buffer, and the id of the process that made it."""
    return {"pid": [os.getpid()], "items": list(range(count))}


def fails() -> None:
    raise RuntimeError("broken")


def sleeps() -> int:
    time.sleep(30)
    return 1


def test_a_large_result_comes_back_from_a_child() -> None:
    job = Forked(numbers, 200_000)
    assert job.pid and job.pid != os.getpid()
    result = job.result()
    assert result["items"] == list(range(200_000))
    assert result["pid"] != [os.getpid()]
    assert job.result() is result  # asked again: the same answer, no second run
    with pytest.raises(ChildProcessError):
        os.waitpid(job.pid or -1, os.WNOHANG)  # reaped


def test_with_one_job_the_call_runs_here_when_asked() -> None:
    job = Forked(numbers, 10, jobs=1)
    assert job.pid == 0
    assert job.result() == {"pid": [os.getpid()], "items": list(range(10))}


def test_a_child_that_fails_gives_the_stated_failure() -> None:
    assert Forked(fails, failed="gone").result() == "gone"


def test_close_stops_a_child_that_still_runs() -> None:
    job = Forked(sleeps)
    pid = job.pid
    started = time.monotonic()
    job.close()
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert job.result() is None


def writes_slowly(path: str, ready: str) -> None:
    """Open a temp file beside ``path`` for it, say so in ``ready``, then take long to write it."""
    with _temp_then_rename(path, durable=False) as fd:
        os.write(fd, b"half")
        Path(ready).write_text("open", encoding="utf-8")
        time.sleep(30)


def test_close_stops_a_child_without_leaving_its_temp_file(tmp_path: Path) -> None:
    """A child stopped while it writes a file (a search bundle padded beside the main process)
    removes its temp file: the build's output holds no half-written file after Ctrl-C."""
    ready = tmp_path / "ready"
    job = Forked(writes_slowly, str(tmp_path / "out.bin"), str(ready))
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]  # it is writing
    job.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready"]


def children() -> set[int]:
    """The ids of this process's child processes, zombies included (from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


def test_builds_leave_no_child_process_behind(tmp_path: Path) -> None:
    """The output check, the media listing and the sitemap run in children: every build, cold,
    no-op, incremental or failed, ends them all."""
    from tests.test_build_determinism import add_post, make_post, make_site

    make_site(tmp_path, range(1, 40))
    before = children()
    cfg = Config(root=tmp_path, search=False, base_url="https://example.org/")
    build_site(cfg, jobs=2)
    build_site(cfg, jobs=2)  # no-op
    add_post(tmp_path, make_post(40))
    build_site(cfg, jobs=2)
    (tmp_path / "content" / "gorod" / "posts" / "41.md").write_text("---\nbroken: [\n", encoding="utf-8")
    with pytest.raises(SitegenError):  # a broken post file: one line, no traceback (the CLI)
        build_site(cfg, jobs=2)
    assert children() == before


def test_work_meanwhile_runs_once_in_this_process_while_workers_map() -> None:
    """parallel_map's ``meanwhile`` (a cold build compiles its templates there while posts are
    parsed) runs once, here, when workers do the mapping, and never when the work is too small."""
    from sitegen.build.cache import PARALLEL_MIN, parallel_map

    calls: list[int] = []
    items = list(range(PARALLEL_MIN * 2))
    chunks = parallel_map(_pid_and_square, items, 2, meanwhile=lambda: calls.append(os.getpid()))
    results = [result for chunk in chunks for result in chunk]
    assert [square for _, square in results] == [i * i for i in items]
    assert calls == [os.getpid()]
    assert {pid for pid, _ in results} - {os.getpid()}  # the workers mapped
    small = [
        result
        for chunk in parallel_map(_pid_and_square, items[:3], 2, meanwhile=lambda: calls.append(0))
        for result in chunk
    ]
    assert small == [(os.getpid(), 0), (os.getpid(), 1), (os.getpid(), 4)]
    assert calls == [os.getpid()]


def _pid_and_square(number: int) -> tuple[int, int]:
    return os.getpid(), number * number


@pytest.mark.parametrize(("count", "least"), [(1, 1), (15, 16), (4000, 16), (4337, 1), (100_000, 16)])
def test_chunks_cover_every_item_once_in_order_and_shrink_towards_the_end(count: int, least: int) -> None:
    from sitegen.build.cache import chunk_bounds

    bounds = chunk_bounds(count, 2, least)
    assert bounds[0][0] == 0 and bounds[-1][1] == count
    assert all(end == start for (_, end), (start, _) in zip(bounds[:-1], bounds[1:], strict=True))
    sizes = [end - start for start, end in bounds]
    assert all(size >= min(least, count) for size in sizes[:-1]) and max(sizes) <= 500
    assert sizes == sorted(sizes, reverse=True) or sizes[-1] < least  # only the last may be cut short
    if count >= 4000:  # the last chunks are small: no worker waits long for the other
        assert sizes[-1] <= 16 and sizes[0] >= 8 * sizes[-1]
