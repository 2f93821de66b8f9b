"""Every kind of message renders as people expect: built from the rich sample, checked on the post pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.site_sample import article, build_rich, page, post_page


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rich sample built in Russian, Moscow time, without search (search has its own tests)."""
    root = tmp_path_factory.mktemp("kinds")
    output, _ = build_rich(root, language="ru", timezone="Europe/Moscow", search=False)
    return output


def test_photo_has_size_lazy_loading_and_alt(out: Path) -> None:
    img = article(out, 3).css_first(".post-media img")
    assert img.attributes["width"] == "120" and img.attributes["height"] == "80"
    assert img.attributes["loading"] == "lazy"
    assert img.attributes["alt"] == "Фото"
    assert (out / "rich_demo/3" / img.attributes["src"]).resolve().is_file()


def test_album_is_a_mosaic_of_all_its_photos(out: Path) -> None:
    media = article(out, 4).css_first(".post-media")
    assert "album" in media.attributes["class"]
    rows = media.css(".album-row")
    assert rows and sum(len(row.css(".tile")) for row in rows) == 3
    # three square photos: one row, each tile a third of it (flex-grow 1 each, the row 3:1)
    assert [row.attributes["style"] for row in rows] == ["aspect-ratio:3.0"]
    imgs = media.css("img")
    assert len(imgs) == 3
    assert all(i.attributes.get("width") and i.attributes.get("loading") == "lazy" for i in imgs)


def test_video_has_poster_and_duration(out: Path) -> None:
    node = article(out, 5)
    video = node.css_first("video")
    assert video.attributes["poster"].endswith("media/5/1-thumb.png")
    assert video.attributes["preload"] == "none" and "controls" in video.attributes
    assert node.css_first(".badge-duration").text().endswith("1:23")


def test_too_big_video_shows_thumbnail_and_links_to_telegram(out: Path) -> None:
    node = article(out, 6)
    assert node.css_first("video") is None
    link = node.css_first(".media-too-big a")
    assert link.attributes["href"] == "https://t.me/rich_demo/6?single"
    assert link.css_first("img").attributes["width"] == "96"
    caption = node.css_first(".media-too-big figcaption")
    assert "слишком большой файл" in caption.text()
    assert caption.css_first("a").attributes["href"] == "https://t.me/rich_demo/6?single"
    assert node.css_first(".media-too-big .play") is not None
    assert node.css_first(".badge-duration").text().endswith("1:02:05")


def test_gif_loops_silently(out: Path) -> None:
    video = article(out, 7).css_first("video.media-gif")
    for attribute in ("autoplay", "loop", "muted", "playsinline"):
        assert attribute in video.attributes


def test_round_video_is_a_video_message(out: Path) -> None:
    node = article(out, 8)
    assert node.css_first("figure.media-round_video video") is not None
    assert "Видеосообщение" in post_page(out, 8).css_first("[data-pagefind-meta=title]").text()


def test_voice_and_music_play_in_audio_elements(out: Path) -> None:
    voice = article(out, 9)
    assert voice.css_first("audio").attributes["src"].endswith("media/9/1.wav")
    assert "Голосовое сообщение" in voice.css_first(".audio-title").text()
    music = article(out, 10)
    assert music.css_first("audio") is not None
    assert "Оркестр — Восход" in music.css_first(".audio-title").text()
    assert music.css_first(".duration").text() == "3:34"


def test_document_is_a_card_with_name_and_size(out: Path) -> None:
    card = article(out, 11).css_first(".media-document")
    link = card.css_first(".doc-name a")
    assert link.text() == "отчёт-2024.pdf" and link.attributes["href"].endswith("media/11/1.pdf")
    assert card.css_first(".doc-size").text() == "52.6 KB"


def test_sticker_is_an_image_with_a_size(out: Path) -> None:
    img = article(out, 12).css_first("img.media-sticker")
    assert img.attributes["width"] == "64" and img.attributes["alt"] == "Стикер"


