"""Output bytes are the same whether a site is built cold, incrementally (cached) or in parallel."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.build import build_site
from sitegen.build import cache as cache_module
from sitegen.build.cache import CACHE_DIR, PARALLEL_MIN, PostStore
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


def record_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the pages rendered from now on in this process, in order."""
    rendered: list[str] = []
    real = Renderer.render_recorded

    def spy(self: Renderer, page: Page) -> tuple[str, frozenset, tuple[str, ...]]:
        rendered.append(page.path)
        return real(self, page)

    monkeypatch.setattr(Renderer, "render_recorded", spy)
    return rendered


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


@pytest.mark.parametrize("jobs", [1, 2])  # post files looked at here, or by a child process
def test_a_no_op_rebuild_writes_nothing_even_after_a_checkout_resets_mtimes(tmp_path: Path, jobs: int):
    make_site(tmp_path, range(1, 30))
    assert build(tmp_path, jobs=jobs) > 29
    for path in (tmp_path / "content").rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert build(tmp_path, jobs=jobs) == 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_change_of_the_same_size_and_mtime_is_rebuilt(tmp_path: Path, jobs: int) -> None:
    make_site(tmp_path, range(1, 30))
    build(tmp_path, jobs=jobs)
    path = tmp_path / "content" / CHANNEL / "posts" / "12.md"
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace("Запись 12".encode(), "Записи 12".encode()))
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert build(tmp_path, jobs=jobs) > 0
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


def test_media_replaced_in_content_or_in_output_is_put_in_place_again(tmp_path: Path) -> None:
    """The build keeps media it linked last time without looking at them (the output check does,
    in a child process): a file replaced on either side, by one of the same size, is still seen."""
    make_site(tmp_path, range(1, 30))
    build(tmp_path, jobs=2)
    source = tmp_path / "content" / CHANNEL / "media" / "14" / "1.jpg"
    copy = tmp_path / "output" / CHANNEL / "media" / "14" / "1.jpg"
    new = source.with_name("new.tmp")
    new.write_bytes(b"\xff\xd8\xff\xe1" + b"14")  # what a scrape does: a new file renamed into place
    os.replace(new, source)
    assert build(tmp_path, jobs=2) >= 1
    assert copy.read_bytes() == source.read_bytes()
    copy.unlink()  # by hand, in output/: another file of the same size
    copy.write_bytes(b"\x00" * len(source.read_bytes()))
    assert build(tmp_path, jobs=2) == 1
    assert copy.read_bytes() == source.read_bytes()
    other = tmp_path / "output" / CHANNEL / "media" / "21" / "1.jpg"
    other.unlink()
    add_post(tmp_path, make_post(30))  # a build that renders pages puts it back too
    build(tmp_path, jobs=2)
    assert other.read_bytes() == (tmp_path / "content" / CHANNEL / "media" / "21" / "1.jpg").read_bytes()
    assert os.stat(other).st_ino == os.stat(tmp_path / "content" / CHANNEL / "media" / "21" / "1.jpg").st_ino


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
    rendered = record_renders(monkeypatch)
    add_post(tmp_path, make_post(60))
    build(tmp_path, jobs=1)
    posts = sorted(p for p in rendered if re.fullmatch(rf"{CHANNEL}/\d+/index.html", p))
    assert posts == [f"{CHANNEL}/59/index.html", f"{CHANNEL}/60/index.html"]
    assert len(rendered) < 12, rendered


def test_a_new_post_loads_only_the_posts_its_changed_pages_show(tmp_path: Path, monkeypatch) -> None:
    """Issue 16: the build reads every post's compact head, and the full post (text, HTML) only for
    the posts of the pages it renders again, not every cached post."""
    make_site(tmp_path, range(1, 241))
    build(tmp_path, jobs=1)
    loaded: set[str] = set()
    real = PostStore.detail

    def spy(self: PostStore, key: str, *args: object) -> object:
        loaded.add(key)
        return real(self, key, *args)

    monkeypatch.setattr(PostStore, "detail", spy)
    add_post(tmp_path, make_post(241))
    assert build(tmp_path, jobs=1) > 0
    # the channel's home (up to 39 posts) and its newest page, the new post's month, the first page
    # of its tag (up to 100 posts), its neighbour: not the 240 others
    assert 0 < len(loaded) <= 120, len(loaded)


