"""Defects the real Pulumi CLI showed in the native provider, each through the CLI itself."""

from __future__ import annotations

import json
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
ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "provider" / "pulumi_quickchat"
SDK = ROOT / "sdk" / "python"
PLUGIN_DIR = Path(sys.executable).parent  # pulumi-resource-quickchat


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
    # The generated SDK registers the version of its installed distribution: install it
    # there at 0.2.0rc1, as gen-sdk writes a pre-release (pyproject PEP 440, its
    # pulumi-plugin.json semver).
    sdk = shutil.copytree(
        SDK, tmp_path / "sdk", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for path, old, new in [
        ("pyproject.toml", 'version = "0.1.0"', 'version = "0.2.0rc1"'),
        ("pulumi_quickchat_native/pulumi-plugin.json", '"0.1.0"', '"0.2.0-rc.1"'),
    ]:
        (sdk / path).write_text((sdk / path).read_text().replace(old, new))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(release), str(sdk)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
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
            import pulumi_quickchat_native as quickchat

            quickchat.ConversationRatingConfig("ratings", conv_rating_active=True)
            """
        )
    )
    cli = stack_for(project, tmp_path, {"PYTHONPATH": str(release)}, emulator, agent)
    requests_sent(admin)
    cli("up", "--yes", "--non-interactive")
    assert requests_sent(admin) == ["PATCH 200"]
    export = cli("stack", "export").stdout
    assert "pulumi:providers:quickchat" in export
    assert '"version": "0.2.0-rc.1"' in export


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


def test_cli_shows_a_provider_config_change_as_what_it_is(
    tmp_path: Path, emulator: EmulatorProcess, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # An explicit provider, its token and address from stack config: the engine shows an
    # explicit provider's steps (a default provider's are internal, pkg/engine/update.go).
    project = tmp_path / "project"
    project.mkdir()
    resources = {
        "chat": {
            "type": "pulumi:providers:quickchat",
            "properties": {"apiToken": "${token}", "baseUrl": "${url}"},
        },
        "ratings": {
            "type": "quickchat:index:ConversationRatingConfig",
            "properties": {"convRatingActive": True},
            "options": {"provider": "${chat}"},
        },
    }
    config = {"token": {"type": "string", "secret": True}, "url": {"type": "string"}}
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {"name": "rotate", "runtime": "yaml", "config": config, "resources": resources}
            | {"plugins": {"providers": [{"name": "quickchat", "path": str(PLUGIN_DIR)}]}}
        )
    )
    cli = Cli(project, cli_env(tmp_path))
    cli("login", cli.env["PULUMI_BACKEND_URL"])
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    cli("config", "set", "url", emulator.url)
    cli("config", "set", "--secret", "token", stdin=agent["tokens"]["write_all"])
    cli("up", "--yes", "--non-interactive")
    requests_sent(admin)

    def planned() -> dict[str, dict[str, object]]:
        """Each changing step of `pulumi preview --json`, by resource name."""
        steps = json.loads(cli("preview", "--json", "--non-interactive").stdout)["steps"]
        return {
            step["urn"].rsplit("::", 1)[1]: {
                key: step.get(key) for key in ("op", "replaceReasons", "detailedDiff")
            }
            for step in steps
            if step["op"] != "same"
        }

    def provider_update(name: str) -> dict[str, object]:
        detailed = {name: {"kind": "update", "inputDiff": True}}
        return {"op": "update", "replaceReasons": None, "detailedDiff": detailed}

    # Another token of the same agent: the provider's apiToken alone, sent nowhere.
    rotated = admin.issue_token(agent["scenario_id"])
    cli("config", "set", "--secret", "token", stdin=rotated)
    assert planned() == {"chat": provider_update("apiToken")}
    cli("up", "--yes", "--non-interactive")
    assert requests_sent(admin) == []

    # A token of another agent: the provider's apiToken, and the resource replaced for it,
    # no property of its own shown changed (before: `~ apiToken`, from nothing to nothing).
    other = admin.create_agent()
    cli("config", "set", "--secret", "token", stdin=other["tokens"]["write_all"])
    replaced_for = {"op": "replace", "detailedDiff": {}}
    assert planned() == {
        "chat": provider_update("apiToken"),
        "ratings": replaced_for | {"replaceReasons": ["apiToken"]},
    }

    # Another address: shown on the provider, old against new (before: `- baseUrl` deleted
    # on the resource).
    cli("config", "set", "--secret", "token", stdin=rotated)
    moved = emulator.url.replace("127.0.0.1", "localhost")
    cli("config", "set", "url", moved)
    assert planned() == {
        "chat": provider_update("baseUrl"),
        "ratings": replaced_for | {"replaceReasons": ["baseUrl"]},
    }
    shown = cli("preview", "--diff", "--non-interactive").stdout
    assert f'~ baseUrl: "{emulator.url}" => "{moved}"' in shown
    assert "- baseUrl" not in shown
    assert requests_sent(admin) == []  # previews send nothing
    assert rotated not in "".join(cli.transcript)
