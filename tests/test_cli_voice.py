"""How sitegen talks: -q and -v, warnings on stderr and grouped, status on a terminal, helpful hints,
a failing channel that does not stop the others, and serve's port and address."""

from __future__ import annotations

import contextlib
import io
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_telegram import LocalServer

from sitegen import content
from sitegen.config import Config
from sitegen.content import write_post
from sitegen.model import Media, Post
from sitegen.progress import Console, group_warnings
from sitegen.scrape import scrape_channels
from tests.cli_run import run
from tests.test_build import START, make_channel

REPO = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-c", "from sitegen.cli import main; main()"]
BUILD = ["build", "--no-search", "--base-url", "https://a.org/"]


def add_posts_missing_media(channel_dir: Path, count: int) -> None:
    """Posts whose photo is listed in front matter but not on disk: one warning each."""
    for i in range(count):
        post = Post(id=1001 + i, channel=channel_dir.name, date=START, text=f"photo {i}")
        post.media = [Media(kind="photo", file=f"media/{1001 + i}/1.jpg")]
        write_post(channel_dir, post)


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# --- warnings ---------------------------------------------------------------------------------------


def test_the_same_warning_many_times_shows_the_first_few_and_how_many_more(tmp_path, monkeypatch, capsys):
    make_channel(tmp_path / "content", count=3)
    add_posts_missing_media(tmp_path / "content" / "novosti", 40)
    code, out, err = run(tmp_path, BUILD, monkeypatch, capsys)
    assert code == 0, err
    lines = err.splitlines()
    assert len(lines) == 4, err
    assert all("is missing" in line for line in lines[:3])
    assert lines[3] == "warning: ... and 37 more like the one above"
    assert out.startswith("Built 43 posts") and "warning" not in out


def test_warnings_of_different_kinds_are_grouped_apart() -> None:
    alike = [f"content/c/posts/{i}.md: media file 'media/{i}/1.jpg' is missing" for i in range(5)]
    other = ["cannot write the build cache in '/x' (No space left on device): rebuilds start over"]
    assert group_warnings(alike + other, shown=2) == [*alike[:2], "... and 3 more like the one above", *other]


def test_quiet_prints_nothing_on_success_and_verbose_prints_each_steps_time(tmp_path, monkeypatch, capsys):
    make_channel(tmp_path / "content", count=3)
    add_posts_missing_media(tmp_path / "content" / "novosti", 2)
    code, out, err = run(tmp_path, ["build", "-q", "--no-search"], monkeypatch, capsys)
    assert (code, out, err) == (0, "", "")
    (tmp_path / "content" / "novosti" / "posts" / "2.md").unlink()
    code, out, err = run(tmp_path, ["build", "--verbose", "--no-search"], monkeypatch, capsys)
    assert code == 0
    steps = [line.split()[0:2] for line in err.splitlines() if line.endswith(" ms")]
    assert [s[0] for s in steps] == ["Checking", "Loading", "Gathering", "Rendering", "Copying", "Indexing"]
    assert "Built 4 posts" in out


def test_the_base_url_warning_comes_with_an_output_folders_first_build_only(tmp_path, monkeypatch, capsys):
    make_channel(tmp_path / "content", count=3)
    _, _, first = run(tmp_path, ["build", "--no-search"], monkeypatch, capsys)
    (tmp_path / "content" / "novosti" / "posts" / "2.md").unlink()
    _, _, second = run(tmp_path, ["build", "--no-search"], monkeypatch, capsys)
    _, _, verbose = run(tmp_path, ["build", "--no-search", "-v"], monkeypatch, capsys)
    _, _, other = run(tmp_path, ["build", "--no-search", "--output", "site"], monkeypatch, capsys)
    assert "base_url is not set" in first
    assert "base_url" not in second
    assert "base_url is not set" in verbose
    assert "base_url is not set" in other


def test_an_empty_content_folder_suggests_sitegen_scrape(tmp_path, monkeypatch, capsys):
    (tmp_path / "content").mkdir()
    code, out, err = run(tmp_path, ["build"], monkeypatch, capsys)
    assert code == 1 and out == ""
    assert err.startswith("Error: no channels in 'content' yet: run 'sitegen scrape CHANNEL'")
    assert len(err.splitlines()) == 1


