"""The build cache's folder stores (a whole on disk and a log of each build's changes), and how
the posts' facet states of two builds are compared."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.build.cache import FolderStore, changed_post_facets, post_key, scan_posts


def data(count: int, stamp: int = 0) -> dict[str, dict[str, tuple[int, str]]]:
    """One folder of ``count`` entries."""
    return {"posts": {f"{n}.md": (n + stamp, f"key{n}") for n in range(count)}}


def reopen(path: Path) -> dict:
    """What a new build loads."""
    return FolderStore(path, "v1").load()


def saved(path: Path, count: int) -> tuple[FolderStore, dict]:
    """A store holding ``count`` entries, opened again as the next build opens it, and a copy of
    its data for that build to change."""
    store = FolderStore(path, "v1")
    store.load()
    store.save(data(count))
    store = FolderStore(path, "v1")
    return store, {folder: dict(entries) for folder, entries in store.load().items()}


def test_a_few_changes_go_to_the_log_and_come_back(tmp_path: Path) -> None:
    path = tmp_path / "files.pickle"
    store, current = saved(path, 5000)
    whole = path.stat().st_size
    current["posts"]["5000.md"] = (5000, "key5000")  # added
    current["posts"]["7.md"] = (99, "changed")  # changed
    del current["posts"]["3.md"]  # removed
    current["other"] = {"1.md": (1, "k")}  # a new folder
    store.save(current)
    assert path.stat().st_size == whole  # the whole was not written again
    assert store.log.stat().st_size < 400
    assert reopen(path) == current
    store = FolderStore(path, "v1")
    later = {folder: dict(entries) for folder, entries in store.load().items()}
    del later["other"]  # a folder gone
    store.save(later)
    assert reopen(path) == later


def test_many_changes_fold_the_log_into_a_new_whole(tmp_path: Path) -> None:
    path = tmp_path / "index.pickle"
    store = FolderStore(path, "v1")
    store.load()
    store.save(data(2000))
    generations = {store.generation}
    for round_ in range(1, 40):  # 40 builds of 30 changes: the log is folded on the way
        store = FolderStore(path, "v1")
        current = {folder: dict(entries) for folder, entries in store.load().items()}
        for n in range(30):
            current["posts"][f"{(round_ * 30 + n) % 2000}.md"] = (round_, "k")
        store.save(current)
        assert reopen(path) == current
        assert store.logged <= 1000
        generations.add(store.generation)
    assert len(generations) == 2  # 1,170 changes: folded once, past 1,000


def test_a_log_cut_short_or_of_another_whole_is_not_applied(tmp_path: Path) -> None:
    path = tmp_path / "files.pickle"
    store, first = saved(path, 100)
    first["posts"]["1.md"] = (-1, "first")
    store.save(first)
    second = {folder: dict(entries) for folder, entries in first.items()}
    second["posts"]["2.md"] = (-2, "second")
    store.save(second)
    log = store.log.read_bytes()
    store.log.write_bytes(log[:-3])  # a build killed while appending its changes
    assert reopen(path) == first
    store = FolderStore(path, "v1")
    store.load()
    third = {folder: dict(entries) for folder, entries in first.items()}
    third["posts"]["4.md"] = (-4, "third")
    store.save(third)  # appended after the last whole frame, not after the broken one
    assert reopen(path) == third
    saved_log = store.log.read_bytes()
    store = FolderStore(path, "v1")
    store.load()
    store._write_whole(data(100, stamp=7))  # a new whole; then the old log put back by hand
    store.log.write_bytes(saved_log)
    assert reopen(path) == data(100, stamp=7)


def test_another_version_or_a_broken_file_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "files.pickle"
    store = FolderStore(path, "v1")
    store.load()
    store.save(data(10))
    assert FolderStore(path, "v2").load() == {}
    path.write_bytes(b"\x80\x05garbage")
    assert reopen(path) == {}
    store = FolderStore(path, "v1")
    store.load()
    store.save(data(10))
    assert reopen(path) == data(10)


def test_with_the_touched_names_named_only_they_are_compared_and_removals_still_found(tmp_path: Path) -> None:
    path = tmp_path / "index.pickle"
    store, current = saved(path, 3000)
    current["posts"]["3000.md"] = (3000, "new")
    current["posts"]["5.md"] = (5, "edited")
    del current["posts"]["9.md"]
    store.save(current, {"posts": {"3000.md", "5.md"}})
    assert store.log.stat().st_size < 300
    assert reopen(path) == current


def naive_changes(old: tuple[list[int], list], new: tuple[list[int], list]) -> set[tuple[int, str]]:
    """Every post's (file, older, newer) by id in both builds, compared one by one."""

    def states(ids: list[int], files: list) -> dict[int, tuple]:
        return {
            number: (files[i], ids[i - 1] if i else None, ids[i + 1] if i + 1 < len(ids) else None)
            for i, number in enumerate(ids)
        }

    before, after = states(*old), states(*new)
    gone = (None, None, None)
    return {
        (number, facet)
        for number in before.keys() | after.keys()
        for facet, x, y in zip(
            ("file", "older", "newer"), before.get(number, gone), after.get(number, gone), strict=True
        )
        if x != y
    }


