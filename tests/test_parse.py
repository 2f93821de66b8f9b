"""Reading saved real t.me/s pages (and message snippets) into the model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser
from test_text import original_text, rendered_text

from sitegen.build.markdown import markdown_to_html
from sitegen.errors import SitegenError
from sitegen.model import MEDIA_KINDS
from sitegen.telegram.parse import PageError, ParsedPage, parse_count, parse_duration, parse_page

P1 = "any2feed_topwar_official_ru_full.html"
P2 = "infoscape_test_start_of_channel.html"
P3 = "court_monitor_tme_s_sudpress53_ru_2026.html"
P4 = "court_monitor_embed_sudpress53_6529_ru.html"
P6 = "lifemodel_test_channel_anonymized.html"
P8 = "enbv2022_tme_s_start_of_channel_ru_2026.html"


@pytest.fixture(scope="module")
def telegram_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "telegram"


def read(telegram_dir: Path, name: str) -> str:
    folder = telegram_dir / ("pages" if "/" not in name else "snippets")
    return (folder / name).read_text(encoding="utf-8")


def page(telegram_dir: Path, name: str) -> ParsedPage:
    return parse_page(read(telegram_dir, name))


def post(parsed: ParsedPage, post_id: int):  # type: ignore[no-untyped-def]
    return next(p for p in parsed.posts if p.id == post_id)


def message_snippet(telegram_dir: Path, name: str, post: str = "tchantest/1") -> ParsedPage:
    """A media fragment without its message div, wrapped in one so it parses as a post."""
    inner = read(telegram_dir, name)
    html = (
        f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" data-post="{post}">'
        f'<div class="tgme_widget_message_bubble">{inner}<div class="tgme_widget_message_footer">'
        '<a class="tgme_widget_message_date"><time datetime="2023-02-24T07:26:49+00:00"></time></a>'
        "</div></div></div></div>"
    )
    return parse_page(html)


# --- whole pages --------------------------------------------------------------------------------


def test_topwar_page_posts_header_and_pagination(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P1)
    assert len(parsed.posts) == 12
    assert parsed.posts[0].id == 70989 and parsed.posts[-1].id == 71008
    assert [p.id for p in parsed.posts] == sorted(p.id for p in parsed.posts)
    assert parsed.before == 70989
    assert parsed.channel.username == "topwar_official"
    assert parsed.channel.title == "Военное обозрение"
    assert parsed.channel.subscribers == 109_000
    assert parsed.avatar_url and parsed.avatar_url.startswith("https://")
    first = post(parsed, 70989)
    assert first.views == 37_200
    assert first.date == datetime(2023, 2, 28, 7, 47, 53, tzinfo=UTC)
    assert first.source == "https://t.me/topwar_official/70989" and first.channel == "topwar_official"
    assert all(m.file is None for p in parsed.posts for m in p.media)


def test_topwar_album_with_photos_and_video(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P1)
    album = post(parsed, 70992)
    assert [m.kind for m in album.media] == ["photo", "photo", "video"]
    assert [m.url for m in album.media] == [
        f"https://t.me/topwar_official/{i}?single" for i in (70992, 70993, 70994)
    ]
    assert album.media[2].duration == 16
    roles = [(r.media_index, r.role) for r in parsed.media if r.post_id == 70992]
    assert roles == [(0, "file"), (1, "file"), (2, "file"), (2, "thumb")]
    assert len(post(parsed, 71000).media) == 6
    assert 70993 in parsed.ids and len(parsed.ids) == 19


def test_topwar_too_big_video_keeps_thumb_and_duration(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P1)
    video = post(parsed, 71006).media[0]
    assert video.kind == "video" and video.too_big and video.duration == 177
    refs = [r for r in parsed.media if r.post_id == 71006]
    assert [r.role for r in refs] == ["thumb"]
    playable = post(parsed, 71008).media[0]
    assert not playable.too_big and playable.width == 1024 and playable.height == 592


def test_topwar_forward_and_link_preview(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P1)
    forwarded = post(parsed, 70996)
    assert forwarded.forwarded_from is not None
    assert forwarded.forwarded_from.name == "Военкор Ярем"
    assert forwarded.forwarded_from.url == "https://t.me/yaremshooter/1066"
    preview = forwarded.link_preview
    assert preview is not None and preview.url == "http://t.me/infantmilitario/93419"
    assert preview.site == "Telegram" and preview.title == "Милитарист"
    assert [r.role for r in parsed.media if r.post_id == 70996] == ["link_preview_image"]


def test_start_of_channel_2022(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P2)
    assert [p.id for p in parsed.posts] == [1, 2, 3, 4, 5, 7]
    assert parsed.before is None
    assert parsed.channel.subscribers == 1
    created = post(parsed, 1)
    assert created.service == "channel_created" and created.text == "Channel created"
    assert created.views is None
    reply = post(parsed, 7).reply_to
    assert reply is not None and (reply.channel, reply.id) == ("infoscape_test", 2)
    assert post(parsed, 7).text == "ответ на сообщение"  # not the quoted text of post 2
    doc = post(parsed, 5).media[0]
    assert (doc.kind, doc.title, doc.size) == ("document", "2022-05-24 22.09.34.jpg", "52.6 KB")
    assert post(parsed, 4).text == "ссылка на https://yandex.ru/"
    assert post(parsed, 4).link_preview is not None


def test_sudpress_page_album_reactions_and_links(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P3)
    assert len(parsed.posts) == 13 and parsed.before == 6510
    assert parsed.ids == list(range(6510, 6530))
    album = post(parsed, 6517)
    assert len(album.media) == 8 and album.media[0].kind == "video"
    assert {m.kind for m in album.media} == {"video", "photo"}
    assert [m.url for m in album.media] == [f"https://t.me/sudpress53/{i}?single" for i in range(6517, 6525)]
    assert post(parsed, 6513).reactions[0].emoji == "👏" and post(parsed, 6513).reactions[0].count == 1
    text = post(parsed, 6514).text
    assert "(https://vk.ru/away.php?to=https%3A%2F%2Fwww.vsrf.ru%2Fnews%2F37503&utf=1)" in text
    assert "&amp;" not in text
    assert "\n> " in post(parsed, 6529).text or post(parsed, 6529).text.startswith("> ")


def test_embed_page_single_post(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P4)
    assert [p.id for p in parsed.posts] == [6529]
    assert parsed.before is None and not parsed.no_posts_found
    assert parsed.channel.username == "sudpress53"
    only = parsed.posts[0]
    assert only.views == 94 and only.media[0].too_big and only.media[0].duration == 25
    assert only.forwarded_from is not None and only.forwarded_from.url == "https://t.me/sovetsudey/1238"


def test_unsupported_post_is_kept(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P6)
    assert [p.id for p in parsed.posts] == [1001, 1003, 1010]
    assert post(parsed, 1003).unsupported
    assert not post(parsed, 1001).unsupported
    assert [(r.emoji, r.count) for r in post(parsed, 1001).reactions][:1] == [("👍", 10)]
    assert parsed.before == 1001


def test_enbv_whole_channel_page(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, P8)
    assert [p.id for p in parsed.posts] == [1, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
    assert parsed.before is None
    assert parsed.channel.title == "Если б не было войны" and parsed.channel.subscribers == 108
    assert parsed.channel.description is not None
    assert parsed.channel.description.splitlines()[1] == "https://enbv.org/"
    assert post(parsed, 1).date == datetime(2026, 1, 27, 6, 32, 6, tzinfo=UTC)
    assert post(parsed, 4).edited and post(parsed, 17).edited and not post(parsed, 7).edited
    assert [(r.emoji, r.count) for r in post(parsed, 4).reactions] == [("❤", 7), ("👍", 2)]
    assert "||Отвечает коротко — формален, эмоционально обеднён||" in post(parsed, 12).text
    assert "`2202 2083 7895 8673`" in post(parsed, 18).text
    assert post(parsed, 9).text.endswith("#анонс")
    assert post(parsed, 9).forwarded_from.url == "https://t.me/wallswillfall/122"  # type: ignore[union-attr]
    assert post(parsed, 16).text.startswith("**❤️**")  # a custom emoji inside bold
    iv = post(parsed, 15).link_preview
    assert iv is not None and iv.url.startswith("https://t.me/iv?")


def _all_pages(telegram_dir: Path) -> list[Path]:
    return sorted((telegram_dir / "pages").glob("*.html")) + sorted(
        (telegram_dir / "snippets").glob("*/*.html")
    )


def test_every_message_renders_to_its_visible_text_and_keeps_its_links(telegram_dir: Path) -> None:
    """The issue's property, over every message of every saved page and snippet."""
    checked = 0
    for path in _all_pages(telegram_dir):
        html = path.read_text(encoding="utf-8")
        try:
            parsed = parse_page(html)
        except PageError:
            continue  # fragments without a message div
        tree = LexborHTMLParser(html)
        for message in tree.css("div.tgme_widget_message[data-post]"):
            post_id = int((message.attributes.get("data-post") or "").split("/")[1])
            mine = post(parsed, post_id)
            for fallback in message.css(".media_not_supported_cont"):
                fallback.decompose()
            divs = [
                d
                for d in message.css(".tgme_widget_message_text.js-message_text")
                if not d.css_matches(".tgme_widget_message_reply *")
                and "tgme_widget_message_text" not in (d.parent.attributes.get("class") or "")  # type: ignore[union-attr]
            ]
            expected = " ".join(original_text(d.inner_html or "") for d in divs).strip()
            assert rendered_text(mine.text) == expected, f"{path.name} #{post_id}"
            rendered = LexborHTMLParser(markdown_to_html(mine.text))
            targets = {unquote(a.attributes.get("href") or "") for a in rendered.css("a[href]")}
            for div in divs:
                for a in div.css("a[href]"):
                    href = a.attributes.get("href") or ""
                    if a.attributes.get("onclick") is not None:
                        href = href.replace("&amp;", "&")
                    if href.startswith("?q="):
                        continue  # hashtags: plain #tag text, linked by the build
                    assert unquote(urljoin("https://t.me/s/", href)) in targets, f"{path.name} #{post_id}"
            checked += 1
    assert checked >= 80


