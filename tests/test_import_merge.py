"""Import and scrape live together: one archive, merged by message id, by the rules in docs/content-format.md.

The scraper reads a local fake t.me (tests/fake_telegram.py: saved real pages, re-numbered); the
importer reads a made-up export of the same channel. Whatever order they run in, the export keeps
its text and files, the scrape keeps views, reactions and edits up to date, and repeating either
changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_telegram import SOURCE_NAME, LocalServer, scrape_config
from tdesktop_export import chat, message, write_export

from sitegen import content
from sitegen.archive import IMPORTED
from sitegen.build import build_site
from sitegen.config import Config
from sitegen.importer import import_chats
from sitegen.scrape import scrape_channels
from sitegen.tdesktop.export import read_export

COUNT = 30


@pytest.fixture(scope="module")
def server():
    local = LocalServer()
    yield local
    local.stop()


def _export(root: Path) -> Path:
    """An export of the same channel: posts 1..30 with their own words; every third one has a photo."""
    messages, files = [], {}
    for i in range(1, COUNT + 1):
        fields = {}
        if i % 3 == 0:
            fields = {"photo": f"photos/photo_{i}.jpg", "width": 100, "height": 50}
            files[f"photos/photo_{i}.jpg"] = f"exported photo {i}".encode()
        messages.append(message(i, f"Exported words of post {i}", sender="Court", **fields))
    return write_export(root / "export", chat(messages, kind="public_channel", name="Суды"), files)


def _import(cfg: Config, export: Path):  # type: ignore[no-untyped-def]
    read = read_export(export)
    return import_chats(cfg, read, read.chats, channel=SOURCE_NAME)[0]


def _posts(cfg: Config) -> dict[int, object]:
    return {p.id: p for p in content.read_posts(cfg.content_dir / SOURCE_NAME)}


def test_a_scrape_after_an_import_updates_counters_and_keeps_the_exports_text_and_files(
    server, tmp_path: Path
):
    fake = server.fresh(count=COUNT)
    cfg = scrape_config(tmp_path, fake)
    export = _export(tmp_path)
    first = _import(cfg, export)
    assert first.new == COUNT
    fake.edits[25] = "EDITED ON TELEGRAM"
    summary = scrape_channels(cfg, [SOURCE_NAME])
    assert not summary.errors
    posts = _posts(cfg)
    assert set(posts) == set(range(1, COUNT + 1))
    for post_id in range(11, COUNT + 1):  # the newest page was read; older ids count as archived
        post = posts[post_id]
        assert post.text == f"Exported words of post {post_id}"
        assert post.extra[IMPORTED]
        assert post.views is not None, post_id
        assert post.source == f"https://t.me/{SOURCE_NAME}/{post_id}"
    assert posts[25].views == 9990 and "EDITED" not in posts[25].text
    folder = cfg.content_dir / SOURCE_NAME
    for post_id in range(3, COUNT + 1, 3):
        item = posts[post_id].media[0]
        assert (folder / item.file).read_bytes() == f"exported photo {post_id}".encode()
    assert not any(f"/cdn/{i}/" in request for i in range(3, COUNT + 1, 3) for request in fake.media_requests)
    again = _import(cfg, export)  # the export does not roll the counters back
    assert (again.new, again.updated, again.unchanged) == (0, 0, COUNT)
    assert _posts(cfg)[25].views == 9990


def test_an_import_after_a_scrape_takes_the_text_and_keeps_the_counters(server, tmp_path: Path):
    fake = server.fresh(count=COUNT)
    cfg = scrape_config(tmp_path, fake)
    assert not scrape_channels(cfg, [SOURCE_NAME]).errors
    scraped = _posts(cfg)
    result = _import(cfg, _export(tmp_path))
    assert (result.new, result.updated) == (0, COUNT)
    posts = _posts(cfg)
    for post_id, post in posts.items():
        assert post.text == f"Exported words of post {post_id}"
        assert post.views == scraped[post_id].views
        assert post.reactions == scraped[post_id].reactions
        assert post.link_preview == scraped[post_id].link_preview
    again = scrape_channels(cfg, [SOURCE_NAME])
    assert again.total("updated") == 0
    assert _posts(cfg) == posts
    build_site(Config(root=tmp_path, search=False))
    page = (tmp_path / "output" / SOURCE_NAME / "12" / "index.html").read_text(encoding="utf-8")
    assert "Exported words of post 12" in page


def test_merge_rules_keep_files_archived_by_either_source(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sitegen.archive import merge_post
    from sitegen.model import Media, Post

    folder = tmp_path / "chan"
    (folder / "media" / "5").mkdir(parents=True)
    (folder / "media" / "5" / "1.jpg").write_bytes(b"scraped")
    date = datetime(2024, 1, 1, tzinfo=UTC)
    scraped = Post(
        id=5, date=date, text="web text", views=10, media=[Media(kind="photo", file="media/5/1.jpg")]
    )
    exported = Post(id=5, date=date, text="export text", media=[Media(kind="photo", not_exported=True)])
    exported.extra[IMPORTED] = "abc"
    merged = merge_post(exported, scraped, folder, source="import")
    assert merged.text == "export text" and merged.views == 10
    assert merged.media[0].file == "media/5/1.jpg"  # the export left it out; the scrape had it
    rescraped = Post(
        id=5, date=date, text="web text edited", views=20, edited=True, media=[Media(kind="photo")]
    )
    final = merge_post(rescraped, merged, folder, source="scrape")
    assert final.text == "export text" and final.views == 20 and final.edited
    assert final.media[0].file == "media/5/1.jpg" and final.extra[IMPORTED] == "abc"
