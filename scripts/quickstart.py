"""`make quickstart`: pulumi-quickchat end to end in a few minutes, with no Quickchat account.

It runs examples/basic through the real Pulumi CLI against a local Quickchat
emulator: `pulumi up` turns Conversation Rating on for the emulator's demo
agent, an edit "in the Dashboard" shows drift, `pulumi refresh` and
`pulumi up` put it back, and `pulumi destroy` resets the agent.

Everything it creates lives in one work directory, `.quickstart/` in the
repository (or $QUICKSTART_DIR), made afresh on each run so an old state never
points at an emulator that is gone: the local state backend, a PULUMI_HOME of
its own (your own Pulumi login is left alone) and a copy of the example whose
Pulumi.yaml uses this very interpreter's virtualenv.

Exit code 0 when every step passed, 1 with one sentence on what to do when
one could not.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
import yaml

from quickchat_emulator import EmulatorAdmin, EmulatorAdminError, EmulatorProcess

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "basic"
INSTALL_DOCS = "https://www.pulumi.com/docs/install/"
INSTALLER_URL = "https://get.pulumi.com"
INSTALLER_FETCH_TIMEOUT = 30.0
INSTALLER_RUN_TIMEOUT = 600.0
AGAIN = f"install it from {INSTALL_DOCS} and run `make quickstart` again."
UNREACHABLE = f"The Pulumi CLI is not installed and its installer could not be reached: {AGAIN}"
INSTALL_FAILED = f"The Pulumi CLI is not installed and its installer did not install it: {AGAIN}"

DEMO_AGENT = "demo-agent"
STACK = "dev"
# Encrypts only the emulator's demo token, in a state that is deleted at the next run.
PASSPHRASE = "quickstart-demo-passphrase"
# Marks a work directory as this script's, so a fresh run only ever deletes its own.
MARKER = ".quickstart-workdir"
DASHBOARD_EDIT = {"conv_rating_active": False, "conv_rating_popup_active": False}


class QuickstartError(Exception):
    """A step that cannot go on; the message is the one sentence the user sees."""


def heading(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def note(text: str = "") -> None:
    print(f"    {text}" if text else "", flush=True)


# --- 1. the Pulumi CLI: found, or installed with Pulumi's own installer ----------------------


def find_pulumi() -> Path | None:
    """`pulumi` on PATH, else where Pulumi's installer puts it (~/.pulumi/bin)."""
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path)
    installed = Path.home() / ".pulumi" / "bin" / "pulumi"
    if installed.is_file() and os.access(installed, os.X_OK):
        return installed
    return None


def install_pulumi() -> Path:
    """`curl -fsSL https://get.pulumi.com | sh`, with timeouts; one sentence when it cannot."""
    url = os.environ.get("QUICKSTART_PULUMI_INSTALLER_URL", INSTALLER_URL)
    note(f"The Pulumi CLI is not installed; installing it with Pulumi's installer ({url}).")
    try:
        with urllib.request.urlopen(url, timeout=INSTALLER_FETCH_TIMEOUT) as response:
            script = response.read()
    except (OSError, ValueError, http.client.HTTPException):
        # Refused, timed out, no DNS, an HTTP error status, a cut response.
        raise QuickstartError(UNREACHABLE) from None
    shell = shutil.which("sh") or "/bin/sh"
    try:
        subprocess.run([shell, "-s"], input=script, timeout=INSTALLER_RUN_TIMEOUT, check=True)
    except (OSError, subprocess.SubprocessError):
        raise QuickstartError(INSTALL_FAILED) from None
    found = find_pulumi()
    if found is None:
        raise QuickstartError(INSTALL_FAILED)
    return found


def ensure_pulumi() -> Path:
    return find_pulumi() or install_pulumi()


# --- 2. a fresh work directory and a copy of the example -------------------------------------


def work_dir() -> Path:
    return Path(os.environ.get("QUICKSTART_DIR") or REPO / ".quickstart").resolve()


def fresh_work_dir(path: Path) -> Path:
    if path.exists():
        if not (path / MARKER).is_file() and any(path.iterdir()):
            raise QuickstartError(
                f"{path} exists and is not a quick start work directory: move it away or "
                "set QUICKSTART_DIR to another path, then run `make quickstart` again."
            )
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("Made by scripts/quickstart.py; deleted at its next run.\n")
    return path