# --- message kinds from snippets ---------------------------------------------------------------


def test_polls(telegram_dir: Path) -> None:
    regular = page(telegram_dir, "any2feed/message_poll.html").posts[0].poll
    assert regular is not None and regular.multiple and regular.kind == "Anonymous Poll"
    assert [o.percent for o in regular.options] == [16, 83, 3] and regular.voters == 222
    assert regular.options[0].text == "Несколько постов в день"
    quiz = page(telegram_dir, "tchan/poll.html").posts[0].poll
    assert quiz is not None and quiz.kind == "Anonymous Quiz" and not quiz.multiple and quiz.voters == 0
    assert [o.text for o in quiz.options] == ["Opt1", "Opt2", "Opt3"]


def test_voice_music_and_file(telegram_dir: Path) -> None:
    voice_page = page(telegram_dir, "tchan/audio_message.html")
    voice = voice_page.posts[0].media[0]
    assert voice.kind == "voice" and voice.duration == 1
    assert voice_page.media[0].role == "file" and ".ogg" in voice_page.media[0].url
    music = page(telegram_dir, "tchan/audio_document.html").posts[0].media[0]
    assert (music.kind, music.title, music.performer) == ("audio", "AUD-20130329-WA0000", "portadosfundos")
    pdf = page(telegram_dir, "any2feed/message_media_file.html").posts[0].media[0]
    assert (pdf.kind, pdf.title, pdf.size) == ("document", "Оппозиционные медиапроекты.pdf", "2.1 MB")


