"""The package as the index will have it: sdist and wheel pass `twine check`, and the workflow's own
install line, pointed at a local index serving the wheel, installs this release into a fresh venv."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import yaml
from workflow_sim import WORKFLOW, LocalIndex, built_wheel, make_venv, pip_env

from sitegen import __version__
from tests.test_build import make_channel


def tracked_copy(repo_dir: Path, target: Path) -> Path:
    """The committed-or-not files git knows about (no venv, no build output), copied to ``target``."""
    listed = subprocess.run(
        ["git", "-C", str(repo_dir), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = repo_dir / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_sdist_and_wheel_build_and_pass_twine_check(tmp_path: Path, repo_dir: Path) -> None:
    source = tracked_copy(repo_dir, tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            str(dist),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=600,
        env=pip_env(),
    )
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name == f"telegram_sitegen-{__version__}-py3-none-any.whl"
    assert sdist.name == f"telegram_sitegen-{__version__}.tar.gz"
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("PASSED") == 2, check.stdout

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = Parser().parsestr(archive.read(f"telegram_sitegen-{__version__}.dist-info/METADATA").decode())
    assert "sitegen/scaffold/workflows/sitegen.yml" in names
    assert "sitegen/theme/static/style.css" in names or any(n.startswith("sitegen/theme/") for n in names)
    assert meta["Name"] == "telegram-sitegen" and meta["Version"] == __version__
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["License-Expression"] == "MIT"
    assert meta.get_all("Project-URL") and len(meta.get_all("Classifier")) >= 10
    assert meta.get_content_type() == "text/markdown" or "markdown" in (
        meta["Description-Content-Type"] or ""
    )
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "tests/conftest.py"):
        assert needed in members, needed
    assert any(name.startswith("tests/data/telegram/") for name in members), "the tests' saved pages ship too"


def test_the_workflows_install_line_installs_this_release_from_a_local_index(tmp_path: Path) -> None:
    code = subprocess.run(
        [
            sys.executable,
            "-c",
            "from sitegen.cli import main; main()",
            "init",
            str(tmp_path / "p"),
            "--channel",
            "x",
        ],
        capture_output=True,
        text=True,
    )
    assert code.returncode == 0, code.stderr
    workflow = yaml.safe_load((tmp_path / "p" / WORKFLOW).read_text())
    spec = workflow["env"]["SITEGEN_PIP_SPEC"]
    assert spec == f"telegram-sitegen=={__version__}"
    steps = workflow["jobs"]["scrape-and-build"]["steps"]
    (install,) = [step["run"] for step in steps if step.get("name") == "Install sitegen"]

    index = LocalIndex(tmp_path / "index", [built_wheel()])
    try:
        bin_dir = make_venv(tmp_path / "venv")
        assert subprocess.run(
            [str(bin_dir / "python"), "-c", "import sitegen"], capture_output=True, cwd=tmp_path
        ).returncode, "the fresh venv has no sitegen yet"
        env = pip_env(PIP_INDEX_URL=index.url, PIP_NO_DEPS="1", SITEGEN_PIP_SPEC=spec)
        env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", install],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        index.close()
    assert "/simple/telegram-sitegen/" in index.requests
    assert not any(path.startswith("/simple/sitegen/") for path in index.requests)

    version = subprocess.run(
        [str(bin_dir / "sitegen"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"sitegen, version {__version__}"
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sitegen; print(sitegen.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(str(tmp_path / "venv")), where

    # The installed wheel carries its theme and builds a site in an empty folder.
    site = tmp_path / "site"
    make_channel(site / "content", count=3)
    result = subprocess.run(
        [str(bin_dir / "sitegen"), "build", "--no-search"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (site / "output" / "novosti" / "2" / "index.html").is_file()
    assert (site / "output" / "_static" / "style.css").stat().st_size > 1000
