"""Full-text search: Pagefind indexes the post pages of the rich sample; Russian words are found by stem.

The index is queried with Pagefind's own pagefind.js in Node (tests/pagefind_query.mjs), the same
code the browser runs, with fetch() reading the index files from disk.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sitegen.build import build_site
from sitegen.config import Config
from tests.site_sample import build_rich, page, post_page

QUERY_SCRIPT = Path(__file__).resolve().parent / "pagefind_query.mjs"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich sample built in Russian with the search index."""
    root = tmp_path_factory.mktemp("search")
    output, report = build_rich(root, language="ru", search=True)
    assert report.searchable == 30  # every post page of both channels, nothing else
    return output


def search(out: Path, query: str) -> list[dict[str, str]]:
    """Run a query against the built index; the results as [{url, title}]."""
    node = shutil.which("node")
    assert node, "Node.js is needed to query the Pagefind index (it is installed with the browser tests)"
    result = subprocess.run(
        [node, str(QUERY_SCRIPT), str(out), query], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(result.stdout)


def test_index_is_built_for_russian(out: Path) -> None:
    assert (out / "pagefind/pagefind.js").is_file()
    assert (out / "pagefind/pagefind-ui.js").is_file()
    entry = json.loads((out / "pagefind/pagefind-entry.json").read_text())
    assert set(entry["languages"]) == {"ru"}


def test_an_inflected_russian_word_finds_its_posts(out: Path) -> None:
    urls = {r["url"] for r in search(out, "ракетой")}
    assert "/rich_demo/25/" in urls  # "Новые ракеты уже на стартовой площадке"
    assert "/rich_demo/19/" in urls  # "Исправленная новость о ракетах"


def test_results_are_post_pages_only(out: Path) -> None:
    results = search(out, "анонс")
    assert results
    for result in results:
        assert result["url"].rstrip("/").split("/")[-1].isdigit(), result
    titles = {r["title"] for r in results}
    assert "Новые ракеты уже на стартовой площадке #анонс" in titles


def test_english_posts_are_found_too(out: Path) -> None:
    assert {r["url"] for r in search(out, "launches")} == {"/second_demo/102/"}


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
    assert "pagefind/pagefind-ui.js" in scripts
    assert search_page.css_first("noscript") is not None


def test_turning_search_off_removes_the_index(out: Path, tmp_path: Path) -> None:
    shutil.copytree(out.parent / "content", tmp_path / "content")
    build_site(Config(root=tmp_path, search=True))
    assert (tmp_path / "output/pagefind/pagefind.js").is_file()
    build_site(Config(root=tmp_path, search=False))
    assert not (tmp_path / "output/pagefind").exists()
    assert not (tmp_path / "output/search.html").exists()


def test_index_is_remade_only_when_a_page_changed(out: Path, tmp_path: Path) -> None:
    shutil.copytree(out.parent / "content", tmp_path / "content")
    cfg = Config(root=tmp_path, language="ru")
    build_site(cfg)
    entry = tmp_path / "output/pagefind/pagefind-entry.json"
    made = entry.stat().st_mtime_ns
    assert build_site(cfg).searchable == 30
    assert entry.stat().st_mtime_ns == made  # nothing changed: the index was kept
    post = tmp_path / "content/rich_demo/posts/24.md"
    post.write_text(post.read_text(encoding="utf-8") + "\nЗвездолёты прилетели.\n", encoding="utf-8")
    build_site(cfg)
    assert {r["url"] for r in search(tmp_path / "output", "звездолётами")} == {"/rich_demo/24/"}
