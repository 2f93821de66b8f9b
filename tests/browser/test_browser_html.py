"""Check 3: the Nu HTML checker (vnu-jar from npm) reports no error on any built HTML file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import unquote

from browser_site import BuiltSite


def where(site: BuiltSite, message: dict[str, object]) -> str:
    """The file and line a checker message is about, relative to the site's output folder."""
    url = unquote(str(message.get("url", "?")).removeprefix("file:"))
    return f"{url.removeprefix(str(site.output) + '/')}:{message.get('lastLine', '?')}"


def test_nu_checker_finds_no_errors(site: BuiltSite, vnu_jar: Path) -> None:
    command = [
        "java",
        "-jar",
        str(vnu_jar),
        "--skip-non-html",
        "--errors-only",
        "--format",
        "json",
        str(site.output),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    problems = [
        f"{where(site, m)}: {m.get('message')} [{m.get('extract', '').strip()}]"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert site.html_files(), f"{site}: no HTML files were built"
    assert done.returncode == 0 or problems, f"{site}: vnu failed:\n{done.stdout}\n{done.stderr}"
    assert not problems, f"{site}: the Nu checker found {len(problems)} error(s):\n" + "\n".join(problems)
