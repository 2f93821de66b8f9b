"""Whole scrapes against a local t.me that misbehaves on purpose, and scrapes killed at random.

Every scenario runs ``sitegen scrape`` through its real entry point (``sitegen.cli.main``) and then
checks the archive: every post the server showed is stored exactly once, every file parses, no temp
file is left, every media file is a whole body the server sent (size and SHA-256), and the exit code
and the one line printed say what happened. A scrape that gives up leaves earlier files untouched.
"""

from __future__ import annotations

import hashlib
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_telegram import FakeTelegram, Fault, LocalServer

from sitegen import content
from sitegen.cli import main
from sitegen.files import TEMP_PREFIX
from tests.cli_run import COMMAND, environment

CHANNEL = "sudpress53"
SUMMARY = re.compile(
    r"^Scraped 1 channel\(s\): (\d+) new, (\d+) updated, (\d+) deleted posts, (\d+) media files"
    r"(?: \((\d+) not downloaded\))?, (\d+) page requests in [\d.]+ s$"
)


@pytest.fixture(scope="module")
def server():
    local = LocalServer()
    yield local
    local.stop()


# --- a proxy that breaks connections ----------------------------------------------------------------


class BreakingProxy:
    """A TCP proxy in front of the fake t.me: one request per connection; it can reset the next ones.

    ``plan`` holds what to do with the next connections: "reset" (RST before any answer),
    "half" (send half of the answer, then RST); anything else is passed through.
    """

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").rstrip("/").split(":")
        self.upstream = (host, int(port))
        self.plan: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.broken = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                request += chunk
            action = self.plan.pop(0) if self.plan else "pass"
            if action == "reset":
                self.broken += 1
                _reset(conn)
                return
            head, _, rest = request.partition(b"\r\n\r\n")
            lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
            request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + rest
            with socket.create_connection(self.upstream, timeout=10) as up:
                up.sendall(request)
                answer = b""
                while chunk := up.recv(65536):
                    answer += chunk
            if action == "half":
                self.broken += 1
                conn.sendall(answer[: len(answer) // 2])
                _reset(conn)
                return
            conn.sendall(answer)

    def close(self) -> None:
        self._stop = True
        self.listener.close()


def _reset(conn: socket.socket) -> None:
    """Close with an RST instead of a FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    conn.close()


# --- running sitegen and checking the archive -------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str


def write_config(folder: Path, url: str, **scrape: object) -> None:
    values = {"telegram_url": url, "delay": 0.0, "timeout": 1.0, "retries": 3, "refresh": 0, **scrape}
    lines = [f"{k} = {_toml(v)}" for k, v in values.items()]
    (folder / "sitegen.toml").write_text("[scrape]\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def sitegen(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> Run:
    """Run ``sitegen scrape ARGS`` in ``folder`` through the real entry point; return code and output."""
    capsys.readouterr()
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "argv", ["sitegen", "scrape", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def summary_of(run: Run) -> tuple[int, ...]:
    """The numbers of the one summary line: new, updated, deleted, media, not downloaded, requests."""
    lines = run.out.strip().splitlines()
    assert len(lines) == 1, run.out
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    return tuple(int(g or 0) for g in match.groups())


def media_bodies(fake: FakeTelegram) -> dict[str, set[str]]:
    """SHA-256 of every media body the server sent, by the post id in its URL ("avatar" for the avatar)."""
    out: dict[str, set[str]] = {}
    for key, data in fake.media_sent.items():
        owner = key.split("/")[2]
        out.setdefault(owner, set()).add(hashlib.sha256(data).hexdigest())
    return out


def check_archive(root: Path, fake: FakeTelegram, expected: set[int]) -> None:
    """Every expected post exactly once, every file parses, media whole, no temp files anywhere."""
    folder = root / "content" / CHANNEL
    names = sorted(p.name for p in (folder / "posts").iterdir())
    assert names == sorted(f"{i}.md" for i in expected)  # once each, nothing else in posts/
    posts = content.read_posts(folder)
    assert [p.id for p in posts] == sorted(expected)
    content.read_channel(folder)
    sent = media_bodies(fake)
    referenced = set()
    for post in posts:
        for rel in [m.file for m in post.media] + [m.thumb for m in post.media]:
            if rel:
                referenced.add(rel)
                assert (folder / rel).is_file(), rel
    for path in (folder / "media").rglob("*") if (folder / "media").exists() else []:
        if path.is_file():
            owner = "avatar" if path.parent.name == "media" else path.parent.name
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest in sent.get(owner, set()), f"{path} is not a whole body the server sent"
    assert all((folder / rel).stat().st_size > 0 for rel in referenced)
    assert not [p for p in root.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- faults a scrape survives -------------------------------------------------------------------------

RECOVERABLE = {
    "429 with Retry-After": [Fault("pass"), Fault("status", 429, {"Retry-After": "1"})],
    "429 without Retry-After": [Fault("pass"), Fault("status", 429), Fault("status", 429)],
    "burst of 500, 502, 503": [
        Fault("pass"),
        Fault("status", 500),
        Fault("status", 502),
        Fault("status", 503),
    ],
    "503 with Retry-After": [Fault("status", 503, {"Retry-After": "0"}), Fault("pass")],
    "time-out": [Fault("pass"), Fault("hang", seconds=2.5)],
    "page cut off mid-body": [Fault("pass"), Fault("cut"), Fault("cut")],
    "page of garbage": [Fault("pass"), Fault("garbage")],
    "No posts found in the middle of history": [
        Fault("pass"),
        Fault("no_posts"),
        Fault("pass"),
        Fault("no_posts"),
    ],
    "everything at once": [
        Fault("status", 429),
        Fault("pass"),
        Fault("garbage"),
        Fault("status", 502),
        Fault("pass"),
        Fault("cut"),
        Fault("no_posts"),
    ],
}


@pytest.mark.parametrize("name", list(RECOVERABLE))
def test_a_scrape_survives(server, tmp_path, capsys, monkeypatch, name):
    fake = server.fresh(count=70)
    fake.faults += RECOVERABLE[name]
    write_config(tmp_path, fake.base_url, retries=5)
    done = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    assert done.code == 0, done.err
    new, updated, deleted, media, missing, requests = summary_of(done)
    assert (new, updated, deleted, missing) == (70, 0, 0, 0)
    faults = sum(1 for f in RECOVERABLE[name] if f.kind != "pass")
    assert requests == 4 + faults == len(fake.page_requests)
    assert media > 0
    check_archive(tmp_path, fake, set(range(1, 71)))


@pytest.mark.parametrize("plan", [["pass", "reset"], ["pass", "half"], ["reset", "half", "pass", "reset"]])
def test_a_scrape_survives_reset_connections(server, tmp_path, capsys, monkeypatch, plan):
    fake = server.fresh(count=50)
    proxy = BreakingProxy(fake.base_url)
    try:
        proxy.plan = list(plan)
        write_config(tmp_path, proxy.url, retries=4, media=False)
        done = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    finally:
        proxy.close()
    assert done.code == 0, done.err
    assert proxy.broken == plan.count("reset") + plan.count("half")
    new, *_, requests = summary_of(done)
    assert new == 50 and requests == 3 + proxy.broken
    check_archive(tmp_path, fake, set(range(1, 51)))


def test_media_that_404_leave_their_posts_and_come_next_run(server, tmp_path, capsys, monkeypatch):
    fake = server.fresh(count=40)
    failing = {i for i in range(1, 41) if f"/cdn/{i}/" in fake.wrap(i)}
    failing = {min(failing), max(failing)}
    fake.media_status = lambda key: (
        404 if int(key.split("/")[2] if key.split("/")[2].isdigit() else 0) in failing else 200
    )
    write_config(tmp_path, fake.base_url)
    first = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    assert first.code == 0, first.err
    new, _, _, _, missing, _ = summary_of(first)
    assert new == 40 and missing > 0
    check_archive(tmp_path, fake, set(range(1, 41)))
    folder = tmp_path / "content" / CHANNEL
    assert failing <= set(content.read_channel(folder).extra["media_missing"])
    fake.media_status = None
    second = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    assert second.code == 0 and summary_of(second)[4] == 0
    assert "media_missing" not in content.read_channel(folder).extra
    for post in content.read_posts(folder):
        assert all(m.file for m in post.media if not m.too_big), post.id
    check_archive(tmp_path, fake, set(range(1, 41)))


def test_media_that_hang_time_out_and_the_scrape_goes_on(server, tmp_path, capsys, monkeypatch):
    fake = server.fresh(count=20)

    slow_post = min(i for i in range(1, 21) if f"/cdn/{i}/" in fake.wrap(i))

    def slow(key: str) -> int:
        if key.split("/")[2] == str(slow_post):
            time.sleep(1.5)
        return 200

    fake.media_status = slow
    write_config(tmp_path, fake.base_url, timeout=0.4, retries=2)
    started = time.monotonic()
    done = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    assert time.monotonic() - started < 15
    assert done.code == 0, done.err
    new, _, _, _, missing, _ = summary_of(done)
    assert new == 20 and missing >= 1
    folder = tmp_path / "content" / CHANNEL
    assert slow_post in content.read_channel(folder).extra["media_missing"]
    assert not [m.file for m in content.read_post(content.post_path(folder, slow_post)).media if m.file]
    check_archive(tmp_path, fake, set(range(1, 21)))


# --- faults a scrape gives up on --------------------------------------------------------------------------

GIVING_UP = {
    "503 on every attempt": (Fault("status", 503), "gave up after 3 attempts: server error (HTTP 503)"),
    "429 on every attempt": (Fault("status", 429, {"Retry-After": "0"}), "too many requests (HTTP 429)"),
    "a server that never answers": (Fault("hang", seconds=1.5), "no answer within 0.4 s"),
    "garbage on every attempt": (
        Fault("garbage"),
        "gave up after 3 attempts: the answer was not an HTML page",
    ),
    "No posts found on every attempt": (Fault("no_posts"), 'Telegram answered "No posts found"'),
}


@pytest.mark.parametrize("name", list(GIVING_UP))
def test_a_scrape_that_gives_up_midway_leaves_earlier_content_untouched(
    server, tmp_path, capsys, monkeypatch, name
):
    fault, words = GIVING_UP[name]
    fake = server.fresh(count=45)
    write_config(tmp_path, fake.base_url, timeout=0.4)
    assert sitegen(tmp_path, capsys, monkeypatch, CHANNEL).code == 0
    folder = tmp_path / "content" / CHANNEL
    before = snapshot(folder)
    fake.add_posts(30)  # the next run reads one new page, then fails on the second
    fake.faults += [Fault("pass")] + [fault] * 3
    done = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    assert done.code == 1
    assert done.out == ""  # no summary when the only channel failed
    lines = done.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and words in lines[0], done.err
    assert f"/s/{CHANNEL}?before=56" in lines[0]  # names the page it could not read
    after = snapshot(folder)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {"channel.yml"}  # its read ranges and time; every post and media file as it was
    check_archive(tmp_path, fake, set(range(1, 46)) | set(range(56, 76)))
    again = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)  # the network is back: the gap is filled
    assert again.code == 0 and summary_of(again)[0] == 10
    check_archive(tmp_path, fake, set(range(1, 76)))


def test_a_scrape_that_gives_up_on_its_first_request_changes_nothing(server, tmp_path, capsys, monkeypatch):
    fake = server.fresh(count=25)
    write_config(tmp_path, fake.base_url)
    assert sitegen(tmp_path, capsys, monkeypatch, CHANNEL).code == 0
    before = snapshot(tmp_path / "content")
    fake.faults += [Fault("status", 500)] * 3
    done = sitegen(tmp_path, capsys, monkeypatch, CHANNEL)
    assert done.code == 1 and len(done.err.strip().splitlines()) == 1
    assert "gave up after 3 attempts: server error (HTTP 500)" in done.err
    assert snapshot(tmp_path / "content") == before


# --- killed at random moments -------------------------------------------------------------------------


KILLS = 15


def test_sigkill_at_random_moments_then_a_normal_run_loses_nothing(server, tmp_path):
    total = 1000  # long enough that the runs between kills cannot finish it, even on a slow machine
    fake = server.fresh(count=total)
    fake.page_delay = 0.1
    write_config(tmp_path, fake.base_url, media_workers=3)
    folder = tmp_path / "content" / CHANNEL
    chance = random.Random(20261126)
    deadline = time.monotonic() + 60
    kills = 0
    for _ in range(KILLS):
        if time.monotonic() > deadline:
            break
        process = subprocess.Popen(
            COMMAND + ["scrape", CHANNEL],
            cwd=tmp_path,
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(chance.uniform(0.3, 1.6))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=30)
        for path in folder.glob("posts/*.md"):  # right after a kill, every post file is whole
            content.read_post(path)
        if folder.exists():
            content.read_channel(folder)
    assert kills >= 10
    fake.page_delay = 0.0
    done = subprocess.run(
        COMMAND + ["scrape", CHANNEL],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Scraped 1 channel(s): ")
    check_archive(tmp_path, fake, set(range(1, total + 1)))
    for post in content.read_posts(folder):
        assert all(m.file for m in post.media if not m.too_big), f"post {post.id} lost its media"
