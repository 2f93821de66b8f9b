"""``sitegen import`` with the four real Telegram Desktop exports, bad input, path escapes and resumption.

Each real export is laid out with stand-in media at the paths it names; the imported archive is
built and its pages read back: every post is there, its text is the export's text, its media are
the export's files under the scraper's names.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from page_text import visible_text
from process_kills import kill_at_thresholds
from selectolax.lexbor import LexborHTMLParser, LexborNode
from tdesktop_export import (
    NOT_INCLUDED,
    REAL_EXPORTS,
    chat,
    message,
    real_export,
    referenced_paths,
    stand_in,
    synthetic_chat,
    write_export,
)

from sitegen import content
from sitegen.build import build_site
from sitegen.config import Config
from sitegen.files import TEMP_PREFIX
from tests.cli_run import COMMAND, environment

REPO = Path(__file__).resolve().parents[1]


def sitegen(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``sitegen import ...`` in ``folder`` as a user would."""
    return subprocess.run(
        [*COMMAND, "import", *args],
        cwd=folder,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def export_text(item: dict) -> str:
    """A message's text from the export, white space normalised."""
    value = item.get("text_entities", item.get("text", ""))
    if isinstance(value, str):
        return " ".join(value.split())
    return " ".join("".join(p if isinstance(p, str) else p["text"] for p in value).split())


def build(root: Path) -> Path:
    """Build ``root``/content into ``root``/output (no search index) and return the output folder."""
    build_site(Config(root=root, search=False))
    return root / "output"


def article(out: Path, channel: str, post_id: int) -> LexborNode:
    html = (out / channel / str(post_id) / "index.html").read_text(encoding="utf-8")
    node = LexborHTMLParser(html).css_first(f"article#post-{post_id}")
    assert node is not None
    return node


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below ``folder`` with its modification time and bytes."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


# --- the four real exports -------------------------------------------------------------------------------

FOLDERS = {
    "tg2md_private_channel": "test",
    "telegram_json_ui_private_group": "test_2022",
    "innerdvations_saved_messages": "saved_messages",
    "ragtgbot_private_group_2025": "testrag",
}


@pytest.fixture(scope="module")
def real_site(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, subprocess.CompletedProcess[str]]]:
    """All four real exports imported (with stand-in media) and built into one site."""
    root = tmp_path_factory.mktemp("real")
    runs = {}
    for name in REAL_EXPORTS:
        folder = real_export(root / "exports", name)
        runs[name] = sitegen(root, str(folder))
    build(root)
    return root, runs


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_real_export_every_message_is_a_post_with_its_exact_text(real_site, name: str) -> None:
    root, runs = real_site
    assert runs[name].returncode == 0, runs[name].stderr
    assert "Traceback" not in runs[name].stderr
    channel = FOLDERS[name]
    data = json.loads(Path(REPO / "tests/data/tdesktop" / f"{name}.json").read_text(encoding="utf-8"))
    stored = content.post_ids(root / "content" / channel)
    out = root / "output"
    absorbed = 0
    for item in data["messages"]:
        if item["id"] not in stored:  # an album item: its post is the album's first message
            absorbed += 1
            first = max(i for i in stored if i < item["id"])
            text = visible_text(article(out, channel, first).css_first(".post-text"))
            assert export_text(item) in text
            continue
        node = article(out, channel, item["id"])
        if item["type"] == "service":
            assert "post-service" in node.attributes["class"]
            continue
        assert visible_text(node.css_first(".post-text")) == export_text(item), item["id"]
    assert absorbed == len(data["messages"]) - len(stored)
    assert f"{len(data['messages'])} messages -> {len(stored)} new" in runs[name].stdout


@pytest.mark.parametrize("name", REAL_EXPORTS)
def test_real_export_media_are_the_exports_files_under_the_scrapers_names(real_site, name: str) -> None:
    root, _ = real_site
    folder = root / "content" / FOLDERS[name]
    data = json.loads(Path(REPO / "tests/data/tdesktop" / f"{name}.json").read_text(encoding="utf-8"))
    wanted = {stand_in(path) for path in referenced_paths(data)}
    copied = {p.read_bytes() for p in (folder / "media").rglob("*") if p.is_file()} if wanted else set()
    assert copied == wanted
    for path in (folder / "posts").glob("*.md"):
        post = content.read_post(path)
        for index, item in enumerate(post.media, start=1):
            if item.file:
                assert item.file.startswith(f"media/{post.id}/{index}.")
                assert (folder / item.file).is_file()
            else:
                assert item.not_exported


