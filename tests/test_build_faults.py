"""The build under a full disk and a read-only output: one line, exit 1, nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.files import TEMP_PREFIX
from tests.test_build import make_channel


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 96 KiB tmpfs: too small for the site, so writes fail with 'No space left on device'."""
    mount = tmp_path / "disk"
    mount.mkdir()
    assert os.geteuid() == 0, "this test mounts a tmpfs and needs root (CI runs as root)"
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def sitegen(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = "from sitegen.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_disk_full_stops_with_one_line_and_leaves_only_whole_files(tmp_path: Path, small_disk: Path) -> None:
    make_channel(tmp_path / "content", count=45)
    result = sitegen(tmp_path, "build", "--no-search", "--output", str(small_disk / "site"))
    assert result.returncode == 1
    assert "No space left on device" in result.stderr and result.stderr.startswith("Error: cannot write")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    pages = list((small_disk / "site").rglob("*.html"))
    assert pages, "some pages were written before the disk filled up"
    for page in pages:
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), f"{page} is cut off"
    assert not list(small_disk.rglob(TEMP_PREFIX + "*")), "no temp files are left behind"

    subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
    again = sitegen(tmp_path, "build", "--no-search", "--output", str(small_disk / "site"))
    assert again.returncode == 0, again.stderr
    assert (small_disk / "site" / "novosti" / "90" / "index.html").is_file()


def test_read_only_output_is_one_clear_line(tmp_path: Path, small_disk: Path) -> None:
    make_channel(tmp_path / "content", count=2)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = sitegen(tmp_path, "build", "--no-search", "--output", str(small_disk / "site"))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"Error: cannot write to output folder '{small_disk / 'site'}': Read-only file system"
    )
