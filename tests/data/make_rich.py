"""Write the rich sample archive in tests/data/rich/: two channels, one post of every kind.

Run it from anywhere: ``python tests/data/make_rich.py``. It rewrites the tree from scratch,
so the committed files are always this script's output. The media files are tiny and made
here with the standard library: PNG images (zlib), WAV sounds (wave). Video files are short
placeholders (no encoder is available offline); their pages only reference them with
``preload="none"``, so nothing plays them during tests.
"""

from __future__ import annotations

import io
import shutil
import struct
import sys
import wave
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "rich"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sitegen.content import write_channel, write_post  # noqa: E402
from sitegen.model import (  # noqa: E402
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

MSK = timezone(timedelta(hours=3))


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small valid PNG: a diagonal gradient from ``rgb``, 8-bit RGB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            shade = (x + y) * 96 // (width + height)
            rows += bytes(min(255, c + shade) for c in rgb)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float, tone: int) -> bytes:
    """A short valid WAV: 8 kHz, 8-bit mono square wave."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        period = 8000 // tone
        out.writeframes(bytes(160 if (i // (period // 2)) % 2 else 96 for i in range(int(8000 * seconds))))
    return buf.getvalue()


PLACEHOLDER_VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom sitegen sample placeholder\n"


def at(month: int, day: int, hour: int = 12) -> datetime:
    """A date in 2024, Moscow time (the sample's time zone)."""
    return datetime(2024, month, day, hour, 0, tzinfo=MSK)


def media_file(channel_dir: Path, post_id: int, name: str, data: bytes) -> str:
    """Write one media file and return its path relative to the channel folder."""
    relative = f"media/{post_id}/{name}"
    path = channel_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


def rich_posts(ch: Path) -> list[Post]:
    """The first channel: every kind of message, in Russian, across January..April 2024."""
    name = ch.name
    src = f"https://t.me/{name}/"

    def post(pid: int, date: datetime, text: str = "", **kw: object) -> Post:
        return Post(id=pid, date=date, channel=name, text=text, source=f"{src}{pid}", **kw)  # type: ignore[arg-type]

    photo = media_file(ch, 3, "1.png", png(120, 80, (40, 90, 160)))
    album = [media_file(ch, 4, f"{i}.png", png(90, 90, (150 + 30 * i, 60, 60))) for i in (1, 2, 3)]
    video = media_file(ch, 5, "1.mp4", PLACEHOLDER_VIDEO)
    video_thumb = media_file(ch, 5, "1-thumb.png", png(96, 54, (20, 120, 80)))
    big_thumb = media_file(ch, 6, "1-thumb.png", png(96, 54, (120, 20, 80)))
    gif = media_file(ch, 7, "1.mp4", PLACEHOLDER_VIDEO)
    round_video = media_file(ch, 8, "1.mp4", PLACEHOLDER_VIDEO)
    round_thumb = media_file(ch, 8, "1-thumb.png", png(64, 64, (200, 140, 20)))
    voice = media_file(ch, 9, "1.wav", wav(0.3, 440))
    music = media_file(ch, 10, "1.wav", wav(0.3, 660))
    document = media_file(ch, 11, "1.pdf", b"%PDF-1.1\n% sitegen sample document\n%%EOF\n")
    sticker = media_file(ch, 12, "1.png", png(64, 64, (230, 180, 40)))
    preview = media_file(ch, 15, "preview.png", png(100, 52, (70, 70, 140)))
    album_thumbs = [media_file(ch, 27, f"{i}-thumb.png", png(96, 54, (60, 40 * i, 120))) for i in (1, 2)]
    avatar = media_file(ch, 0, "avatar.png", png(48, 48, (26, 95, 180)))
    assert avatar == "media/0/avatar.png"

    return [
        post(1, at(1, 5, 9), "Канал создан", service="channel_created"),
        post(
            2,
            at(1, 10),
            "**Добро пожаловать** в архив канала! Здесь *всё*, что мы публиковали. #анонс #news\n\n"
            "Секрет: ||ракеты летают на топливе|| — и ~~никак~~ иначе.",
            views=1520,
            reactions=[Reaction("👍", 42), Reaction("🔥", 7)],
        ),
        post(
            3,
            at(1, 18),
            "Закат над рекой #фото",
            media=[Media("photo", file=photo, width=120, height=80)],
            views=980,
        ),
        post(
            4,
            at(1, 25),
            "Альбом из трёх снимков #фото",
            media=[Media("photo", file=f, width=90, height=90) for f in album],
            views=1100,
        ),
        post(
            5,
            at(2, 2),
            "Видео с запуска",
            media=[Media("video", file=video, thumb=video_thumb, width=96, height=54, duration=83)],
            views=2300,
        ),
        post(
            6,
            at(2, 9),
            "Полная запись трансляции",
            media=[
                Media(
                    "video",
                    thumb=big_thumb,
                    width=96,
                    height=54,
                    duration=3725,
                    too_big=True,
                    url=f"{src}6?single",
                )
            ],
        ),
        post(7, at(2, 14), "", media=[Media("gif", file=gif, width=64, height=64)]),
        post(
            8,
            at(2, 20),
            "",
            media=[
                Media("round_video", file=round_video, thumb=round_thumb, width=64, height=64, duration=12)
            ],
        ),
        post(9, at(2, 27), "", media=[Media("voice", file=voice, duration=5)]),
        post(
            10,
            at(3, 1),
            "Музыка недели",
            media=[Media("audio", file=music, duration=214, title="Восход", performer="Оркестр")],
        ),
        post(
            11,
            at(3, 4),
            "Отчёт за квартал",
            media=[Media("document", file=document, title="отчёт-2024.pdf", size="52.6 KB")],
        ),
        post(12, at(3, 6), "", media=[Media("sticker", file=sticker, width=64, height=64)]),
        post(
            13,
            at(3, 9),
            "",
            poll=Poll(
                "Когда следующий запуск?",
                kind="Анонимный опрос",
                options=[PollOption("В марте", 62), PollOption("В апреле", 30), PollOption("Позже", 8)],
                voters=310,
            ),
        ),
        post(
            14, at(3, 12), "", location=Location(55.7558, 37.6173, title="Красная площадь", address="Москва")
        ),
        post(
            15,
            at(3, 15),
            "Подробности на сайте https://example.org/launch",
            link_preview=LinkPreview(
                "https://example.org/launch",
                site="Example",
                title="Запуск ракеты",
                description="Всё о запуске: дата, время, трансляция.",
                image=preview,
            ),
        ),
        post(
            16,
            at(3, 18),
            "Интересная заметка от коллег",
            forwarded_from=ForwardedFrom("Космос сегодня", url="https://t.me/space_today/77", author="Анна"),
        ),
        post(17, at(3, 20), "Напоминаем про анонс выше", reply_to=ReplyTo(name, 2, url=f"{src}2")),
        post(
            18,
            at(3, 22),
            "Отвечаем на вопрос из соседнего канала",
            reply_to=ReplyTo("space_today", 80, url="https://t.me/space_today/80"),
        ),
        post(
            19,
            at(3, 25),
            "Исправленная новость о ракетах",
            author="Иван Петров",
            views=12900,
            edited=True,
            reactions=[Reaction("❤", 120), Reaction("😮", 3)],
        ),
        post(20, at(3, 26), "Запись закреплена", service="pinned"),
        post(
            21,
            at(4, 1),
            "Регистрация открыта #анонс",
            buttons=[
                [Button("Записаться", "https://example.org/register")],
                [Button("Правила", "https://example.org/rules"), Button("Чат", "https://t.me/space_chat")],
            ],
        ),
        post(22, at(4, 3), "Эту запись удалили в Telegram, но архив её сохранил", deleted=True),
        post(23, at(4, 5), "", unsupported=True),
        post(
            24,
            at(4, 8),
            'Пример кода:\n\n```python\nprint("Привет, мир")\n```\n\nИ `inline` тоже.',
        ),
        post(
            25,
            at(4, 12),
            "Новые ракеты уже на стартовой площадке #анонс\n\nСледите за обновлениями.",
            views=4100,
        ),
        post(
            26,
            at(4, 14),
            "Снимок не сохранился в архиве",
            media=[Media("photo", width=800, height=600, url=f"{src}26")],
        ),
        # An album of three videos too big for the web preview, as t.me/s shows them (posters and
        # durations only, the last without a poster), with text under it: captions must stay in the tiles.
        post(
            27,
            at(4, 16),
            "Три ролика с испытаний: все слишком большие для веб-просмотра, смотрите их в Telegram. "
            "Первый — общий план, второй — крупно, третий — с дрона.",
            media=[
                *(
                    Media(
                        "video",
                        thumb=t,
                        width=1280,
                        height=720,
                        duration=40 + 7 * i,
                        too_big=True,
                        url=f"{src}{27 + i}?single",
                    )
                    for i, t in enumerate(album_thumbs)
                ),
                Media("video", width=720, height=1280, duration=95, too_big=True, url=f"{src}29?single"),
            ],
            views=3100,
        ),
    ]


def second_posts(ch: Path) -> list[Post]:
    """The second channel: a few plain English posts, so multi-channel pages have two sections."""
    name = ch.name

    def post(pid: int, date: datetime, text: str, **kw: object) -> Post:
        return Post(id=pid, date=date, channel=name, text=text, source=f"https://t.me/{name}/{pid}", **kw)  # type: ignore[arg-type]

    return [
        post(101, at(1, 15), "Hello from the second channel #news", views=10),
        post(102, at(2, 15), "A rocket update: launches are on schedule #news #rockets", views=25),
        post(103, at(3, 15), "Replying to our first post", reply_to=ReplyTo(name, 101)),
    ]


def main() -> None:
    """Rewrite tests/data/rich/ from scratch."""
    if ROOT.exists():
        shutil.rmtree(ROOT)
    first = ROOT / "rich_demo"
    second = ROOT / "second_demo"
    for ch in (first, second):
        (ch / "posts").mkdir(parents=True)
    write_channel(
        first,
        Channel(
            "rich_demo",
            title="Богатый архив",
            description="Пример канала со всеми видами сообщений.\nДля тестов sitegen.",
            avatar="media/0/avatar.png",
            subscribers=12345,
            photos=1540,
            videos=12,
            files=1,
            links=3,
            verified=True,
        ),
    )
    write_channel(second, Channel("second_demo", title="Second demo", description="A small English channel."))
    for post in rich_posts(first):
        write_post(first, post)
    for post in second_posts(second):
        write_post(second, post)
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    print(f"wrote {ROOT} ({total} bytes)")


if __name__ == "__main__":
    main()