def test_stickers_static_and_animated(telegram_dir: Path) -> None:
    static = page(telegram_dir, "tchan/sticker_message.html")
    assert static.posts[0].media[0].kind == "sticker" and static.media[0].url.split("?")[0].endswith(".webp")
    animated = page(telegram_dir, "any2feed/message_sticker.html")
    assert animated.posts[0].media[0].kind == "animated_sticker"
    assert animated.media[0].url.split("?")[0].endswith(".tgs")


def test_video_sticker_markup() -> None:
    html = (
        '<div class="tgme_widget_message" data-post="chan/3"><div class="tgme_widget_message_bubble">'
        '<div class="tgme_widget_message_sticker_wrap"><div class="tgme_widget_message_videosticker" '
        'style="width:256px"><video class="js-videosticker_video" src="//cdn.example/s.webm"></video>'
        "</div></div>"
        '<time datetime="2024-01-01T00:00:00+00:00"></time></div></div>'
    )
    parsed = parse_page(html)
    assert parsed.posts[0].media[0].kind == "video_sticker"
    assert parsed.media[0].url == "https://cdn.example/s.webm"


def test_round_video_and_gif(telegram_dir: Path) -> None:
    round_page = page(telegram_dir, "tchan/round_video_single.html")
    item = round_page.posts[0].media[0]
    assert item.kind == "round_video" and item.duration == 5
    assert sorted(r.role for r in round_page.media) == ["file", "thumb"]
    gif = message_snippet(telegram_dir, "any2feed/media_video_gif.html").posts[0].media[0]
    assert gif.kind == "gif" and gif.duration is None
    big = message_snippet(telegram_dir, "any2feed/media_video_too_big.html").posts[0].media[0]
    assert big.kind == "video" and big.too_big and big.duration is not None


