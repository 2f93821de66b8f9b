"""A wheel installs into a fresh venv, ships the theme, and builds a site in an empty folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

from tests.test_build import make_channel


def test_wheel_installs_in_a_fresh_venv_and_builds(tmp_path: Path, repo_dir: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(repo_dir / "sitegen", source / "sitegen", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(repo_dir / name, source / name)
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = dist.glob("sitegen-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, timeout=600)

    site = tmp_path / "site"
    make_channel(site / "content", count=3)
    result = subprocess.run(
        [str(env_dir / "bin" / "sitegen"), "build", "--no-search"],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (site / "output" / "novosti" / "2" / "index.html").is_file()
    assert (site / "output" / "_static" / "style.css").stat().st_size > 1000, (
        "the theme ships inside the wheel"
    )
    version = subprocess.run(
        [str(env_dir / "bin" / "sitegen"), "--version"], capture_output=True, text=True, check=True
    )
    assert "sitegen, version" in version.stdout
