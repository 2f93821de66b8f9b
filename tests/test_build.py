"""End to end: `sitegen build` turns content/ into a complete static site that works from any path."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from sitegen.build import BuildError, build_site
from sitegen.cli import cli
from sitegen.config import Config
from sitegen.content import ContentError, read_posts, write_channel, write_post
from sitegen.model import Channel, Media, Post, ReplyTo
from tests.linkcheck import broken_links

START = datetime(2024, 1, 30, 21, 0, tzinfo=UTC)


def make_channel(content: Path, name: str = "novosti", count: int = 45) -> list[Post]:
    """A small Cyrillic channel: posts every 11 days, hashtags, a reply, a photo in post 5."""
    write_channel(
        content / name, Channel(username=name, title="Новости Города", description="Тестовый канал\nо городе")
    )
    posts = []
    for i in range(1, count + 1):
        post = Post(
            id=i * 2,
            channel=name,
            date=START + timedelta(days=11 * i),
            text=f"Запись номер {i}: погода #анонс\n\nВторой абзац с *курсивом* и ||спойлером||",
            views=100 * i,
            source=f"https://t.me/{name}/{i * 2}",
        )
        if i == 5:
            post.media = [Media(kind="photo", file="media/10/1.jpg", width=4, height=3)]
            (content / name / "media" / "10").mkdir(parents=True)
            (content / name / "media" / "10" / "1.jpg").write_bytes(b"\xff\xd8\xff\xe0fakejpeg")
        if i == 6:
            post.reply_to = ReplyTo(channel=name, id=10)
        write_post(content / name, post)
        posts.append(post)
    return posts


def build(tmp_path: Path, **settings: object) -> Path:
    cfg = Config(root=tmp_path, search=False, **settings)  # type: ignore[arg-type]
    build_site(cfg)
    return tmp_path / "output"


def test_one_channel_site_has_every_page_and_no_broken_link(tmp_path: Path) -> None:
    posts = make_channel(tmp_path / "content")
    out = build(tmp_path)
    for post in posts:
        page = out / "novosti" / str(post.id) / "index.html"
        assert page.is_file(), page
    assert (out / "index.html").is_file() and (out / "novosti" / "index.html").is_file()
    assert (out / "404.html").is_file() and (out / ".nojekyll").is_file()
    assert (out / "novosti" / "tags" / "анонс" / "index.html").is_file()
    assert (out / "novosti" / "media" / "10" / "1.jpg").read_bytes() == b"\xff\xd8\xff\xe0fakejpeg"
    assert broken_links(out) == []


def test_post_page_shows_text_neighbours_and_the_original(tmp_path: Path) -> None:
    make_channel(tmp_path / "content")
    html = (build(tmp_path) / "novosti" / "12" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert "Запись номер 6: погода" in html
    assert 'href="../../novosti/10/index.html"' in html  # previous post, and the in-archive reply
    assert 'href="../../novosti/14/index.html"' in html  # next post
    assert 'href="https://t.me/novosti/12"' in html
    assert '<span class="spoiler-text" data-pagefind-ignore>спойлером</span>' in html
    assert 'href="../../novosti/tags/%D0%B0%D0%BD%D0%BE%D0%BD%D1%81/index.html"' in html


def test_pages_are_numbered_from_the_oldest_and_full_pages_never_change(tmp_path: Path) -> None:
    content = tmp_path / "content"
    make_channel(content)
    out = build(tmp_path)
    first = (out / "novosti" / "page" / "1" / "index.html").read_text(encoding="utf-8")
    ids = [int(x) for x in re.findall(r'id="post-(\d+)"', first)]
    assert ids == list(range(40, 0, -2)), "page 1 holds the 20 oldest posts, newest first"
    home_ids = [int(x) for x in re.findall(r'id="post-(\d+)"', (out / "novosti" / "index.html").read_text())]
    assert home_ids == list(range(90, 40, -2)), "the home ends where page 2 (posts 21-40) starts"
    page2 = (out / "novosti" / "page" / "2" / "index.html").read_bytes()
    write_post(
        content / "novosti", Post(id=200, channel="novosti", date=START + timedelta(days=900), text="Новая")
    )
    build(tmp_path)
    assert (out / "novosti" / "page" / "1" / "index.html").read_text(encoding="utf-8") == first
    assert (out / "novosti" / "page" / "2" / "index.html").read_bytes() == page2
    assert "Новая" in (out / "novosti" / "index.html").read_text(encoding="utf-8")


def test_month_pages_use_the_configured_time_zone_and_language(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=1)  # 2024-02-10 21:00 UTC
    out = build(tmp_path, timezone="Asia/Tokyo", language="ru")
    month = out / "novosti" / "2024" / "02" / "index.html"
    html = month.read_text(encoding="utf-8")
    assert '<html lang="ru">' in html and "Записи за февраль 2024" in html
    assert "11 февраля 2024" in html, "21:00 UTC is the next day in Tokyo"


def test_several_channels_get_a_home_page_that_lists_them(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", "alpha", 3)
    make_channel(tmp_path / "content", "beta", 2)
    out = build(tmp_path)
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="alpha/index.html"' in home and 'href="beta/index.html"' in home
    assert broken_links(out) == []


def test_missing_media_warns_with_the_post_and_links_to_the_original(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_post(
        content / "chan",
        Post(
            id=3,
            date=START,
            text="фото",
            source="https://t.me/chan/3",
            media=[
                Media(kind="photo", file="media/3/1.jpg"),
                Media(kind="photo", url="https://t.me/chan/4?single"),
            ],
        ),
    )
    report = build_site(Config(root=tmp_path, search=False))
    media_warnings = [w for w in report.warnings if "media file" in w]
    assert len(media_warnings) == 1
    assert "chan/posts/3.md" in media_warnings[0] and "media/3/1.jpg" in media_warnings[0]
    html = (tmp_path / "output" / "chan" / "3" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://t.me/chan/3"' in html
    assert "These 2 media items were not archived" in html
    assert "<img" not in html


def test_media_path_that_leaves_the_channel_folder_is_refused(tmp_path: Path) -> None:
    write_post(
        tmp_path / "content" / "chan",
        Post(id=1, date=START, media=[Media(kind="photo", file="../../../etc/passwd")]),
    )
    for _ in range(2):  # the second build too: the refused post is never cached as parsed
        with pytest.raises(BuildError, match="chan/posts/1.md: media file: .*unsafe path"):
            build_site(Config(root=tmp_path, search=False))


def test_site_templates_override_the_theme_and_can_extend_it(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=2)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "post.html").write_text(
        '{% extends "!default/post.html" %}{% block title %}CUSTOM {{ super() }}{% endblock %}',
        encoding="utf-8",
    )
    html = (build(tmp_path) / "novosti" / "2" / "index.html").read_text(encoding="utf-8")
    assert "<title>CUSTOM Запись номер 1: погода #анонс · Новости Города</title>" in html


def test_posts_removed_from_content_disappear_from_output(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=3)
    out = build(tmp_path)
    (out / "keep-me.txt").write_text("mine")
    (tmp_path / "content" / "novosti" / "posts" / "4.md").unlink()
    build(tmp_path)
    assert not (out / "novosti" / "4").exists()
    assert (out / "novosti" / "2" / "index.html").exists()
    assert (out / "keep-me.txt").read_text() == "mine", "files sitegen did not make are left alone"


def test_clean_refuses_a_folder_sitegen_did_not_make(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=1)
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "important.txt").write_text("x")
    with pytest.raises(BuildError, match="refusing to --clean"):
        build_site(Config(root=tmp_path, search=False), clean=True)
    assert (tmp_path / "output" / "important.txt").exists()


def test_escaping_keeps_hostile_text_inert(tmp_path: Path) -> None:
    write_channel(
        tmp_path / "content" / "chan", Channel(username="chan", title='<script>alert("t")</script>')
    )
    write_post(
        tmp_path / "content" / "chan",
        Post(
            id=1,
            date=START,
            text="<img src=x onerror=alert(1)> [x](javascript:alert(2))",
            author='"><script>x</script>',
        ),
    )
    html = (build(tmp_path) / "chan" / "1" / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img src=x" not in html and 'href="javascript' not in html


# --- the command line ---------------------------------------------------------------------------


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from sitegen.cli import main; main()", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_build_summary_and_exit_code(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=3)
    result = run_cli(tmp_path, "build", "--no-search")
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"Built 3 posts of 1 channel\(s\) into output/: \d+ pages, .* in \d+\.\d+ s", result.stdout
    )


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("bad_yaml", "content/chan/posts/1.md: front matter is not valid YAML"),
        ("no_date", "content/chan/posts/1.md: missing required key 'date'"),
        ("no_content", "content folder 'content' not found"),
        ("bad_config", "sitegen.toml: unknown key 'colour'"),
        ("output_is_file", "output 'output' is a file"),
    ],
)
def test_cli_user_errors_are_one_line_without_traceback(tmp_path: Path, setup: str, expected: str) -> None:
    posts = tmp_path / "content" / "chan" / "posts"
    if setup != "no_content":
        posts.mkdir(parents=True)
        (posts / "1.md").write_text("---\nid: 1\ndate: 2024-01-01T00:00:00Z\n---\nok\n", encoding="utf-8")
    if setup == "bad_yaml":
        (posts / "1.md").write_text("---\nid: 1\ndate: [\n---\n", encoding="utf-8")
    elif setup == "no_date":
        (posts / "1.md").write_text("---\nid: 1\n---\nhi\n", encoding="utf-8")
    elif setup == "bad_config":
        (tmp_path / "sitegen.toml").write_text("colour = 'red'\n", encoding="utf-8")
    elif setup == "output_is_file":
        (tmp_path / "output").write_text("not a folder")
    result = run_cli(tmp_path, "build", "--no-search")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {expected}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_help_and_version_are_clear() -> None:
    runner = CliRunner()
    assert "Turn public Telegram channels" in runner.invoke(cli, ["--help"]).output
    build_help = runner.invoke(cli, ["build", "--help"]).output
    for option in ("--content", "--output", "--base-url", "--clean", "--no-search", "--config"):
        assert option in build_help
    assert re.match(r"sitegen, version \d+\.\d+\.\d+", runner.invoke(cli, ["--version"]).output)


def test_demo_content_builds_cleanly(tmp_path: Path, repo_dir: Path) -> None:
    cfg = Config(root=repo_dir, output=str(tmp_path / "out"), search=False)
    report = build_site(cfg)
    assert report.channels >= 1
    assert report.posts == sum(len(read_posts(d)) for d in (repo_dir / "content").iterdir() if d.is_dir())
    assert broken_links(tmp_path / "out") == []


def test_output_files_are_readable_by_a_web_server(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=1)
    out = build(tmp_path)
    mode = (out / "novosti" / "2" / "index.html").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044, oct(mode)


def test_channel_folders_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", "Novosti", 1)
    make_channel(tmp_path / "content", "novosti", 1)
    with pytest.raises(BuildError, match="are the same Telegram channel"):
        build_site(Config(root=tmp_path, search=False))


def test_post_file_named_other_than_its_id_is_refused(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=1)
    posts = tmp_path / "content" / "novosti" / "posts"
    (posts / "copy.md").write_text((posts / "2.md").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ContentError, match="copy.md: id 2 does not match the file name"):
        build_site(Config(root=tmp_path, search=False))


def test_a_post_article_is_shared_by_its_page_its_channel_page_and_the_feed(tmp_path: Path) -> None:
    make_channel(tmp_path / "content", count=3)
    theme = Path(__file__).resolve().parents[1] / "sitegen" / "theme" / "templates" / "_post.html"
    source = theme.read_text(encoding="utf-8")
    start = source.index("{% macro post_content(")
    end = source.index("{% endmacro %}", start) + len("{% endmacro %}")
    custom = (
        "{% macro post_content(view, section, root) %}"
        'ARTICLE-{{ view.post.id }} <a href="{{ root }}x/index.html">x</a>{% endmacro %}'
    )
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "_post.html").write_text(
        source[:start] + custom + source[end:], encoding="utf-8"
    )
    out = build(tmp_path, base_url="https://example.org/arch/")
    post_page = (out / "novosti" / "4" / "index.html").read_text(encoding="utf-8")
    channel_page = (out / "novosti" / "index.html").read_text(encoding="utf-8")
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ElementTree.parse(out / "novosti" / "feed.xml").getroot()
    entries = "".join(entry.findtext(f"{atom}content") or "" for entry in feed.iter(f"{atom}entry"))
    # the same rendering, with each page's own way back to the site root
    assert 'ARTICLE-4 <a href="../../x/index.html">x</a>' in post_page
    assert 'ARTICLE-4 <a href="../x/index.html">x</a>' in channel_page
    assert 'ARTICLE-4 <a href="https://example.org/arch/x/index.html">x</a>' in entries
    assert "ARTICLE-2" in channel_page and "ARTICLE-6" in channel_page


def test_pages_render_grouped_so_a_channel_page_comes_right_before_its_posts() -> None:
    from sitegen.build.pages import Page, render_order

    views = [object() for _ in range(5)]
    pages = [Page("ch/index.html", "channel.html", {"posts": views[::-1], "page_number": None})]
    pages += [Page("ch/page/1/index.html", "channel.html", {"posts": views[1::-1], "page_number": 1})]
    pages += [Page("ch/page/2/index.html", "channel.html", {"posts": views[:1:-1], "page_number": 2})]
    pages += [Page(f"ch/{i}/index.html", "post.html", {"view": v}) for i, v in enumerate(views)]
    pages += [Page("404.html", "404.html", {})]
    order = [page.path for page in render_order(pages)]
    assert sorted(order) == sorted(page.path for page in pages)
    assert order == [
        "ch/index.html",
        "ch/page/1/index.html",
        "ch/0/index.html",
        "ch/1/index.html",
        "ch/page/2/index.html",
        "ch/2/index.html",
        "ch/3/index.html",
        "ch/4/index.html",
        "404.html",
    ]
