"""Run the GitHub workflow that ``sitegen init`` writes, on this machine, without GitHub.

Its ``run:`` steps are executed as GitHub does (``bash --noprofile --norc -eo pipefail``, with
``GITHUB_OUTPUT``, ``RUNNER_TEMP``, the workflow's and the step's ``env:``, ``${{ }}`` expressions
and ``if:`` conditions evaluated); the few ``uses:`` actions are played by small stand-ins:

- ``actions/checkout``: a fresh clone of a local bare repository (the "GitHub repository");
- ``actions/setup-python``: a fresh venv, so the workflow's own ``pip install`` line does the install,
  from a simple package index served on 127.0.0.1 (see :class:`LocalIndex`);
- ``actions/configure-pages``: the address GitHub Pages would report, or a failure when Pages is off;
- ``actions/cache``: a dict of saved folders with GitHub's rules (exact key, then prefixes; saved at
  the end of the job unless the exact key was restored);
- ``actions/upload-pages-artifact`` / ``actions/deploy-pages``: a copy of the folder, "deployed".

The dependencies of sitegen are not served: the venv gets a ``.pth`` line to this interpreter's
site-packages and pip runs with ``--no-deps`` (``PIP_NO_DEPS``), so no test reaches a registry.
"""

from __future__ import annotations

import functools
import hashlib
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = ".github/workflows/sitegen.yml"
BOT = "41898282+github-actions[bot]@users.noreply.github.com"


# --- the package: a wheel built from this checkout, served from a local simple index -------------------


@functools.cache
def built_wheel() -> Path:
    """The wheel of this checkout, built once per test session (no network: no build isolation)."""
    folder = Path(tempfile.mkdtemp(prefix="sitegen-wheel-"))
    source = folder / "src"
    shutil.copytree(REPO / "sitegen", source / "sitegen", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(folder)]
        + [str(source)],
        check=True,
        timeout=300,
        env=pip_env(),
    )
    (wheel,) = folder.glob("*.whl")
    return wheel


def pip_env(**extra: str) -> dict[str, str]:
    """The environment for pip with every configured index and file location switched off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.update(extra)
    return env


class LocalIndex:
    """A PEP 503 simple index on 127.0.0.1 serving the given wheels; it remembers every request."""

    def __init__(self, root: Path, wheels: list[Path]) -> None:
        self.requests: list[str] = []
        files = root / "files"
        files.mkdir(parents=True)
        projects: dict[str, list[Path]] = {}
        for wheel in wheels:
            shutil.copy(wheel, files / wheel.name)
            project = re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()
            projects.setdefault(project, []).append(files / wheel.name)
        for project, paths in projects.items():
            page = root / "simple" / project / "index.html"
            page.parent.mkdir(parents=True)
            links = "".join(
                f'<a href="../../files/{html.escape(p.name)}#sha256={sha256(p)}">{html.escape(p.name)}</a>\n'
                for p in paths
            )
            page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                requests.append(self.path)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@functools.cache
def dependencies() -> Path:
    """A folder that shows this interpreter's installed packages except sitegen itself (symlinks).

    A venv that has it on its path imports sitegen's dependencies from here, while pip and
    ``import sitegen`` see only what gets installed into that venv.
    """
    folder = Path(tempfile.mkdtemp(prefix="sitegen-deps-"))
    ours = re.compile(r"^(sitegen|telegram_sitegen|__editable__|_?telegram_sitegen)", re.I)
    for name in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(name).iterdir():
            if not ours.match(entry.name) and entry.suffix != ".pth" and not (folder / entry.name).exists():
                (folder / entry.name).symlink_to(entry)
    return folder


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file, for the index's links."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_venv(folder: Path) -> Path:
    """A fresh venv that imports sitegen's dependencies from :func:`dependencies`, but not sitegen."""
    venv.create(folder, with_pip=True, symlinks=True)
    purelib = Path(
        subprocess.run(
            [
                str(folder / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (purelib / "sitegen-test-deps.pth").write_text(f"{dependencies()}\n")
    return folder / "bin"


# --- GitHub's expressions, the part this workflow uses -----------------------------------------------------

CONTEXT_PATH = re.compile(r"\b(?:steps|needs|env|github|vars|inputs)(?:\.[A-Za-z_][\w-]*)+")


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """Evaluate a GitHub Actions expression: context paths, strings, ==, !=, !, &&, || and status calls."""
    names: dict[str, Any] = {}

    def lookup(match: re.Match[str]) -> str:
        value: Any = context
        for part in match.group(0).split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        key = f"_v{len(names)}"
        names[key] = value
        return key

    text = CONTEXT_PATH.sub(lookup, expression)
    text = re.sub(r"\b(cancelled|always|success|failure)\(\)", lambda m: f"_{m.group(1)}", text)
    text = text.replace("&&", " and ").replace("||", " or ")
    text = re.sub(r"!(?!=)", " not ", text)
    names.update(
        _cancelled=False,
        _always=True,
        _success=context.get("_job_ok", True),
        _failure=not context.get("_job_ok", True),
    )
    return eval(text, {"__builtins__": {}}, names)  # noqa: S307 - our own workflow file, tested here


def substitute(text: str, context: dict[str, Any]) -> str:
    """Replace every ``${{ expr }}`` in a string."""
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), context)), text)


