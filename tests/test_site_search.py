"""Full-text search: Pagefind indexes one small record per post, in bundles merged by the search page.

The index is queried with Pagefind's own pagefind.js in Node (tests/pagefind_query.mjs), the same
code the browser runs, merging the bundles the way the search page does, with fetch() reading the
index files from disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import sitegen.build.search as search_index
from sitegen.build import build_site
from sitegen.build.load import BuildError
from sitegen.config import Config
from tests.site_sample import build_rich, page, post_page

QUERY_SCRIPT = Path(__file__).resolve().parent / "pagefind_query.mjs"
BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich sample built in Russian with the search index."""
    root = tmp_path_factory.mktemp("search")
    output, report = build_rich(root, language="ru", search=True)
    assert report.searchable == 30  # every post page of both channels, nothing else
    return output


def search_many(folder: Path, queries: list[str]) -> dict[str, list[dict]]:
    """Run queries on a site's pagefind/ folder (or one bundle): {query: [{url, title, excerpt, score}]}."""
    node = shutil.which("node")
    assert node, "Node.js is needed to query the Pagefind index (it is installed with the browser tests)"
    result = subprocess.run(
        [node, str(QUERY_SCRIPT), str(folder), *queries],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout)


def search(out: Path, query: str) -> list[dict]:
    """One query against a built site's merged bundles."""
    return search_many(out / "pagefind", [query])[query]


def bundle_files(out: Path) -> dict[str, bytes]:
    """Every file of output/pagefind/, by path."""
    index = out / "pagefind"
    return {p.relative_to(index).as_posix(): p.read_bytes() for p in sorted(index.rglob("*")) if p.is_file()}


def test_index_is_built_for_russian_in_two_bundles(out: Path) -> None:
    # rich_demo's newest post is of April 2024: its month is one bundle, everything older another
    assert json.loads((out / "pagefind/bundles.json").read_text()) == {"bundles": ["recent", "archive-1"]}
    for bundle in ("recent", "archive-1"):
        assert (out / f"pagefind/{bundle}/pagefind.js").is_file()
        entry = json.loads((out / f"pagefind/{bundle}/pagefind-entry.json").read_text())
        assert set(entry["languages"]) == {"ru"}
    assert (out / "pagefind/recent/pagefind-ui.js").is_file()
    april = {r["url"] for r in search_many(out / "pagefind/recent", ["ракеты"])["ракеты"]}
    assert april == {"/rich_demo/25/"}  # the archive's rocket posts are in the other bundle


def test_an_inflected_russian_word_finds_its_posts(out: Path) -> None:
    urls = {r["url"] for r in search(out, "ракетой")}
    assert "/rich_demo/25/" in urls  # "Новые ракеты уже на стартовой площадке" (April: recent)
    assert "/rich_demo/19/" in urls  # "Исправленная новость о ракетах" (March: archive)


def test_the_channel_filter_counts_the_posts_of_each_channel(out: Path) -> None:
    filters = search_many(out / "pagefind", [])[""]
    assert filters == {"Канал": {"Богатый архив": 27, "Second demo": 3}}  # both bundles, summed


def test_results_are_post_pages_only(out: Path) -> None:
    results = search(out, "анонс")
    assert results
    for result in results:
        assert result["url"].rstrip("/").split("/")[-1].isdigit(), result
    titles = {r["title"] for r in results}
    assert "Новые ракеты уже на стартовой площадке #анонс" in titles


def test_english_posts_are_found_too(out: Path) -> None:
    assert {r["url"] for r in search(out, "launches")} == {"/second_demo/102/"}