def test_a_status_line_and_step_bars_show_on_a_terminal_and_the_cursor_comes_back(tmp_path):
    make_channel(tmp_path / "content", count=3)
    from sitegen.build import build_site

    err = Terminal()
    console = Console(0, err=err, out=io.StringIO())
    build_site(Config(root=tmp_path, search=False), progress=console)
    console.close()
    text = err.getvalue()
    assert "Parsing posts of @novosti" in text and "Rendering pages" in text
    assert text.endswith("\x1b[?25h")


def test_a_stage_without_a_count_ticks_after_a_moment():
    err = Terminal()
    console = Console(0, err=err)
    console.begin("Indexing for search", 0)
    time.sleep(2.5)  # status after 0.5 s, then each second
    console.end()
    text = err.getvalue()
    assert "\r\x1b[KIndexing for search...\r\x1b[KIndexing for search... 1 s" in text
    assert text.endswith("\r\x1b[K")  # the status line is gone


# --- one broken channel does not stop the others -----------------------------------------------------


def test_a_broken_channel_yml_leaves_that_channel_out_and_builds_the_others(tmp_path, monkeypatch, capsys):
    make_channel(tmp_path / "content", "alpha", count=3)
    make_channel(tmp_path / "content", "beta", count=3)
    make_channel(tmp_path / "content", "gamma", count=3)
    code, _, err = run(tmp_path, BUILD, monkeypatch, capsys)
    assert code == 0, err
    kept = (tmp_path / "output" / "beta" / "index.html").read_bytes()
    (tmp_path / "content" / "beta" / "channel.yml").write_text(
        "title: Beta\ndescription: [oops\n", encoding="utf-8"
    )
    (tmp_path / "content" / "gamma" / "posts" / "4.md").write_text("no front matter\n", encoding="utf-8")
    make_channel(tmp_path / "content", "delta", count=2)

    code, out, err = run(tmp_path, BUILD, monkeypatch, capsys)
    assert code == 1
    errors = err.splitlines()
    assert len(errors) == 2 and all(line.startswith("Error: ") for line in errors), err
    assert "beta/channel.yml: not valid YAML (line 3)" in errors[0]
    assert "gamma/posts/4.md" in errors[1]
    assert "Built 5 posts of 2 channel(s)" in out and "2 channel(s) left out" in out
    assert (tmp_path / "output" / "delta" / "index.html").is_file()  # built after the broken ones
    assert (tmp_path / "output" / "beta" / "index.html").read_bytes() == kept  # the last good pages stay
    # A no-op rebuild says the same and fails the same way.
    code, _, again = run(tmp_path, BUILD, monkeypatch, capsys)
    assert code == 1 and again == err


@pytest.fixture(scope="module")
def telegram():
    local = LocalServer()
    yield local
    local.stop()


def test_a_scrape_goes_on_after_a_channel_with_a_broken_channel_yml(telegram, tmp_path, monkeypatch, capsys):
    fake = telegram.fresh(count=30)
    fake.pages["brokenchan"] = fake.page_html(None)
    broken = tmp_path / "content" / "brokenchan"
    broken.mkdir(parents=True)
    (broken / "channel.yml").write_text("title: x\n  bad: [\n", encoding="utf-8")
    (tmp_path / "sitegen.toml").write_text(
        f'[scrape]\ntelegram_url = "{fake.base_url}"\ndelay = 0.0\nretries = 1\nmedia = false\n',
        encoding="utf-8",
    )
    code, out, err = run(tmp_path, ["scrape", "brokenchan", fake.channel], monkeypatch, capsys)
    assert code == 1
    assert out.startswith("Scraped 1 channel(s) (1 failed): 30 new")
    assert err.startswith("Error: ") and "brokenchan/channel.yml: not valid YAML (line 2)" in err
    assert len(err.splitlines()) == 1
    assert len(content.post_ids(tmp_path / "content" / fake.channel)) == 30


def test_scrape_progress_shows_counts_of_pages_posts_and_media(telegram, tmp_path):
    fake = telegram.fresh(count=45)
    cfg = Config(root=tmp_path).with_overrides(telegram_url=fake.base_url, delay=0.0, media=False)
    err = Terminal()
    console = Console(0, err=err)
    summary = scrape_channels(cfg, [fake.channel], progress=console)
    console.close()
    assert summary.total("new") == 45
    assert "3 pages, 45 new, 0 updated posts, 0 media files" in err.getvalue()


