"""Output bytes are the same whether a site is built cold, incrementally (cached) or in parallel."""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sitegen.build import build_site
from sitegen.build.cache import CACHE_DIR, PARALLEL_MIN
from sitegen.build.pages import Page
from sitegen.build.render import Renderer
from sitegen.config import Config
from sitegen.content import write_channel, write_post
from sitegen.model import Channel, LinkPreview, Media, Post, Reaction, ReplyTo

CHANNEL = "gorod"
START = datetime(2021, 11, 20, 8, 30, tzinfo=UTC)
TAGS = ("анонс", "news", "погода", "фото")
POSTS = PARALLEL_MIN + 40  # enough for the build to fork workers when allowed


def make_post(number: int) -> Post:
    """Post ``number``: every third day, tags, links, a photo in every seventh, replies now and then."""
    tags = " ".join(f"#{TAGS[(number + k) % len(TAGS)]}" for k in range(number % 3))
    post = Post(
        id=number,
        channel=CHANNEL,
        date=START + timedelta(days=3 * number, hours=number % 24),
        text=f"Запись {number} 🚀 **важно** see https://example.org/{number} и ||спойлер||\n\n{tags}",
        views=37 * number,
        reactions=[Reaction("👍", number)],
        source=f"https://t.me/{CHANNEL}/{number}",
    )
    if number % 7 == 0:
        post.media = [Media(kind="photo", file=f"media/{number}/1.jpg", width=4, height=3)]
    if number % 11 == 0:
        post.reply_to = ReplyTo(channel=CHANNEL, id=number - 5)
    if number % 13 == 0:
        post.link_preview = LinkPreview(url=f"https://example.org/{number}", title=f"Статья {number}")
    return post


def add_post(site: Path, post: Post) -> None:
    """Write a post (and its photo) into the site's content folder."""
    folder = site / "content" / CHANNEL
    write_post(folder, post)
    for item in post.media:
        path = folder / item.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8\xff\xe0" + str(post.id).encode())


def make_site(site: Path, numbers: range) -> None:
    """A one-channel site with the given posts."""
    write_channel(site / "content" / CHANNEL, Channel(username=CHANNEL, title="Город", description="Канал"))
    for number in numbers:
        add_post(site, make_post(number))


def build(site: Path, jobs: int) -> int:
    """Build ``site`` into site/output with ``jobs`` processes; return how many files were written."""
    cfg = Config(root=site, search=False, base_url="https://example.org/archive/")
    return build_site(cfg, jobs=jobs).written


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_parallel_build_makes_the_same_bytes_as_a_serial_build(tmp_path: Path) -> None:
    for name in ("serial", "parallel"):
        make_site(tmp_path / name, range(1, POSTS + 1))
    build(tmp_path / "serial", jobs=1)
    build(tmp_path / "parallel", jobs=2)
    serial, parallel = tree(tmp_path / "serial" / "output"), tree(tmp_path / "parallel" / "output")
    assert len(serial) > POSTS
    assert serial == parallel


def test_incremental_builds_make_the_same_bytes_as_a_cold_build(tmp_path: Path) -> None:
    incremental, cold = tmp_path / "incremental", tmp_path / "cold"
    make_site(incremental, range(1, POSTS - 25))
    build(incremental, jobs=2)
    # New posts (a new month, a new page), an edited post, a deleted post, a new tag on an old post.
    for number in range(POSTS - 25, POSTS + 1):
        add_post(incremental, make_post(number))
    edited = make_post(30)
    edited.text = "Исправленный текст #новыйтег"
    add_post(incremental, edited)
    (incremental / "content" / CHANNEL / "posts" / "44.md").unlink()
    build(incremental, jobs=2)
    shutil.copytree(incremental / "content", cold / "content")
    build(cold, jobs=1)
    assert (cold / "output" / CHANNEL / "tags" / "новыйтег" / "index.html").exists()
    assert not (incremental / "output" / CHANNEL / "44" / "index.html").exists()
    assert tree(incremental / "output") == tree(cold / "output")


def test_a_no_op_rebuild_writes_nothing_even_after_a_checkout_resets_mtimes(tmp_path: Path) -> None:
    make_site(tmp_path, range(1, 30))
    assert build(tmp_path, jobs=1) > 29
    for path in (tmp_path / "content").rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert build(tmp_path, jobs=1) == 0