def _absolute_requirements(text: str, base: Path) -> str:
    """Local paths in requirements.txt (`-e ../..`) made absolute, so the copy still finds them."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        editable = stripped.startswith("-e ")
        target = stripped[3:].strip() if editable else stripped
        if target.startswith("."):
            target = str((base / target).resolve())
            line = f"-e {target}" if editable else target
        lines.append(line)
    return "\n".join(lines) + "\n"


def prepare_project(example: Path, dest: Path, python: str = sys.executable) -> dict[str, str]:
    """Copy a Python example to `dest`, set to run with this interpreter's environment.

    The examples name the repository's `.venv` relative to themselves, which
    a copy elsewhere would lose; this interpreter's virtualenv is what has
    pulumi-quickchat installed. Returns the environment variables the CLI
    needs on top (PULUMI_PYTHON_CMD where this interpreter is no virtualenv).
    Stack files (Pulumi.<stack>.yaml) are not copied: they may hold someone's
    real settings.
    """
    shutil.copytree(
        example,
        dest,
        ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml", ".venv", "venv"),
    )
    project_file = dest / "Pulumi.yaml"
    project: dict[str, Any] = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    runtime = project.get("runtime")
    if not isinstance(runtime, dict):
        runtime = {"name": runtime or "python"}
    options = dict(runtime.get("options") or {})
    env: dict[str, str] = {}
    if sys.prefix != sys.base_prefix:
        options["virtualenv"] = sys.prefix
    else:
        options.pop("virtualenv", None)
        env["PULUMI_PYTHON_CMD"] = python
    runtime["options"] = options
    project["runtime"] = runtime
    project_file.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    requirements = dest / "requirements.txt"
    if requirements.is_file():
        requirements.write_text(
            _absolute_requirements(requirements.read_text(encoding="utf-8"), example),
            encoding="utf-8",
        )
    return env


def pulumi_env(pulumi: Path, work: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The CLI's environment: local state and home in `work`, nothing of the user's Quickchat."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("QUICKCHAT_")
        and k not in ("PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE_FILE")
    }
    env.update(
        {
            "PULUMI_BACKEND_URL": f"file://{work / 'state'}",
            "PULUMI_HOME": str(work / "pulumi-home"),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            # The CLI's own plugins (the Python language host) sit beside it.
            "PATH": os.pathsep.join(p for p in (str(pulumi.parent), env.get("PATH")) if p),
            **extra,
        }
    )
    return env


# --- 3. the walk ----------------------------------------------------------------------------


class Pulumi:
    """Runs `pulumi` in the project, showing each command as a user would type it."""

    def __init__(self, executable: Path, project: Path, env: Mapping[str, str]) -> None:
        self.executable = executable
        self.project = project
        self.env = dict(env)

    def __call__(self, *args: str, stdin: str | None = None, capture: bool = False) -> str:
        # Secrets only ever travel on stdin, so the echoed command holds none.
        print(f"    $ pulumi {' '.join(args)}", flush=True)
        result = subprocess.run(
            [str(self.executable), *args],
            cwd=self.project,
            env=self.env,
            input=stdin,
            stdout=subprocess.PIPE if capture else None,
            text=True,
        )
        if result.returncode != 0:
            raise QuickstartError(
                f"`pulumi {args[0]}` failed with exit code {result.returncode}; "
                "its output is above."
            )
        return result.stdout or ""


def show(title: str, value: Mapping[str, Any]) -> None:
    note(title)
    for key, item in value.items():
        note(f"  {json.dumps(key)}: {json.dumps(item)}")


def walk(pulumi: Pulumi, admin: EmulatorAdmin, url: str, token: str) -> None:
    def held(title: str) -> None:
        show(title, admin.get_configuration(DEMO_AGENT))

    heading(f"Creating the stack {STACK!r} (local state, nothing leaves this machine)")
    pulumi("stack", "init", STACK, "--secrets-provider", "passphrase")
    pulumi("config", "set", "quickchat:baseUrl", url)
    pulumi("config", "set", "--secret", "quickchat:apiToken", stdin=token)
    note("The API token is stored encrypted in the stack's config; it was passed on stdin.")

    heading(f"pulumi up: {DEMO_AGENT} asks its visitors to rate the conversation")
    held(f"Before, {DEMO_AGENT} holds:")
    pulumi("up", "--yes")
    held(f"Now {DEMO_AGENT} holds:")
    show("Stack outputs:", json.loads(pulumi("stack", "output", "--json", capture=True)))

    heading("Drift: someone turns rating off in the Quickchat Dashboard")
    admin.edit_configuration(DEMO_AGENT, DASHBOARD_EDIT)
    held(f"{DEMO_AGENT} now holds:")

    heading("pulumi refresh finds the edit; pulumi up puts the program's setting back")
    pulumi("refresh", "--yes")
    pulumi("up", "--yes")
    held(f"{DEMO_AGENT} holds again:")

    heading(f"pulumi destroy: {DEMO_AGENT} goes back to Quickchat's disabled defaults")
    pulumi("destroy", "--yes")
    held(f"{DEMO_AGENT} holds:")


def next_steps(work: Path) -> None:
    heading("Done. To manage a real agent, with a stack of your own:")
    note("  cd examples/basic")
    note("  pulumi login --local                            # or your usual backend")
    note("  pulumi stack init dev")
    note("  pulumi config set --secret quickchat:apiToken   # paste your agent's write_all token")
    note("  pulumi up")
    note("No base URL to set: it defaults to https://app.quickchat.ai.")
    note(f"The quick start's own state is in {work}; the next run starts afresh.")


def main() -> int:
    heading("Looking for the Pulumi CLI")
    try:
        # First of all, before anything is started or written.
        executable = ensure_pulumi()
        note(f"Using {executable}")

        work = fresh_work_dir(work_dir())
        project = work / "project"
        extra_env = prepare_project(EXAMPLE, project)
        (work / "state").mkdir()
        pulumi = Pulumi(executable, project, pulumi_env(executable, work, extra_env))

        heading(f"Starting a local Quickchat emulator with the agent {DEMO_AGENT!r}")
        tokens_file = work / "demo-tokens.json"
        emulator = EmulatorProcess(["--demo", "--tokens-file", str(tokens_file)])
        try:
            emulator.start()
        except RuntimeError as error:
            raise QuickstartError(f"The local Quickchat emulator did not start: {error}") from None
        # Stopped on every way out: success, a failed step, Ctrl-C.
        with emulator:
            note(f"Listening on {emulator.url} (a stand-in for https://app.quickchat.ai)")
            token = json.loads(tokens_file.read_text(encoding="utf-8"))["write_all"]
            try:
                walk(pulumi, emulator.admin, emulator.url, token)
            except (EmulatorAdminError, requests.RequestException) as error:
                raise QuickstartError(
                    f"The local Quickchat emulator stopped answering ({error}); "
                    "run `make quickstart` again."
                ) from None
        note("The emulator is stopped.")
        next_steps(work)
    except QuickstartError as error:
        print(error, file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; nothing is left running.", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