def test_location(telegram_dir: Path) -> None:
    where = page(telegram_dir, "tchan/location_message.html").posts[0].location
    assert where is not None and round(where.lat, 2) == -23.93 and round(where.lon, 2) == -44.09


def test_service_messages(telegram_dir: Path) -> None:
    kinds = {
        "tchan/service_message_channel_created.html": "channel_created",
        "tchan/service_message_pinned.html": "pinned",
        "tchan/service_message_channel_name_changed.html": "title_changed",
        "tchan/service_message_channel_photo_updated.html": "photo_changed",
    }
    for name, kind in kinds.items():
        only = page(telegram_dir, name).posts[0]
        assert only.service == kind, name
        assert only.text, name
    photo = page(telegram_dir, "tchan/service_message_channel_photo_updated.html")
    assert photo.posts[0].media[0].kind == "photo" and photo.media[0].role == "file"
    plain = page(telegram_dir, "tchan/service_message_channel_video_changed.html").posts[0]
    assert plain.service is None


def test_signature_and_edited(telegram_dir: Path) -> None:
    signed = page(telegram_dir, "tchan/signed_edited_text_message.html").posts[0]
    assert signed.author == "Álvaro Justen" and signed.edited
    unedited = page(telegram_dir, "tchan/text_message_signed_not_edited.html").posts[0]
    assert unedited.author == "Álvaro Justen" and not unedited.edited
    assert page(telegram_dir, "tchan/unsigned_text_message.html").posts[0].author is None


def test_inline_buttons_and_day_separators(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, "sundaysignal/nflbite_official_trimmed_poll_inline_buttons.html")
    assert [p.id for p in parsed.posts] == [37, 38, 39, 40, 41]
    buttons = post(parsed, 37).buttons
    assert len(buttons) == 1 and buttons[0][0].text == "📺 WATCH LIVE STREAM"
    assert buttons[0][0].url.startswith("http://sportslinks.is/")
    assert post(parsed, 38).poll is not None and post(parsed, 38).poll.voters == 14  # type: ignore[union-attr]
    assert "September" not in post(parsed, 37).text


def test_hidden_forward_and_reply_to_media(telegram_dir: Path) -> None:
    voice = page(telegram_dir, "any2feed/message_voice.html").posts[0]
    assert voice.forwarded_from is not None and voice.forwarded_from.name == "Спортивный Екб"
    assert voice.forwarded_from.url is None
    reply = page(telegram_dir, "tchan/text_reply_to_video.html").posts[0]
    assert reply.reply_to is not None and reply.reply_to.id == 19
    assert reply.text == "Reply to a video (not recorded in telegram)"


def test_media_kinds_are_known(telegram_dir: Path) -> None:
    for path in _all_pages(telegram_dir):
        try:
            parsed = parse_page(path.read_text(encoding="utf-8"))
        except PageError:
            continue
        for item in (m for p in parsed.posts for m in p.media):
            assert item.kind in MEDIA_KINDS
        for ref in parsed.media:
            assert ref.url.startswith(("https://", "http://")) and ref.role in (
                "file",
                "thumb",
                "link_preview_image",
                "reply_thumb",
            )


def test_paid_and_custom_reactions() -> None:
    html = (
        '<div class="tgme_widget_message" data-post="chan/9"><div class="tgme_widget_message_bubble">'
        '<div class="tgme_widget_message_reactions"><span class="tgme_reaction tgme_reaction_paid">'
        '<i class="emoji"><b>⭐</b></i>1.2K</span><span class="tgme_reaction"><tg-emoji emoji-id="5">'
        '<i class="emoji"><b>🔥</b></i></tg-emoji>12</span></div>'
        '<time datetime="2024-01-01T00:00:00+00:00"></time></div></div>'
    )
    reactions = parse_page(html).posts[0].reactions
    assert [(r.emoji, r.count) for r in reactions] == [("⭐", 1200), ("🔥", 12)]


# --- pagination ----------------------------------------------------------------------------------


