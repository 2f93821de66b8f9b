"""Generate a realistic synthetic Telegram channel in sitegen's content format, at any size.

    python bench/generate.py --posts 4000 --out bench/out/content

Posts mix English and Russian text with Markdown formatting, links (inline and bare), hashtags,
emoji and spoilers; about a fifth carry photos (hard links to one tiny real JPEG), some have link
previews, reactions, forwards and replies. Dates spread over years, oldest first. The same seed
gives the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

PHOTO = Path(__file__).resolve().parent / "data" / "photo.jpg"  # 16x16 baseline JPEG, 543 bytes
START = datetime(2016, 3, 1, 9, 0, tzinfo=UTC)


def _words(text: str) -> list[str]:
    """The space-separated words of ``text``."""
    return text.split()


WORDS_EN = _words(
    "the a new release update today we our team channel open source python build static site archive "
    "search fast simple works again please read more about this week news thanks everyone check link "
    "video photo launch space rocket data model paper results benchmark server memory cache"
)
WORDS_RU = _words(
    "сегодня новый выпуск обновление мы наша команда канал открытый код быстрый простой сайт архив "
    "поиск спасибо всем читайте подробнее неделя новости ракета запуск данные модель статья результаты "
    "память сервер кэш ракетами ракетой москва весна лето осень зима"
)
TAGS = _words(
    "news release python opensource space ai data benchmark weekly update новости релиз космос "
    "данные обзор интервью анонс видео фото события"
)
EMOJI = _words("👍 🔥 🚀 ❤️ 😂 🎉 🤔 👀 ✅ 📢 💡 🙏 😢 🤯 ⚡")
SITES = ("example.com", "example.org", "news.example.net", "blog.example.io", "пример.рф")


def sentence(rnd: random.Random) -> str:
    """One sentence in English or Russian, now and then with formatting, an emoji or a hashtag."""
    words = rnd.choice((WORDS_EN, WORDS_RU))
    parts = [rnd.choice(words) for _ in range(rnd.randint(5, 16))]
    roll = rnd.random()
    i = rnd.randrange(len(parts))
    if roll < 0.12:
        parts[i] = f"**{parts[i]}**"
    elif roll < 0.2:
        parts[i] = f"*{parts[i]}*"
    elif roll < 0.24:
        parts[i] = f"`{parts[i]}`"
    elif roll < 0.27:
        parts[i] = f"||{parts[i]}||"
    elif roll < 0.29:
        parts[i] = f"~~{parts[i]}~~"
    if rnd.random() < 0.3:
        parts.append(rnd.choice(EMOJI))
    text = " ".join(parts)
    return text[0].upper() + text[1:] + rnd.choice(".!?.")


def url(rnd: random.Random) -> str:
    """A plausible web address."""
    return f"https://{rnd.choice(SITES)}/{rnd.choice(WORDS_EN)}/{rnd.randint(1, 99999)}"


def post_text(rnd: random.Random) -> tuple[str, str | None]:
    """A post's Markdown text and the first link in it (for the link preview), if any."""
    paragraphs = []
    link = None
    for _ in range(rnd.choice((1, 1, 1, 2, 2, 3, 4))):
        paragraphs.append(" ".join(sentence(rnd) for _ in range(rnd.randint(1, 4))))
    roll = rnd.random()
    if roll < 0.25:
        link = url(rnd)
        paragraphs.append(f"[{rnd.choice(WORDS_RU + WORDS_EN)}]({link})")
    elif roll < 0.4:
        link = url(rnd)
        paragraphs.append(link)
    if rnd.random() < 0.05:
        paragraphs.append(f"> {sentence(rnd)}")
    if rnd.random() < 0.45:
        paragraphs.append(" ".join("#" + t for t in rnd.sample(TAGS, rnd.randint(1, 3))))
    return "\n\n".join(paragraphs), link


