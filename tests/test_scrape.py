"""The scrape stage end to end against a local fake t.me built from real markup (no mocks)."""

from __future__ import annotations

import math

import pytest
import yaml
from fake_telegram import LANDING_CHANNEL, NOT_TELEGRAM, Fault, LocalServer, scrape_config

from sitegen import content
from sitegen.files import TEMP_PREFIX
from sitegen.scrape import SCRAPED_IDS, add_range, normalise_channel, range_holding, scrape_channels
from sitegen.telegram.fetch import ScrapeError

CHANNEL = "sudpress53"


@pytest.fixture(scope="module")
def server():
    local = LocalServer()
    yield local
    local.stop()


def channel_dir(tmp_path):
    return tmp_path / "content" / CHANNEL


def stored_ids(tmp_path) -> list[int]:
    return sorted(content.post_ids(channel_dir(tmp_path)))


def run(tmp_path, fake, **settings):
    summary = scrape_channels(scrape_config(tmp_path, fake, **settings), [CHANNEL])
    assert not summary.errors, summary.errors
    return summary.channels[0]


def assert_archive_whole(tmp_path, fake) -> None:
    """Every post file parses and names its own id; media files are bodies the server sent; no temp files."""
    folder = channel_dir(tmp_path)
    sent = {data for data in fake.media_sent.values()}
    for post in content.read_posts(folder):
        assert post.channel == CHANNEL
        assert post.source == f"https://t.me/{CHANNEL}/{post.id}"
        for item in post.media:
            for rel in (item.file, item.thumb):
                if rel:
                    assert (folder / rel).read_bytes() in sent
    assert not list(folder.rglob(TEMP_PREFIX + "*"))


# --- pure helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["durov_news", "@durov_news", "t.me/durov_news", "https://t.me/s/durov_news", "https://t.me/durov_news/123",
     "http://telegram.me/durov_news", "  Durov_News  ", "www.t.me/s/durov_news?before=5"],
)  # fmt: skip
def test_channel_input_forms_give_one_name(raw):
    assert normalise_channel(raw) == "durov_news"


@pytest.mark.parametrize("raw", ["", "@", "../etc", "t.me/", "a b", "name/../../x", "%2e%2e", "x" * 65])
def test_bad_channel_input_is_refused(raw):
    with pytest.raises(ScrapeError):
        normalise_channel(raw)


def test_id_ranges_merge_when_they_touch_or_overlap():
    ranges = add_range([], 41, 60)
    ranges = add_range(ranges, 1, 20)
    assert ranges == [[1, 20], [41, 60]]
    ranges = add_range(ranges, 21, 40)
    assert ranges == [[1, 60]]
    assert range_holding(ranges, 33) == [1, 60]
    assert range_holding(ranges, 61) is None


# --- histories --------------------------------------------------------------------------------------


def test_first_run_pages_back_to_the_channel_start(server, tmp_path):
    fake = server.fresh(count=95)
    result = run(tmp_path, fake)
    assert stored_ids(tmp_path) == list(range(1, 96))
    assert result.new == 95 and result.updated == 0 and result.deleted == 0
    assert result.requests == math.ceil(95 / 20) == len(fake.page_requests)
    assert fake.page_requests[1:] == [f"/s/{CHANNEL}?before={b}" for b in (76, 56, 36, 16)]
    channel = content.read_channel(channel_dir(tmp_path))
    assert channel.title and channel.scraped_at is not None
    assert channel.extra[SCRAPED_IDS] == [[1, 95]]
    assert_archive_whole(tmp_path, fake)


def test_the_avatar_is_downloaded_again_only_when_its_address_or_file_changes(server, tmp_path):
    fake = server.fresh(count=20)
    run(tmp_path, fake)
    avatars = [key for key in fake.media_requests if "/avatar/" in key]
    assert len(avatars) == 1
    avatar = channel_dir(tmp_path) / "media" / "avatar.jpg"
    assert avatar.read_bytes() == fake.media_sent[avatars[0]]
    run(tmp_path, fake)  # the page shows the same avatar address: no request
    assert [key for key in fake.media_requests if "/avatar/" in key] == avatars
    avatar.unlink()  # the file is gone: fetched again
    run(tmp_path, fake)
    assert [key for key in fake.media_requests if "/avatar/" in key] == avatars * 2
    assert avatar.is_file()
    assert content.read_channel(channel_dir(tmp_path)).avatar == "media/avatar.jpg"


