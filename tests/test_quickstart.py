"""`make quickstart` (scripts/quickstart.py): one command, no Quickchat account.

Run for real here: the path where the Pulumi CLI is missing and its installer
cannot be reached (or fails), which must stop first, with one sentence and
exit code 1, having started and written nothing; an unreachable installer is
named by its cause (DNS, proxy, TLS, connection, HTTP), each one made on
loopback, with a resolver that knows no names so that nothing leaves the
machine. Pulumi's installer is stood in for by one that takes install.sh's
options and writes where they tell it. The rest of the walk runs
against a stand-in `pulumi` that records how it was called (arguments,
working directory, environment, stdin), proving the script's side of the
contract: which commands, in which order, against a live emulator, with the
token only on stdin. Where a real CLI is installed, the whole quick start also
runs for real.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickchat_emulator import EmulatorProcess

from support.cli import CLI, pinned_bin, requires_cli
from support.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "quickstart.py"


quickstart = load_script("quickstart")

# Runs the script with a resolver that knows addresses but no names, as offline: DNS
# fails at once, and no query leaves the machine even where a name would resolve.
OFFLINE = """
import ipaddress, runpy, socket, sys

resolve = socket.getaddrinfo

def addresses_only(host, *args, **kwargs):
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
    return resolve(host, *args, **kwargs)

socket.getaddrinfo = addresses_only
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

# Pulumi's installer, as far as its options go (dist/install.sh in
# github.com/pulumi/get.pulumi.com): --install-root (default ~/.pulumi), --no-edit-path,
# --silent, --version; any other is an error. Without --no-edit-path it adds the CLI to
# PATH in a shell start-up file in HOME. It records how it was called.
FAKE_INSTALLER = """
import json, os, shutil, sys, tempfile
from pathlib import Path

args = sys.argv[2:]
Path(os.environ["FAKE_INSTALLER_LOG"]).write_text(
    json.dumps({"args": args, "tmpdir": tempfile.gettempdir()})
)
root, edit_path = Path.home() / ".pulumi", True
while args:
    option = args.pop(0)
    if option == "--install-root":
        root = Path(args.pop(0))
    elif option == "--version":
        args.pop(0)
    elif option == "--no-edit-path":
        edit_path = False
    elif option != "--silent":
        sys.exit(f"error: unknown option {option!r}")
tempfile.mkstemp(prefix="pulumi.tar.gz.")
(root / "bin").mkdir(parents=True, exist_ok=True)
for tool in Path(sys.argv[1]).parent.iterdir():  # pulumi and its language host, as shipped
    shutil.copy(tool, root / "bin" / tool.name)
if edit_path:
    with (Path.home() / ".profile").open("a") as profile:
        profile.write(f"export PATH=$PATH:{root}/bin\\n")
"""

# A `pulumi` that records each call as a JSON line, and answers `stack output`.
FAKE_PULUMI = f"""#!{sys.executable}
import json, os, sys, urllib.request
from pathlib import Path

log = Path(os.environ["FAKE_PULUMI_LOG"])
args = sys.argv[1:]
url_file = log.with_suffix(".url")
if args[:3] == ["config", "set", "quickchat:baseUrl"]:
    url_file.write_text(args[3])
emulator_up = None
if url_file.exists():
    try:
        with urllib.request.urlopen(url_file.read_text() + "/_emulator/health", timeout=5) as r:
            emulator_up = r.status == 200
    except OSError:
        emulator_up = False
record = {{
    "argv": args,
    "executable": sys.argv[0],
    "cwd": os.getcwd(),
    "stdin": sys.stdin.read(),
    "env": {{k: v for k, v in os.environ.items() if k.startswith(("PULUMI_", "QUICKCHAT_"))}},
    "emulator_up": emulator_up,
}}
with log.open("a") as handle:
    handle.write(json.dumps(record) + "\\n")
if args[:3] == ["stack", "output", "--json"]:
    print(json.dumps({{"scenario_id": "demo-agent"}}))
"""

WALK = [
    ["stack", "init", "dev", "--secrets-provider", "passphrase"],
    ["config", "set", "quickchat:baseUrl"],  # + the emulator's URL
    ["config", "set", "--secret", "quickchat:apiToken"],
    ["up", "--yes"],
    ["stack", "output", "--json"],
    ["refresh", "--yes"],
    ["up", "--yes"],
    ["destroy", "--yes"],
]