def test_a_change_of_the_same_size_and_mtime_is_rebuilt(tmp_path: Path) -> None:
    make_site(tmp_path, range(1, 30))
    build(tmp_path, jobs=1)
    path = tmp_path / "content" / CHANNEL / "posts" / "12.md"
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace("Запись 12".encode(), "Записи 12".encode()))
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert build(tmp_path, jobs=1) > 0
    assert "Записи 12" in (tmp_path / "output" / CHANNEL / "12" / "index.html").read_text(encoding="utf-8")


def test_a_template_override_rebuilds_the_pages_it_changes(tmp_path: Path) -> None:
    make_site(tmp_path, range(1, 30))
    build(tmp_path, jobs=1)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "post.html").write_text(
        '{% extends "!default/post.html" %}{% block footer %}<p>Свой подвал</p>{% endblock %}',
        encoding="utf-8",
    )
    build(tmp_path, jobs=1)
    assert "Свой подвал" in (tmp_path / "output" / CHANNEL / "12" / "index.html").read_text(encoding="utf-8")


def test_clean_drops_the_cache_and_a_lost_output_folder_is_rebuilt(tmp_path: Path) -> None:
    make_site(tmp_path, range(1, 30))
    build(tmp_path, jobs=1)
    assert (tmp_path / CACHE_DIR).is_dir()
    before = tree(tmp_path / "output")
    shutil.rmtree(tmp_path / "output")
    build(tmp_path, jobs=1)
    assert tree(tmp_path / "output") == before
    build_site(
        Config(root=tmp_path, search=False, base_url="https://example.org/archive/"), clean=True, jobs=1
    )
    assert tree(tmp_path / "output") == before


def test_a_post_cache_cut_short_by_a_killed_build_is_rebuilt(tmp_path: Path) -> None:
    site, cold = tmp_path / "site", tmp_path / "cold"
    make_site(site, range(1, 30))
    build(site, jobs=1)
    (store,) = (site / CACHE_DIR).glob("posts-*")
    store.write_bytes(store.read_bytes()[:-150])
    add_post(site, make_post(30))
    assert build(site, jobs=1) > 0
    assert build(site, jobs=1) == 0
    shutil.copytree(site / "content", cold / "content")
    build(cold, jobs=1)
    assert tree(site / "output") == tree(cold / "output")


def test_a_no_op_build_puts_back_an_output_file_deleted_by_hand(tmp_path: Path) -> None:
    make_site(tmp_path, range(1, 30))
    build(tmp_path, jobs=1)
    page = tmp_path / "output" / CHANNEL / "12" / "index.html"
    before = page.read_bytes()
    page.unlink()
    assert build(tmp_path, jobs=1) == 1
    assert page.read_bytes() == before


def test_an_override_that_counts_the_channel_posts_is_current_on_every_post_page(tmp_path: Path) -> None:
    """Issue 14: a site's post.html showing {{ section.posts|length }} went stale on older posts."""
    site, cold = tmp_path / "site", tmp_path / "cold"
    make_site(site, range(1, 14))
    (site / "templates").mkdir()
    (site / "templates" / "post.html").write_text(
        '{% extends "!default/post.html" %}{% block footer %}<p>{{ section.posts|length }} posts</p>'
        "{% endblock %}",
        encoding="utf-8",
    )
    build(site, jobs=1)
    page = site / "output" / CHANNEL / "5" / "index.html"
    assert "<p>13 posts</p>" in page.read_text(encoding="utf-8")
    add_post(site, make_post(14))
    build(site, jobs=1)
    assert "<p>14 posts</p>" in page.read_text(encoding="utf-8")
    shutil.copytree(site / "content", cold / "content")
    shutil.copytree(site / "templates", cold / "templates")
    build(cold, jobs=1)
    assert tree(site / "output") == tree(cold / "output")


def test_a_new_post_renders_only_the_pages_that_show_it(tmp_path: Path, monkeypatch) -> None:
    """With the built-in theme, a new post re-renders its neighbour's page, not every post page."""
    make_site(tmp_path, range(1, 60))
    build(tmp_path, jobs=1)
    rendered: list[str] = []
    real = Renderer.render_recorded

    def spy(self: Renderer, page: Page) -> tuple[str, frozenset]:
        rendered.append(page.path)
        return real(self, page)

    monkeypatch.setattr(Renderer, "render_recorded", spy)
    add_post(tmp_path, make_post(60))
    build(tmp_path, jobs=1)
    posts = sorted(p for p in rendered if re.fullmatch(rf"{CHANNEL}/\d+/index.html", p))
    assert posts == [f"{CHANNEL}/59/index.html", f"{CHANNEL}/60/index.html"]
    assert len(rendered) < 12, rendered