def test_a_cold_build_renders_from_the_posts_it_parsed_without_reading_them_back(
    tmp_path: Path, monkeypatch
) -> None:
    """A small site's cold build keeps the details it parsed (the render workers inherit them)
    instead of reading each post back from the post store for every page that shows it; above
    KEEP_PARSED posts it reads them back, and the bytes are the same."""
    loaded: list[str] = []
    real = PostStore.detail

    def spy(self: PostStore, key: str, *args: object) -> object:
        loaded.append(key)
        return real(self, key, *args)

    monkeypatch.setattr(PostStore, "detail", spy)
    kept, stored = tmp_path / "kept", tmp_path / "stored"
    for site in (kept, stored):
        make_site(site, range(1, POSTS + 1))
    build(kept, jobs=1)
    assert loaded == []
    monkeypatch.setattr(cache_module, "KEEP_PARSED", POSTS - 1)
    build(stored, jobs=1)
    assert len(loaded) >= POSTS  # every post page, at least, read its post back
    tree_kept, tree_stored = tree(kept / "output"), tree(stored / "output")
    assert len(tree_kept) > POSTS
    assert tree_kept == tree_stored
    monkeypatch.undo()
    parallel = tmp_path / "parallel"  # workers that render inherit the details: the same bytes
    make_site(parallel, range(1, POSTS + 1))
    build(parallel, jobs=2)
    assert tree(parallel / "output") == tree_kept


def test_a_broken_page_store_costs_a_full_build_not_an_error(tmp_path: Path) -> None:
    site, cold = tmp_path / "site", tmp_path / "cold"
    make_site(site, range(1, 30))
    build(site, jobs=1)
    (store,) = (site / CACHE_DIR).glob("pages-*.sqlite")
    store.write_bytes(b"not a database" * 100)
    add_post(site, make_post(30))
    build(site, jobs=1)
    assert build(site, jobs=1) == 0
    shutil.copytree(site / "content", cold / "content")
    build(cold, jobs=1)
    assert tree(site / "output") == tree(cold / "output")


def test_a_post_store_that_no_longer_matches_its_index_is_read_from_the_files(tmp_path: Path) -> None:
    """A frame is taken for a post only when it names the post's key: a store swapped or
    garbled under the index (a killed build, a copied cache) costs parsing, never wrong pages."""
    site, cold = tmp_path / "site", tmp_path / "cold"
    make_site(site, range(1, 30))
    build(site, jobs=1)
    (store,) = (site / CACHE_DIR).glob("posts-*.frames")
    data = bytearray(store.read_bytes())
    for i in range(200, len(data), 7):  # the header stays, every frame is garbled
        data[i] ^= 0x5A
    store.write_bytes(bytes(data))
    add_post(site, make_post(30))
    (site / "templates").mkdir()  # and a change every page shows: every post is read again
    (site / "templates" / "post.html").write_text(
        '{% extends "!default/post.html" %}{% block footer %}<p>v2</p>{% endblock %}', encoding="utf-8"
    )
    build(site, jobs=1)
    shutil.copytree(site / "content", cold / "content")
    shutil.copytree(site / "templates", cold / "templates")
    build(cold, jobs=1)
    assert tree(site / "output") == tree(cold / "output")


# --- Property: incremental == cold for any templates and any sequence of edits -----------------
#
# Hypothesis writes template overrides that read arbitrary context (the channel and its posts,
# tags, months, neighbours, replies, settings, UI strings, other channels; through includes,
# imported macros, filters), then applies random edits and after each one compares an incremental
# build with a cold build of the same input, byte for byte. A few dozen examples by default;
# SITEGEN_LONG_PROPERTY=1 runs 1,000 (about half an hour on two cores).