def test_poll_shows_real_percentages_as_bars_and_the_voters(out: Path) -> None:
    poll = article(out, 13).css_first(".poll")
    assert poll.css_first(".poll-question").text() == "Когда следующий запуск?"
    percents = [n.text() for n in poll.css(".poll-percent")]
    assert percents == ["62%", "30%", "8%"]
    bars = [n.attributes["style"] for n in poll.css(".poll-bar > span")]
    assert bars == ["width: 62%", "width: 30%", "width: 8%"]
    assert "310" in poll.css_first(".poll-voters").text()


def test_location_links_to_a_map(out: Path) -> None:
    loc = article(out, 14).css_first(".location")
    assert "Красная площадь" in loc.text()
    href = loc.css_first("a").attributes["href"]
    assert "mlat=55.7558" in href and "mlon=37.6173" in href


def test_link_preview_is_a_card_with_its_image(out: Path) -> None:
    card = article(out, 15).css_first(".link-preview")
    assert card.css_first(".lp-site").text() == "Example"
    assert card.css_first(".lp-title a").attributes["href"] == "https://example.org/launch"
    assert card.css_first("img").attributes["src"].endswith("media/15/preview.png")
    assert "трансляция" in card.css_first(".lp-description").text()


def test_forwarded_header_names_and_links_the_source(out: Path) -> None:
    header = article(out, 16).css_first(".post-forwarded")
    assert "Переслано из" in header.text() and "(Анна)" in header.text()
    assert header.css_first("a").attributes["href"] == "https://t.me/space_today/77"


def test_reply_links_inside_the_archive_or_to_telegram(out: Path) -> None:
    inside = article(out, 17).css_first("a.post-reply")
    assert inside.attributes["href"] == "../../rich_demo/2/index.html"
    assert inside.css_first(".reply-author").text() == "Богатый архив"
    assert inside.css_first(".reply-text").text().startswith("Добро пожаловать")
    outside = article(out, 18).css_first("a.post-reply")
    assert outside.attributes["href"] == "https://t.me/space_today/80"
    assert outside.css_first(".reply-author").text() == "@space_today"


def test_footer_has_signature_views_edited_and_reactions(out: Path) -> None:
    footer = article(out, 19).css_first(".post-footer")
    assert footer.css_first(".author").text(strip=True).endswith("Иван Петров")
    assert footer.css_first(".views").text() == "12.9K просмотров"
    assert footer.css_first(".edited").text() == "изменено"
    assert [li.text() for li in footer.css(".reactions li")] == ["❤ 120", "😮 3"]
    time = footer.css_first("time")
    assert time.attributes["datetime"] == "2024-03-25T12:00:00+03:00"
    assert time.text() == "25 марта 2024, 12:00 UTC+3"


def test_service_messages_are_quiet_lines(out: Path) -> None:
    for post_id, text in ((1, "Канал создан"), (20, "Запись закреплена")):
        node = article(out, post_id)
        assert "post-service" in node.attributes["class"]
        assert node.css_first(".service-text").text(strip=True) == text
        assert node.css_first(".post-footer") is None


def test_inline_buttons_keep_their_rows(out: Path) -> None:
    rows = article(out, 21).css(".buttons .button-row")
    assert [[b.text() for b in row.css("a.button")] for row in rows] == [["Записаться"], ["Правила", "Чат"]]


def test_deleted_post_has_a_badge(out: Path) -> None:
    node = article(out, 22)
    assert "post-deleted" in node.attributes["class"]
    assert node.css_first(".badge-deleted").text() == "Удалено в Telegram"


def test_unsupported_message_links_to_the_original(out: Path) -> None:
    note = article(out, 23).css_first(".note")
    assert "нельзя показать" in note.text()
    assert note.css_first("a").attributes["href"] == "https://t.me/rich_demo/23"


def test_code_and_spoilers(out: Path) -> None:
    code = article(out, 24).css_first("pre code")
    assert 'print("Привет, мир")' in code.text()
    spoiler = article(out, 2).css_first("label.spoiler")
    assert spoiler.css_first("input.spoiler-toggle") is not None
    assert spoiler.css_first(".spoiler-text").text() == "ракеты летают на топливе"