def test_media_are_named_from_post_ids_with_extensions_from_content_type(server, tmp_path):
    fake = server.fresh(count=20)
    result = run(tmp_path, fake)
    folder = channel_dir(tmp_path)
    files = sorted(p.relative_to(folder).as_posix() for p in (folder / "media").rglob("*") if p.is_file())
    assert result.media == len(files) > 0
    assert "media/avatar.jpg" in files
    for name in files:
        if name != "media/avatar.jpg":
            post_id, file_name = name.split("/")[1:]
            assert post_id.isdigit()
            assert file_name.split(".")[0] in {"preview"} | {f"{n}" for n in range(1, 11)} | {
                f"{n}-thumb" for n in range(1, 11)
            }
            assert file_name.endswith((".jpg", ".mp4"))
    videos = [p for p in files if p.endswith(".mp4")]
    assert videos and all((folder / v).read_bytes()[4:8] == b"ftyp" for v in videos)
    assert_archive_whole(tmp_path, fake)


def test_up_to_date_channel_takes_one_request(server, tmp_path):
    fake = server.fresh(count=95)
    run(tmp_path, fake)
    before = len(fake.page_requests)
    result = run(tmp_path, fake)
    assert result.requests == 1 == len(fake.page_requests) - before
    assert result.new == result.updated == result.deleted == 0


def test_up_to_date_channel_rereads_the_refresh_window(server, tmp_path):
    fake = server.fresh(count=95)
    run(tmp_path, fake)
    result = run(tmp_path, fake, refresh=50)
    assert result.requests == 1 + math.ceil((50 - 20) / 20)  # the newest page holds the first 20
    assert result.new == 0 and result.updated == 0


def test_incremental_run_fetches_only_the_new_posts(server, tmp_path):
    fake = server.fresh(count=95)
    run(tmp_path, fake)
    fake.add_posts(30)
    result = run(tmp_path, fake)
    assert result.new == 30
    assert result.requests == 2  # 20 new on the newest page, 10 new + 10 known on the next
    assert stored_ids(tmp_path) == list(range(1, 126))


def test_refresh_picks_up_edits_and_marks_vanished_posts_deleted(server, tmp_path):
    fake = server.fresh(count=60)
    run(tmp_path, fake)
    folder = channel_dir(tmp_path)
    old_text = content.read_post(content.post_path(folder, 55)).text
    fake.edits[55] = "Corrected text."
    fake.deleted |= {52, 58, 5}
    result = run(tmp_path, fake, refresh=20)
    assert result.deleted == 2  # 5 lies outside the window: not re-read, not marked
    for post_id in (52, 58):
        post = content.read_post(content.post_path(folder, post_id))
        assert post.deleted is True  # kept in the archive, only marked
    assert content.read_post(content.post_path(folder, 5)).deleted is False
    edited = content.read_post(content.post_path(folder, 55))
    assert edited.text.startswith("Corrected text.") and edited.text != old_text
    assert edited.views == 9990
    assert result.updated >= 1
    assert stored_ids(tmp_path) == list(range(1, 61))  # nothing removed


def test_a_post_that_comes_back_is_no_longer_deleted(server, tmp_path):
    fake = server.fresh(count=40)
    run(tmp_path, fake)
    fake.deleted.add(39)
    run(tmp_path, fake, refresh=20)
    fake.deleted.clear()
    run(tmp_path, fake, refresh=20)
    assert content.read_post(content.post_path(channel_dir(tmp_path), 39)).deleted is False


def test_limit_takes_the_newest_posts_and_later_runs_go_on_below(server, tmp_path):
    fake = server.fresh(count=95)
    first = run(tmp_path, fake, limit=30)
    assert stored_ids(tmp_path) == list(range(66, 96))
    assert first.new == 30 and first.requests == 2
    second = run(tmp_path, fake, limit=30)
    assert stored_ids(tmp_path) == list(range(36, 96))
    assert second.new == 30
    third = run(tmp_path, fake)
    assert stored_ids(tmp_path) == list(range(1, 96))
    assert third.new == 35
    assert content.read_channel(channel_dir(tmp_path)).extra[SCRAPED_IDS] == [[1, 95]]


def test_a_run_that_gives_up_midway_keeps_what_it_wrote_and_the_next_run_finishes(server, tmp_path):
    fake = server.fresh(count=95)
    fake.faults += [Fault("pass")] + [Fault("status", 503)] * 3  # page 1 fine, then 3 x 503
    summary = scrape_channels(scrape_config(tmp_path, fake), [CHANNEL])
    assert summary.errors and "gave up after 3 attempts" in summary.errors[0]
    assert stored_ids(tmp_path) == list(range(76, 96))
    run(tmp_path, fake)
    assert stored_ids(tmp_path) == list(range(1, 96))
    assert_archive_whole(tmp_path, fake)


def test_no_posts_found_mid_history_does_not_end_the_scrape(server, tmp_path):
    fake = server.fresh(count=60)
    fake.faults += [Fault("pass"), Fault("no_posts")]
    result = run(tmp_path, fake)
    assert stored_ids(tmp_path) == list(range(1, 61))
    assert result.requests == 4