def test_a_spoiler_is_never_found_nor_shown(out: Path) -> None:
    # rich_demo/2: "Секрет: ||ракеты летают на топливе|| — и ~~никак~~ иначе."
    assert "топливе" in post_page(out, 2).css_first("main").text()  # the page still has it, hidden
    assert search(out, "топливо") == []
    assert search(out, "летают") == []
    found = [r for r in search(out, "секрет") if r["url"] == "/rich_demo/2/"]
    assert found, "the post's other words are still found"
    assert "топлив" not in found[0]["excerpt"] and "летают" not in found[0]["excerpt"]
    assert "Спойлер" in found[0]["excerpt"]  # the placeholder stands where the hidden text was


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        ("The winner is ||Marigold|| this year", "The winner is [Spoiler: click to reveal] this year"),
        # a spoiler inside a link is a span of its own (markdown.py), hidden the same way
        (
            "The winner is [a ||Marigold|| horse](https://e.org) this year",
            "The winner is a [Spoiler: click to reveal] horse this year",
        ),
    ],
)
def test_a_spoiler_in_the_first_line_stays_out_of_the_result_title(
    tmp_path: Path, first_line: str, title: str
) -> None:
    content = tmp_path / "content/solo"
    (content / "posts").mkdir(parents=True)
    (content / "channel.yml").write_text("title: Solo\nusername: solo\n", encoding="utf-8")
    (content / "posts/1.md").write_text(
        "---\nid: 1\nchannel: solo\ndate: 2024-05-01T10:00:00+00:00\n---\n"
        f"{first_line}\n\nMore words about the race.\n",
        encoding="utf-8",
    )
    build_site(Config(root=tmp_path))
    results = search(tmp_path / "output", "race")
    assert [r["url"] for r in results] == ["/solo/1/"]
    assert "Marigold" not in results[0]["title"] + results[0]["excerpt"]
    assert results[0]["title"] == title
    assert search(tmp_path / "output", "marigold") == []


def test_only_post_pages_carry_the_search_body(out: Path) -> None:
    assert post_page(out, 25).css_first("main[data-pagefind-body]") is not None
    for path in (
        "index.html",
        "rich_demo/index.html",
        "rich_demo/tags/index.html",
        "rich_demo/2024/03/index.html",
    ):
        assert page(out, path).css_first("[data-pagefind-body]") is None, path


def test_every_page_has_a_labelled_search_box_leading_to_the_search_page(out: Path) -> None:
    for path, root in (("index.html", ""), ("rich_demo/25/index.html", "../../")):
        form = page(out, path).css_first("form[role=search]")
        assert form.attributes["action"] == f"{root}search.html"
        field = form.css_first("input[name=q]")
        assert form.css_first(f"label[for={field.attributes['id']}]") is not None
    search_page = page(out, "search.html")
    scripts = [s.attributes["src"] for s in search_page.css("script[src]")]
    assert "pagefind/recent/pagefind-ui.js" in scripts
    assert search_page.css_first("#search").attributes["data-bundles"] == "pagefind/"
    assert search_page.css_first("noscript") is not None


def test_turning_search_off_removes_the_index(out: Path, tmp_path: Path) -> None:
    shutil.copytree(out.parent / "content", tmp_path / "content")
    build_site(Config(root=tmp_path, search=True))
    assert (tmp_path / "output/pagefind/recent/pagefind.js").is_file()
    build_site(Config(root=tmp_path, search=False))
    assert not (tmp_path / "output/pagefind").exists()
    assert not (tmp_path / "output/search.html").exists()


def test_a_build_that_changed_nothing_puts_back_a_search_index_deleted_by_hand(
    out: Path, tmp_path: Path
) -> None:
    shutil.copytree(out.parent / "content", tmp_path / "content")
    cfg = Config(root=tmp_path, language="ru")
    output = tmp_path / "output"
    build_site(cfg)
    before = bundle_files(output)
    shutil.rmtree(output / "pagefind")
    build_site(cfg)
    assert bundle_files(output) == before
    (output / "pagefind/archive-1/pagefind-entry.json").unlink()  # one bundle's first file
    build_site(cfg)
    assert bundle_files(output) == before
    assert search(output, "ракетой")