channel_posts = st.dictionaries(st.integers(1, 60), st.sampled_from(["a", "b", ("a", ("m",), None, None)]))


@given(channel_posts, channel_posts)
@settings(max_examples=400, deadline=None)
def test_the_changed_facets_of_two_builds_posts_are_those_of_a_post_by_post_comparison(old, new) -> None:
    def lists(posts: dict) -> tuple[list[int], list]:
        ids = sorted(posts)
        return ids, [posts[number] for number in ids]

    assert changed_post_facets(lists(old), lists(new)) == naive_changes(lists(old), lists(new))


def test_a_post_added_at_the_end_changes_only_itself_and_its_older_neighbour() -> None:
    ids = list(range(1, 100_001))
    files = [f"digest{n}" for n in ids]
    old, new = (ids, files), (ids + [100_001], files + ["digest100001"])
    assert changed_post_facets(old, new) == {
        (100_001, "file"),
        (100_001, "older"),
        (100_000, "newer"),
    }


def test_the_libraries_versions_are_read_as_importlib_metadata_reads_them() -> None:
    """The cache is keyed by the parsers' versions (a reinstall of the same ones keeps it: CI
    makes a new virtual environment on every run), read without importlib.metadata."""
    from importlib import metadata

    from sitegen.build.cache import PARSERS, library_versions

    expected = "\n".join(f"{module} {metadata.version(name)}" for module, name in PARSERS.items())
    assert library_versions(list(PARSERS)) == expected


def test_a_scan_of_post_files_reads_only_the_new_and_changed_ones_and_names_the_gone(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    for name in ("1.md", "2.md", "3.md"):
        (folder / name).write_text(f"post {name}", encoding="utf-8")
    (folder / "notes.txt").write_text("not a post", encoding="utf-8")
    changes, gone, size, count = scan_posts(str(folder), "chan", {}, "v1")
    assert sorted(name for name, _, _ in changes) == ["1.md", "2.md", "3.md"] and gone == []
    assert (size, count) == (3 * len("post 1.md"), 3)
    known = {name: (stamp, key) for name, stamp, key in changes}

    assert scan_posts(str(folder), "chan", known, "v1")[:2] == ([], [])  # nothing read again
    (folder / "2.md").write_text("post 2.md, edited", encoding="utf-8")
    (folder / "3.md").unlink()
    (folder / "4.md").write_text("post 4.md", encoding="utf-8")
    changes, gone, size, count = scan_posts(str(folder), "chan", known, "v1")
    assert sorted(name for name, _, _ in changes) == ["2.md", "4.md"] and gone == ["3.md"]
    assert count == 3
    new_keys = dict((name, key) for name, _, key in changes)
    assert new_keys["2.md"] != known["2.md"][1]
    assert new_keys["4.md"] == post_key("v1", "chan", "4.md", b"post 4.md")
