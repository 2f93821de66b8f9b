"""The content format: post files and channel.yml read and write, round-trip, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import content
from sitegen.content import ContentError, format_post, parse_post, read_post, write_post
from sitegen.model import (
    Button,
    Channel,
    ForwardedFrom,
    LinkPreview,
    Location,
    Media,
    Poll,
    PollOption,
    Post,
    Reaction,
    ReplyTo,
)

FULL_POST = Post(
    id=475,
    channel="start_ds",
    date=datetime(2024, 3, 14, 9, 30, tzinfo=UTC),
    text="⚔️🤖 **Эволюция** Трансформеров\n\n- RoBERTa: улучшенная версия BERT\n||спойлер|| \\*not italic\\*",
    edited=True,
    author="Анна",
    views=1290,
    forwarded_from=ForwardedFrom(name="стены рушатся", url="https://t.me/wallswillfall/122"),
    reply_to=ReplyTo(channel="start_ds", id=470, url="https://t.me/start_ds/470"),
    media=[
        Media(kind="photo", file="media/475/1.jpg", width=800, height=600),
        Media(
            kind="video",
            thumb="media/475/2-thumb.jpg",
            duration=53,
            too_big=True,
            url="https://t.me/start_ds/476?single",
        ),
    ],
    link_preview=LinkPreview(
        url="https://example.org/a?b=1&c=2", site="Example", title="Title", description="Line 1\nLine 2"
    ),
    poll=Poll(
        question="Как лучше?",
        kind="Anonymous Poll",
        multiple=True,
        options=[PollOption("Да", 83), PollOption("Нет", 17)],
        voters=310,
    ),
    location=Location(lat=-23.93, lon=-44.08),
    reactions=[Reaction("👍", 5), Reaction("❤", 2)],
    buttons=[[Button("WATCH", "https://example.org/live")]],
    source="https://t.me/start_ds/475",
    extra={"imported_from": "tdesktop", "notes": {"a": 1}},
)


def test_full_post_round_trips_to_the_same_object_and_bytes() -> None:
    text = format_post(FULL_POST)
    again = parse_post(text)
    assert again == FULL_POST
    assert format_post(again) == text


def test_written_file_reads_back_and_rewrites_identically(tmp_path: Path) -> None:
    path = write_post(tmp_path, FULL_POST)
    assert path == tmp_path / "posts" / "475.md"
    before = path.read_bytes()
    write_post(tmp_path, read_post(path))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["475.md"], "no temp files are left behind"


def test_file_is_readable_yaml_with_emoji_and_cyrillic_unescaped() -> None:
    text = format_post(FULL_POST)
    assert "emoji: 👍" in text
    assert "question: Как лучше?" in text
    assert "date: 2024-03-14T09:30:00+00:00\n" in text
    assert text.startswith("---\nid: 475\nchannel: start_ds\ndate: ")


def test_empty_values_are_left_out_of_the_file() -> None:
    post = Post(id=1, date=datetime(2024, 1, 1, tzinfo=UTC), text="hi")
    assert format_post(post) == "---\nid: 1\ndate: 2024-01-01T00:00:00+00:00\n---\nhi\n"


def test_unknown_keys_are_kept_at_top_level_and_in_media() -> None:
    text = (
        "---\nid: 3\ndate: 2024-01-01T00:00:00+03:00\nmood: happy\n"
        "media:\n- kind: photo\n  file: media/3/1.jpg\n  alt: a cat\n---\nbody\n"
    )
    post = parse_post(text)
    assert post.extra == {"mood": "happy"}
    assert post.media[0].extra == {"alt": "a cat"}
    assert post.date.utcoffset() == timedelta(hours=3)
    assert "mood: happy" in format_post(post)
    assert "alt: a cat" in format_post(post)


def test_hand_written_file_with_quoted_date_and_crlf_is_accepted() -> None:
    post = parse_post('---\r\nid: 9\r\ndate: "2023-02-24T07:29:57+00:00"\r\n---\r\nHello\r\nworld\r\n')
    assert post.date == datetime(2023, 2, 24, 7, 29, 57, tzinfo=UTC)
    assert post.text == "Hello\nworld"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: 1\n", "does not start with a '---'"),
        ("---\nid: 1\ndate: 2024-01-01T00:00:00+00:00\n", "not closed"),
        ("---\nid: [1\n---\n", "not valid YAML (line"),
        ("---\ndate: 2024-01-01T00:00:00+00:00\n---\n", "missing required key 'id'"),
        ("---\nid: 1\n---\n", "missing required key 'date'"),
        ("---\nid: one\ndate: 2024-01-01T00:00:00+00:00\n---\n", "id: expected a whole number"),
        ("---\nid: 1\ndate: 2024-01-01T00:00:00\n---\n", "needs a UTC offset"),
        ("---\nid: 1\ndate: 2024-01-01\n---\n", "date"),
        ("---\nid: 1\ndate: 2024-01-01T00:00:00Z\nmedia: photo\n---\n", "media: expected a list"),
        (
            "---\nid: 1\ndate: 2024-01-01T00:00:00Z\npoll: {question: q, colour: red}\n---\n",
            "unknown key 'colour'",
        ),
        ("---\n- 1\n---\n", "must be a mapping"),
        ("---\nid: 1\ndate: 2024-13-45T00:00:00+00:00\n---\n", "impossible value: month must be in 1..12"),
        (
            "---\nid: 1\ndate: 2024-01-01T00:00:00Z\n"
            "reactions:\n- emoji: a\n  count: 1\n- emoji: b\n  count: x\n---\n",
            "reactions[1].count: expected a whole number",
        ),
        (
            "---\nid: 1\ndate: 2024-01-01T00:00:00Z\npoll:\n  question: q\n  options:\n  - percent: 5\n---\n",
            "missing required key 'poll.options[0].text'",
        ),
    ],
)
def test_broken_post_files_give_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ContentError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_post(text)


def test_read_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "posts" / "12.md"
    path.parent.mkdir()
    path.write_text("---\nid: 12\n---\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        read_post(path)
    assert str(info.value).startswith(str(path))
    path.write_text("---\nid: 13\ndate: 2024-01-01T00:00:00Z\n---\n", encoding="utf-8")
    with pytest.raises(ContentError, match="does not match the file name"):
        read_post(path)
    path.write_bytes(b"---\nid: 12\ndate: 2024-01-01T00:00:00Z\n---\n\xff\xfe")
    with pytest.raises(ContentError, match="not UTF-8"):
        read_post(path)


def test_front_matter_uses_the_c_loader_when_pyyaml_has_it() -> None:
    if hasattr(yaml, "CSafeLoader"):
        assert content._Loader is yaml.CSafeLoader


def test_channel_file_round_trips_and_defaults_to_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "sudpress53"
    assert content.read_channel(folder) == Channel(username="sudpress53")
    channel = Channel(
        username="sudpress53",
        title="Суды Новгородской области",
        description="Пресс-служба\nвторая строка",
        avatar="media/avatar.jpg",
        subscribers=578,
        photos=1500,
        links=192,
        verified=True,
        scraped_at=datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
        extra={"custom": False},
    )
    content.write_channel(folder, channel)
    assert content.read_channel(folder) == channel
    (folder / "channel.yml").write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentError, match="channel.yml: not valid YAML"):
        content.read_channel(folder)


def test_channel_dirs_lists_only_channel_folders(tmp_path: Path) -> None:
    for name in ("alpha", "beta_2", ".git", "bad name", "../x"):
        folder = tmp_path / name.replace("../", "")
        (folder / "posts").mkdir(parents=True, exist_ok=True)
    (tmp_path / "empty").mkdir()
    assert [p.name for p in content.channel_dirs(tmp_path)] == ["alpha", "beta_2", "x"]


_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=150, deadline=None)
@given(
    text=_texts,
    author=st.one_of(st.none(), _texts.filter(bool)),
    views=st.one_of(st.none(), st.integers(0, 10**9)),
    minutes=st.integers(-14 * 60, 14 * 60),
    extra_value=st.one_of(st.none(), _texts, st.integers(), st.booleans()),
)
def test_any_model_value_round_trips(
    text: str, author: str | None, views: int | None, minutes: int, extra_value: object
) -> None:
    post = Post(
        id=7,
        date=datetime(2020, 5, 17, 3, 4, 5, tzinfo=timezone(timedelta(minutes=minutes))),
        text=text.replace("\r", ""),
        author=author,
        views=views,
        reactions=[Reaction(author or "👍", 1)],
        extra={"x_extra": extra_value} if extra_value is not None else {},
    )
    assert parse_post(format_post(post)) == post
