"""`make quickstart`: pulumi-quickchat end to end in a few minutes, with no Quickchat account.

It runs examples/basic through the real Pulumi CLI against a local Quickchat
emulator: `pulumi up` turns Conversation Rating on for the emulator's demo
agent, an edit "in the Dashboard" shows drift, `pulumi refresh` and
`pulumi up` put it back, and `pulumi destroy` resets the agent.

Everything it creates lives in one work directory, `.quickstart/` in the
repository (or $QUICKSTART_DIR), made afresh on each run so an old state never
points at an emulator that is gone: the local state backend, a PULUMI_HOME of
its own (your own Pulumi login is left alone) and a copy of the example whose
Pulumi.yaml uses this very interpreter's virtualenv. Where the Pulumi CLI is
missing, Pulumi's installer puts it in `pulumi-cli/` there, the one thing a
fresh run keeps, and edits no shell start-up file. Where that installer cannot be
reached and Go is installed, `make cli` (scripts/build_cli.sh) builds the CLI from
its Go modules instead, into its cache outside the repository, and says so.

The CLI runs the program as it runs a user's: through Pulumi's Python language host,
`pulumi-language-python`, beside it (the official install ships it; `make cli` builds it
where its source is kept). A CLI without one cannot run a Python program, so the quick
start stops first with one sentence.

Exit code 0 when every step passed, 1 with one sentence first on what to do
when one could not.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import urllib.error
import urllib.parse
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
BUILD_CLI = REPO / "scripts" / "build_cli.sh"
NO_PYTHON_HOST = (
    "The Pulumi CLI at {pulumi} has no Python language host (pulumi-language-python beside "
    f"it or on PATH), so it cannot run a Python program: {AGAIN}"
)
BUILD_FAILED = (
    "The Pulumi CLI is not installed, its installer could not be reached, and building it "
    f"from its Go modules failed (its output is above): {AGAIN}"
)
# What works without the CLI; the tests run the client snippet against an emulator.
CLIENT_SNIPPET = """\
from pulumi_quickchat import QuickchatClient
with QuickchatClient("TOKEN-IT-PRINTED", "http://127.0.0.1:8377") as quickchat:
    print(quickchat.get_configuration())"""
WITHOUT_CLI = f"""\
Without the CLI, these work now, from this checkout:
  1. A local Quickchat: .venv/bin/quickchat-emulator --demo  (it prints the demo agent's token)
  2. The client against it, in .venv/bin/python:
{textwrap.indent(CLIENT_SNIPPET, " " * 7)}
  3. Every test (about 12 minutes; those that need the CLI say why they skip): make test"""

DEMO_AGENT = "demo-agent"
STACK = "dev"
# Encrypts only the emulator's demo token, in a state that is deleted at the next run.
PASSPHRASE = "quickstart-demo-passphrase"
# Marks a work directory as this script's, so a fresh run only ever deletes its own.
MARKER = ".quickstart-workdir"
# In the work directory: the installer's --install-root, kept from one run to the next.
CLI_ROOT = "pulumi-cli"
DASHBOARD_EDIT = {"conv_rating_active": False, "conv_rating_popup_active": False}


class QuickstartError(Exception):
    """A step that cannot go on; the message starts with the one sentence the user sees."""


def heading(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def note(text: str = "") -> None:
    print(f"    {text}" if text else "", flush=True)


# --- 1. the Pulumi CLI: found, or installed with Pulumi's own installer ----------------------


def find_pulumi(work: Path) -> Path | None:
    """`pulumi` on PATH, else where Pulumi's installer puts it: ~/.pulumi/bin, or ours."""
    roots = (Path.home() / ".pulumi", work / CLI_ROOT)
    found = shutil.which("pulumi") or shutil.which(
        "pulumi", path=os.pathsep.join(str(root / "bin") for root in roots)
    )
    return Path(found) if found else None


def unreachable_cause(error: BaseException, url: str) -> str:
    """One line naming why `url` could not be fetched, read from the exception chain."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        nested = getattr(current, "reason", None)  # where URLError keeps what went wrong
        if not isinstance(nested, BaseException):
            nested = current.__cause__ or current.__context__
        current = nested
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or url
    proxy = urllib.request.getproxies().get(parts.scheme)
    for cause in chain:
        if isinstance(cause, urllib.error.HTTPError):
            return f"Cause (HTTP): {host} answered with an error ({cause})."
        if isinstance(cause, ssl.SSLError):
            return f"Cause (TLS): the secure connection to {host} failed ({cause})."
    if proxy and not urllib.request.proxy_bypass(host):
        return f"Cause (proxy): going through the proxy {proxy} to {host} failed ({chain[-1]})."
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return f"Cause (DNS): the name {host} could not be resolved ({cause})."
        if isinstance(cause, ConnectionRefusedError):
            return f"Cause (connection): {host} refused the connection ({cause})."
        if isinstance(cause, TimeoutError):
            return f"Cause (connection): {host} did not answer in time ({cause})."
    return f"Cause: {chain[-1]}."


def install_pulumi(work: Path) -> Path:
    """Pulumi's installer, into the work directory: no file outside it is written.

    `curl -fsSL https://get.pulumi.com | sh -s -- --install-root DIR --no-edit-path --silent`,
    with timeouts; the flags are those of install.sh (github.com/pulumi/get.pulumi.com,
    dist/install.sh). Its temporary files go in the work directory too (TMPDIR).
    """
    url = os.environ.get("QUICKSTART_PULUMI_INSTALLER_URL", INSTALLER_URL)
    root = work / CLI_ROOT
    note(
        f"The Pulumi CLI is not installed; installing it in {root} with Pulumi's installer ({url})."
    )
    try:
        with urllib.request.urlopen(url, timeout=INSTALLER_FETCH_TIMEOUT) as response:
            script = response.read()
    except (OSError, ValueError, http.client.HTTPException) as error:
        # Refused, timed out, no DNS, a proxy, TLS, an HTTP error status, a cut response.
        cause = unreachable_cause(error, url)
        if shutil.which("go") is not None:
            return build_pulumi(cause)
        raise QuickstartError(f"{UNREACHABLE}\n{cause}\n{WITHOUT_CLI}") from None
    fresh_work_dir(work)
    (work / "tmp").mkdir()
    shell = shutil.which("sh") or "/bin/sh"
    flags = ["--install-root", str(root), "--no-edit-path", "--silent"]
    try:
        subprocess.run(
            [shell, "-s", "--", *flags],
            input=script,
            env={**os.environ, "TMPDIR": str(work / "tmp")},
            timeout=INSTALLER_RUN_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        raise QuickstartError(INSTALL_FAILED) from None
    found = shutil.which("pulumi", path=str(root / "bin"))
    if found is None:
        raise QuickstartError(INSTALL_FAILED)
    return Path(found)


def build_pulumi(cause: str) -> Path:
    """`make cli`: the CLI built from its Go modules, where Go is installed (its cache is
    outside the repository and reused: minutes the first time, instant after)."""
    note(f"Pulumi's installer could not be reached. {cause}")
    note(
        "Go is installed, so the Pulumi CLI is built from its Go modules instead, with "
        "scripts/build_cli.sh (`make cli`). To use Pulumi yourself, install it the official "
        f"way: {INSTALL_DOCS}"
    )
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run([bash, str(BUILD_CLI)], stdout=subprocess.PIPE, text=True)
    found = shutil.which("pulumi", path=result.stdout.strip()) if result.returncode == 0 else None
    if found is None:
        raise QuickstartError(BUILD_FAILED)
    return Path(found)


def has_python_host(executable: Path) -> bool:
    """Whether the CLI can run a Python program itself: Pulumi's Python language host
    beside it or on PATH (the CLI looks in both)."""
    return bool(
        shutil.which("pulumi-language-python", path=str(executable.parent))
        or shutil.which("pulumi-language-python")
    )


# --- 2. a fresh work directory and a copy of the example -------------------------------------


def work_dir() -> Path:
    return Path(os.environ.get("QUICKSTART_DIR") or REPO / ".quickstart").resolve()


def fresh_work_dir(path: Path) -> Path:
    """`path` emptied of a previous run, all but the CLI installed in it."""
    if path.exists() and not (path / MARKER).is_file() and any(path.iterdir()):
        raise QuickstartError(
            f"{path} exists and is not a quick start work directory: move it away or "
            "set QUICKSTART_DIR to another path, then run `make quickstart` again."
        )
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.name == CLI_ROOT:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (path / MARKER).write_text(
        f"Made by scripts/quickstart.py; emptied at its next run, but for {CLI_ROOT}/.\n"
    )
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
    """Copy an example to `dest`, set to run with this interpreter's environment.

    The examples name the repository's `.venv` relative to themselves (as the
    Python virtualenv, and as the directory of the native provider plugin),
    which a copy elsewhere would lose; this interpreter's environment is what
    has pulumi-quickchat installed. Returns the environment variables the CLI
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
    env: dict[str, str] = {}
    if runtime["name"] == "python":
        options = dict(runtime.get("options") or {})
        if sys.prefix != sys.base_prefix:
            options["virtualenv"] = sys.prefix
        else:
            options.pop("virtualenv", None)
            env["PULUMI_PYTHON_CMD"] = python
        runtime["options"] = options
        project["runtime"] = runtime
    # The native provider's plugin, pulumi-resource-quickchat, beside this Python.
    for plugin in (project.get("plugins") or {}).get("providers") or []:
        if plugin.get("name") == "quickchat":
            plugin["path"] = str(Path(python).parent)
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
            # The CLI's own plugins (the language hosts) sit beside it.
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


def next_steps(work: Path, executable: Path) -> None:
    """What to type next, with the CLI this run used: put on PATH where it is not."""
    heading("Done. To manage a real agent, with a stack of your own:")
    if shutil.which("pulumi") != str(executable):
        note(f'  export PATH="{executable.parent}:$PATH"')
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
        work = work_dir()
        # First of all, before anything is started or written (but for an installed CLI).
        executable = find_pulumi(work) or install_pulumi(work)
        note(f"Using {executable}")
        if not has_python_host(executable):
            raise QuickstartError(NO_PYTHON_HOST.format(pulumi=executable))

        fresh_work_dir(work)  # after an install too: the installer's TMPDIR goes
        project = work / "project"
        extra_env = prepare_project(EXAMPLE, project)
        (work / "state").mkdir()
        env = pulumi_env(executable, work, extra_env)
        run_walk(Pulumi(executable, project, env), work)
        next_steps(work, executable)
    except QuickstartError as error:
        print(error, file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; nothing is left running.", file=sys.stderr, flush=True)
        return 130
    return 0


def run_walk(pulumi: Pulumi, work: Path) -> None:
    """The emulator started, the walk through the CLI, the emulator stopped on every way out."""
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


if __name__ == "__main__":
    sys.exit(main())