SNIPPETS = (
    "{{ sections|length }}",
    "{% for s in sections %}{{ s.name }}:{{ s.posts|length }}:{{ s.channel.description }};{% endfor %}",
    "{{ config.posts_per_page }}|{{ config.title }}|{{ config.language }}|{{ config.timezone }}",
    "{{ ui.home }}|{{ t('posts_count', n=2) }}|{{ lang.code }}",
    "{{ page.path }}|{{ page.context.get('page_number') }}",
    "{% if section is defined %}{{ section.posts|length }}{% endif %}",
    "{% if section is defined and section.posts %}{{ (section.posts|last).title }}{% endif %}",
    "{% if section is defined and section.posts %}"
    "{{ section.posts[0].newer.summary if section.posts[0].newer }}{% endif %}",
    "{% if section is defined %}{{ section.tags|list|join(',') }}{% endif %}",
    "{% if section is defined %}{% for k, v in section.months.items() %}{{ k[0] }}-{{ k[1] }}={{ v|length }},"
    "{% endfor %}{% endif %}",
    "{% if section is defined %}"
    "{{ section.tags.get('news', [])|map(attribute='title')|join('/') }}{% endif %}",
    "{% if section is defined and 'фото' in section.tags %}{{ section.tags['фото']|length }}{% endif %}",
    "{% if section is defined %}{% for p in section.posts %}{{ p.post.views }},{% endfor %}{% endif %}",
    "{% if section is defined %}{{ section.avatar_href }}|{{ section.channel.title }}{% endif %}",
    "{% if view is defined %}{{ view.older.older.title if view.older and view.older.older }}{% endif %}",
    "{% if view is defined %}{{ view.newer.summary if view.newer }}|{% set r = view.post.reply_to %}"
    "{% if r %}{% set target = archive.post(r.channel, r.id) %}{{ target.title if target }}{% endif %}"
    "{% endif %}",
    # a link to a post that edits add and delete: resolved at render time (archive.py)
    "{% if view is defined %}"
    "{{ archive.href('https://t.me/' ~ view.post.channel ~ '/' ~ (view.post.id + 1)) }}"
    "{{ view.html|in_archive }}{% endif %}",
    "{% if view is defined %}"
    "{{ view|post_title }}|{{ view.tags|join(' ') }}|{{ view.post.views }}{% endif %}",
    "{% if view is defined %}{{ view.newer.newer.newer.post.views if view.newer and view.newer.newer and "
    "view.newer.newer.newer }}{% endif %}",
    "{% if view is defined %}{% for m in view.media %}{{ m.state }}{% endfor %}{% endif %}",
    "{% if posts is defined %}{{ posts|map(attribute='post.views')|sum }}{% endif %}",
    "{% if posts is defined and posts %}{{ (posts|first).newer.title if (posts|first).newer }}{% endif %}",
    "{% if posts is defined %}{{ posts|sort(attribute='title')|map(attribute='path')|join(',') }}{% endif %}",
    "{% include 'extra.html' %}",
    "{% from 'macros.html' import show %}{% if section is defined %}{{ show(section) }}{% endif %}",
)
TEMPLATE_FILES = ("base.html", "post.html", "extra.html", "macros.html")


def _template_text(name: str, picks: list[int]) -> str:
    """A site template made of the chosen snippets (includes and imports only where they cannot
    loop; a macro imported without context sees its argument and the globals, not ``page``)."""
    allowed = range(len(SNIPPETS)) if name in ("base.html", "post.html") else range(len(SNIPPETS) - 2)
    body = "".join(SNIPPETS[i] for i in picks if i in allowed and not (name == "macros.html" and i == 4))
    if name == "base.html":
        return f'{{% extends "!default/base.html" %}}{{% block footer %}}<p>{body}</p>{{% endblock %}}'
    if name == "post.html":
        main = f"{{{{ super() }}}}<p>{body}</p>"
        return f'{{% extends "!default/post.html" %}}{{% block main %}}{main}{{% endblock %}}'
    if name == "macros.html":
        return "{% macro show(section) %}" + body + "{% endmacro %}"
    return f"<i>{body}</i>"


