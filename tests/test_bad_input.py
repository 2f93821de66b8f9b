"""Every CLI option of every command and every setting, given a bad value: one line, no traceback.

The lists are built from click's command objects and from the Config dataclasses, so a new
option or setting is tested the day it is added: a string option with no bad value listed in
``BAD_TEXT`` fails the test that checks the table is complete.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from sitegen.cli import cli
from sitegen.config import Config, ScrapeConfig, setting_types
from tests.cli_run import run
from tests.test_build import make_channel

PACKAGE = Path(__file__).resolve().parents[1] / "sitegen"
COMMAND = [sys.executable, "-c", "from sitegen.cli import run; run()"]  # as the `sitegen` command
EXPORT = Path(__file__).resolve().parent / "data" / "tdesktop" / "tg2md_private_channel.json"  # a real one
A_FILE = "a-file.txt"  # made in every test folder: a file where a folder is expected

# Bad values for every option that takes free text, by (command, parameter name).
BAD_TEXT: dict[tuple[str, str], list[str]] = {
    ("scrape", "channels"): ["not a name!", "t.me/s/"],
    ("scrape", "telegram_url"): ["http://[bad", "https://t.me:abc", "http://", "t.me", "https://t.me/?x=1"],
    ("build", "base_url"): [
        "https://",
        "user.github.io/repo/",
        "https://user.github.io/repo/?query=1",
        "https://user.github.io/repo/#top",
        "https://host:99999/",
        "https://exa mple.org/",
    ],
    ("init", "channels"): ["not a name!"],
    ("import", "channel"): ["not a name!", "../x"],
    ("import", "chats"): ["no such chat", "0"],
    ("serve", "base_path"): ["/../x/", "/a b/", "/a?b/"],
    ("serve", "bind"): ["not-an-address", "999.1.1.1"],
}
# Options whose errors must name the option itself (the others may name the value instead: a file
# name for --config, a channel name for --channel).
NAMED_BY_OPTION = {
    "--content",
    "--output",
    "--base-url",
    "--telegram-url",
    "--limit",
    "--refresh",
    "--port",
    "--bind",
    "--base-path",
}
# Folders sitegen reads: --output must not be (or hold, or sit in) any of them.
READ_FOLDERS = ["content", "templates", ".", "content/novosti", str(PACKAGE), str(PACKAGE / "theme")]


def option_cases() -> list[tuple[str, list[str], str]]:
    """(command, arguments, what the error line must mention) for every parameter of every command."""
    cases: list[tuple[str, list[str], str]] = []
    for name, command in sorted(cli.commands.items()):
        base = {"scrape": ["durov"], "init": ["--channel", "durov"], "import": [str(EXPORT)]}.get(name, [])
        for param in command.params:
            for args, mention in bad_values(name, param):
                cases.append(
                    (name, [name, *base, *args] if param.opts[0].startswith("-") else [name, *args], mention)
                )
    return cases


def bad_values(command: str, param: click.Parameter) -> list[tuple[list[str], str]]:
    """Bad command-line values of one parameter, each with the text its error must name."""
    opt = param.opts[-1] if param.opts[0].startswith("-") else None
    kind = param.type
    values: list[str] = []
    if isinstance(param, click.Option) and param.is_flag:
        longest = max(param.opts, key=len)
        return [([f"{longest}=yes"], longest)]
    if isinstance(kind, click.IntRange):
        values += [str(kind.min - 1)] if kind.min is not None else []
        values += [str(kind.max + 1)] if kind.max is not None else []
        values += ["many"]
    elif isinstance(kind, click.Path):
        if not kind.file_okay:
            values.append(A_FILE)
        if not kind.dir_okay:
            values += ["content", "missing.toml", "broken.toml"]
        if param.name == "output":
            values += READ_FOLDERS
        if param.name == "content":
            values += [""]
    else:
        values += BAD_TEXT[(command, param.name or "")]
    if opt is None:  # an argument
        return [([value], value or "content") for value in values]
    return [([opt, value], opt if opt in NAMED_BY_OPTION else value or opt) for value in values]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A small site whose settings point scrapes at a closed local port (no request can leave)."""
    make_channel(tmp_path / "content", count=3)
    (tmp_path / "templates").mkdir()
    (tmp_path / A_FILE).write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "broken.toml").write_text("title = \n", encoding="utf-8")
    (tmp_path / "sitegen.toml").write_text(
        '[scrape]\ntelegram_url = "http://127.0.0.1:9"\nretries = 1\ntimeout = 2\n', encoding="utf-8"
    )
    return tmp_path


def assert_one_line(code: int, err: str, mention: str) -> None:
    """Exit non-zero, exactly one line on stderr, starting with Error: and naming the option or value."""
    assert code != 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    assert mention in lines[0], (mention, lines[0])