def condition(step_or_job: dict[str, Any], context: dict[str, Any]) -> bool:
    """Whether a step or job runs: its ``if:``, with GitHub's implicit ``success()`` when none is named."""
    raw = step_or_job.get("if")
    if raw is None:
        return bool(context.get("_job_ok", True))
    text = str(raw).strip()
    text = text[3:-2] if text.startswith("${{") else text
    if not re.search(r"\b(cancelled|always|success|failure)\(\)", text):
        text = f"success() && ({text})"
    return bool(evaluate(text, context))


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a GITHUB_OUTPUT file: ``name=value`` lines and ``name<<DELIM`` blocks."""
    outputs: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            outputs[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


# --- one run of the workflow --------------------------------------------------------------------------------


@dataclass
class StepResult:
    """One step as it ran."""

    job: str
    name: str
    outcome: str  # success, failure, skipped
    log: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class RunResult:
    """One workflow run: its steps, jobs, the Pages artifact, the cache's saves and its conclusion."""

    steps: list[StepResult] = field(default_factory=list)
    jobs: dict[str, str] = field(default_factory=dict)  # job -> success / failure / skipped
    artifact: Path | None = None
    deployed: Path | None = None
    cache_saves: list[str] = field(default_factory=list)

    @property
    def conclusion(self) -> str:
        """``failure`` when any job failed, as GitHub shows the run."""
        return "failure" if "failure" in self.jobs.values() else "success"

    def log(self) -> str:
        """Every step's output, in order."""
        return "\n".join(step.log for step in self.steps)

    def step(self, name: str) -> StepResult:
        """The step whose name (or action) contains ``name``."""
        return next(step for step in self.steps if name in step.name)

    def annotations(self, kind: str = "error") -> list[str]:
        """The ``::error ...::`` (or warning, notice) lines of the run, in order."""
        return re.findall(rf"^::{kind}[^\n]*", self.log(), re.M)