# --- media ------------------------------------------------------------------------------------------


def test_failed_media_leave_the_post_and_are_fetched_next_run(server, tmp_path):
    fake = server.fresh(count=20)
    fake.media_status = lambda key: 404 if key.startswith("/cdn/12/") else 200
    first = run(tmp_path, fake)
    folder = channel_dir(tmp_path)
    post = content.read_post(content.post_path(folder, 12))
    assert post.media and not post.media[0].file
    assert post.media[0].url == f"https://t.me/{CHANNEL}/12"
    assert first.media_failed >= 1
    assert 12 in content.read_channel(folder).extra["media_missing"]
    fake.media_status = None
    second = run(tmp_path, fake)
    post = content.read_post(content.post_path(folder, 12))
    assert post.media[0].file == "media/12/1.mp4"
    assert second.media >= 1
    assert "media_missing" not in content.read_channel(folder).extra
    assert_archive_whole(tmp_path, fake)


def test_media_that_hang_are_given_up_without_losing_the_post(server, tmp_path):
    fake = server.fresh(count=13)
    fake.media_status = lambda key: 0 if key.startswith("/cdn/12/") else 200
    result = run(tmp_path, fake, timeout=0.4, retries=2)
    post = content.read_post(content.post_path(channel_dir(tmp_path), 12))
    assert post.media and post.media[0].file is None and post.media[0].url
    assert result.media_failed >= 1 and result.new == 13
    assert_archive_whole(tmp_path, fake)


def test_media_larger_than_the_cap_are_kept_as_links(server, tmp_path):
    fake = server.fresh(count=20)
    run(tmp_path, fake, max_media_size=100)
    folder = channel_dir(tmp_path)
    posts = content.read_posts(folder)
    items = [m for p in posts for m in p.media]
    assert items and not any(m.file for m in items)
    assert all(m.url for m in items)
    assert any(m.too_big for m in items)
    assert not list((folder / "media").rglob("*.mp4")) if (folder / "media").exists() else True


def test_no_media_records_remote_links_only(server, tmp_path):
    fake = server.fresh(count=20)
    result = run(tmp_path, fake, media=False)
    folder = channel_dir(tmp_path)
    assert not fake.media_requests and result.media == 0
    assert not (folder / "media").exists()
    items = [(p, m) for p in content.read_posts(folder) for m in p.media]
    assert items
    for _post, item in items:
        assert item.file is None
        assert item.url and item.url.startswith(f"https://t.me/{CHANNEL}/")


def test_rewriting_a_post_keeps_its_local_media(server, tmp_path):
    fake = server.fresh(count=20)
    run(tmp_path, fake)
    folder = channel_dir(tmp_path)
    before = {p.id: [m.file for m in p.media] for p in content.read_posts(folder)}
    run(tmp_path, fake, refresh=20, media=False)
    after = {p.id: [m.file for m in p.media] for p in content.read_posts(folder)}
    assert after == before and any(any(files) for files in after.values())


# --- errors: one line, nothing written --------------------------------------------------------------


def test_closed_channel_writes_nothing(server, tmp_path):
    fake = server.fresh(count=20)
    fake.landing["closedchannel"] = LANDING_CHANNEL.format(name="closedchannel")
    summary = scrape_channels(scrape_config(tmp_path, fake), ["closedchannel"])
    assert len(summary.errors) == 1 and "no public web preview" in summary.errors[0]
    assert not (tmp_path / "content").exists()


def test_non_channel_page_writes_nothing(server, tmp_path):
    fake = server.fresh(count=20)
    fake.pages["itworks"] = NOT_TELEGRAM
    summary = scrape_channels(scrape_config(tmp_path, fake), ["itworks"])
    assert "not a Telegram channel preview page" in summary.errors[0]
    assert not (tmp_path / "content").exists()


def test_leftover_temp_files_are_removed_at_start(server, tmp_path):
    fake = server.fresh(count=20)
    run(tmp_path, fake)
    leftover = channel_dir(tmp_path) / "posts" / f"{TEMP_PREFIX}abc"
    leftover.write_text("half a post")
    run(tmp_path, fake)
    assert not leftover.exists()


def test_channel_yml_is_valid_yaml_with_read_ranges(server, tmp_path):
    fake = server.fresh(count=30)
    run(tmp_path, fake)
    data = yaml.safe_load((channel_dir(tmp_path) / "channel.yml").read_text(encoding="utf-8"))
    assert data["username"] == CHANNEL
    assert data[SCRAPED_IDS] == [[1, 30]]
    assert data["avatar"] == "media/avatar.jpg"
