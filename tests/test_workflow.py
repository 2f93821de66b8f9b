"""The workflow `sitegen init` writes, run step by step on this machine (tests/workflow_sim.py).

Each run installs sitegen with the workflow's own pip line from a local index serving the wheel of
this checkout, scrapes a fake Telegram on 127.0.0.1, commits and pushes to a local bare repository,
builds with the address "GitHub Pages" reports and hands over the folder the upload step takes.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_telegram import NO_SUCH_NAME, FakeTelegram, LocalServer
from workflow_sim import LocalIndex, Simulator, built_wheel

GOOD = "sudpress53"
MISSING = "nosuchname42"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    served = LocalIndex(tmp_path_factory.mktemp("index"), [built_wheel()])
    yield served
    served.close()


@pytest.fixture(scope="module")
def telegram() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.stop()


def git(folder: Path, *args: str) -> str:
    """Run git in ``folder`` and return what it printed."""
    env = {"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@example.org"}
    env |= {"GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@example.org", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True, env=env
    ).stdout


def set_channels(project: Path, fake: FakeTelegram, channels: list[str]) -> None:
    """Point the project's settings at the fake Telegram, as a user would edit sitegen.toml."""
    path = project / "sitegen.toml"
    listed = ", ".join(f'"{name}"' for name in channels)
    text = re.sub(r"(?m)^channels = .*$", f"channels = [{listed}]", path.read_text())
    text = re.sub(r"(?m)^(telegram_url|delay|retries|timeout) = .*\n", "", text)
    text = text.replace(
        f"channels = [{listed}]",
        f'channels = [{listed}]\ntelegram_url = "{fake.base_url}"\ndelay = 0.0\nretries = 1\ntimeout = 5.0',
    )
    path.write_text(text)


