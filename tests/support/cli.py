"""The real Pulumi CLI, as `make cli` builds it, run in a project of a test's own.

Where the CLI comes from: `pulumi` on PATH (`.ci/run` and `make test` put the one
`make cli` built first), else the folder scripts/build_cli.sh builds into. Under
`CI=true` a test that needs it fails instead of skipping.

Every piece is the real one, started by the CLI as a user's `pulumi up` starts it:
the CLI and its engine, the Python language host `pulumi-language-python` (built
beside `pulumi` from its source in shared/vendor), which runs a `runtime: python`
program in the virtualenv its Pulumi.yaml names, the dynamic provider's host
`pulumi-resource-pulumi-python`, the native plugin, the YAML language host.

The commands that only generate code (`pulumi import`'s program, `pulumi package
gen-sdk`) ask the project's language host for it; for Node.js and Go projects, whose
hosts cannot be built here, they run the `pulumi` linked into codegen-bin beside the
CLI's folder, with that folder first on PATH, where scripts/build_cli.sh puts
scripts/codegen_host under the hosts' names. Nothing else sees that folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD_CLI = ROOT / "scripts" / "build_cli.sh"
# The commands that ask the language host to generate code, and the runtimes whose
# hosts scripts/codegen_host stands in for.
GENERATES_CODE = {"import", "package"}
CODEGEN_RUNTIMES = {"nodejs", "go"}


def pinned_bin() -> Path:
    """The folder scripts/build_cli.sh builds into, at the version it pins."""
    text = BUILD_CLI.read_text(encoding="utf-8")
    match = re.search(r"^PULUMI_VERSION=(\S+)", text, re.MULTILINE)
    assert match, "scripts/build_cli.sh pins no PULUMI_VERSION"
    cache = os.environ.get("PULUMI_QUICKCHAT_CLI_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pulumi-quickchat/cli"
    )
    return Path(cache) / f"v{match.group(1)}" / "bin"


def find_cli() -> Path | None:
    """`pulumi` on PATH, else the one `make cli` built; None where there is neither."""
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path)
    built = pinned_bin() / "pulumi"
    return built if built.is_file() else None


CLI = find_cli()


def codegen_bin() -> Path | None:
    """The folder of scripts/codegen_host, beside the CLI's own as build_cli.sh makes it."""
    folder = CLI.parent.parent / "codegen-bin" if CLI is not None else None
    return folder if folder is not None and (folder / "pulumi").is_file() else None


NO_CLI = (
    "the Pulumi CLI is neither on PATH nor built: run `make cli` (it builds it from its "
    "Go modules) or install it (https://www.pulumi.com/docs/install/)"
)


def cli_version() -> tuple[int, ...] | None:
    if CLI is None:
        return None
    printed = subprocess.run([CLI, "version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", printed)
    return tuple(int(part) for part in match.groups()) if match else None


def requires_cli() -> pytest.MarkDecorator:
    """Skip without the CLI; under CI the test runs and fails, as CI must have it."""
    return pytest.mark.skipif(
        CLI is None and os.environ.get("CI", "").lower() not in ("1", "true"), reason=NO_CLI
    )


@dataclass
class Cli:
    """`pulumi` run in one project, with a backend, home and passphrase of the test's own."""

    project: Path
    env: dict[str, str]
    # Everything the CLI printed, to prove no token ever appears there.
    transcript: list[str] = field(default_factory=list)

    @property
    def runtime(self) -> str:
        loaded = yaml.safe_load((self.project / "Pulumi.yaml").read_text(encoding="utf-8"))
        runtime = loaded["runtime"]
        return str(runtime["name"] if isinstance(runtime, dict) else runtime)

    def __call__(
        self, *args: str, stdin: str | None = None, ok: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        assert CLI is not None, NO_CLI
        command = [str(CLI), *args]
        env = self.env
        codegen = codegen_bin()
        if args and args[0] in GENERATES_CODE and self.runtime in CODEGEN_RUNTIMES and codegen:
            command[0] = str(codegen / "pulumi")
            env = {**env, "PATH": os.pathsep.join([str(codegen), env["PATH"]])}
        result = subprocess.run(
            command,
            cwd=self.project,
            env=env,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.transcript += [result.stdout, result.stderr]
        if ok:
            assert result.returncode == 0, (
                f"pulumi {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
            )
        return result


def cli_env(tmp_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A local backend, home and passphrase in tmp_path; the CLI's folder first on PATH.

    Nothing of the machine's own Pulumi login or Quickchat settings leaks in, and this
    interpreter's virtualenv is not activated: as after `pulumi new python`, a project
    names its virtualenv in Pulumi.yaml, and the language host and the dynamic
    provider's host (`pulumi-resource-pulumi-python`, from PULUMI_RUNTIME_VIRTUALENV)
    run its `python`.
    """
    assert CLI is not None, NO_CLI
    (tmp_path / "state").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "QUICKCHAT_"))}
    venv_bin = str(Path(sys.executable).parent)
    path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry != venv_bin]
    env.pop("VIRTUAL_ENV", None)
    env.update(
        {
            "PULUMI_HOME": str(tmp_path / "pulumi-home"),
            "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "cli-test-passphrase",
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            # This environment has pulumi-quickchat-native installed, whose
            # pulumi-plugin.json names the plugin `quickchat`: the language host asks
            # for it for every Python program, and the engine, finding it neither in
            # `plugins:` nor on PATH nor in PULUMI_HOME, would try to download it
            # (pkg/engine/plugins.go, ensurePluginsAreInstalled). Tests reach loopback
            # only; tests/test_plugin_discovery.py shows what a user sees instead.
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # The CLI's plugins (the language hosts, the dynamic provider's host) sit
            # beside it.
            "PATH": os.pathsep.join([str(CLI.parent), *path]),
            **(extra or {}),
        }
    )
    return env