def test_media_not_in_the_archive_links_to_telegram(out: Path) -> None:
    remote = article(out, 26).css_first(".media-remote")
    assert remote.css_first("a").attributes["href"] == "https://t.me/rich_demo/26"
    assert "не сохранён" in remote.text()


def test_every_image_has_width_and_height(out: Path) -> None:
    for path in sorted(out.glob("rich_demo/*/index.html")):
        for img in page(out, path.relative_to(out).as_posix()).css("img"):
            assert (
                img.attributes.get("width")
                and img.attributes.get("height")
                or "link-preview" in (img.parent.attributes.get("class") or "")
            ), f"{path}: {img.html}"


def test_hashtags_link_to_unicode_tag_pages_with_the_right_posts(out: Path) -> None:
    link = article(out, 25).css_first("a.hashtag")
    assert link.text() == "#анонс"
    assert (out / "rich_demo/25" / unquote(link.attributes["href"])).resolve() == (
        out / "rich_demo/tags/анонс/index.html"
    ).resolve()
    tag = page(out, "rich_demo/tags/анонс/index.html")
    hrefs = [a.attributes["href"] for a in tag.css(".post-list a")]
    assert hrefs == [
        "../../../rich_demo/25/index.html",
        "../../../rich_demo/21/index.html",
        "../../../rich_demo/2/index.html",
    ]
    tags = page(out, "rich_demo/tags/index.html")
    counts = {li.css_first("a").text(): li.css_first(".count").text() for li in tags.css(".tag-cloud li")}
    assert counts == {"#news": "1", "#анонс": "3", "#фото": "2"}


def test_month_pages_and_archive_index_with_counts(out: Path) -> None:
    march = page(out, "rich_demo/2024/03/index.html")
    assert march.css_first("h1").text() == "Записи за март 2024"
    ids = [a.attributes["href"].split("/")[-2] for a in march.css(".post-list a")]
    assert ids == [str(i) for i in range(20, 9, -1)]
    nav = [a.attributes["href"] for a in march.css(".pagination a")]
    assert nav == ["../../../rich_demo/2024/02/index.html", "../../../rich_demo/2024/04/index.html"]
    archive = page(out, "rich_demo/archive/index.html")
    months = {
        li.css_first("a").text(): li.css_first(".count").text() for li in archive.css(".archive-months li")
    }
    assert months == {"Январь 2024": "4", "Февраль 2024": "5", "Март 2024": "11", "Апрель 2024": "7"}
    assert archive.css_first("h2 .count").text() == "27"


def test_every_page_sets_the_language_and_one_h1(out: Path) -> None:
    for path in sorted(out.rglob("*.html")):
        doc = page(out, path.relative_to(out).as_posix())
        assert doc.css_first("html").attributes["lang"] == "ru", path
        assert len(doc.css("h1")) == 1, path


def test_search_box_is_left_out_when_search_is_off(out: Path) -> None:
    assert post_page(out, 3).css_first("form[role=search]") is None
    assert not (out / "search.html").exists()


def test_post_page_is_small(out: Path) -> None:
    css = (out / "_static/style.css").stat().st_size
    for path in out.glob("rich_demo/*/index.html"):
        assert path.stat().st_size + css < 30_000, path


def test_channel_header_has_badge_counters_linked_description_and_button(out: Path) -> None:
    header = page(out, "rich_demo/index.html").css_first(".channel-header")
    badge = header.css_first("h1 svg.verified")
    assert badge is not None and badge.attributes["aria-label"] == "Подтверждённый канал"
    counters = [li.text() for li in header.css(".channel-counters li")]
    assert counters == ["12.3K подписчиков", "27 записей", "1.5K фото", "12 видео", "1 файл", "3 ссылки"]
    assert header.css_first("a.button-telegram").attributes["href"] == "https://t.me/rich_demo"
    second = page(out, "second_demo/index.html").css_first(".channel-header")
    assert second.css_first("svg.verified") is None
    assert second.css_first(".channel-counters li").text() == "3 записи"
    # numbered pages leave the counters out, so a full page never changes
    assert page(out, "rich_demo/page/1/index.html").css_first(".channel-counters") is None
