"""sitegen.toml: defaults, overrides, and one-line errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.config import Config, ConfigError, ScrapeConfig, load_config, parse_config


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    cfg = load_config(root=tmp_path)
    assert cfg == Config(root=tmp_path)
    assert cfg.content_dir == tmp_path / "content"
    assert cfg.scrape.telegram_url == "https://t.me"


def test_file_values_and_scrape_table_are_read(tmp_path: Path) -> None:
    path = tmp_path / "sitegen.toml"
    path.write_text(
        'base_url = "https://user.github.io/repo/"\nlanguage = "ru"\ntimezone = "Europe/Moscow"\n'
        'posts_per_page = 10\n[scrape]\nchannels = ["sudpress53"]\ndelay = 2\n',
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert cfg.base_url == "https://user.github.io/repo/"
    assert cfg.language == "ru" and cfg.timezone == "Europe/Moscow" and cfg.posts_per_page == 10
    assert cfg.scrape == ScrapeConfig(channels=("sudpress53",), delay=2.0)
    assert cfg.root == tmp_path


def test_command_line_overrides_win_and_none_is_ignored() -> None:
    cfg = parse_config('output = "site"\n').with_overrides(output=None, base_url="https://a.b/", refresh=5)
    assert cfg.output == "site" and cfg.base_url == "https://a.b/" and cfg.scrape.refresh == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "my.toml: unknown key 'colour'"),
        ("[scrape]\nchanels = []\n", "my.toml: unknown key 'scrape.chanels'"),
        ('posts_per_page = "20"\n', "my.toml: posts_per_page must be a whole number"),
        ("search = 1\n", "my.toml: search must be true or false"),
        ("[scrape]\ndelay = true\n", "my.toml: scrape.delay must be a number"),
        ("[scrape]\nchannels = [1]\n", "my.toml: scrape.channels must be a list of text"),
        ("title = \n", "my.toml: not valid TOML"),
        ('language = "de"\n', "my.toml: language must be one of en, ru"),
        ('timezone = "Mars/Olympus"\n', "my.toml: timezone: 'Mars/Olympus' is not a known time zone"),
        ('base_url = "user.github.io"\n', "my.toml: base_url must start with http"),
        ("scrape = 3\n", "my.toml: scrape must be a table"),
        ("posts_per_page = 0\n", "my.toml: posts_per_page must be 1 to 1000, not 0"),
    ],
)
def test_bad_settings_give_one_line_naming_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "my.toml")
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_explicit_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
