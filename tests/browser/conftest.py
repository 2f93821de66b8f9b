"""Fixtures of the browser group: the two built sites, served under /repo/, and Debian's Chromium.

Run the group alone with ``python -m pytest -m browser`` (see README). It needs /usr/bin/chromium,
a Java runtime and ``npm ci`` (vnu-jar, axe-core); ``scripts/test`` installs all three.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_site import REPO, BuiltSite, SiteServer, build_site
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NODE_MODULES = REPO / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "screenshots"

# The two sites every check runs on: the demo archive shipped in content/ (with the repository's
# sitegen.toml when there is one), and the rich sample (every message kind, Cyrillic, two channels)
# built in Russian.
SITES = {
    "demo": (REPO / "content", REPO / "sitegen.toml", ""),
    "rich": (REPO / "tests" / "data" / "rich", None, 'language = "ru"\ntimezone = "Europe/Moscow"\n'),
}
MAX_PAGES = 60  # pages visited per site by the per-page browser checks; more are sampled


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser/ belongs to the browser group."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (Playwright cannot download its own browsers here), one per test module.

    This replaces pytest-playwright's session-wide ``browser``: a Playwright instance that lives for
    the whole session would make every later ``sync_playwright()`` in other test files fail.
    """
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run scripts/test (it installs Debian's chromium)"
    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, BuiltSite]]:
    """Build-and-serve on demand, once per session per site; servers stop at the end."""
    servers: list[SiteServer] = []

    class Sites(dict[str, BuiltSite]):
        def __missing__(self, name: str) -> BuiltSite:
            content, config, config_text = SITES[name]
            output = tmp_path_factory.mktemp(f"site-{name}") / "output"
            output.mkdir()
            if config is None or not config.exists():
                config = output.parent / "sitegen.toml"
                config.write_text(config_text, encoding="utf-8")
            server = SiteServer(output)
            servers.append(server)
            site = build_site(name, content, output, server.base_url, config)
            server.start()
            self[name] = site
            return site

    yield Sites()
    for server in servers:
        server.stop()


@pytest.fixture(scope="session", params=sorted(SITES))
def site(request: pytest.FixtureRequest, built_sites: dict[str, BuiltSite]) -> BuiltSite:
    """Each site in turn, built with a sub-path base URL and served under /repo/ on 127.0.0.1."""
    return built_sites[request.param]


@pytest.fixture(scope="session")
def rich_site(built_sites: dict[str, BuiltSite]) -> BuiltSite:
    """The rich sample (Russian, every kind of post)."""
    return built_sites["rich"]


def sample_pages(site: BuiltSite, limit: int = MAX_PAGES) -> list[str]:
    """All HTML pages of a small site; of a big one, the first page of each kind plus a fixed sample."""
    files = [f for f in site.html_files() if f != "404.html"]
    if len(files) <= limit:
        return files
    by_shape: dict[str, str] = {}
    for f in files:
        parts = f.split("/")[1:]
        shape = "/".join(
            "N" if p.isdigit() else "T" if i and parts[i - 1] == "tags" else p for i, p in enumerate(parts)
        )
        by_shape.setdefault(shape, f)
    chosen = sorted(set(by_shape.values()) | {"index.html"})
    rest = [f for f in files if f not in chosen]
    chosen += random.Random(6).sample(rest, max(0, limit - len(chosen)))
    return sorted(chosen)


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    """The Nu HTML checker from npm."""
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run 'npm ci' (scripts/test does)"
    return VNU_JAR


@pytest.fixture(scope="session")
def axe_js() -> Path:
    """axe-core from npm, to inject into pages."""
    assert AXE_JS.exists(), f"{AXE_JS} is missing: run 'npm ci' (scripts/test does)"
    return AXE_JS