def _wrap_pagefind(monkeypatch: pytest.MonkeyPatch, folder: Path, before: str) -> None:
    """From now on the build runs Pagefind through a shell script in ``folder`` that runs the
    shell lines ``before`` first (they see Pagefind's arguments as "$@")."""
    real = search_index.pagefind_executable()
    wrapper = folder / "pagefind"
    wrapper.write_text(f'#!/bin/sh\n{before}\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    monkeypatch.setattr(search_index, "pagefind_executable", lambda: str(wrapper))


def test_pagefind_runs_with_its_allocator_settings_unless_the_user_set_them(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the allocator settings cut Pagefind's time by a quarter: the variable must reach the run
    seen = tmp_path / "seen.txt"
    _wrap_pagefind(monkeypatch, tmp_path, f'printf "%s\\n" "${search_index.MALLOC_VARIABLE}" >> "{seen}"')
    monkeypatch.delenv(search_index.MALLOC_VARIABLE, raising=False)
    shutil.copytree(out.parent / "content", tmp_path / "content")
    build_site(Config(root=tmp_path, language="ru"))
    assert seen.read_text().split() == ["thp:always,metadata_thp:always,narenas:2"] * 2  # two bundles
    monkeypatch.setenv(search_index.MALLOC_VARIABLE, "narenas:1")
    seen.unlink()
    shutil.copytree(out.parent / "content", tmp_path / "again/content")
    build_site(Config(root=tmp_path / "again", language="ru"))
    assert seen.read_text().split() == ["narenas:1"] * 2


def _mtimes(out: Path) -> dict[str, int]:
    """The modification time of each bundle's entry file: it changes whenever Pagefind ran."""
    return {
        p.parent.name: p.stat().st_mtime_ns for p in sorted((out / "pagefind").glob("*/pagefind-entry.json"))
    }


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The bundles Pagefind runs for from now on (a bundle's name once per run: once per part)."""
    ran: list[str] = []
    real_start = search_index.start_bundle

    def start(site: Path, bundle: Path, part: int = 0) -> search_index.PagefindRun:
        ran.append(bundle.name)
        return real_start(site, bundle, part)

    monkeypatch.setattr(search_index, "start_bundle", start)
    return ran


def test_only_a_bundle_whose_text_changed_is_made_again(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = _pagefind_runs(monkeypatch)  # (the bundles not made again may be padded again, in Python)
    shutil.copytree(out.parent / "content", tmp_path / "content")
    cfg = Config(root=tmp_path, language="ru")
    output = tmp_path / "output"
    build_site(cfg)
    made = _mtimes(output)
    assert set(made) == {"recent", "archive-1"}

    # views and reactions are not searchable: no bundle is made again, no record written
    posts = tmp_path / "content/rich_demo/posts"
    _edit(posts / "2.md", "views: 1520", "views: 1999")
    _edit(posts / "25.md", "date:", "views: 77\ndate:")
    report = build_site(cfg)
    assert report.written >= 2 and report.searchable == 30  # the two post pages show the new views
    assert _mtimes(output) == made

    # a new post of the newest month: only the month's bundle is made again
    new = posts / "28.md"
    new.write_text(
        "---\nid: 28\nchannel: rich_demo\ndate: 2024-04-20T12:00:00+03:00\n---\nЗвездолёты прилетели.\n",
        encoding="utf-8",
    )
    assert build_site(cfg).searchable == 31
    after = _mtimes(output)
    assert after["archive-1"] == made["archive-1"] and after["recent"] != made["recent"]
    assert {r["url"] for r in search(output, "звездолётами")} == {"/rich_demo/28/"}

    # an edited old post: only the archive is made again (the month's bundle is padded again to
    # the archive's new statistics, without Pagefind)
    ran.clear()
    _edit(posts / "3.md", "\n---\n", "\n---\nПлутоний.\n")
    build_site(cfg)
    assert ran == ["archive-1"]
    assert {r["url"] for r in search(output, "плутоний")} == {"/rich_demo/3/"}

    # a deleted post leaves the index
    new.unlink()
    assert build_site(cfg).searchable == 30
    assert search(output, "звездолётами") == []


@pytest.mark.parametrize("shard_size", [search_index.SHARD_SIZE, 8])
def test_a_new_month_moves_the_last_one_into_the_archive_and_back(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shard_size: int
) -> None:
    monkeypatch.setattr(search_index, "SHARD_SIZE", shard_size)  # 8: the archive in several bundles
    shutil.copytree(out.parent / "content", tmp_path / "content")
    cfg = Config(root=tmp_path, language="ru")
    output = tmp_path / "output"
    build_site(cfg)
    (tmp_path / "content/rich_demo/posts/28.md").write_text(
        "---\nid: 28\nchannel: rich_demo\ndate: 2024-05-02T12:00:00+03:00\n---\nМайские новости.\n",
        encoding="utf-8",
    )
    build_site(cfg)
    recent = {r["url"] for r in search_many(output / "pagefind/recent", ["новости"])["новости"]}
    assert recent == {"/rich_demo/28/"}  # May is the newest month now
    assert "/rich_demo/25/" in {r["url"] for r in search(output, "ракеты")}  # April is in the archive

    # May's post goes: April is the newest month again, its posts come back out of the archive
    (tmp_path / "content/rich_demo/posts/28.md").unlink()
    assert build_site(cfg).searchable == 30
    recent = {r["url"] for r in search_many(output / "pagefind/recent", ["ракеты"])["ракеты"]}
    assert "/rich_demo/25/" in recent
    assert "/rich_demo/28/" not in {r["url"] for r in search(output, "новости")}


def test_a_new_month_indexes_only_the_end_of_the_archive_again(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive is split oldest first, so the first post of a new month adds the last month's
    posts to the last archive bundle (or a new one): Pagefind runs for those and the new month
    only; the older bundles are padded again without it, and every bundle is as a cold build's."""
    monkeypatch.setattr(search_index, "SHARD_SIZE", 8)
    content = tmp_path / "content"
    shutil.copytree(out.parent / "content", content)
    steps = Config(root=tmp_path, language="ru", output="steps")
    build_site(steps)
    before = json.loads((tmp_path / "steps/pagefind/bundles.json").read_text())["bundles"]
    assert len(before) >= 4  # recent and at least three archive bundles
    ran = _pagefind_runs(monkeypatch)
    (content / "rich_demo/posts/28.md").write_text(  # a new month: April's posts move to the archive
        "---\nid: 28\nchannel: rich_demo\ndate: 2024-05-02T12:00:00+03:00\n---\nМайские новости.\n",
        encoding="utf-8",
    )
    build_site(steps)
    after = json.loads((tmp_path / "steps/pagefind/bundles.json").read_text())["bundles"]
    last = max(int(tier.removeprefix("archive-")) for tier in before if tier != "recent")
    assert "recent" in ran
    assert sorted(set(ran) - {"recent"}) == [t for t in after if t != "recent" and int(t[8:]) >= last]
    assert "archive-1" not in ran
    # the archive's order: every post of archive-1 is older than every post of the last bundle
    records = search_index.records_folder(tmp_path / "steps", tmp_path / ".sitegen-cache")
    first, final = (search_index.load_records(records, tier) for tier in ("archive-1", after[-1]))
    assert len(first) == 8 and 0 < len(final) <= 8

    def post_date(path: str) -> datetime:  # "rich_demo/12/index.html": from its post file
        channel, number = path.split("/")[:2]
        text = (content / channel / "posts" / f"{number}.md").read_text(encoding="utf-8")
        return datetime.fromisoformat(text.split("\ndate: ", 1)[1].split("\n", 1)[0])

    assert max(map(post_date, first)) <= min(map(post_date, final))
    cold = Config(root=tmp_path, language="ru", output="cold")
    build_site(cold, clean=True)
    assert bundle_files(tmp_path / "steps") == bundle_files(tmp_path / "cold")


def test_an_archive_back_in_one_bundle_is_not_left_padded(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive that fills exactly one bundle gets a second one with a new month, its first padded
    to both; when the new month's post goes, the first bundle (the same records) is alone again and
    must be Pagefind's own, as a cold build makes it."""
    content = tmp_path / "content"
    shutil.copytree(out.parent / "content", content)
    build_site(Config(root=tmp_path, language="ru", output="probe"))
    records = search_index.records_folder(tmp_path / "probe", tmp_path / ".sitegen-cache")
    monkeypatch.setattr(search_index, "SHARD_SIZE", len(search_index.load_records(records, "archive-1")))
    steps = Config(root=tmp_path, language="ru", output="steps")
    build_site(steps)
    may = content / "rich_demo/posts/28.md"
    may.write_text(
        "---\nid: 28\nchannel: rich_demo\ndate: 2024-05-02T12:00:00+03:00\n---\nМайские новости.\n",
        encoding="utf-8",
    )
    build_site(steps)
    assert json.loads((tmp_path / "steps/pagefind/bundles.json").read_text())["bundles"][-1] == "archive-2"
    may.unlink()
    build_site(steps)
    build_site(Config(root=tmp_path, language="ru", output="cold"))
    assert bundle_files(tmp_path / "steps") == bundle_files(tmp_path / "cold")


def test_a_build_that_fails_while_moving_records_between_bundles_is_followed_by_a_whole_one(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "SHARD_SIZE", 8)
    content = tmp_path / "content"
    shutil.copytree(out.parent / "content", content)
    steps = Config(root=tmp_path, language="ru", output="steps")
    build_site(steps)
    (content / "rich_demo/posts/28.md").write_text(  # a new month: April's posts move to the archive
        "---\nid: 28\nchannel: rich_demo\ndate: 2024-05-02T12:00:00+03:00\n---\nМайские новости.\n",
        encoding="utf-8",
    )
    save = search_index._save_records
    saved: list[Path] = []

    def fail_on_the_second(path: Path, records: dict) -> None:
        if saved:
            raise OSError(28, "No space left on device")
        saved.append(path)
        save(path, records)

    monkeypatch.setattr(search_index, "_save_records", fail_on_the_second)
    with pytest.raises(BuildError, match="No space left on device"):
        build_site(steps)
    monkeypatch.setattr(search_index, "_save_records", save)
    build_site(steps)
    cold = Config(root=tmp_path, language="ru", output="cold")
    build_site(cold, clean=True)
    assert bundle_files(tmp_path / "steps") == bundle_files(tmp_path / "cold")


@pytest.mark.parametrize(
    ("shard_size", "large", "part_size"),
    [(search_index.SHARD_SIZE, False, search_index.PART_SIZE), (8, False, 8), (8, True, 8), (8, False, 3)],
)
def test_cold_and_incremental_builds_make_the_same_bundles(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shard_size: int, large: bool, part_size: int
) -> None:
    """A site built step by step (posts added, edited, views changed, posts deleted; two processes)
    gets the same search bundles, byte for byte, as the same content built from nothing; also with
    the archive in several bundles (8 posts each), padded again when another one changed; as a
    large site builds them: records made and bundles padded half here, half in a forked child; and
    with each bundle indexed in parts (two Pagefind runs at a time, or one after the other) and merged."""
    monkeypatch.setattr(search_index, "SHARD_SIZE", shard_size)
    monkeypatch.setattr(search_index, "PART_SIZE", part_size)
    children = tmp_path / "children.txt"  # the processes that made records and padded bundles
    if large:
        monkeypatch.setattr(search_index, "PARALLEL_RECORDS", 0)
        monkeypatch.setattr(search_index, "SHARED_MIN", 1)
        for name in ("_make_records", "_pad_all"):
            real = getattr(search_index, name)

            def noted(*args: object, real=real, name=name) -> object:  # type: ignore[no-untyped-def]
                with children.open("a") as handle:
                    handle.write(f"{name} {os.getpid()}\n")
                return real(*args)

            monkeypatch.setattr(search_index, name, noted)
    content = tmp_path / "content"
    shutil.copytree(out.parent / "content", content)
    posts = content / "rich_demo/posts"
    held = {name: (posts / name).read_bytes() for name in ("24.md", "25.md", "26.md", "7.md")}
    for name in held:
        (posts / name).unlink()
    steps = Config(root=tmp_path, language="ru", output="steps")
    build_site(steps, jobs=2)
    for name, data in held.items():  # the newest month comes back, and an old post
        (posts / name).write_bytes(data)
        build_site(steps, jobs=2)
    _edit(posts / "2.md", "views: 1520", "views: 3000")
    _edit(posts / "3.md", "\n---\n", "\n---\nПлутоний.\n")
    build_site(steps, jobs=2)
    (posts / "4.md").unlink()
    build_site(steps, jobs=2)
    cold = Config(root=tmp_path, language="ru", output="cold")
    build_site(cold, clean=True, jobs=1)
    assert bundle_files(tmp_path / "steps") == bundle_files(tmp_path / "cold")
    bundles = json.loads((tmp_path / "cold/pagefind/bundles.json").read_text())["bundles"]
    assert len(bundles) == (2 if shard_size > 100 else 4)
    if large:  # both halves of each job were done, and some in another process
        made = {tuple(line.split()) for line in children.read_text().splitlines()}
        for name in ("_make_records", "_pad_all"):
            assert (name, str(os.getpid())) in made
            assert any(job == name and pid != str(os.getpid()) for job, pid in made)


# --- results quality: the merged bundles against one single index -------------------------------

sys.path.insert(0, str(BENCH))
try:
    from quality import QUERIES as QUALITY_QUERIES  # shared with bench/search_step.py
    from quality import agreement as _agreement
finally:
    sys.path.remove(str(BENCH))


def _records(output: Path, root: Path, tiers: list[str]) -> Path:
    """A folder of the search records of these tiers of a site built into ``output``."""
    records = search_index.records_folder(output, root / ".sitegen-cache")
    union: dict[str, tuple[str, bytes]] = {}
    for tier in tiers:
        union.update(search_index.load_records(records, tier))
    folder = root / f"records-{output.name}-{len(tiers)}"
    search_index.write_records(union, folder)
    return folder


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated Russian channel of 1,500 posts over six years, built twice: as sitegen lays out
    the bundles (the newest month, and the archive in one bundle), and with the archive split in
    five bundles (as a site of over 80,000 posts is), each indexed in three parts and merged (as
    every archive bundle of such a site is); and one single index of the same records."""
    sys.path.insert(0, str(BENCH))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(BENCH))
    root = tmp_path_factory.mktemp("quality")
    generate(root / "content", 1500, "quality")
    build_site(Config(root=root, language="ru"))
    saved = search_index.SHARD_SIZE, search_index.PART_SIZE
    search_index.SHARD_SIZE, search_index.PART_SIZE = 300, 120
    try:
        build_site(Config(root=root, language="ru", output="sharded"), jobs=2)
    finally:
        search_index.SHARD_SIZE, search_index.PART_SIZE = saved
    union = _records(root / "output", root, ["recent", "archive-1"])
    assert search_index.build_bundle(union, root / "single") == 1500
    return root


def test_merged_bundles_find_what_one_index_finds_and_rank_alike(generated: Path) -> None:
    # every bundle, the newest month's too, scores with the whole site's statistics: a query's top
    # 10 is one index's (the month's few posts, scored on their own, had outranked the archive's)
    bundles = json.loads((generated / "output/pagefind/bundles.json").read_text())["bundles"]
    assert bundles == ["recent", "archive-1"]
    merged = search_many(generated / "output/pagefind", QUALITY_QUERIES)
    single = search_many(generated / "single", QUALITY_QUERIES)
    shares = []
    for query in QUALITY_QUERIES:
        assert merged[query], f"{query!r} finds nothing: not a useful query"
        assert {r["url"] for r in merged[query]} == {r["url"] for r in single[query]}, query
        shares.append(_agreement(merged[query], single[query]))
    assert sum(shares) / len(shares) >= 0.98, dict(zip(QUALITY_QUERIES, shares, strict=True))


def test_an_archive_in_several_bundles_finds_what_one_index_finds_and_ranks_alike(generated: Path) -> None:
    # each archive bundle is padded to the whole archive's statistics, so it scores as one index
    bundles = json.loads((generated / "sharded/pagefind/bundles.json").read_text())["bundles"]
    assert bundles == ["recent", "archive-1", "archive-2", "archive-3", "archive-4", "archive-5"]
    merged = search_many(generated / "sharded/pagefind", QUALITY_QUERIES)
    single = search_many(generated / "single", QUALITY_QUERIES)
    shares = []
    for query in QUALITY_QUERIES:
        assert {r["url"] for r in merged[query]} == {r["url"] for r in single[query]}, query
        shares.append(_agreement(merged[query], single[query]))
    assert sum(shares) / len(shares) >= 0.98, dict(zip(QUALITY_QUERIES, shares, strict=True))


def _bundle_contents(bundle: Path) -> dict[str, object]:
    """What a bundle holds, whatever order Pagefind numbered its pages in: each language's pages
    (fragment and word count), each word's pages (by fragment) with their word locations and its
    variants', the filters' pages (by fragment), the meta fields, the fragment files, and its files
    and folders (one meta a language)."""
    raw = search_index.capture_raw(bundle)
    held: dict[str, object] = {
        "fragments": sorted(p.name for p in (bundle / "fragment").iterdir()),
        "files": sorted("meta" if p.suffix == ".pf_meta" else p.name for p in bundle.iterdir()),
    }
    for language, own in raw.items():
        names = [page[0] for page in own.meta[1]]

        def located(pages: list, names: list = names) -> list:
            found, number = [], 0
            for item in pages:
                number += item[0]
                found.append((names[number], repr(item[1:])))
            return sorted(found)

        words = {}
        for word, data in own.entries.items():
            entry = search_index.cbor_decode(data)[0]
            variants = sorted((name, located(pages)) for name, pages in (entry[2] if len(entry) > 2 else []))
            words[word] = (located(entry[1]), variants)
        filters = {
            name: {value: sorted(names[page] for page in pages) for value, pages in values}
            for name, values in search_index._read_filters(bundle, own.meta).items()
        }
        held[language] = (sorted(map(tuple, own.meta[1])), words, own.sizes, filters, own.meta[4:])
    return held


def test_a_tier_indexed_in_parts_is_the_bundle_one_run_makes(generated: Path, tmp_path: Path) -> None:
    # a large tier is indexed in parts (two Pagefind runs at a time, each with half the memory)
    # and the parts merged: the same pages, words, word locations, variants and filters as one
    # run over the whole tier, and the same results
    records = search_index.records_folder(generated / "output", generated / ".sitegen-cache")
    tier = search_index.load_records(records, "archive-1")
    paths = sorted(tier)
    assert len(paths) > 1000
    search_index.write_records(tier, tmp_path / "whole")
    assert search_index.build_bundle(tmp_path / "whole", tmp_path / "single") == len(paths)
    parts = [paths[: len(paths) // 3], paths[len(paths) // 3 : 600], paths[600:]]
    runs = []
    for number, part in enumerate(parts):
        search_index.write_records({path: tier[path] for path in part}, tmp_path / f"part{number}")
        runs.append(search_index.start_bundle(tmp_path / f"part{number}", tmp_path / "merged", number))
    assert [search_index.finish_run(run) for run in runs] == [len(part) for part in parts]
    merged = search_index.merge_bundles([run.fresh for run in runs])
    search_index.swap_in(runs[0].fresh, tmp_path / "merged")
    assert not [run.fresh for run in runs[1:] if any(run.fresh.rglob("*.pf_fragment"))]  # moved over
    expected = _bundle_contents(tmp_path / "single")
    assert "ru" in expected and len(expected["ru"][1]) > 500  # type: ignore[arg-type]
    assert any(variants for _, variants in expected["ru"][1].values())  # type: ignore[union-attr]
    assert _bundle_contents(tmp_path / "merged") == expected
    # the merged index returned is the one written
    written = search_index.capture_raw(tmp_path / "merged")["ru"]
    assert (merged["ru"].meta, merged["ru"].entries, merged["ru"].words) == (
        written.meta,
        written.entries,
        written.words,
    )
    entry = json.loads((tmp_path / "merged/pagefind-entry.json").read_text())
    assert entry["languages"]["ru"]["page_count"] == len(paths)
    queries = ["ракета", "поиск", '"open source"', "архив"]
    found = search_many(tmp_path / "merged", queries)
    one = search_many(tmp_path / "single", queries)
    for query in queries:
        assert found[query], query
        assert {r["url"] for r in found[query]} == {r["url"] for r in one[query]}, query
        assert sorted(r["score"] for r in found[query]) == sorted(r["score"] for r in one[query]), query


def test_a_failed_part_leaves_the_last_bundle_whole(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a tier's first Pagefind run fails while the others still run: the build stops with one
    # line, the others are stopped, the bundle the last build made stays as it was, and no part
    # or staged records are left behind
    shutil.copytree(generated / "content", tmp_path / "content")
    monkeypatch.setattr(search_index, "PART_SIZE", 500)
    cfg = Config(root=tmp_path, language="ru")
    build_site(cfg, jobs=2)
    before = bundle_files(tmp_path / "output")
    _wrap_pagefind(monkeypatch, tmp_path, 'case "$2" in *.0) echo "Error: out of memory" >&2; exit 3;; esac')
    oldest = tmp_path / "content/quality/posts/1.md"  # the archive's bundle is made again
    oldest.write_text(oldest.read_text(encoding="utf-8") + "\nПлутоний.\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"^the search indexer \(Pagefind\) failed: Error: out of memory$"):
        build_site(cfg, jobs=2)
    assert bundle_files(tmp_path / "output") == before
    assert not list(tmp_path.rglob(".sitegen-tmp-*"))


def _chunk_ranges(bundle: Path) -> list[tuple[str, str]]:
    return search_index.bundle_layout(bundle)["ru"]


def test_every_bundle_is_cut_in_chunks_where_one_index_of_the_archive_is(generated: Path) -> None:
    # Pagefind matches a query term against the words of one chunk only (the one whose range
    # holds the term), so what a prefix finds, and each result's title boost, depend on where the
    # index was cut: every bundle must be cut as one single index of the archive is
    archive = _records(generated / "sharded", generated, [f"archive-{number}" for number in range(1, 6)])
    search_index.build_bundle(archive, generated / "archive-single")
    expected = _chunk_ranges(generated / "archive-single")
    assert len(expected) > 1
    for tier in ("recent", "archive-1", "archive-2", "archive-5"):
        assert _chunk_ranges(generated / "sharded/pagefind" / tier) == expected, tier
    # and the layout is Pagefind's own cut, made again from the sizes of its words
    raw = search_index.capture_raw(generated / "archive-single")["ru"]
    assert search_index.chunk_layout(raw.sizes) == expected


def test_a_shortened_title_keeps_its_last_word_a_word(generated: Path) -> None:
    # "… ракета…": the title's last word is indexed as "ракета", not as a word of its own
    # "ракета…" that only titles hold (which a prefix query found beside "ракета", doubling the
    # result's title boost wherever both were in the chunk it read)
    raw = search_index.capture_raw(generated / "single")["ru"]
    assert raw.words, "no words indexed"
    assert not [word for word in raw.words if word.endswith("…") and len(word) > 1]
    titles = [r["title"] for r in search_many(generated / "single", ["ракета"])["ракета"]]
    assert any(title.endswith("\u200a…") for title in titles)  # a hair space, hardly seen


def test_padded_bundles_answer_quoted_and_missing_words_as_one_index(generated: Path) -> None:
    # the placeholder pages are never results: a quoted (exact) search, a word no post holds, and
    # the channel filter's counts give what one index gives; a prefix still finds its words
    # (which longer words it reaches depends on where Pagefind cut a bundle's index in chunks)
    queries = ['"rocket"', '"open source"', "benchmark zzzz", "rocke", "spac"]
    merged = search_many(generated / "sharded/pagefind", queries)
    single = search_many(generated / "single", queries)
    for query in queries[:3]:
        assert {r["url"] for r in merged[query]} == {r["url"] for r in single[query]}, query
    assert merged['"rocket"'] and merged["rocke"] and merged["spac"]
    assert merged[""] == single[""]
    assert sum(merged[""]["Канал"].values()) == 1500


def test_bundles_of_an_older_sitegen_are_padded_without_running_pagefind(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an older sitegen left Pagefind's own archive bundles (no "padded" in their stamps, no raw/)
    shutil.copytree(out.parent / "content", tmp_path / "content")
    monkeypatch.setattr(search_index, "SHARD_SIZE", 8)
    with monkeypatch.context() as older:
        older.setattr(search_index, "padding_key", lambda archive, digests: search_index.NO_PAD)
        build_site(Config(root=tmp_path, language="ru", output="steps"))
    ran = _pagefind_runs(monkeypatch)
    _edit(tmp_path / "content/rich_demo/posts/2.md", "views: 1520", "views: 1999")  # not a no-op build
    build_site(Config(root=tmp_path, language="ru", output="steps"))
    assert ran == []
    build_site(Config(root=tmp_path, language="ru", output="cold"))  # a new output: cold for search
    assert bundle_files(tmp_path / "steps") == bundle_files(tmp_path / "cold")

    # Pagefind's own indexes lost from the cache: a bundle that must be padded again is made
    # again (a padded bundle is never read as Pagefind's own), the newest month's too
    records = search_index.records_folder(tmp_path / "steps", tmp_path / ".sitegen-cache")
    shutil.rmtree(records / search_index.RAW)
    ran.clear()
    _edit(tmp_path / "content/rich_demo/posts/3.md", "\n---\n", "\n---\nПлутоний.\n")
    build_site(Config(root=tmp_path, language="ru", output="steps"))
    assert sorted(ran) == ["archive-1", "archive-2", "archive-3", "recent"]
    build_site(Config(root=tmp_path, language="ru", output="cold2"))
    assert bundle_files(tmp_path / "steps") == bundle_files(tmp_path / "cold2")
