"""Replies keep their context, and links to posts the site holds stay inside the archive.

The reply block shows the replied message's author, first line and thumbnail: from the archive when
the post is there (any channel of the site), else from what the scraper kept of Telegram's block.
Links to t.me posts in every form point at the archived page, decided when pages are rendered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_telegram import CDN, LocalServer, media_body, scrape_config
from selectolax.lexbor import LexborHTMLParser

from sitegen.build import build_site
from sitegen.build.archive import post_ref
from sitegen.config import Config
from sitegen.content import read_post, write_channel, write_post
from sitegen.model import Button, Channel, ForwardedFrom, LinkPreview, Media, Post, ReplyTo
from sitegen.scrape import merge_post, scrape_channels
from sitegen.telegram.media import item_stem
from sitegen.telegram.parse import parse_page

START = datetime(2024, 2, 1, 9, 0, tzinfo=UTC)
LINKS = (
    "Ссылки: https://t.me/alpha/1 и https://t.me/s/alpha/1 и https://telegram.me/Alpha/1?single\n\n"
    "[ещё](http://www.t.me/alpha/1/) и [соседний канал](https://t.me/beta/50) "
    "и [не в архиве](https://t.me/beta/77) и [канал](https://t.me/alpha)"
)


def post(channel: str, post_id: int, text: str = "", **fields: object) -> Post:
    """A post of ``channel`` an hour after the previous id."""
    return Post(id=post_id, channel=channel, date=START + timedelta(hours=post_id), text=text, **fields)  # type: ignore[arg-type]


def make_site(root: Path) -> None:
    """Two channels: alpha (a photo post, replies of every sort, links) and beta (one post)."""
    alpha, beta = root / "content" / "alpha", root / "content" / "beta"
    write_channel(alpha, Channel(username="alpha", title="Альфа"))
    write_channel(beta, Channel(username="beta", title="Бета"))
    (alpha / "media" / "1").mkdir(parents=True)
    (alpha / "media" / "1" / "1.jpg").write_bytes(b"\xff\xd8\xff\xe0photo")
    (alpha / "media" / "6").mkdir(parents=True)
    (alpha / "media" / "6" / "reply.jpg").write_bytes(b"\xff\xd8\xff\xe0thumb")
    photo = [Media(kind="photo", file="media/1/1.jpg", width=4, height=3)]
    write_post(alpha, post("alpha", 1, "Первая строка анонса\nвторая строка", media=photo))
    write_post(beta, post("beta", 50, "||Тайна|| соседнего канала"))
    replies = {
        2: ReplyTo("alpha", 1, "https://t.me/alpha/1"),
        3: ReplyTo("beta", 50, "https://t.me/beta/50"),
        4: ReplyTo("gamma", 7, "https://t.me/gamma/7", author="Гамма", text="Чужая новость"),
        5: ReplyTo("gamma", 8),  # as older scrapes wrote it: no author, text or thumbnail
        6: ReplyTo(
            "gamma", 9, "https://t.me/gamma/9", author="Гамма", text="Фото", thumb="media/6/reply.jpg"
        ),
    }
    for post_id, reply in replies.items():
        write_post(alpha, post("alpha", post_id, f"Ответ {post_id}", reply_to=reply))
    forwarded = ForwardedFrom(name="Бета", url="https://t.me/beta/50")
    preview = LinkPreview(url="https://t.me/alpha/1", site="Telegram", title="Альфа")
    buttons = [
        [Button(text="Читать", url="https://t.me/s/beta/50"), Button(text="Сайт", url="https://example.org/")]
    ]
    extra = {"forwarded_from": forwarded, "link_preview": preview, "buttons": buttons}
    write_post(alpha, post("alpha", 10, LINKS, source="https://t.me/alpha/10", **extra))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    make_site(root)
    build_site(Config(root=root, language="ru", search=False, base_url="https://example.org/repo/"))
    return root / "output"


def reply_block(out: Path, post_id: int):  # type: ignore[no-untyped-def]
    tree = LexborHTMLParser((out / "alpha" / str(post_id) / "index.html").read_text(encoding="utf-8"))
    node = tree.css_first(f"article#post-{post_id} a.post-reply")
    assert node is not None, f"post {post_id} shows no reply block"
    return node


def test_a_reply_to_an_archived_post_shows_its_author_first_line_and_picture(out: Path) -> None:
    block = reply_block(out, 2)
    assert block.attributes["href"] == "../../alpha/1/index.html"
    assert block.css_first(".reply-author").text() == "Альфа"
    assert block.css_first(".reply-text").text() == "Первая строка анонса"
    assert block.css_first("img.reply-thumb").attributes["src"] == "../../alpha/media/1/1.jpg"
    assert "t.me" not in block.text()  # not a long URL


def test_a_reply_to_another_channel_of_the_site_links_inside_it_and_hides_spoilers(out: Path) -> None:
    block = reply_block(out, 3)
    assert block.attributes["href"] == "../../beta/50/index.html"
    assert block.css_first(".reply-author").text() == "Бета"
    assert "Тайна" not in block.text() and "▒▒▒" in block.text()


def test_a_reply_to_a_post_outside_the_archive_shows_what_telegram_showed(out: Path) -> None:
    block = reply_block(out, 4)
    assert block.attributes["href"] == "https://t.me/gamma/7"
    assert block.css_first(".reply-author").text() == "Гамма"
    assert block.css_first(".reply-text").text() == "Чужая новость"
    with_thumb = reply_block(out, 6)
    assert with_thumb.css_first("img.reply-thumb").attributes["src"] == "../../alpha/media/6/reply.jpg"


def test_an_old_reply_without_context_still_builds(out: Path) -> None:
    block = reply_block(out, 5)
    assert block.attributes["href"] == "https://t.me/gamma/8"
    assert block.css_first(".reply-author").text() == "@gamma"
    assert block.css_first(".reply-text").text() == "запись, которой нет в архиве"


@pytest.mark.parametrize(
    ("url", "ref"),
    [
        ("https://t.me/alpha/1", ("alpha", 1)),
        ("http://t.me/alpha/1", ("alpha", 1)),
        ("https://www.t.me/alpha/1", ("alpha", 1)),
        ("https://t.me/s/alpha/1", ("alpha", 1)),
        ("https://t.me/alpha/1?single", ("alpha", 1)),
        ("https://t.me/alpha/1/", ("alpha", 1)),
        ("https://telegram.me/Alpha/1", ("Alpha", 1)),
        ("https://www.telegram.me/s/alpha/1?comment=3", ("alpha", 1)),
        ("https://telegram.dog/alpha/1", ("alpha", 1)),
        ("https://t.me/alpha", None),
        ("https://t.me/s/alpha?before=5", None),
        ("https://t.me/c/12345/1", None),  # a post of a private channel: no username
        ("https://example.org/alpha/1", None),
        ("https://t.me.evil.org/alpha/1", None),
    ],
)
def test_telegram_post_urls_in_every_form(url: str, ref: tuple[str, int] | None) -> None:
    assert post_ref(url) == ref


def test_links_to_archived_posts_point_inside_the_site(out: Path) -> None:
    tree = LexborHTMLParser((out / "alpha" / "10" / "index.html").read_text(encoding="utf-8"))
    hrefs = [a.attributes["href"] for a in tree.css("article#post-10 .post-text a")]
    assert hrefs == [
        "../../alpha/1/index.html",
        "../../alpha/1/index.html",
        "../../alpha/1/index.html",
        "../../alpha/1/index.html",
        "../../beta/50/index.html",
        "https://t.me/beta/77",
        "https://t.me/alpha",
    ]
    forwarded = tree.css_first("article#post-10 .post-forwarded a")
    assert forwarded.attributes["href"] == "../../beta/50/index.html"
    assert tree.css_first("article#post-10 .lp-title a").attributes["href"] == "../../alpha/1/index.html"
    buttons = [a.attributes["href"] for a in tree.css("article#post-10 a.button")]
    assert buttons == ["../../beta/50/index.html", "https://example.org/"]
    original = tree.css_first("article#post-10 a.original")
    assert original.attributes["href"] == "https://t.me/alpha/10"  # the original stays the original


def test_the_feed_links_to_the_archived_page_by_its_absolute_url(out: Path) -> None:
    feed = (out / "alpha" / "feed.xml").read_text(encoding="utf-8")
    assert "https://example.org/repo/beta/50/index.html" in feed


def test_a_link_follows_the_post_into_the_archive_on_the_next_build(tmp_path: Path) -> None:
    make_site(tmp_path)
    cfg = Config(root=tmp_path, language="ru", search=False)
    build_site(cfg)
    page = tmp_path / "output" / "alpha" / "10" / "index.html"
    assert 'href="https://t.me/beta/77"' in page.read_text(encoding="utf-8")
    write_post(tmp_path / "content" / "beta", post("beta", 77, "Пришла позже"))
    build_site(cfg)  # incremental: post 10 and its neighbours did not change, what its link points to did
    assert 'href="../../beta/77/index.html"' in page.read_text(encoding="utf-8")
    (tmp_path / "content" / "beta" / "posts" / "77.md").unlink()
    build_site(cfg)
    assert 'href="https://t.me/beta/77"' in page.read_text(encoding="utf-8")


# --- scraping the reply block ---------------------------------------------------------------------

SNIPPETS = Path(__file__).resolve().parent / "data" / "telegram"


def test_the_scraper_keeps_the_reply_blocks_author_first_line_and_thumbnail() -> None:
    parsed = parse_page(
        (SNIPPETS / "snippets" / "tchan" / "text_reply_to_video.html").read_text(encoding="utf-8")
    )
    reply = parsed.posts[0].reply_to
    assert reply is not None and (reply.channel, reply.id) == ("tchantest", 19)
    assert reply.author == "tchan's test channel 👍"
    assert reply.text == "Video"  # a media message without text: Telegram's label
    thumbs = [ref for ref in parsed.media if ref.role == "reply_thumb"]
    assert len(thumbs) == 1 and thumbs[0].url.startswith("https://cdn1.telegram-cdn.org/file/")
    assert item_stem(20, None, "reply_thumb") == "media/20/reply"  # the file name comes from the post id
    page = parse_page(
        (SNIPPETS / "pages" / "infoscape_test_start_of_channel.html").read_text(encoding="utf-8")
    )
    reply = next(p for p in page.posts if p.id == 7).reply_to
    assert reply is not None and (reply.author, reply.text) == ("infoscape_test", "простое сообщение")


def test_a_spoiler_in_the_replied_line_is_not_kept() -> None:
    wrap = (
        '<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" data-post="chan/5">'
        '<div class="tgme_widget_message_bubble">'
        '<a class="tgme_widget_message_reply" href="https://t.me/chan/4">'
        '<div class="tgme_widget_message_author">'
        '<span class="tgme_widget_message_author_name">Chan</span></div>'
        '<div class="tgme_widget_message_text js-message_reply_text">'
        "The end: <tg-spoiler>he dies</tg-spoiler>"
        "<br/>second line</div></a>"
        '<div class="tgme_widget_message_text js-message_text">Wow</div>'
        '<div class="tgme_widget_message_footer"><a class="tgme_widget_message_date" href="https://t.me/chan/5">'
        '<time datetime="2024-01-01T00:00:00+00:00"></time></a></div></div></div></div>'
    )
    reply = parse_page(wrap).posts[0].reply_to
    assert reply is not None and reply.text == "The end: ▒▒▒"


def test_a_rescrape_keeps_the_downloaded_reply_thumbnail(tmp_path: Path) -> None:
    (tmp_path / "media" / "5").mkdir(parents=True)
    (tmp_path / "media" / "5" / "reply.jpg").write_bytes(b"x")
    old = post("chan", 5, "Wow", reply_to=ReplyTo("chan", 4, thumb="media/5/reply.jpg"))
    new = post("chan", 5, "Wow", reply_to=ReplyTo("chan", 4, author="Chan", text="The end"))
    assert merge_post(new, old, tmp_path).reply_to.thumb == "media/5/reply.jpg"  # type: ignore[union-attr]


def test_a_scrape_downloads_the_reply_thumbnail_under_a_name_from_the_post_id(tmp_path: Path) -> None:
    server = LocalServer()
    try:
        fake = server.fresh(channel="infoscape_test")
        html = (SNIPPETS / "pages" / "infoscape_test_start_of_channel.html").read_text(encoding="utf-8")
        html = CDN.sub(f"{fake.base_url}/cdn/page/", html)
        anchor = '<a class="tgme_widget_message_reply" href="https://t.me/infoscape_test/2" >'
        assert anchor in html
        thumb = f"{fake.base_url}/cdn/reply/7.jpg"
        html = html.replace(
            anchor,
            anchor
            + f'<i class="tgme_widget_message_reply_thumb" style="background-image:url(\'{thumb}\')"></i>',
        )
        fake.pages["infoscape_test"] = html
        summary = scrape_channels(scrape_config(tmp_path, fake), ["infoscape_test"])
        assert not summary.errors, summary.errors
    finally:
        server.stop()
    folder = tmp_path / "content" / "infoscape_test"
    reply = read_post(folder / "posts" / "7.md").reply_to
    assert reply is not None and (reply.author, reply.text) == ("infoscape_test", "простое сообщение")
    assert reply.thumb == "media/7/reply.jpg"
    assert (folder / reply.thumb).read_bytes() == media_body("/cdn/reply/7.jpg")[0]