def test_real_exports_show_the_kinds_they_hold(real_site) -> None:
    root, runs = real_site
    out = root / "output"
    album = article(out, "test", 23)  # tg2md ids 23-25: one album of three photos
    assert len(album.css(".post-media img")) == 3
    assert len(album.css(".post-media.album .tile")) == 3  # one album, three tiles
    voice = article(out, "test", 7)
    assert voice.css_first("audio") is not None
    group = article(out, "test_2022", 428640)  # a group: the sender is on the post
    assert group.css_first(".post-sender").text().strip() == "Александр Март"
    assert "spoiler" in group.css_first(".post-text").html
    assert article(out, "test", 2).css_first(".post-sender") is None  # a channel shows no sender
    saved = article(out, "saved_messages", 176390)
    assert "Other Person" in saved.css_first(".post-forwarded").text()
    poll = article(out, "saved_messages", 5)
    assert [o.text() for o in poll.css(".poll-percent")] == ["100%", "0%"]
    reply = article(out, "saved_messages", 7)
    assert reply.css_first("a.post-reply").attributes["href"] == "../../saved_messages/6/index.html"
    too_big = article(out, "saved_messages", 318170)
    assert "Not exported" in too_big.text()
    pinned = article(out, "saved_messages", 4)
    assert "pinned a message" in pinned.text()
    created = article(out, "testrag", 603440)
    assert "verymuchuser created the group «TestRag»" in created.text()
    assert "1 not included in the export" in runs["innerdvations_saved_messages"].stdout


def test_importing_again_changes_nothing(tmp_path: Path) -> None:
    folder = real_export(tmp_path / "exports", "tg2md_private_channel")
    assert sitegen(tmp_path, str(folder)).returncode == 0
    before = snapshot(tmp_path / "content")
    again = sitegen(tmp_path, str(folder / "result.json"))
    assert again.returncode == 0, again.stderr
    assert "0 new, 0 updated, 17 unchanged posts; 0 media files copied in" in again.stdout
    assert snapshot(tmp_path / "content") == before


# --- bad input ------------------------------------------------------------------------------------------


