"""``sitegen init``: a ready project folder — settings, .gitignore, theme note and the GitHub workflow.

The files come from ``sitegen/scaffold/`` inside the package. Nothing that exists is overwritten
unless the caller says ``force``; the archive in content/ is never touched (an empty ``.gitkeep``
is added only when content/ has none, so the folder is in git from the first commit). The workflow
installs the very release that wrote it (``telegram-sitegen==X.Y.Z``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from sitegen import __version__
from sitegen.config import CONFIG_FILE
from sitegen.errors import SitegenError
from sitegen.files import atomic_write_bytes

WORKFLOW_FILE = ".github/workflows/sitegen.yml"
# sitegen's name on the package index (the import package and the command are both "sitegen").
DISTRIBUTION = "telegram-sitegen"
# Keeps content/ in git from the first commit, so the workflow can commit into it even before
# the first scrape succeeded.
CONTENT_KEEP = "content/.gitkeep"

# Project file -> the file in sitegen/scaffold/ it is made from (dotfiles are stored without the dot).
SCAFFOLD: dict[str, str] = {
    CONFIG_FILE: "sitegen.toml",
    ".gitignore": "gitignore",
    "templates/README.md": "templates/README.md",
    WORKFLOW_FILE: "workflows/sitegen.yml",
}


class InitError(SitegenError):
    """The project cannot be created as asked (files in the way, a bad channel name)."""


@dataclass
class InitResult:
    """What ``init_project`` did, for the summary the CLI prints."""

    root: Path
    written: list[str] = field(default_factory=list)
    overwritten: list[str] = field(default_factory=list)


def scaffold_text(name: str) -> str:
    """The text of one file of the built-in scaffold, e.g. ``"sitegen.toml"``."""
    return resources.files("sitegen").joinpath("scaffold", name).read_text(encoding="utf-8")


def normalise_channels(channels: Sequence[str]) -> list[str]:
    """Turn each ``name``, ``@name`` or t.me link into a channel name; drop repeats, keep the order."""
    from sitegen.scrape import normalise_channel

    names: list[str] = []
    for text in channels:
        name = normalise_channel(text)
        if name not in names:
            names.append(name)
    return names


def render_config(channels: Sequence[str]) -> str:
    """The commented sitegen.toml of a new project that scrapes ``channels``."""
    return Template(scaffold_text("sitegen.toml")).substitute(channels=json.dumps(list(channels)))


def pip_spec(version: str = __version__) -> str:
    """What the workflow installs: exactly the release that ran ``init`` (``telegram-sitegen==X.Y.Z``)."""
    return f"{DISTRIBUTION}=={version}"


def render_workflow(spec: str | None = None) -> str:
    """The GitHub workflow of a new project, installing ``spec`` (default: this release, pinned)."""
    return scaffold_text("workflows/sitegen.yml").replace("__PIP_SPEC__", spec or pip_spec())


def project_files(channels: Sequence[str]) -> dict[str, str]:
    """Every file of a new project (path relative to the project folder -> text)."""
    files = {path: scaffold_text(name) for path, name in SCAFFOLD.items()}
    files[CONFIG_FILE] = render_config(channels)
    files[WORKFLOW_FILE] = render_workflow()
    return files


def init_project(root: Path, channels: Sequence[str], force: bool = False) -> InitResult:
    """Create a project in ``root`` for ``channels``; refuse to overwrite files unless ``force``."""
    if not channels:
        raise InitError("name at least one channel: sitegen init --channel NAME")
    if root.exists() and not root.is_dir():
        raise InitError(f"'{root}' is a file, not a folder")
    files = project_files(normalise_channels(channels))
    existing = [path for path in files if (root / path).exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise InitError(f"'{root / existing[0]}' already exists{more}: pass --force to overwrite")
    for path in existing:
        if (root / path).is_dir():
            raise InitError(f"'{root / path}' is a folder; move it away first")
    result = InitResult(root)
    for path, text in files.items():
        atomic_write_bytes(root / path, text.encode("utf-8"))
        (result.overwritten if path in existing else result.written).append(path)
    (root / "content").mkdir(parents=True, exist_ok=True)
    keep = root / CONTENT_KEEP
    if not keep.exists():  # content/ is never touched otherwise
        keep.touch()
    return result