def new_project(tmp_path: Path, fake: FakeTelegram, channels: list[str], index: LocalIndex) -> Simulator:
    """`sitegen init`, the settings, a first commit pushed to a bare "GitHub" repository."""
    project = tmp_path / "project"
    done = subprocess.run(
        [sys.executable, "-c", "from sitegen.cli import main; main()", "init", str(project)]
        + [arg for name in channels for arg in ("--channel", name)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    set_channels(project, fake, channels)
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "Telegram archive")
    git(project, "push", "-q", str(origin), "main")
    return Simulator(tmp_path / "runs", origin, index.url)


def pushed(origin: Path) -> tuple[list[str], list[str]]:
    """What the bare repository holds: commit subjects (newest first) and every file under content/."""
    subjects = git(origin, "log", "--format=%s", "main").splitlines()
    files = git(origin, "ls-tree", "-r", "--name-only", "main", "content").splitlines()
    return subjects, files


def posts(files: list[str], channel: str) -> set[int]:
    """The post ids of one channel in a list of paths."""
    found = (re.fullmatch(rf"content/{channel}/posts/(\d+)\.md", path) for path in files)
    return {int(match.group(1)) for match in found if match}


def test_first_failed_run_then_the_archive_goes_live_and_an_idle_run_changes_nothing(
    tmp_path: Path, index: LocalIndex, telegram: LocalServer
) -> None:
    fake = telegram.fresh(count=25, channel=GOOD)
    fake.pages[MISSING] = NO_SUCH_NAME.format(name=MISSING)
    sim = new_project(tmp_path, fake, [MISSING], index)

    # Run 1: the channel name is wrong. The scrape's own error comes first, nothing else fails
    # on the way, nothing is deployed, and the run ends red naming the channel.
    first = sim.run()
    assert first.conclusion == "failure"
    errors = first.annotations("error")
    assert errors and f"@{MISSING} does not exist" in errors[0], first.log()
    assert all(MISSING in line for line in errors), errors  # no follow-up failure (pathspec, build...)
    assert first.jobs == {"scrape-and-build": "success", "deploy": "skipped", "scrape-errors": "failure"}
    assert "No new posts." in first.step("Commit new posts").log
    assert "Nothing to publish yet" in first.step("Build the site").log
    assert first.artifact is None and first.deployed is None
    assert any(path.startswith("/simple/telegram-sitegen/") for path in index.requests), index.requests
    subjects, files = pushed(sim.origin)
    assert subjects == ["Telegram archive"] and files == ["content/.gitkeep"]

    # The owner fixes the channel name and pushes; run 2 publishes the whole history.
    project = tmp_path / "fix"
    git(tmp_path, "clone", "-q", str(sim.origin), str(project))
    set_channels(project, fake, [GOOD])
    git(project, "commit", "-q", "-am", "Fix the channel name")
    git(project, "push", "-q")
    second = sim.run(event="push")
    assert second.conclusion == "success", second.log()
    assert second.jobs == {"scrape-and-build": "success", "deploy": "success", "scrape-errors": "skipped"}
    assert second.annotations("error") == []
    subjects, files = pushed(sim.origin)
    assert subjects == ["Archive new posts", "Fix the channel name", "Telegram archive"]
    assert posts(files, GOOD) == set(range(1, 26))
    assert any(path.startswith(f"content/{GOOD}/media/") for path in files)
    site = second.deployed
    assert (
        site is not None and (site / "index.html").is_file() and (site / GOOD / "25" / "index.html").is_file()
    )
    assert "https://user.github.io/archive/" in (site / GOOD / "feed.xml").read_text(encoding="utf-8")
    assert (site / "pagefind").is_dir()
    assert len(second.cache_saves) == 1

    # Run 3: nothing new on Telegram: no commit, the same site, and the build cache is not saved again.
    third = sim.run()
    assert third.conclusion == "success", third.log()
    assert "No new posts." in third.step("Commit new posts").log
    assert pushed(sim.origin)[0] == subjects
    assert third.cache_saves == []
    assert third.deployed is not None and (third.deployed / GOOD / "25" / "index.html").is_file()


def test_one_failing_channel_does_not_hold_back_the_other(
    tmp_path: Path, index: LocalIndex, telegram: LocalServer
) -> None:
    fake = telegram.fresh(count=22, channel=GOOD)
    fake.pages[MISSING] = NO_SUCH_NAME.format(name=MISSING)
    sim = new_project(tmp_path, fake, [MISSING, GOOD], index)
    run = sim.run()
    # The good channel is committed, pushed, built and deployed; the run still ends red, naming the other.
    assert run.jobs == {"scrape-and-build": "success", "deploy": "success", "scrape-errors": "failure"}
    assert run.conclusion == "failure"
    subjects, files = pushed(sim.origin)
    assert subjects == ["Archive new posts", "Telegram archive"]
    assert posts(files, GOOD) == set(range(1, 23))
    assert not any(MISSING in path for path in files)
    assert run.deployed is not None and (run.deployed / GOOD / "22" / "index.html").is_file()
    final = [step for step in run.steps if step.job == "scrape-errors"]
    assert len(final) == 1 and re.search(
        rf"::error title=Scrape failed::@{MISSING} does not exist", final[0].log
    )
    assert run.annotations("error")[0].startswith("::error title=Scrape failed::")

    # New posts on the good channel arrive with the next run, on top of what was pushed.
    fake.add_posts(3)
    again = sim.run()
    assert again.jobs["deploy"] == "success" and again.conclusion == "failure"
    subjects, files = pushed(sim.origin)
    assert subjects == ["Archive new posts", "Archive new posts", "Telegram archive"]
    assert posts(files, GOOD) == set(range(1, 26))


def test_without_github_pages_the_posts_are_committed_and_the_run_says_why_in_one_line(
    tmp_path: Path, index: LocalIndex, telegram: LocalServer
) -> None:
    fake = telegram.fresh(count=5, channel=GOOD)
    sim = new_project(tmp_path, fake, [GOOD], index)
    sim.pages_enabled = False
    run = sim.run()
    assert run.conclusion == "failure" and run.jobs["deploy"] == "skipped"
    assert posts(pushed(sim.origin)[1], GOOD) == {1, 2, 3, 4, 5}
    ours = [line for line in run.annotations("error") if "Pages is not enabled" in line]
    assert len(ours) == 1 and "Settings -> Pages" in ours[0] and "Source: GitHub Actions" in ours[0]
    assert run.step("Build the site").outcome == "failure"
    assert run.deployed is None