def _bad_inputs(root: Path) -> dict[str, tuple[Path, str]]:
    """Broken exports, each with the words its one-line error must contain."""
    cases: dict[str, tuple[Path, str]] = {}
    good = json.dumps(chat([message(1, "hi")]), indent=1)

    def put(name: str, text: str | bytes) -> Path:
        folder = root / name
        folder.mkdir(parents=True)
        data = text.encode() if isinstance(text, str) else text
        (folder / "result.json").write_bytes(data)
        return folder

    cases["not json"] = (put("notjson", "<html>hello</html>"), "not valid JSON")
    cases["truncated"] = (put("truncated", good[: len(good) // 2]), "truncated")
    cases["not an export"] = (put("other", '{"name": "x", "items": []}'), "no 'messages' list")
    cases["unknown schema"] = (
        put("schema", good.replace("private_supergroup", "holo_room")),
        "unknown chat type",
    )
    cases["empty chat"] = (put("empty", json.dumps(chat([]))), "has no messages")
    cases["message without id"] = (put("noid", json.dumps(chat([{"type": "message"}]))), "no numeric 'id'")
    cases["not utf-8"] = (put("latin", b'{"messages": ["\xff"]}'), "not UTF-8")
    cases["empty file"] = (put("zero", ""), "empty")
    cases["no result.json"] = (root / "nothing", "no result.json")
    (root / "nothing").mkdir()
    cases["no such path"] = (root / "missing", "no such file or folder")
    return cases


def test_bad_input_is_one_line_exit_1_and_content_untouched(tmp_path: Path) -> None:
    existing = real_export(tmp_path / "exports", "ragtgbot_private_group_2025")
    assert sitegen(tmp_path, str(existing)).returncode == 0
    before = snapshot(tmp_path / "content")
    for case, (path, words) in _bad_inputs(tmp_path / "bad").items():
        run = sitegen(tmp_path, str(path), "--channel", "testrag")
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 1, case
        assert len(lines) == 1 and lines[0].startswith("Error: "), (case, run.stderr)
        assert words in lines[0] and str(path) in lines[0], (case, lines[0])
        assert snapshot(tmp_path / "content") == before, case


def test_a_bad_channel_name_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    folder = real_export(tmp_path / "exports", "ragtgbot_private_group_2025")
    run = sitegen(tmp_path, str(folder), "--channel", "../evil")
    assert run.returncode == 1 and "letters, digits and _" in run.stderr
    assert not (tmp_path / "content").exists()


def test_control_characters_written_as_hex_escapes_are_read(tmp_path: Path) -> None:
    text = json.dumps(chat([message(1, "bell here")]), indent=1).replace("bell here", "bell\\x07here")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "result.json").write_text(text, encoding="utf-8")
    run = sitegen(tmp_path, str(folder))
    assert run.returncode == 0, run.stderr
    assert content.read_post(tmp_path / "content/made_up/posts/1.md").text == "bell\x07here"


# --- files the export names --------------------------------------------------------------------------------


def test_paths_out_of_the_export_are_refused_and_nothing_is_read_or_written_outside(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    export = tmp_path / "a" / "b" / "export"
    export.mkdir(parents=True)
    (export / "photos").mkdir()
    (export / "photos" / "link.jpg").symlink_to(secret)
    (export / "photos" / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    messages = [
        message(1, "dots", photo="../../../secret.txt"),
        message(2, "absolute", file=str(secret)),
        message(3, "symlink", photo="photos/link.jpg"),
        message(4, "through a linked folder", file="photos/dirlink/secret.txt"),
        message(5, "backslashes", file="..\\..\\..\\secret.txt"),
        message(6, "passwd", file="../../etc/passwd"),
    ]
    write_export(export, chat(messages))
    run = sitegen(tmp_path, str(export))
    assert run.returncode == 0, run.stderr
    assert "6 refused (outside the export folder)" in run.stdout
    assert run.stderr.count("refused: message") == 6
    folder = tmp_path / "content" / "made_up"
    assert not (folder / "media").exists()
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - {p for p in export.rglob("*")}
    assert all(folder in p.parents or p == secret for p in written)
    out = build(tmp_path)
    for post_id in range(1, 7):
        assert "Not exported" in article(out, "made_up", post_id).text()


def test_files_left_out_or_missing_are_counted_and_shown_as_not_exported(tmp_path: Path) -> None:
    messages = [
        message(1, "left out", photo=NOT_INCLUDED, width=10, height=10),
        message(2, "missing", file="files/gone.pdf", file_name="gone.pdf", file_size=2048),
        message(3, "here", file="files/here.pdf", file_name="here.pdf", file_size=4),
        message(4, "an album left out", when=1_700_000_999, photo=NOT_INCLUDED),
        message(5, "", when=1_700_000_999, photo=NOT_INCLUDED),
    ]
    write_export(tmp_path / "export", chat(messages), {"files/here.pdf": b"%PDF"})
    run = sitegen(tmp_path, str(tmp_path / "export"))
    assert run.returncode == 0, run.stderr
    assert "1 media files copied, 4 not exported (3 not included in the export, 1 missing" in run.stdout
    out = build(tmp_path)
    assert "Not exported" in article(out, "made_up", 1).text()
    missing = article(out, "made_up", 2)
    assert "gone.pdf" in missing.text() and "Not exported" in missing.text()
    here = article(out, "made_up", 3).css_first(".doc-name a")
    assert here.text() == "here.pdf" and here.attributes["href"].endswith("made_up/media/3/1.pdf")
    album = article(out, "made_up", 4).css_first(".media-group")
    assert "Photo ×2" in album.text() and "Not exported" in album.text()


def test_active_file_types_are_not_served_as_they_are(tmp_path: Path) -> None:
    write_export(
        tmp_path / "export",
        chat([message(1, "", file="files/page.html", file_name="page.html", mime_type="text/html")]),
        {"files/page.html": b"<script>alert(1)</script>"},
    )
    assert sitegen(tmp_path, str(tmp_path / "export")).returncode == 0
    post = content.read_post(tmp_path / "content/made_up/posts/1.md")
    assert post.media[0].file == "media/1/1.bin" and post.media[0].title == "page.html"


# --- whole-account exports ------------------------------------------------------------------------------


def test_account_export_lists_its_chats_and_imports_the_chosen_ones(tmp_path: Path) -> None:
    first = chat([message(1, "one", photo="chats/chat_001/photos/p.jpg")], name="First Group")
    second = chat([message(5, "two")], kind="private_channel", name="Second")
    second["id"] = 777
    root = {"about": "x", "personal_information": {}, "chats": {"about": "y", "list": [first, second]}}
    write_export(tmp_path / "export", root, {"chats/chat_001/photos/p.jpg": b"jpeg"})
    listing = sitegen(tmp_path, str(tmp_path / "export"))
    assert listing.returncode == 0
    assert "First Group (id 1234567890, private_supergroup), 1 messages" in listing.stdout
    assert not (tmp_path / "content").exists()
    run = sitegen(tmp_path, str(tmp_path / "export"), "--chat", "first group", "--chat", "777")
    assert run.returncode == 0, run.stderr
    assert content.post_ids(tmp_path / "content/first_group") == {1}
    assert content.post_ids(tmp_path / "content/second") == {5}
    assert (tmp_path / "content/first_group/media/1/1.jpg").read_bytes() == b"jpeg"
    wrong = sitegen(tmp_path, str(tmp_path / "export"), "--chat", "nope")
    assert wrong.returncode == 1 and "no chat named or numbered 'nope'" in wrong.stderr


# --- interrupted imports ----------------------------------------------------------------------------------


def test_killed_imports_leave_whole_files_and_resume_to_the_same_archive(tmp_path: Path) -> None:
    data, files = synthetic_chat(4000, seed=3)
    export = write_export(tmp_path / "export", data, files)
    clean = tmp_path / "clean"
    clean.mkdir()
    assert sitegen(clean, str(export)).returncode == 0
    folder = tmp_path / "content" / "bench_channel"
    command = [*COMMAND, "import", str(export)]
    kills = kill_at_thresholds(command, tmp_path, environment(), folder, (300, 1500), wait=120, poll=0.005)
    assert kills == 2
    done = sitegen(tmp_path, str(export))
    assert done.returncode == 0, done.stderr
    assert not list(folder.rglob(TEMP_PREFIX + "*"))
    finished = {k: v[1] for k, v in snapshot(folder).items()}
    assert finished == {k: v[1] for k, v in snapshot(clean / "content" / "bench_channel").items()}


def test_ctrl_c_is_one_line_and_the_next_run_finishes(tmp_path: Path) -> None:
    data, files = synthetic_chat(4000, seed=4)
    export = write_export(tmp_path / "export", data, files)
    folder = tmp_path / "content" / "bench_channel"
    process = subprocess.Popen(
        [*COMMAND, "import", str(export)], cwd=tmp_path, env=environment(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline and len(content.post_ids(folder)) < 500:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("Interrupted; everything written so far is whole")
    assert not list(folder.rglob(TEMP_PREFIX + "*"))
    done = sitegen(tmp_path, str(export))
    assert done.returncode == 0 and "4000 messages" in done.stdout


@pytest.mark.parametrize("size", [64, 65, 66, 67, 70, 1000])
def test_hex_escapes_are_repaired_across_chunk_boundaries(size: int) -> None:
    import io

    from sitegen.tdesktop import export

    text = '{"a": "' + "y" * 57 + "\\x07 \\\\x07 \\\\\\x1f" + "\\\\" * 40 + '\\x0b end"}'
    original = export.CHUNK
    export.CHUNK = size
    try:
        stream = export.RepairedJSON(io.BytesIO(b"\xef\xbb\xbf" + text.encode()))
        parts = []
        while chunk := stream.read(size):
            parts.append(chunk)
    finally:
        export.CHUNK = original
    assert json.loads(b"".join(parts)) == {"a": "y" * 57 + "\x07 \\x07 \\\x1f" + "\\" * 40 + "\x0b end"}