# --- init and serve ----------------------------------------------------------------------------------


def test_inits_next_steps_are_the_readmes(tmp_path, monkeypatch, capsys):
    code, out, _ = run(tmp_path, ["init", "site", "--channel", "durov"], monkeypatch, capsys)
    assert code == 0
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [
        line.split("#")[0].strip() for line in out.splitlines() if line.strip().startswith("sitegen ")
    ]
    assert commands == ["sitegen scrape --limit 100", "sitegen serve"]
    assert "sitegen scrape --limit 100\n   && sitegen serve" in readme or all(c in readme for c in commands)
    assert "Settings -> Pages" in out and "Settings -> Pages" in readme


def start_serve(root: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """``sitegen serve`` as a process; return it and its "Serving ..." line."""
    proc = subprocess.Popen(
        [*COMMAND, "serve", *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Serving "):
            return proc, line
    proc.kill()
    raise AssertionError("serve did not start: " + proc.stderr.read())  # type: ignore[union-attr]


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    return err


def test_serve_takes_the_next_port_when_8000_is_busy_and_says_so(tmp_path):
    make_channel(tmp_path / "content", count=3)
    add_posts_missing_media(tmp_path / "content" / "novosti", 5)
    (tmp_path / "sitegen.toml").write_text("search = false\n", encoding="utf-8")
    with socket.socket() as busy:
        with contextlib.suppress(OSError):  # someone else holds 8000 already: just as busy
            busy.bind(("127.0.0.1", 8000))
        busy.listen()
        proc, line = start_serve(tmp_path)
        err = stop(proc)
    assert "(port 8000 is busy)" in line and "http://127.0.0.1:8000/" not in line
    assert "warning: " in err and "... and 2 more like the one above" in err  # warnings on stderr, grouped
    assert "base_url" not in err  # a preview does not need the public address


def test_serve_listens_on_the_address_given_with_bind(tmp_path):
    make_channel(tmp_path / "content", count=3)
    (tmp_path / "sitegen.toml").write_text("search = false\n", encoding="utf-8")
    proc, line = start_serve(tmp_path, "--bind", "127.0.0.2", "--port", "0")
    try:
        url = line.split(" at ")[1].split()[0]
        assert url.startswith("http://127.0.0.2:")
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        with socket.create_connection((host, int(port)), timeout=5):
            pass
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=2):
            pass
    finally:
        stop(proc)


def test_a_channel_folder_that_is_a_file_is_one_line_and_the_others_go_on(
    telegram, tmp_path, monkeypatch, capsys
):
    fake = telegram.fresh(count=5)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "afile").write_text("not a folder\n", encoding="utf-8")
    fake.pages["afile"] = fake.page_html(None)
    settings = f'[scrape]\ntelegram_url = "{fake.base_url}"\ndelay = 0.0\nretries = 1\nmedia = false\n'
    (tmp_path / "sitegen.toml").write_text(settings, encoding="utf-8")
    code, out, err = run(tmp_path, ["scrape", "afile", fake.channel], monkeypatch, capsys)
    assert code == 1 and out.startswith("Scraped 1 channel(s) (1 failed): 5 new")
    assert (
        err
        == f"Error: '{Path('content') / 'afile'}' is a file, not a channel folder: move it out of the way\n"
    )


def test_a_rebuild_in_serve_prints_its_warnings_to_the_warning_stream(tmp_path):
    from sitegen.serve import LiveState, Rebuilder

    make_channel(tmp_path / "content", count=3)
    out: list[str] = []
    warned: list[list[str]] = []
    errors: list[str] = []
    rebuilder = Rebuilder(
        lambda: Config(root=tmp_path, search=False), LiveState(), out.append, warned.append, errors.append
    )
    rebuilder.first_build()
    assert warned == [[]] and errors == []  # no base_url warning for a preview
    add_posts_missing_media(tmp_path / "content" / "novosti", 4)
    assert rebuilder.rebuild("content")
    assert out[-1].startswith("Rebuilt after a change in content: ")
    assert len(warned[-1]) == 4 and all("is missing" in warning for warning in warned[-1])
