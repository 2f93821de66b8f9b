"""``sitegen scrape`` as a user runs it: a real process, a local fake t.me, kills and resumption."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from fake_telegram import LANDING_CHANNEL, NO_SUCH_NAME, NOT_TELEGRAM, FakeTelegram, LocalServer
from process_kills import kill_at_thresholds

from sitegen import content
from sitegen.files import TEMP_PREFIX
from tests.cli_run import COMMAND, environment

CHANNEL = "sudpress53"


@pytest.fixture(scope="module")
def server():
    local = LocalServer()
    yield local
    local.stop()


def write_config(folder: Path, fake: FakeTelegram, channels: tuple[str, ...] = ()) -> None:
    listed = ", ".join(f'"{c}"' for c in channels)
    (folder / "sitegen.toml").write_text(
        f'[scrape]\ntelegram_url = "{fake.base_url}"\ndelay = 0.0\ntimeout = 2.0\nretries = 3\nrefresh = 0\n'
        f"channels = [{listed}]\n",
        encoding="utf-8",
    )


def sitegen(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "scrape", *args],
        cwd=folder,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_scrape_prints_one_summary_line(server, tmp_path):
    fake = server.fresh(count=40)
    write_config(tmp_path, fake)
    done = sitegen(tmp_path, f"https://t.me/s/{CHANNEL}")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Scraped 1 channel(s): 40 new, 0 updated, 0 deleted posts")
    assert "2 page requests" in lines[0]
    assert content.post_ids(tmp_path / "content" / CHANNEL) == set(range(1, 41))


def test_scrape_takes_channels_from_the_config_and_honours_options(server, tmp_path):
    fake = server.fresh(count=40)
    write_config(tmp_path, fake, channels=(f"@{CHANNEL}",))
    done = sitegen(tmp_path, "--limit", "5", "--no-media", "--content", "archive")
    assert done.returncode == 0, done.stderr
    assert content.post_ids(tmp_path / "archive" / CHANNEL) == set(range(36, 41))
    assert not fake.media_requests


def test_telegram_url_option_overrides_the_config(server, tmp_path):
    fake = server.fresh(count=10)
    (tmp_path / "sitegen.toml").write_text('[scrape]\ntelegram_url = "http://127.0.0.1:9"\ndelay = 0.0\n')
    done = sitegen(tmp_path, CHANNEL, "--telegram-url", fake.base_url, "--no-media")
    assert done.returncode == 0, done.stderr
    assert len(content.post_ids(tmp_path / "content" / CHANNEL)) == 10


@pytest.mark.parametrize(
    ("name", "kind", "words"),
    [
        ("closedchannel", "landing", "no public web preview"),
        ("nosuchname42", "missing", "does not exist"),
        ("itworks", "foreign", "not a Telegram channel preview page"),
    ],
)
def test_unusable_channel_is_one_line_exit_1_and_nothing_written(server, tmp_path, name, kind, words):
    fake = server.fresh(count=10)
    if kind == "landing":
        fake.landing[name] = LANDING_CHANNEL.format(name=name)
    elif kind == "missing":
        fake.pages[name] = NO_SUCH_NAME.format(name=name)
    else:
        fake.pages[name] = NOT_TELEGRAM
    write_config(tmp_path, fake)
    done = sitegen(tmp_path, name)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], done.stderr
    assert not (tmp_path / "content").exists()


@pytest.mark.parametrize("args", [("../etc",), ()])
def test_bad_or_missing_channel_name_is_one_line(server, tmp_path, args):
    fake = server.fresh(count=10)
    write_config(tmp_path, fake)
    done = sitegen(tmp_path, *args)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("Error: ")
    assert not fake.page_requests


def check_archive(folder: Path, expected: set[int], fake: FakeTelegram) -> None:
    """Every post once, each file parses, media are bodies the server sent, no temp files."""
    assert content.post_ids(folder) == expected
    sent = set(fake.media_sent.values())
    for post in content.read_posts(folder):
        for item in post.media:
            for rel in (item.file, item.thumb):
                if rel:
                    assert (folder / rel).read_bytes() in sent
    content.read_channel(folder)
    assert not list(folder.rglob(TEMP_PREFIX + "*"))


def test_killed_scrapes_resume_and_leave_only_whole_files(server, tmp_path):
    fake = server.fresh(count=300)
    fake.page_delay = 0.05
    write_config(tmp_path, fake)
    folder = tmp_path / "content" / CHANNEL
    command = [*COMMAND, "scrape", CHANNEL]
    kills = kill_at_thresholds(command, tmp_path, environment(), folder, (25, 90, 170, 240))
    assert kills >= 3
    fake.page_delay = 0.0
    done = sitegen(tmp_path, CHANNEL)
    assert done.returncode == 0, done.stderr
    check_archive(folder, set(range(1, 301)), fake)
    again = sitegen(tmp_path, CHANNEL)
    assert "0 new, 0 updated, 0 deleted posts" in again.stdout and "1 page requests" in again.stdout


def test_ctrl_c_stops_with_one_line_and_the_next_run_resumes(server, tmp_path):
    fake = server.fresh(count=300)
    fake.page_delay = 0.05
    write_config(tmp_path, fake)
    folder = tmp_path / "content" / CHANNEL
    process = subprocess.Popen(
        [*COMMAND, "scrape", CHANNEL], cwd=tmp_path, env=environment(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline and len(content.post_ids(folder)) < 60:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.strip().splitlines()[-1].startswith("Interrupted; everything written so far is whole")
    assert "Traceback" not in err
    assert not list(folder.rglob(".sitegen-tmp-*")), "no temp files after Ctrl-C"
    for path in folder.glob("posts/*.md"):
        content.read_post(path)
    fake.page_delay = 0.0
    done = sitegen(tmp_path, CHANNEL)
    assert done.returncode == 0, done.stderr
    check_archive(folder, set(range(1, 301)), fake)
