"""examples/typescript and examples/go through the real Pulumi CLI, against the emulator.

Each is an Automation API inline program with the SDK generated from the plugin's schema
(sdk/nodejs, sdk/go): the Node.js and Go SDKs serve the program to the CLI in-process,
as their language hosts would, since those hosts cannot be built here
(CONTRIBUTING.md). Everything else is real: the CLI v3.274.1 and its engine, the native
plugin, a local backend. `make examples` installs and builds them from their pinned
package-lock.json and go.sum.

The walk: preview sends nothing, up writes the setting and reads it once through the
function, refresh finds a Dashboard edit and records it, destroy resets the agent.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of, requests_sent
from support.cli import Cli, cli_env, requires_cli
from support.example_stacks import DISABLED, ENABLED

ROOT = Path(__file__).resolve().parents[1]
# Each example's built program: `make examples` builds it.
PROGRAMS = {
    "typescript": ["node", str(ROOT / "examples/typescript/bin/examples/typescript/index.js")],
    "go": [str(ROOT / "examples/go/bin/quickchat-go")],
}
pytestmark = requires_cli()


def project_of(example: str, folder: Path, plugins: Path) -> Path:
    """The example's Pulumi.yaml in `folder`, naming the plugin's folder absolutely."""
    project: dict[str, Any] = yaml.safe_load(
        (ROOT / "examples" / example / "Pulumi.yaml").read_text(encoding="utf-8")
    )
    (entry,) = project["plugins"]["providers"]
    entry["path"] = str(plugins)
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    return folder


@pytest.mark.parametrize("example", sorted(PROGRAMS))
def test_the_example_walks_preview_up_refresh_destroy_through_the_cli(
    example: str, tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    program = PROGRAMS[example]
    assert Path(program[-1]).is_file(), f"{program[-1]} is not built: run `make examples`"
    token = agent["tokens"]["write_all"]
    scenario = agent["scenario_id"]
    # The plugin beside this interpreter, as examples/native finds it.
    plugins = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv") / "bin"
    cli = Cli(project_of(example, tmp_path / "project", plugins), cli_env(tmp_path))

    def step(name: str) -> dict[str, int]:
        ran = subprocess.run(
            [*program, name], cwd=cli.project, env=cli.env, capture_output=True, text=True
        )
        cli.transcript += [ran.stdout, ran.stderr]
        assert ran.returncode == 0, f"{example} {name}:\n{ran.stderr}"
        summary: dict[str, int] = json.loads(ran.stdout)
        return summary

    cli("login", cli.env["PULUMI_BACKEND_URL"])
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    cli("config", "set", "quickchat:baseUrl", admin.url)
    cli("config", "set", "--secret", "quickchat:apiToken", stdin=token)
    admin.edit_configuration(scenario, DISABLED)
    requests_sent(admin)

    # The stack counts as a resource too (the default provider does not).
    assert step("preview") == {"create": 2}
    assert requests_sent(admin) == []

    assert step("up") == {"create": 2}
    assert config_of(admin, scenario) == ENABLED
    assert sorted(requests_sent(admin)) == ["GET 200", "PATCH 200"]  # the write, the read
    outputs = json.loads(cli("stack", "output", "--json").stdout)
    assert outputs == {"scenarioId": scenario, "convRatingActive": True, "ratingOnNow": True}

    admin.edit_configuration(scenario, DISABLED)  # in the Dashboard, behind Pulumi's back
    requests_sent(admin)
    assert step("refresh") == {"same": 1, "update": 1}
    assert requests_sent(admin) == ["GET 200"]
    (recorded,) = (
        resource["outputs"]
        for resource in json.loads(cli("stack", "export").stdout)["deployment"]["resources"]
        if resource["type"] == "quickchat:index:ConversationRatingConfig"
    )
    assert recorded["convRatingActive"] is False

    assert step("destroy") == {"delete": 2}
    assert config_of(admin, scenario) == DISABLED
    assert requests_sent(admin) == ["PATCH 200"]
    assert token not in "".join(cli.transcript)
