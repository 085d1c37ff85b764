"""Defects the real Pulumi CLI showed in the native provider, each through the CLI itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess

from support.checks import requests_sent
from support.cli import Cli, cli_env, requires_cli

pytestmark = requires_cli()
PACKAGE = Path(__file__).resolve().parents[1] / "provider" / "pulumi_quickchat"


def stack_for(
    project: Path, tmp_path: Path, env: dict[str, str], emulator: EmulatorProcess, agent: AgentJson
) -> Cli:
    """The CLI in `project`, its stack "dev" set to reach `agent` on the emulator."""
    cli = Cli(project, cli_env(tmp_path, env))
    cli("login", cli.env["PULUMI_BACKEND_URL"])
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    cli("config", "set", "quickchat:baseUrl", emulator.url)
    cli("config", "set", "--secret", "quickchat:apiToken", stdin=agent["tokens"]["write_all"])
    return cli


def test_cli_a_pre_release_registers_and_creates_through_the_native_sdk(
    tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # The package as a pre-release would ship it: the same code, version 0.2.0rc1,
    # first on PYTHONPATH for the program and the plugin alike. The engine parses the
    # version each registration carries as strict semver (pkg/resource/deploy/source_eval.go).
    release = tmp_path / "release"
    shutil.copytree(
        PACKAGE, release / "pulumi_quickchat", ignore=shutil.ignore_patterns("__pycache__")
    )
    version_file = release / "pulumi_quickchat" / "_version.py"
    version_file.write_text(
        version_file.read_text().replace('__version__ = "0.1.0"', '__version__ = "0.2.0rc1"')
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "prerelease",
                "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
                "plugins": {
                    "providers": [{"name": "quickchat", "path": str(Path(sys.executable).parent)}]
                },
            }
        )
    )
    (project / "__main__.py").write_text(
        textwrap.dedent(
            """
            import pulumi_quickchat.native as quickchat

            quickchat.ConversationRatingConfig("ratings", conv_rating_active=True)
            """
        )
    )
    cli = stack_for(project, tmp_path, {"PYTHONPATH": str(release)}, emulator, agent)
    try:
        requests_sent(admin)
        cli("up", "--yes", "--non-interactive")
        assert requests_sent(admin) == ["PATCH 200"]
        export = cli("stack", "export").stdout
        assert "pulumi:providers:quickchat" in export
        assert '"version": "0.2.0-rc.1"' in export
    finally:
        cli.close()


def test_cli_attaches_to_a_plugin_started_by_hand_with_pulumi_debug_providers(
    tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # Started with no engine address, the plugin prints its port and waits; the engine
    # dials it and calls Attach (sdk/go/common/resource/plugin/provider_plugin.go).
    plugin = subprocess.Popen(
        [str(Path(sys.executable).parent / "pulumi-resource-quickchat")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert plugin.stdout is not None
        port = plugin.stdout.readline().strip()
        assert port.isdigit(), plugin.communicate(timeout=10)
        project = tmp_path / "project"
        project.mkdir()
        resources = {
            "ratings": {
                "type": "quickchat:index:ConversationRatingConfig",
                "properties": {"convRatingActive": True},
            }
        }
        (project / "Pulumi.yaml").write_text(
            yaml.safe_dump({"name": "attach", "runtime": "yaml", "resources": resources})
        )
        env = {"PULUMI_DEBUG_PROVIDERS": f"quickchat:{port}"}
        cli = stack_for(project, tmp_path, env, emulator, agent)
        requests_sent(admin)
        cli("up", "--yes", "--non-interactive")
        assert requests_sent(admin) == ["PATCH 200"]
        cli("destroy", "--yes", "--non-interactive")  # a second run attaches again
        assert requests_sent(admin) == ["PATCH 200"]
    finally:
        plugin.terminate()
        plugin.communicate(timeout=10)