def _property_post(number: int, seed: int) -> Post:
    """A small post whose text, tags, views, reply and photo vary with ``seed``."""
    tags = " ".join(f"#{TAGS[k]}" for k in range(len(TAGS)) if seed >> k & 1)
    post = Post(
        id=number,
        channel=CHANNEL,
        date=START + timedelta(days=11 * number, hours=seed % 24),
        text=f"Запись {number} v{seed % 5}\n\n{tags}",
        views=seed,
        source=f"https://t.me/{CHANNEL}/{number}",
    )
    if seed % 3 == 0 and number > 1:
        post.reply_to = ReplyTo(channel=CHANNEL, id=1 + seed % (number - 1))
    if seed % 4 == 0:
        post.media = [Media(kind="photo", file=f"media/{number}/1.jpg", width=4, height=3)]
    return post


EDIT = st.one_of(
    st.tuples(st.just("add"), st.integers(0, 255)),
    st.tuples(st.just("change"), st.integers(0, 10_000)),
    st.tuples(st.just("delete"), st.integers(0, 10_000)),
    st.tuples(st.just("media"), st.integers(0, 10_000)),
    st.tuples(
        st.just("template"), st.sampled_from(TEMPLATE_FILES), st.lists(st.integers(0, len(SNIPPETS) - 1))
    ),
    st.tuples(st.just("settings"), st.sampled_from([2, 3, 20]), st.sampled_from(["en", "ru"])),
    st.tuples(st.just("timezone"), st.sampled_from(["UTC", "Asia/Vladivostok"])),
    st.tuples(st.just("header"), st.text("абв xyz", max_size=5)),
    st.tuples(st.just("channel"), st.booleans()),
)