def test_before_falls_back_to_rel_prev(telegram_dir: Path) -> None:
    html = read(telegram_dir, P3).replace('data-before="6510"', "")
    assert parse_page(html).before == 6510


def test_before_is_none_without_more_link_or_prev(telegram_dir: Path) -> None:
    html = read(telegram_dir, P3).replace('data-before="6510"', "").replace('rel="prev"', 'rel="x"')
    assert parse_page(html).before is None


def test_no_posts_found_page_is_not_an_error(telegram_dir: Path) -> None:
    parsed = page(telegram_dir, "tchan/no_posts_found.html")
    assert parsed.no_posts_found and parsed.posts == [] and parsed.before is None


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "random garbage",
        "<html><body><p>hello</p></body></html>",
        '<html><head><title>Telegram Messenger</title></head><body><div class="tgme_page">If you have '
        '<strong>Telegram</strong>, you can contact <a class="tgme_username_link" href="tg://resolve?'
        'domain=nobody_here">@nobody_here</a> right away.</div></body></html>',
        '<html><head><title>Telegram: Contact @durov</title></head><body><div class="tgme_page">'
        '<div class="tgme_page_title"><span>Pavel Durov</span></div><div class="tgme_page_extra">@durov</div>'
        "</div></body></html>",
        '<div class="tgme_widget_message" data-post="nonsense"></div>',
    ],
)
def test_not_a_channel_preview_is_a_page_error(html: str) -> None:
    with pytest.raises(PageError) as info:
        parse_page(html)
    assert "\n" not in str(info.value) and isinstance(info.value, SitegenError)


def test_garbage_values_never_raise_other_errors() -> None:
    html = (
        '<div class="tgme_widget_message" data-post="chan/5"><div class="tgme_widget_message_bubble">'
        '<a class="tgme_widget_message_photo_wrap" style="width:abcpx;background-image:url(\'\')"></a>'
        '<div class="tgme_widget_message_poll"><div class="tgme_widget_message_poll_option">'
        '<div class="tgme_widget_message_poll_option_percent">x%</div></div></div>'
        '<a class="tgme_widget_message_location_wrap" href="https://maps.example/?q=north,south"></a>'
        '<span class="tgme_widget_message_views">lots</span><time datetime="yesterday"></time>'
        "</div></div>"
    )
    only = parse_page(html).posts[0]
    assert only.id == 5 and only.views is None and only.location is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=160_000), junk=st.text(max_size=20))
def test_truncated_or_spliced_pages_give_a_page_or_a_page_error(
    telegram_dir: Path, cut: int, junk: str
) -> None:
    html = read(telegram_dir, P8)
    cut = cut % max(1, len(html))
    try:
        parsed = parse_page(html[:cut] + junk + html[cut + len(junk) :])
    except PageError:
        return
    assert isinstance(parsed, ParsedPage)


# --- small readers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("943", 943),
        ("1.29K", 1290),
        ("57.8K", 57_800),
        ("1.12M", 1_120_000),
        ("109K", 109_000),
        ("12 345", 12_345),
    ],
)
def test_parse_count(text: str, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize("text", ["", "K", "1.2.3", "lots", "-5"])
def test_parse_count_rejects_garbage(text: str) -> None:
    assert parse_count(text) is None


def test_parse_duration() -> None:
    assert parse_duration("0:53") == 53 and parse_duration("1:02:03") == 3723 and parse_duration("x") is None


@pytest.mark.parametrize(
    ("name", "counters"),
    [
        (P1, (109_000, 19_600, 15_400, 8, 28_600)),
        (P2, (1, 1, None, 1, 1)),  # singular units at 1; no video counter is printed
        (P8, (108, 6, None, None, 15)),
    ],
)
def test_channel_header_keeps_every_counter_telegram_shows(
    telegram_dir: Path, name: str, counters: tuple
) -> None:
    channel = page(telegram_dir, name).channel
    assert (channel.subscribers, channel.photos, channel.videos, channel.files, channel.links) == counters
    assert channel.verified is False  # no saved page is of a verified channel


def test_channel_header_verified_badge(telegram_dir: Path) -> None:
    """A verified channel's badge sits beside the title (section 3): the flag is kept."""
    html = read(telegram_dir, P8)
    marker = '<div class="tgme_channel_info_header_labels">'
    assert marker in html
    badged = html.replace(marker, marker + '<i class="verified-icon"></i>', 1)
    assert parse_page(badged).channel.verified is True