@dataclass
class Simulator:
    """Runs the workflow of the project pushed to ``origin`` (a bare repository), run after run."""

    root: Path
    origin: Path
    index_url: str
    pages_url: str = "https://user.github.io/archive"
    pages_enabled: bool = True
    cache: dict[str, Path] = field(default_factory=dict)
    runs: int = 0

    def run(self, event: str = "schedule") -> RunResult:
        """One whole run: every job in order, as GitHub would schedule them."""
        self.runs += 1
        base = self.root / f"run{self.runs}"
        workspace = base / "workspace"
        temp = base / "temp"
        temp.mkdir(parents=True)
        workflow = yaml.safe_load(self.origin_file(WORKFLOW))
        result = RunResult()
        github = {
            "event_name": event,
            "ref_name": "main",
            "sha": "",
            "event": {"repository": {"default_branch": "main"}},
        }
        needs: dict[str, Any] = {}
        for job_name, job in workflow["jobs"].items():
            context: dict[str, Any] = {"github": github, "env": dict(workflow.get("env", {})), "steps": {}}
            context["needs"] = {name: needs[name] for name in self._needs(job)}
            context["_job_ok"] = all(needs[name]["result"] == "success" for name in self._needs(job))
            if not condition(job, context):
                result.jobs[job_name] = "skipped"
                needs[job_name] = {"result": "skipped", "outputs": {}}
                continue
            context["_job_ok"] = True
            ok = self._job(job_name, job, context, workspace, temp, result)
            result.jobs[job_name] = "success" if ok else "failure"
            outputs = {k: substitute(str(v), context) for k, v in job.get("outputs", {}).items()}
            needs[job_name] = {"result": result.jobs[job_name], "outputs": outputs}
        return result

    def origin_file(self, path: str) -> str:
        """A file of the default branch as pushed to ``origin``."""
        return subprocess.run(
            ["git", "-C", str(self.origin), "show", f"main:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    @staticmethod
    def _needs(job: dict[str, Any]) -> list[str]:
        needs = job.get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)

    def _job(
        self,
        job_name: str,
        job: dict[str, Any],
        context: dict[str, Any],
        workspace: Path,
        temp: Path,
        result: RunResult,
    ) -> bool:
        cache_restored: tuple[str, str] | None = None  # (key asked, key restored)
        bin_dir: Path | None = None
        for number, step in enumerate(job["steps"]):
            name = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            step_id = step.get("id", f"_step{number}")
            if not condition(step, context):
                result.steps.append(StepResult(job_name, name, "skipped"))
                context["steps"][step_id] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
                continue
            inputs = {k: substitute(str(v), context) for k, v in step.get("with", {}).items()}
            outputs: dict[str, str] = {}
            log = ""
            uses = step.get("uses", "").split("@")[0]
            if uses == "actions/checkout":
                subprocess.run(["git", "clone", "-q", str(self.origin), str(workspace)], check=True)
                ok = True
            elif uses == "actions/setup-python":
                bin_dir = make_venv(temp / "python")
                ok = True
            elif uses == "actions/configure-pages":
                ok = self.pages_enabled
                outputs = {"base_url": self.pages_url} if ok else {}
                log = (
                    ""
                    if ok
                    else "::error::Get Pages site failed. Please verify that the repository has Pages enabled"
                )
            elif uses == "actions/cache":
                cache_restored = (inputs["key"], self._restore(inputs, workspace))
                ok = True
            elif uses == "actions/upload-pages-artifact":
                result.artifact = temp / "artifact"
                shutil.copytree(workspace / inputs["path"], result.artifact)
                ok = True
            elif uses == "actions/deploy-pages":
                result.deployed = result.artifact
                ok = result.artifact is not None
            elif "run" in step:
                ok, log, outputs = self._shell(step, context, workspace, temp, bin_dir)
            else:
                raise AssertionError(f"no stand-in for {uses}")
            outcome = "success" if ok else "failure"
            conclusion = "success" if step.get("continue-on-error") else outcome
            result.steps.append(StepResult(job_name, name, outcome, log, outputs))
            context["steps"][step_id] = {"outcome": outcome, "conclusion": conclusion, "outputs": outputs}
            if conclusion == "failure":
                context["_job_ok"] = False
        saving = cache_restored and context["_job_ok"] and cache_restored[0] != cache_restored[1]
        if saving and (workspace / ".sitegen-cache").is_dir():
            saved = self.root / "cache" / str(len(self.cache))
            shutil.copytree(workspace / ".sitegen-cache", saved, dirs_exist_ok=True)
            self.cache[cache_restored[0]] = saved
            result.cache_saves.append(cache_restored[0])
        return bool(context["_job_ok"])

    def _restore(self, inputs: dict[str, str], workspace: Path) -> str:
        """Restore the cache as actions/cache does: the exact key, else the newest key with a prefix."""
        keys = [inputs["key"], *[k for k in inputs.get("restore-keys", "").splitlines() if k.strip()]]
        for wanted in keys:
            found = [k for k in self.cache if k == wanted] or [
                k for k in reversed(self.cache) if k.startswith(wanted)
            ]
            if found:
                shutil.copytree(self.cache[found[0]], workspace / inputs["path"], dirs_exist_ok=True)
                return found[0]
        return ""

    def _shell(
        self, step: dict[str, Any], context: dict[str, Any], workspace: Path, temp: Path, bin_dir: Path | None
    ) -> tuple[bool, str, dict[str, str]]:
        script = substitute(step["run"], context)
        output_file = temp / f"output-{len(os.listdir(temp))}"
        output_file.touch()
        env = pip_env(PIP_INDEX_URL=self.index_url, PIP_NO_DEPS="1")
        env.update({k: substitute(str(v), context) for k, v in context["env"].items()})
        env.update({k: substitute(str(v), context) for k, v in step.get("env", {}).items()})
        path = env.get("PATH", os.defpath)
        # The runner's PATH holds no sitegen: only what the workflow installs into setup-python's venv.
        path = os.pathsep.join(p for p in path.split(os.pathsep) if not (Path(p) / "sitegen").exists())
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{path}" if bin_dir else path,
            GITHUB_OUTPUT=str(output_file),
            GITHUB_WORKSPACE=str(workspace),
            RUNNER_TEMP=str(temp),
            HOME=str(temp / "home"),
            CI="true",
            GITHUB_ACTIONS="true",
        )
        env.pop("VIRTUAL_ENV", None)
        (temp / "home").mkdir(exist_ok=True)
        completed = subprocess.run(  # one stream, in the order it was written, like the job's log
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=workspace if workspace.exists() else temp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
            check=False,
        )
        return completed.returncode == 0, completed.stdout, read_outputs(output_file)