def test_every_text_option_has_bad_values_listed() -> None:
    """A new free-text option must get its bad values here before the suite passes."""
    for name, command in cli.commands.items():
        for param in command.params:
            is_flag = isinstance(param, click.Option) and param.is_flag
            if not is_flag and not isinstance(param.type, (click.IntRange, click.Path)):
                assert (name, param.name) in BAD_TEXT, f"sitegen {name}: no bad values for {param.opts}"


def test_every_command_takes_quiet_and_verbose() -> None:
    for name, command in cli.commands.items():
        opts = {opt for param in command.params for opt in param.opts}
        assert {"-q", "--quiet", "-v", "--verbose"} <= opts, name


@pytest.mark.parametrize(("command", "args", "mention"), [c for c in option_cases() if c[0] != "serve"])
def test_a_bad_option_is_one_line_without_traceback(
    site, monkeypatch, capsys, command, args, mention
) -> None:
    code, _, err = run(site, args, monkeypatch, capsys)
    assert_one_line(code, err, mention)


def test_bad_serve_options_are_one_line_without_traceback(site: Path) -> None:
    """serve, as a subprocess (an option accepted by mistake would serve forever: the timeout catches it)."""
    cases = [c for c in option_cases() if c[0] == "serve"]
    assert len(cases) > 10
    for _, args, mention in cases:
        result = subprocess.run([*COMMAND, *args], cwd=site, capture_output=True, text=True, timeout=60)
        assert_one_line(result.returncode, result.stderr, mention)


# --- every setting ---------------------------------------------------------------------------------

_WRONG_TYPE = {"str": 5, "int": "many", "float": "slow", "bool": "yes", "tuple[str, ...]": "durov"}
# Values of the right type that are out of range, by key.
OUT_OF_RANGE: dict[str, list[object]] = {
    "content": ["", A_FILE],
    "output": ["", A_FILE, *READ_FOLDERS],
    "templates": ["", A_FILE, "output"],
    "base_url": ["https://", "https://a.org/?q=1", "https://a.org/#x", "ftp://a.org/", "https://u:p@a.org/"],
    "language": ["de", ""],
    "timezone": ["Mars/Olympus", ""],
    "posts_per_page": [0, -3, 10**6],
    "channels": [[""], ["not a name!"]],
    "telegram_url": ["http://[bad", "https://t.me:abc", "http://", ""],
    "limit": [-1],
    "refresh": [-1],
    "max_media_size": [-5],
    "delay": [-1.0, float("inf"), float("nan")],
    "timeout": [0, -1, float("inf")],
    "retries": [0, 1000],
    "media_workers": [0, -2, 1000],
}


def _toml(value: object) -> str:
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def setting_cases() -> list[tuple[str, str, object]]:
    """(table, key, bad value) for every field of Config and ScrapeConfig."""
    cases = []
    for table, cls in (("", Config), ("scrape", ScrapeConfig)):
        for key, type_name in setting_types(cls).items():
            cases.append((table, key, _WRONG_TYPE[str(type_name)]))
            cases += [(table, key, value) for value in OUT_OF_RANGE.get(key, [])]
    return cases


def test_every_setting_with_a_range_has_out_of_range_values() -> None:
    types = {**setting_types(Config), **setting_types(ScrapeConfig)}
    numbers = {key for key, type_name in types.items() if type_name in ("int", "float")}
    assert numbers <= set(OUT_OF_RANGE), "a new number setting: list its out-of-range values above"
    assert len(setting_cases()) > 2 * len(types)


@pytest.mark.parametrize(("table", "key", "value"), setting_cases())
def test_a_bad_setting_is_one_line_naming_the_file_and_key(
    site, monkeypatch, capsys, table, key, value
) -> None:
    line = f"{key} = {_toml(value)}\n"
    text = f"{line}[scrape]\n" if not table else f"[scrape]\n{line}"
    (site / "sitegen.toml").write_text(text, encoding="utf-8")
    command = ["scrape"] if table else ["build", "--no-search"]  # the command that uses the setting
    code, _, err = run(site, command, monkeypatch, capsys)
    assert_one_line(code, err, f"sitegen.toml: {table + '.' if table else ''}{key}")


@pytest.mark.parametrize(
    ("template", "mention"),
    [
        ("{% block main %}{% if %}{% endblock %}", "templates/post.html:2: Expected an expression"),
        (
            "{% block main %}\n{{ no_such_thing }}{% endblock %}",
            "templates/post.html:3: 'no_such_thing' is undefined",
        ),
    ],
)
def test_a_broken_site_template_is_one_line_naming_its_file_and_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    template: str,
    mention: str,
) -> None:
    make_channel(tmp_path / "content", count=3)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "post.html").write_text(
        '{% extends "base.html" %}\n' + template, encoding="utf-8"
    )
    code, _, err = run(tmp_path, ["build", "--no-search"], monkeypatch, capsys)
    assert_one_line(code, err, mention)
    assert "remove it to use the theme's" in err
    (tmp_path / "templates" / "post.html").unlink()  # the theme's own: the build goes through
    assert run(tmp_path, ["build", "--no-search"], monkeypatch, capsys)[0] == 0
