"""Work handed to a forked child process (the build's output check and media listing)."""

from __future__ import annotations

import os
import time

import pytest

from sitegen.build.forked import Forked


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
