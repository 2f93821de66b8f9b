"""Made-up exports for what the real ones lack: every text entity kind (both shapes), every message kind.

Text: each entity becomes the Markdown the scraper writes for the HTML t.me shows for the same
formatting (written out here from tests/data/telegram/STRUCTURE.md), and the built page shows
exactly the export's text. Kinds: each renders as its own element on the post page.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from page_text import visible_text
from tdesktop_export import NOT_INCLUDED, chat, message, write_export
from test_import import article, build, export_text, sitegen

from sitegen import content
from sitegen.telegram.text import html_to_markdown, plain_to_markdown

# entity type, its text, extra keys, the HTML t.me shows for it, and a CSS selector it renders to
ENTITIES = [
    ("bold", "strong words", {}, "<b>strong words</b>", "strong"),
    ("italic", "slanted", {}, "<i>slanted</i>", "em"),
    ("underline", "underlined", {}, "<u>underlined</u>", None),
    ("strikethrough", "gone", {}, "<s>gone</s>", "s"),
    ("spoiler", "secret", {}, "<tg-spoiler>secret</tg-spoiler>", ".spoiler"),
    ("code", "x = 1 * 2", {}, "<code>x = 1 * 2</code>", "code"),
    (
        "pre",
        "def f():\n    return [1]",
        {"language": "python"},
        '<pre><code class="language-python">def f():<br>    return [1]</code></pre>',
        "pre code.language-python",
    ),
    ("pre", "plain block", {"language": ""}, "<pre>plain block</pre>", "pre"),
    (
        "text_link",
        "the site",
        {"href": "https://example.org/a_(b)"},
        '<a href="https://example.org/a_(b)">the site</a>',
        'a[href="https://example.org/a_(b)"]',
    ),
    ("link", "https://example.org/x", {}, '<a href="https://example.org/x">https://example.org/x</a>', "a"),
    ("link", "example.com/page", {}, '<a href="http://example.com/page">example.com/page</a>', "a"),
    ("mention", "@durov", {}, '<a href="https://t.me/durov">@durov</a>', 'a[href="https://t.me/durov"]'),
    ("mention_name", "Pavel", {"user_id": 42}, '<a href="tg://user?id=42">Pavel</a>', 'a[href^="tg://user"]'),
    (
        "hashtag",
        "#новости",
        {},
        '<a href="?q=%23%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8">#новости</a>',
        "a",
    ),
    ("cashtag", "$USD", {}, '<a href="?q=%24USD">$USD</a>', None),
    ("bot_command", "/start@bot", {}, "/start@bot", None),
    (
        "email",
        "me@example.org",
        {},
        '<a href="mailto:me@example.org">me@example.org</a>',
        'a[href^="mailto:"]',
    ),
    ("phone", "+1 555 0100", {}, '<a href="tel:+15550100">+1 555 0100</a>', 'a[href^="tel:"]'),
    ("bank_card", "4111 1111 1111 1111", {}, "4111 1111 1111 1111", None),
    ("blockquote", "quoted\nlines", {}, "<blockquote>quoted<br>lines</blockquote>", "blockquote"),
    (
        "blockquote",
        "long hidden",
        {"collapsed": True},
        "<blockquote expandable>long hidden</blockquote>",
        "blockquote",
    ),
    (
        "custom_emoji",
        "🔥",
        {"document_id": "5249285106203377492"},
        '<tg-emoji emoji-id="5249285106203377492"><i class="emoji"><b>🔥</b></i></tg-emoji>',
        None,
    ),
    ("unknown", "whatever *this* is", {}, "whatever *this* is", None),
]
TRICKY = "1. *not* a list, _not_ italic, [not](a link) `nor` code ||nor spoiler|| # or > heading"


def _messages(shape: str) -> list[dict]:
    out = []
    for i, (kind, text, extra, _, _) in enumerate(ENTITIES, start=1):
        item = message(i, [("plain", "Before "), (kind, text, extra), ("plain", " after.")])
        if shape == "text":  # the old shape: only the mixed `text` array, no text_entities
            del item["text_entities"]
            del item["date_unixtime"]
        out.append(item)
    out.append(message(100, [("plain", TRICKY)]))
    return out


@pytest.fixture(scope="module", params=["text_entities", "text"])
def entity_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp(request.param)
    messages = _messages(request.param)
    run = sitegen(root, str(write_export(root / "export", chat(messages))))
    assert run.returncode == 0, run.stderr
    return root, build(root), messages


@pytest.mark.parametrize("index", range(len(ENTITIES)), ids=[f"{e[0]}-{i}" for i, e in enumerate(ENTITIES)])
def test_every_entity_is_the_scrapers_markdown_and_shows_the_exports_text(entity_site, index: int) -> None:
    root, out, messages = entity_site
    kind, text, extra, telegram_html, selector = ENTITIES[index]
    post = content.read_post(root / "content" / "made_up" / "posts" / f"{index + 1}.md")
    assert post.text == html_to_markdown(f"Before {telegram_html} after.")
    node = article(out, "made_up", index + 1).css_first(".post-text")
    assert visible_text(node) == export_text(messages[index])
    if selector is not None:
        assert node.css_first(selector) is not None, node.html


def test_markdown_syntax_in_plain_text_stays_text(entity_site) -> None:
    _, out, _ = entity_site
    node = article(out, "made_up", 100).css_first(".post-text")
    assert visible_text(node) == TRICKY
    assert node.css_first("em, strong, code, a, ol, h1, blockquote, .spoiler") is None


def test_hashtags_link_to_the_tag_page(entity_site) -> None:
    _, out, _ = entity_site
    link = article(out, "made_up", 14).css_first(".post-text a")
    assert link.text() == "#новости" and "made_up/tags/" in link.attributes["href"]


# --- every message kind ------------------------------------------------------------------------------------

FILES = {
    "photos/p1.jpg": b"\xff\xd8\xffone",
    "photos/p2.jpg": b"\xff\xd8\xfftwo",
    "video_files/v.mp4": b"mp4 video",
    "video_files/v.mp4_thumb.jpg": b"\xff\xd8\xffthumb",
    "round_video_messages/r.mp4": b"round",
    "video_files/g.mp4": b"gif as mp4",
    "voice_messages/audio_1.ogg": b"OggS voice",
    "files/song.mp3": b"ID3 song",
    "files/report.pdf": b"%PDF report",
    "stickers/sticker.webp": b"RIFF....WEBP",
    "stickers/AnimatedSticker.tgs": b"tgs",
    "stickers/video.webm": b"webm",
    "photos/group.jpg": b"\xff\xd8\xffgroup photo",
}


def _kinds() -> list[dict]:
    same = 1_700_100_000
    return [
        message(
            1,
            "",
            kind="service",
            sender=None,
            actor="Alice",
            actor_id="user1",
            action="create_group",
            title="Made Up",
            members=["Bob"],
        ),
        message(2, "first photo", when=same, photo="photos/p1.jpg", width=640, height=480, photo_file_size=7),
        message(3, "", when=same, photo="photos/p2.jpg", width=640, height=480),
        message(
            4,
            "a video",
            file="video_files/v.mp4",
            thumbnail="video_files/v.mp4_thumb.jpg",
            media_type="video_file",
            mime_type="video/mp4",
            duration_seconds=75,
            width=1280,
            height=720,
        ),
        message(
            5,
            "",
            file="round_video_messages/r.mp4",
            media_type="video_message",
            mime_type="video/mp4",
            duration_seconds=9,
            width=240,
            height=240,
        ),
        message(
            6,
            "",
            file="video_files/g.mp4",
            media_type="animation",
            mime_type="video/mp4",
            width=200,
            height=100,
            via_bot="@gif",
        ),
        message(
            7,
            "",
            file="voice_messages/audio_1.ogg",
            media_type="voice_message",
            mime_type="audio/ogg",
            duration_seconds=12,
        ),
        message(
            8,
            "",
            file="files/song.mp3",
            media_type="audio_file",
            mime_type="audio/mpeg",
            performer="Band",
            title="Song",
            duration_seconds=200,
        ),
        message(
            9,
            "the report",
            file="files/report.pdf",
            file_name="report.pdf",
            file_size=53862,
            mime_type="application/pdf",
        ),
        message(
            10,
            "",
            file="stickers/sticker.webp",
            media_type="sticker",
            sticker_emoji="😀",
            mime_type="image/webp",
            width=512,
            height=512,
        ),
        message(
            11,
            "",
            file="stickers/AnimatedSticker.tgs",
            media_type="sticker",
            mime_type="application/x-tgsticker",
            width=512,
            height=512,
        ),
        message(
            12,
            "",
            file="stickers/video.webm",
            media_type="sticker",
            mime_type="video/webm",
            width=512,
            height=512,
        ),
        message(
            13,
            "",
            poll={
                "question": "Tea or coffee?",
                "closed": True,
                "total_voters": 4,
                "answers": [
                    {"text": "Tea", "voters": 3, "chosen": True},
                    {"text": "Coffee", "voters": 1, "chosen": False},
                ],
            },
        ),
        message(14, "", location_information={"latitude": 59.9386, "longitude": 30.3141}),
        message(
            15,
            "",
            place_name="Hermitage",
            address="Palace Square 2",
            location_information={"latitude": 59.9398, "longitude": 30.3146},
        ),
        message(
            16,
            "",
            contact_information={
                "first_name": "Ivan",
                "last_name": "Petrov",
                "phone_number": "+7 900 000 00 00",
            },
        ),
        message(17, "", game_title="Lumberjack", game_description="Chop wood", game_link="https://t.me/game"),
        message(18, "forwarded words", forwarded_from="Other Channel", author="Editor"),
        message(
            19, "answer", reply_to_message_id=3, edited="2023-11-20T00:00:00", edited_unixtime="1700438400"
        ),
        message(
            20,
            "with buttons",
            inline_bot_buttons=[
                [
                    {"type": "url", "text": "Open", "data": "https://example.org"},
                    {"type": "callback", "text": "Press", "data": "", "dataBase64": "eA=="},
                ]
            ],
            reactions=[
                {"type": "emoji", "count": 5, "emoji": "👍"},
                {"type": "paid", "count": 2},
                {"type": "custom_emoji", "count": 1, "document_id": "123"},
            ],
        ),
        message(21, "", kind="service", sender=None, actor="Alice", action="pin_message", message_id=18),
        message(
            22, "", kind="service", sender=None, actor="Alice", action="edit_group_title", title="New Name"
        ),
        message(
            23,
            "",
            kind="service",
            sender=None,
            actor="Alice",
            action="edit_group_photo",
            photo="photos/group.jpg",
            width=100,
            height=100,
        ),
        message(
            24, "", kind="service", sender=None, actor="Bob", action="join_group_by_link", inviter="Alice"
        ),
        message(
            25, "", kind="service", sender=None, actor="Alice", action="topic_created", title="Off-topic"
        ),
        message(26, "", kind="service", sender=None, actor="Alice", action="hologram_call", seconds=3),
        {"id": 27, "type": "unsupported"},
        message(28, "from the future", kind="story_reply", sender="Bob"),
        message(29, "dice", dice={"emoticon": "🎲", "value": 4}),
        message(
            30, "", file=NOT_INCLUDED, media_type="video_file", mime_type="video/mp4", duration_seconds=3
        ),
        message(31, "signed", sender=None, author="Anna"),
        message(
            32,
            "",
            invoice_information={
                "title": "Tickets",
                "description": "Two seats",
                "amount": 500,
                "currency": "EUR",
            },
        ),
    ]


@pytest.fixture(scope="module")
def kinds_site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("kinds")
    run = sitegen(root, str(write_export(root / "export", chat(_kinds()), FILES)))
    assert run.returncode == 0, run.stderr
    return root, build(root), run


def test_every_file_is_copied_under_the_scrapers_names(kinds_site) -> None:
    root, _, run = kinds_site
    folder = root / "content" / "made_up"
    copied = {
        p.read_bytes(): str(p.relative_to(folder)) for p in (folder / "media").rglob("*") if p.is_file()
    }
    assert copied == {
        FILES["photos/p1.jpg"]: "media/2/1.jpg",
        FILES["photos/p2.jpg"]: "media/2/2.jpg",
        FILES["video_files/v.mp4"]: "media/4/1.mp4",
        FILES["video_files/v.mp4_thumb.jpg"]: "media/4/1-thumb.jpg",
        FILES["round_video_messages/r.mp4"]: "media/5/1.mp4",
        FILES["video_files/g.mp4"]: "media/6/1.mp4",
        FILES["voice_messages/audio_1.ogg"]: "media/7/1.ogg",
        FILES["files/song.mp3"]: "media/8/1.mp3",
        FILES["files/report.pdf"]: "media/9/1.pdf",
        FILES["stickers/sticker.webp"]: "media/10/1.webp",
        FILES["stickers/AnimatedSticker.tgs"]: "media/11/1.tgs",
        FILES["stickers/video.webm"]: "media/12/1.webm",
        FILES["photos/group.jpg"]: "media/23/1.jpg",
    }
    assert "13 media files copied, 1 not exported (1 not included in the export)" in run.stdout
    assert "kept unknown message keys as they are: dice" in run.stderr


def test_album_is_one_post_with_both_photos(kinds_site) -> None:
    root, out, _ = kinds_site
    assert 3 not in content.post_ids(root / "content" / "made_up")
    node = article(out, "made_up", 2)
    assert [img.attributes["width"] for img in node.css(".post-media img")] == ["640", "640"]
    assert len(node.css(".post-media.album .tile")) == 2


def test_media_kinds_render(kinds_site) -> None:
    _, out, _ = kinds_site
    video = article(out, "made_up", 4).css_first("video")
    assert video.attributes["poster"].endswith("media/4/1-thumb.jpg") and video.attributes["width"] == "1280"
    assert article(out, "made_up", 4).css_first(".badge-duration").text() == "Duration: 1:15"
    assert article(out, "made_up", 5).css_first("figure.media-round_video video") is not None
    gif = article(out, "made_up", 6)
    assert "loop" in gif.css_first("video.media-gif").attributes
    assert gif.css_first(".via-bot").text() == "via @gif"
    assert article(out, "made_up", 7).css_first(".media-voice audio") is not None
    assert article(out, "made_up", 8).css_first(".audio-title").text().startswith("🎵 Band — Song")
    doc = article(out, "made_up", 9)
    assert (
        doc.css_first(".doc-name a").text() == "report.pdf" and doc.css_first(".doc-size").text() == "52.6 KB"
    )
    assert article(out, "made_up", 10).css_first("img.media-sticker") is not None
    assert article(out, "made_up", 11).css_first(".media-animated_sticker") is not None
    assert article(out, "made_up", 12).css_first("video.media-video_sticker") is not None
    assert "Not exported" in article(out, "made_up", 30).text()


def test_polls_places_contacts_games_invoices_render(kinds_site) -> None:
    _, out, _ = kinds_site
    poll = article(out, "made_up", 13)
    assert poll.css_first(".poll-question").text() == "Tea or coffee?"
    assert [p.text() for p in poll.css(".poll-percent")] == ["75%", "25%"]
    assert "4" in poll.css_first(".poll-voters").text()
    assert "59.93860, 30.31410" in article(out, "made_up", 14).css_first(".location").text()
    venue = article(out, "made_up", 15).css_first(".location").text()
    assert "Hermitage" in venue and "Palace Square 2" in venue
    assert "Ivan Petrov, +7 900 000 00 00" in article(out, "made_up", 16).css_first(".post-text").text()
    game = article(out, "made_up", 17).css_first(".post-text").text()
    assert "Lumberjack" in game and "Chop wood" in game
    assert "Tickets — Two seats (500 EUR)" in article(out, "made_up", 32).css_first(".post-text").text()


def test_headers_footers_buttons_and_reactions_render(kinds_site) -> None:
    _, out, _ = kinds_site
    forwarded = article(out, "made_up", 18)
    assert "Other Channel" in forwarded.css_first(".post-forwarded").text()
    assert forwarded.css_first(".post-sender").text() == "Alice"
    reply = article(out, "made_up", 19)
    assert (
        reply.css_first("a.post-reply").attributes["href"] == "../../made_up/2/index.html"
    )  # album item 3 -> 2
    assert reply.css_first(".edited") is not None
    buttons = article(out, "made_up", 20)
    assert buttons.css_first("a.button").attributes["href"] == "https://example.org"
    assert buttons.css_first("span.button").text() == "Press"
    assert [li.text() for li in buttons.css(".reactions li")] == ["👍 5", "⭐ 2", "🔸 1"]
    assert article(out, "made_up", 31).css_first(".author").text().endswith("Anna")


def test_service_actions_are_quiet_lines_with_their_words(kinds_site) -> None:
    root, out, _ = kinds_site
    expected = {
        1: "Alice created the group «Made Up»",
        21: "Alice pinned a message",
        22: "Alice changed the name to «New Name»",
        23: "Alice changed the photo",
        24: "Bob joined the group via an invite link",
        25: "Alice created the topic «Off-topic»",
        26: "Alice: hologram call",
    }
    for post_id, words in expected.items():
        node = article(out, "made_up", post_id)
        assert "post-service" in node.attributes["class"]
        assert visible_text(node.css_first(".service-text")) == words
    stored = content.read_post(root / "content/made_up/posts/26.md")
    assert stored.service == "other" and stored.extra["action"] == "hologram_call"
    assert stored.extra["tdesktop"] == {"seconds": 3}


def test_unknown_and_unsupported_messages_are_kept_with_their_type(kinds_site) -> None:
    root, out, _ = kinds_site
    folder = root / "content/made_up/posts"
    unsupported = content.read_post(folder / "27.md")
    assert unsupported.unsupported and unsupported.date == content.read_post(folder / "26.md").date
    future = content.read_post(folder / "28.md")
    assert (
        future.unsupported
        and future.extra["export_type"] == "story_reply"
        and future.text == "from the future"
    )
    assert "from the future" in article(out, "made_up", 28).text()
    dice = content.read_post(folder / "29.md")
    assert dice.extra["tdesktop"] == {"dice": {"emoticon": "🎲", "value": 4}}


def test_dates_without_an_offset_are_read_in_the_configured_time_zone(tmp_path: Path) -> None:
    item = message(1, "old format")
    del item["date_unixtime"]
    item["date"] = "2021-03-22T17:16:54"
    (tmp_path / "sitegen.toml").write_text('timezone = "Europe/Moscow"\n', encoding="utf-8")
    assert sitegen(tmp_path, str(write_export(tmp_path / "export", chat([item])))).returncode == 0
    post = content.read_post(tmp_path / "content/made_up/posts/1.md")
    assert post.date.isoformat() == "2021-03-22T17:16:54+03:00"


_PLAIN_ALPHABET = list("ab Z09_*`[]()#>-+=.!|~\\<&;:/@'\"\n\t\r\x00\x0b\x0c\x85\xa0") + [
    "яЖ", "\u2028", "\u202e", "\u200b", "👍", "1.", "&amp;", "http://x.y/a_b", "\ufdd0",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_ALPHABET), max_size=20).map("".join))
def test_the_plain_text_shortcut_writes_what_the_full_converter_writes(text: str) -> None:
    assert plain_to_markdown(text) == html_to_markdown(html.escape(text, quote=False).replace("\n", "<br>"))


# --- odd values never crash the converter ------------------------------------------------------------------

_SMALL_DICTS = st.dictionaries(
    st.sampled_from(["type", "text", "href", "count", "emoji", "answers", "latitude"]),
    st.one_of(st.text(max_size=4), st.integers(), st.none(), st.lists(st.integers(), max_size=2)),
)
_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(["", "(File not included.)", "../x", "photos/a.jpg", "99999999999999999", "message"]),
    st.lists(st.one_of(st.text(max_size=3), st.integers(), _SMALL_DICTS), max_size=3),
    _SMALL_DICTS,
)
_KEYS = st.sampled_from(
    (
        "type date date_unixtime edited from author forwarded_from saved_from reply_to_message_id",
        "reply_to_peer_id via_bot photo width height file file_name file_size thumbnail media_type",
        "mime_type duration_seconds performer title text text_entities inline_bot_buttons reactions",
        "actor action members message_id contact_information location_information place_name",
        "game_title invoice_information poll information_text paid_stars_amount",
    )
).flatmap(lambda line: st.sampled_from(line.split(" ")))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _ODD, max_size=8), min_size=1, max_size=4))
def test_odd_values_in_any_field_never_crash_the_conversion(messages: list[dict]) -> None:
    from datetime import UTC

    from sitegen.content import format_post, parse_post
    from sitegen.tdesktop.convert import ChatInfo, convert_group, group_albums

    for number, item in enumerate(messages, start=1):
        item["id"] = number
        item["date_unixtime"] = "1700000000"
    info = ChatInfo(channel="odd", type="private_group", chat_id=1, public=False, tz=UTC)
    ids: dict[int, int] = {}
    for group in group_albums(messages):
        post = convert_group(group, info, ids).post
        assert parse_post(format_post(post)).id == post.id