def run_quickstart(
    env: Mapping[str, str], timeout: float = 300, prelude: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The script in a child process; `prelude`, Python code that runs it (OFFLINE)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "QUICKCHAT_", "QUICKSTART_"))
        # A proxy of the machine's would change how the installer is (not) reached.
        and not k.lower().endswith("_proxy")
    }
    launch = ["-c", prelude] if prelude else []
    return subprocess.run(
        [sys.executable, *launch, str(SCRIPT)],
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def processes_carrying(entry: str) -> list[int] | None:
    """Processes whose environment holds `entry` (children inherit it); None without /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    wanted = entry.encode()
    found = []
    for process in proc.glob("[0-9]*"):
        if int(process.name) == os.getpid():
            continue
        try:
            environ = (process / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0"):
            found.append(int(process.name))
    return found


def snapshot(path: Path) -> list[tuple[str, int]] | None:
    if not path.exists():
        return None
    return sorted((str(p.relative_to(path)), p.stat().st_mtime_ns) for p in path.rglob("*"))


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    """A loopback port bound but not listening: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@contextmanager
def serve(body: str, status: int = 200) -> Iterator[str]:
    """An installer at a loopback URL, as https://get.pulumi.com serves one (plain HTTP)."""
    payload = body.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sandbox(tmp_path: Path, closed_port_url: str) -> dict[str, str]:
    """No pulumi anywhere: PATH is an empty folder and HOME (so ~/.pulumi/bin) is fresh."""
    (tmp_path / "empty-bin").mkdir()
    (tmp_path / "home").mkdir()
    return {
        "PATH": str(tmp_path / "empty-bin"),
        "HOME": str(tmp_path / "home"),
        "QUICKSTART_DIR": str(tmp_path / "quickstart"),
        "QUICKSTART_PULUMI_INSTALLER_URL": closed_port_url,
    }


def assert_stopped_unreachable(
    result: subprocess.CompletedProcess[str], sandbox: Mapping[str, str], cause: str
) -> None:
    """Exit code 1: the sentence, the cause, what works without the CLI; nothing written."""
    assert result.returncode == 1
    sentence, cause_line, *rest = result.stderr.strip().splitlines()
    assert sentence == (
        "The Pulumi CLI is not installed and its installer could not be reached: install it "
        "from https://www.pulumi.com/docs/install/ and run `make quickstart` again."
    )
    assert cause_line.startswith(cause), cause_line
    assert "\n".join(rest) == quickstart.WITHOUT_CLI
    # Checked first: nothing was started or written.
    assert "emulator" not in result.stdout.lower()
    assert not Path(sandbox["QUICKSTART_DIR"]).exists()
    assert not any(Path(sandbox["HOME"]).iterdir())
    assert processes_carrying(f"QUICKSTART_DIR={sandbox['QUICKSTART_DIR']}") in ([], None)


def test_without_the_cli_and_its_installer_it_stops_first_with_one_sentence(
    sandbox: dict[str, str],
) -> None:
    repo_work_dir = snapshot(ROOT / ".quickstart")

    result = run_quickstart(sandbox, timeout=120, prelude=OFFLINE)

    assert_stopped_unreachable(
        result, sandbox, "Cause (connection): 127.0.0.1 refused the connection ("
    )
    assert snapshot(ROOT / ".quickstart") == repo_work_dir


def test_an_installer_host_that_does_not_resolve_is_named_a_dns_failure(
    sandbox: dict[str, str],
) -> None:
    # The real address, https://get.pulumi.com, with no name resolving.
    env = {k: v for k, v in sandbox.items() if k != "QUICKSTART_PULUMI_INSTALLER_URL"}

    result = run_quickstart(env, timeout=120, prelude=OFFLINE)

    assert_stopped_unreachable(
        result, sandbox, "Cause (DNS): the name get.pulumi.com could not be resolved ("
    )


def test_a_proxy_that_refuses_is_named_a_proxy_failure(
    sandbox: dict[str, str], closed_port_url: str
) -> None:
    env = {k: v for k, v in sandbox.items() if k != "QUICKSTART_PULUMI_INSTALLER_URL"}

    result = run_quickstart({**env, "HTTPS_PROXY": closed_port_url}, timeout=120, prelude=OFFLINE)

    assert_stopped_unreachable(
        result,
        sandbox,
        f"Cause (proxy): going through the proxy {closed_port_url} to get.pulumi.com failed (",
    )


def test_a_server_that_does_not_speak_tls_is_named_a_tls_failure(
    sandbox: dict[str, str],
) -> None:
    with serve("exit 0\n") as url:
        https = url.replace("http://", "https://")
        result = run_quickstart(
            {**sandbox, "QUICKSTART_PULUMI_INSTALLER_URL": https}, timeout=120, prelude=OFFLINE
        )

    assert_stopped_unreachable(
        result, sandbox, "Cause (TLS): the secure connection to 127.0.0.1 failed ("
    )


def test_an_http_error_status_is_named_with_its_status(sandbox: dict[str, str]) -> None:
    with serve("Not here\n", status=404) as url:
        result = run_quickstart(
            {**sandbox, "QUICKSTART_PULUMI_INSTALLER_URL": url}, timeout=120, prelude=OFFLINE
        )

    assert_stopped_unreachable(
        result,
        sandbox,
        "Cause (HTTP): 127.0.0.1 answered with an error (HTTP Error 404: Not Found).",
    )


def test_the_client_snippet_it_prints_without_the_cli_runs_against_the_emulator(
    emulator: EmulatorProcess, token: str
) -> None:
    snippet = quickstart.CLIENT_SNIPPET
    assert "TOKEN-IT-PRINTED" in snippet and "http://127.0.0.1:8377" in snippet
    code = snippet.replace("TOKEN-IT-PRINTED", token).replace("http://127.0.0.1:8377", emulator.url)

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "conv_rating_active=" in result.stdout


def test_an_installer_that_fails_stops_with_one_sentence_and_nothing_started(
    sandbox: dict[str, str],
) -> None:
    with serve('echo "installer: cannot write to $HOME" >&2\nexit 3\n') as url:
        result = run_quickstart({**sandbox, "QUICKSTART_PULUMI_INSTALLER_URL": url}, timeout=120)

    assert result.returncode == 1
    # The installer's own words come first; the quick start's sentence closes.
    assert "installer: cannot write to" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == quickstart.INSTALL_FAILED
    # The work dir holds no more than the installer was given (its root and TMPDIR).
    work = Path(sandbox["QUICKSTART_DIR"])
    assert {p.name for p in work.iterdir()} <= {quickstart.MARKER, "tmp", quickstart.CLI_ROOT}
    assert processes_carrying(f"QUICKSTART_DIR={sandbox['QUICKSTART_DIR']}") in ([], None)


def _fake_pulumi(path: Path, python_host: bool = True) -> Path:
    """The recording `pulumi`, with Pulumi's Python language host beside it as the official
    install ships it (a placeholder: the recording CLI runs no program)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FAKE_PULUMI, encoding="utf-8")
    path.chmod(0o755)
    if python_host:
        host = path.with_name("pulumi-language-python")
        host.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
        host.chmod(0o755)
    return path


def _calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_walk_runs_the_cli_steps_in_order_against_a_live_emulator_in_a_fresh_work_dir(
    tmp_path: Path, sandbox: dict[str, str]
) -> None:
    fake = _fake_pulumi(tmp_path / "bin" / "pulumi")
    work = Path(sandbox["QUICKSTART_DIR"])
    # A previous run's leftovers: the next run starts afresh.
    work.mkdir()
    (work / quickstart.MARKER).write_text("")
    (work / "stale-state.json").write_text("{}")
    log = tmp_path / "pulumi-calls.jsonl"
    env = {
        **sandbox,
        "PATH": str(fake.parent),
        "FAKE_PULUMI_LOG": str(log),
        # The user's own Quickchat settings must not reach the demo.
        "QUICKCHAT_API_TOKEN": "the-users-real-token",
    }

    result = run_quickstart(env)

    assert result.returncode == 0, result.stdout + result.stderr
    calls = _calls(log)
    assert [c["argv"][: len(step)] for c, step in zip(calls, WALK, strict=True)] == WALK
    url = calls[1]["argv"][3]
    assert url.startswith("http://127.0.0.1:")
    # The emulator served every step after its address was set, and nothing outlived the run.
    assert all(c["emulator_up"] for c in calls[1:])
    assert processes_carrying(f"QUICKSTART_DIR={work}") in ([], None)
    assert not (work / "stale-state.json").exists()

    # The demo token travelled on stdin alone.
    token = json.loads((work / "demo-tokens.json").read_text(encoding="utf-8"))["write_all"]
    assert calls[2]["stdin"] == token
    assert all(token not in " ".join(c["argv"]) for c in calls)
    assert token not in result.stdout + result.stderr

    # Every command ran in the copied example, with state and home inside the work dir.
    project = work / "project"
    for call in calls:
        assert Path(call["cwd"]) == project
        assert call["env"]["PULUMI_BACKEND_URL"] == f"file://{work / 'state'}"
        assert Path(call["env"]["PULUMI_HOME"]).is_relative_to(work)
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE"]
        assert call["env"]["PULUMI_SKIP_UPDATE_CHECK"] == "1"
        assert not any(k.startswith("QUICKCHAT_") for k in call["env"])
    assert (project / "__main__.py").read_bytes() == (
        ROOT / "examples" / "basic" / "__main__.py"
    ).read_bytes()

    # What the user reads: the agent before and after, the outputs, and the way to the real thing.
    out = result.stdout
    assert out.index("pulumi up") < out.index("Drift") < out.index("pulumi destroy")
    assert '"scenario_id": "demo-agent"' in out
    assert '"conv_rating_active": false' in out.split("Drift")[1]
    assert "pulumi config set --secret quickchat:apiToken" in out
    assert "pulumi stack init dev" in out and "cd examples/basic" in out


def test_missing_cli_is_installed_in_the_work_dir_without_editing_path_and_used(
    tmp_path: Path, sandbox: dict[str, str], closed_port_url: str
) -> None:
    fake = _fake_pulumi(tmp_path / "dist" / "pulumi")
    installer = tmp_path / "installer.py"
    installer.write_text(FAKE_INSTALLER, encoding="utf-8")
    work = Path(sandbox["QUICKSTART_DIR"])
    root = work / quickstart.CLI_ROOT
    repo_work_dir = snapshot(ROOT / ".quickstart")
    log = tmp_path / "pulumi-calls.jsonl"
    installer_log = tmp_path / "installer.json"
    env = {**sandbox, "FAKE_PULUMI_LOG": str(log), "FAKE_INSTALLER_LOG": str(installer_log)}
    with serve(f'exec "{sys.executable}" "{installer}" "{fake}" "$@"\n') as url:
        result = run_quickstart({**env, "QUICKSTART_PULUMI_INSTALLER_URL": url})

    assert result.returncode == 0, result.stdout + result.stderr
    installed = json.loads(installer_log.read_text(encoding="utf-8"))
    assert installed["args"] == ["--install-root", str(root), "--no-edit-path", "--silent"]
    # Nothing outside the work dir: not HOME, not the system's temporary directory.
    assert not any(Path(sandbox["HOME"]).iterdir())
    assert Path(installed["tmpdir"]).is_relative_to(work)
    assert snapshot(ROOT / ".quickstart") == repo_work_dir
    calls = _calls(log)
    assert [c["argv"][: len(step)] for c, step in zip(calls, WALK, strict=True)] == WALK
    assert {Path(c["executable"]) for c in calls} == {root / "bin" / "pulumi"}
    # The next steps put the CLI used on PATH, and run the program as a user does.
    assert f'export PATH="{root / "bin"}:$PATH"' in result.stdout
    assert "    pulumi up\n" in result.stdout

    # The next run starts afresh but for the CLI, which it uses without the installer.
    log.unlink()
    again = run_quickstart({**env, "QUICKSTART_PULUMI_INSTALLER_URL": closed_port_url})

    assert again.returncode == 0, again.stdout + again.stderr
    assert {Path(c["executable"]) for c in _calls(log)} == {root / "bin" / "pulumi"}
    assert not (work / "tmp").exists()
    assert not any(Path(sandbox["HOME"]).iterdir())


def test_a_cli_without_the_python_host_stops_first_with_one_sentence(
    tmp_path: Path, sandbox: dict[str, str]
) -> None:
    # A CLI such as `make cli` builds where the host's source is not kept.
    fake = _fake_pulumi(tmp_path / "bin" / "pulumi", python_host=False)
    log = tmp_path / "pulumi-calls.jsonl"

    result = run_quickstart({**sandbox, "PATH": str(fake.parent), "FAKE_PULUMI_LOG": str(log)})

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"The Pulumi CLI at {fake} has no Python language host (pulumi-language-python beside "
        "it or on PATH), so it cannot run a Python program: install it from "
        "https://www.pulumi.com/docs/install/ and run `make quickstart` again."
    )
    # Checked first: the CLI never ran, no emulator started, nothing written.
    assert not log.exists()
    assert "emulator" not in result.stdout.lower()
    assert not Path(sandbox["QUICKSTART_DIR"]).exists()
    assert processes_carrying(f"QUICKSTART_DIR={sandbox['QUICKSTART_DIR']}") in ([], None)


def test_a_work_dir_that_is_not_the_quick_starts_is_left_alone(
    tmp_path: Path, sandbox: dict[str, str]
) -> None:
    fake = _fake_pulumi(tmp_path / "bin" / "pulumi")
    someone_elses = tmp_path / "quickstart"
    someone_elses.mkdir()
    (someone_elses / "notes.txt").write_text("keep me")

    result = run_quickstart(
        {**sandbox, "PATH": str(fake.parent), "FAKE_PULUMI_LOG": str(tmp_path / "log.jsonl")}
    )

    assert result.returncode == 1
    assert "is not a quick start work directory" in result.stderr
    assert (someone_elses / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "log.jsonl").exists()


def test_prepare_project_points_the_example_copy_at_this_interpreter(tmp_path: Path) -> None:
    example = tmp_path / "repo" / "examples" / "basic"
    shutil.copytree(ROOT / "examples" / "basic", example)
    # A stack file someone made trying the example for real must not travel.
    (example / "Pulumi.dev.yaml").write_text("config: {}\n")

    env = quickstart.prepare_project(example, tmp_path / "copy")

    copy = tmp_path / "copy"
    project = yaml.safe_load((copy / "Pulumi.yaml").read_text(encoding="utf-8"))
    original = yaml.safe_load((example / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == original["name"]
    if sys.prefix != sys.base_prefix:
        assert project["runtime"]["options"]["virtualenv"] == sys.prefix
        assert env == {}
    else:
        assert "virtualenv" not in project["runtime"]["options"]
        assert env == {"PULUMI_PYTHON_CMD": sys.executable}
    # `-e ../..` named the repository relative to the example; the copy names it outright.
    assert (copy / "requirements.txt").read_text(encoding="utf-8") == f"-e {tmp_path / 'repo'}\n"
    assert not (copy / "Pulumi.dev.yaml").exists()


@requires_cli()
def test_without_cli_or_installer_but_with_go_it_builds_the_cli_and_walks_for_real(
    sandbox: dict[str, str],
) -> None:
    # No pulumi anywhere and the installer unreachable; Go on PATH, and `make cli`'s cache
    # where this machine keeps it (so the build is the cached one: instant).
    go = shutil.which("go")
    assert go is not None, "Go is not installed: `make cli` needs it"
    assert CLI is not None
    work = Path(sandbox["QUICKSTART_DIR"])
    go_env = {
        key: subprocess.run([go, "env", key], capture_output=True, text=True).stdout.strip()
        for key in ("GOMODCACHE", "GOCACHE", "GOPATH")
    }
    env = {
        **sandbox,
        **go_env,
        "PATH": os.pathsep.join([sandbox["PATH"], str(Path(go).parent), "/usr/bin", "/bin"]),
        "PULUMI_QUICKCHAT_CLI_CACHE": str(pinned_bin().parents[1]),
        # Go's own settings (its telemetry file), which `make cli` cannot keep out of HOME.
        "XDG_CONFIG_HOME": str(Path(sandbox["QUICKSTART_DIR"]).parent / "go-config"),
    }
    assert shutil.which("pulumi", path=env["PATH"]) is None

    result = run_quickstart(env, timeout=900, prelude=OFFLINE)

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Pulumi's installer could not be reached. Cause (connection): 127.0.0.1" in out
    assert "the Pulumi CLI is built from its Go modules instead" in out
    assert f"Using {pinned_bin() / 'pulumi'}" in out
    assert (pinned_bin() / "pulumi-language-python").is_file()
    assert "    $ pulumi up --yes\n" in out and "--client" not in out
    after_up = out.split("Drift")[0]
    assert '"conv_rating_active": true' in after_up
    assert '"scenario_id": "demo-agent"' in after_up
    assert '"conv_rating_active": true' in out.split("holds again")[1]
    assert '"conv_rating_active": false' in out.split("pulumi destroy")[-1]
    token = json.loads((work / "demo-tokens.json").read_text(encoding="utf-8"))["write_all"]
    assert token not in out + result.stderr
    assert processes_carrying(f"QUICKSTART_DIR={work}") in ([], None)
    # Nothing outside the work dir and the CLI's cache: not HOME.
    assert not any(Path(sandbox["HOME"]).iterdir())