def _apply(site: Path, settings_: dict, edit: tuple) -> None:
    """Apply one edit to the site's content, templates or settings."""
    posts = site / "content" / CHANNEL / "posts"
    numbers = sorted(int(p.stem) for p in posts.glob("*.md"))
    kind, arg = edit[0], edit[1]
    if kind == "add":
        add_post(site, _property_post((numbers[-1] if numbers else 0) + 1, arg))
    elif kind == "change" and numbers:
        add_post(site, _property_post(numbers[arg % len(numbers)], arg // 7))
    elif kind == "delete" and numbers:
        (posts / f"{numbers[arg % len(numbers)]}.md").unlink()
    elif kind == "media" and numbers:
        photo = site / "content" / CHANNEL / "media" / str(numbers[arg % len(numbers)]) / "1.jpg"
        if photo.exists():
            photo.unlink()
        else:
            photo.parent.mkdir(parents=True, exist_ok=True)
            photo.write_bytes(b"\xff\xd8\xff\xe0")
    elif kind == "template":
        (site / "templates" / arg).write_text(_template_text(arg, edit[2]), encoding="utf-8")
    elif kind == "settings":
        settings_.update(posts_per_page=arg, language=edit[2])
    elif kind == "timezone":
        settings_["timezone"] = arg
    elif kind == "header":
        write_channel(site / "content" / CHANNEL, Channel(username=CHANNEL, title="Город", description=arg))
    elif kind == "channel":
        other = site / "content" / "drugoy"
        if arg:
            write_channel(other, Channel(username="drugoy", title="Другой"))
            write_post(other, Post(id=1, channel="drugoy", date=START, text="Другой канал #news", views=1))
        else:
            shutil.rmtree(other, ignore_errors=True)


def _build_with(site: Path, settings_: dict) -> None:
    cfg = Config(root=site, search=False, base_url="https://example.org/a/", **settings_)
    build_site(cfg, jobs=1)


@settings(
    max_examples=1000 if os.environ.get("SITEGEN_LONG_PROPERTY") else 30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    first=st.lists(st.integers(0, 255), min_size=0, max_size=8),
    templates=st.dictionaries(
        st.sampled_from(TEMPLATE_FILES), st.lists(st.integers(0, len(SNIPPETS) - 1), max_size=6)
    ),
    edits=st.lists(EDIT, min_size=1, max_size=4),
)
def test_property_incremental_builds_equal_cold_builds_for_any_templates(
    first: list[int], templates: dict[str, list[int]], edits: list[tuple]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        write_channel(
            site / "content" / CHANNEL, Channel(username=CHANNEL, title="Город", description="Канал")
        )
        (site / "content" / CHANNEL / "posts").mkdir(parents=True)
        for number, seed in enumerate(first, start=1):
            add_post(site, _property_post(number, seed))
        (site / "templates").mkdir()
        for name in TEMPLATE_FILES:
            (site / "templates" / name).write_text(
                _template_text(name, templates.get(name, [])), encoding="utf-8"
            )
        settings_: dict = {"posts_per_page": 3}
        _build_with(site, settings_)
        for step, edit in enumerate(edits):
            _apply(site, settings_, edit)
            _build_with(site, settings_)
            cold = Path(folder) / f"cold{step}"
            shutil.copytree(site / "content", cold / "content")
            shutil.copytree(site / "templates", cold / "templates")
            _build_with(cold, settings_)
            assert tree(site / "output") == tree(cold / "output"), edit


def test_a_post_on_several_lists_is_rendered_into_a_list_item_once(tmp_path: Path, monkeypatch) -> None:
    """A post's list item (title, date, excerpt) is rendered once a build and shared by its tag
    pages and its month's page, each of which links the post from where it is."""
    make_site(tmp_path, range(1, 40))
    rendered: list[str] = []
    real = Renderer.list_entry

    def spy(self: Renderer, view: object) -> tuple[str, str]:
        rendered.append(view.path)  # type: ignore[attr-defined]
        return real(self, view)

    monkeypatch.setattr(Renderer, "list_entry", spy)
    build(tmp_path, jobs=1)
    assert len(rendered) == len(set(rendered)) > 30
    post = make_post(5)  # two tags, so three lists
    tags = re.findall(r"#(\w+)", post.text)
    assert len(tags) == 2
    lists = [f"{CHANNEL}/tags/{tag}/index.html" for tag in tags]
    lists.append(f"{CHANNEL}/{post.date.year:04d}/{post.date.month:02d}/index.html")
    for path in lists:
        html = (tmp_path / "output" / path).read_text(encoding="utf-8")
        href = "../" * path.count("/") + f"{CHANNEL}/5/index.html"
        assert f'<li><a href="{href}">Запись 5 🚀 важно' in html, path


def test_a_page_store_its_child_process_failed_to_write_is_written_by_the_build(
    tmp_path: Path, monkeypatch
) -> None:
    """The page store is written by a child process while media are copied; when that child dies,
    the build writes it itself, and the next build still renders only what changed."""
    parent = os.getpid()
    real = cache_module._save_page_store

    def dies_in_a_child(cache: object, pages: set[str]) -> str:
        if os.getpid() != parent:
            os._exit(3)
        return real(cache, pages)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "_save_page_store", dies_in_a_child)
    monkeypatch.setattr(cache_module, "SAVE_IN_CHILD", 1)  # a small site's records too
    make_site(tmp_path, range(1, POSTS))
    build(tmp_path, jobs=2)
    monkeypatch.undo()
    rendered = record_renders(monkeypatch)
    add_post(tmp_path, make_post(POSTS))
    build(tmp_path, jobs=1)
    assert 0 < len(rendered) < 12, rendered  # what the page store says changed: not every page
    cold = tmp_path / "cold"
    shutil.copytree(tmp_path / "content", cold / "content")
    build(cold, jobs=1)
    assert tree(tmp_path / "output") == tree(cold / "output")