def q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def front_matter(
    rnd: random.Random, channel: str, post_id: int, date: datetime, link: str | None
) -> tuple[list[str], int]:
    """The YAML lines of one post, in the canonical key order sitegen writes."""
    lines = [f"id: {post_id}", f"channel: {channel}", f"date: {date.isoformat()}"]
    if rnd.random() < 0.05:
        lines.append("edited: true")
    lines.append(f"views: {rnd.randint(100, 250_000)}")
    if rnd.random() < 0.05:
        lines += ["forwarded_from:", f"  name: {q('Канал ' + rnd.choice(WORDS_RU))}", f"  url: {url(rnd)}"]
    if post_id > 10 and rnd.random() < 0.03:
        target = rnd.randint(1, post_id - 1)
        lines += ["reply_to:", f"  channel: {channel}", f"  id: {target}"]
    photos = rnd.choice((1, 1, 1, 1, 2, 3)) if rnd.random() < 0.2 else 0
    if photos:
        lines.append("media:")
        for n in range(1, photos + 1):
            lines += ["- kind: photo", f"  file: media/{post_id}/{n}.jpg", "  width: 16", "  height: 16"]
    if link and rnd.random() < 0.6:
        lines += ["link_preview:", f"  url: {link}", f"  site: {q(link.split('/')[2])}"]
        lines += [f"  title: {q(sentence(rnd))}", f"  description: {q(sentence(rnd))}"]
    if rnd.random() < 0.5:
        lines.append("reactions:")
        for emoji in rnd.sample(EMOJI, rnd.randint(1, 4)):
            lines += [f"- emoji: {emoji}", f"  count: {rnd.randint(1, 3000)}"]
    lines.append(f"source: https://t.me/{channel}/{post_id}")
    return lines, photos


def write_post(channel_dir: Path, rnd: random.Random, channel: str, post_id: int, date: datetime) -> None:
    """Write one post file and hard-link its photos."""
    text, link = post_text(rnd)
    lines, photos = front_matter(rnd, channel, post_id, date, link)
    body = "---\n" + "\n".join(lines) + "\n---\n" + text + "\n"
    (channel_dir / "posts" / f"{post_id}.md").write_text(body, encoding="utf-8")
    if photos:
        folder = channel_dir / "media" / str(post_id)
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1, photos + 1):
            target = folder / f"{n}.jpg"
            try:
                os.link(PHOTO, target)
            except OSError:
                shutil.copyfile(PHOTO, target)


def generate(out: Path, posts: int, channel: str = "benchchan", seed: int = 7, years: float = 6.0) -> Path:
    """Write ``posts`` posts into ``out``/<channel>/ (replacing it); return the channel folder."""
    channel_dir = out / channel
    if channel_dir.exists():
        shutil.rmtree(channel_dir)
    (channel_dir / "posts").mkdir(parents=True)
    (channel_dir / "channel.yml").write_text(
        f"title: {q('Бенчмарк channel')}\nusername: {channel}\n"
        f"description: {q('Synthetic channel for benchmarks — синтетический канал')}\nsubscribers: 12345\n",
        encoding="utf-8",
    )
    rnd = random.Random(seed)
    step = timedelta(days=365.25 * years) / max(posts, 1)
    date = START
    for post_id in range(1, posts + 1):
        date += step * rnd.uniform(0.2, 1.8)
        write_post(channel_dir, rnd, channel, post_id, date.replace(microsecond=0))
    return channel_dir


NEW_MONTH = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)  # later than any generated post: a month of its own


def add_post(channel_dir: Path, post_id: int, seed: int = 99, date: datetime = NEW_MONTH) -> Path:
    """Add one new post (newest date) to an existing channel; return its file."""
    rnd = random.Random(seed + post_id)
    write_post(channel_dir, rnd, channel_dir.name, post_id, date)
    return channel_dir / "posts" / f"{post_id}.md"


def same_month(channel_dir: Path, generated: int) -> datetime:
    """A date just after post ``generated`` (the newest generated one) and in its month, as a
    daily run's new posts are; the search index keeps the newest month in a bundle of its own."""
    text = (channel_dir / "posts" / f"{generated}.md").read_text(encoding="utf-8")
    line = next(ln for ln in text.split("\n") if ln.startswith("date: "))
    newest = datetime.fromisoformat(line.removeprefix("date: ").strip())
    later = newest + timedelta(minutes=1)
    return later if later.month == newest.month else newest


def refresh_views(channel_dir: Path, post_ids: list[int], bump: int = 17) -> None:
    """Raise the view count of these posts, as a scheduled scrape's refresh window does."""
    for post_id in post_ids:
        path = channel_dir / "posts" / f"{post_id}.md"
        lines = path.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if line.startswith("views: "):
                lines[i] = f"views: {int(line.removeprefix('views: ')) + bump}"
                break
        path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    """Command line: --posts N --out DIR [--channel NAME] [--seed S]."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=Path("bench/out/content"))
    parser.add_argument("--channel", default="benchchan")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = generate(args.out, args.posts, args.channel, args.seed)
    print(f"wrote {args.posts} posts into {folder}")


if __name__ == "__main__":
    main()
