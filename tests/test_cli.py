"""The examples through the real Pulumi CLI, wherever one is installed.

The same walk as tests/test_examples.py, with nothing standing in: a
`file://` backend and a passphrase secrets provider in a temporary folder,
`pulumi stack init`, stack config (each token set with `--secret`, on stdin;
the fleet's `agentsFile` names a data file that `support.example_stacks.fleet_stack`
writes), then preview, up, a preview that must find no change, a Dashboard
edit found by `pulumi refresh` and put back by `pulumi up`, and destroy.
After each step the emulator says what it holds and which requests reached
it; `pulumi stack export` (secrets left encrypted) must hold no token in
plaintext.

Each example is copied to the temporary folder with a Pulumi.yaml naming this
interpreter's virtualenv (scripts/quickstart.py's `prepare_project`), so the
CLI runs the program and the provider with the environment under test.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of, requests_sent
from support.cli import Cli, cli_env, cli_version, requires_cli
from support.example_stacks import (
    DISABLED,
    EXAMPLE_STACKS,
    ExampleStack,
    edit_agents_file,
    fleet_stack,
    rename_sales,
)
from support.plugins import DYNAMIC_TYPE, NATIVE_TYPE, Plugin
from support.program import ProgramStack, Project

ROOT = Path(__file__).resolve().parents[1]
# Stack config reaches Python dynamic providers only from this release on
# (pulumi/pulumi#17673, CHANGELOG 3.139.0); the README says so too.
MINIMUM_CLI = (3, 139, 0)
CLI_VERSION = cli_version()
pytestmark = [
    requires_cli(),
    pytest.mark.skipif(
        CLI_VERSION is not None and CLI_VERSION < MINIMUM_CLI,
        reason=f"the Pulumi CLI is {CLI_VERSION}, older than 3.139.0, the oldest these "
        "examples support (stack config reaches Python dynamic providers from 3.139.0)",
    ),
]

# How the SDK marks a secret in state; its value sits encrypted under "ciphertext".
SECRET_SIG = "4dabf18193072939515e22adb298388d"
DASHBOARD_EDIT = {"conv_rating_active": False, "conv_rating_popup_active": False}
# One request Quickchat received: resource name, method, status, body (JSON, keys sorted).
Request = tuple[str, str, int, str]


def load_quickstart() -> ModuleType:
    """scripts/quickstart.py as a module (scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location("quickstart", ROOT / "scripts" / "quickstart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def make_cli(tmp_path: Path) -> Iterator[Any]:
    """Copies an example into tmp_path and returns its `Cli`; stops its program server after."""
    made: list[Cli] = []

    def make(example: Path) -> Cli:
        project = tmp_path / "project"
        extra_env = load_quickstart().prepare_project(example, project)
        cli = Cli(project, cli_env(tmp_path, extra_env))
        made.append(cli)
        return cli

    yield make
    for cli in made:
        cli.close()


def init_stack(cli: Cli, setup: ExampleStack) -> None:
    """Log in to the test's backend, create stack "dev", and set its config (secrets on stdin)."""
    cli("login", cli.env["PULUMI_BACKEND_URL"])
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    for key, value in setup.config.items():
        secret_flag = ["--secret"] if key in setup.secret_keys else []
        cli("config", "set", *secret_flag, key, stdin=value)


def received(admin: EmulatorAdmin, agents: Mapping[str, str]) -> list[Request]:
    """What Quickchat received since the last call, each request as (resource name, method,
    status, body), in no particular order (the engine steps resources in parallel)."""
    names = {scenario: name for name, scenario in agents.items()}
    log = admin.request_log()
    admin.clear_request_log()
    return sorted(
        (
            names.get(entry["scenario_id"] or "", str(entry["scenario_id"])),
            entry["method"],
            entry["status"],
            json.dumps(json.loads(entry["body"]), sort_keys=True) if entry["body"] else "",
        )
        for entry in log
    )


def methods(requests: list[Request]) -> list[tuple[str, str]]:
    return sorted((name, method) for name, method, _, _ in requests)


# The walk of every example: (what the CLI runs, what the stand-in engine runs for it).
WALK: list[tuple[tuple[str, ...], Callable[[ProgramStack], object]]] = [
    (("preview",), lambda stack: stack.preview()),
    (("up", "--yes"), lambda stack: stack.up(preview_first=True)),
    (("up", "--yes"), lambda stack: stack.up(preview_first=True)),
    # After a Dashboard edit: a drift check that must fail, as CI runs it.
    (
        ("preview", "--refresh", "--expect-no-changes", "--json"),
        lambda stack: stack.preview(refresh=True),
    ),
    (("refresh", "--yes"), lambda stack: stack.refresh(preview_first=True)),
    # The plugin's own log too, that no token reaches.
    (("up", "--yes", "--logtostderr", "-v=9"), lambda stack: stack.up(preview_first=True)),
    (("destroy", "--yes"), lambda stack: stack.destroy()),
]
EDIT_BEFORE = 3  # the Dashboard edit comes before this step


@pytest.mark.parametrize("example", sorted(EXAMPLE_STACKS))
def test_cli_walks_each_example_and_the_stand_in_engine_sends_what_it_sends(
    example: str,
    tmp_path: Path,
    admin: EmulatorAdmin,
    agent: AgentJson,
    make_cli: Any,
    start_plugin: Callable[..., Plugin],
) -> None:
    project = Project.load(ROOT / "examples" / example / "Pulumi.yaml")
    # The fleet's data file is written beside the project copy, in tmp_path.
    setup = EXAMPLE_STACKS[example](project, admin, agent, tmp_path)
    names = list(setup.agents)
    drifted = names[0]
    cli = make_cli(project.program_dir)

    def held() -> dict[str, dict[str, Any]]:
        return {name: config_of(admin, scenario) for name, scenario in setup.agents.items()}

    # 0. A local backend, a stack, its config; the secret arrives on stdin, stored encrypted.
    init_stack(cli, setup)
    stack_file = (cli.project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    for token in setup.tokens:
        assert token not in stack_file
    received(admin, setup.agents)

    real: list[list[Request]] = []
    for step, (command, _) in enumerate(WALK):
        if step == EDIT_BEFORE:
            admin.edit_configuration(setup.agents[drifted], DASHBOARD_EDIT)
        result = cli(*command, "--non-interactive", ok="--expect-no-changes" not in command)
        if "--expect-no-changes" in command:
            assert result.returncode != 0, "the drift check found no change"
        real.append(received(admin, setup.agents))
        if step == 1:
            assert held() == setup.wanted
            assert json.loads(cli("stack", "output", "--json").stdout) == setup.exports

    # What docs/reference.md says each command sends. The native example's program also
    # reads the support agent through the provider's function on each run that can.
    preview, up, noop, drift_check, refresh, put_back, destroy = [
        [(name, method) for name, method in methods(step) if name in names] for step in real
    ]
    reads = [("support", "GET")] if setup.reads_per_run else []
    assert preview == []
    assert sorted(up) == sorted([(name, "PATCH") for name in names] + reads)
    assert noop == reads * 2  # `up` runs the program for its preview and again
    assert drift_check == sorted([(name, "GET") for name in names] + reads)
    # `pulumi refresh` reads every agent for the preview it shows, then again to record.
    assert refresh == sorted([(name, "GET") for name in names] * 2)
    assert put_back == sorted([(drifted, "PATCH")] + reads * 2)
    assert destroy == sorted((name, "PATCH") for name in names)
    assert held() == dict.fromkeys(names, DISABLED)

    # The state, exported with its secrets left encrypted, holds no token in plaintext.
    export = cli("stack", "export").stdout
    for token in setup.tokens:
        assert token not in export
    transcript = "\n".join(cli.transcript)
    for token in setup.tokens:
        assert token not in transcript, "a token appeared in the CLI's output"

    # The stand-in engine, on agents of its own, sends the same, step by step.
    (tmp_path / "stand-in").mkdir()
    own = EXAMPLE_STACKS[example](project, admin, admin.create_agent(), tmp_path / "stand-in")
    stack = ProgramStack(
        cli.project / "Pulumi.yaml",
        start_plugin=start_plugin,
        config=own.config,
        secret_keys=own.secret_keys,
    )
    received(admin, own.agents)
    for step, (command, run) in enumerate(WALK):
        if step == EDIT_BEFORE:
            admin.edit_configuration(own.agents[drifted], DASHBOARD_EDIT)
        run(stack)
        assert received(admin, own.agents) == real[step], f"pulumi {' '.join(command)}"


def test_cli_keeps_the_token_of_each_fleet_agent_encrypted_in_state(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    project = Project.load(ROOT / "examples" / "fleet" / "Pulumi.yaml")
    setup = fleet_stack(project, admin, agent, tmp_path)
    cli = make_cli(project.program_dir)
    init_stack(cli, setup)
    cli("up", "--yes", "--non-interactive", "--skip-preview")
    export = cli("stack", "export").stdout
    resources = json.loads(export)["deployment"]["resources"]
    ours = [r for r in resources if r["type"] == DYNAMIC_TYPE]
    assert sorted(r["id"] for r in ours) == sorted(setup.agents.values())
    for resource in ours:
        api_token = resource["outputs"]["api_token"]
        assert isinstance(api_token, dict) and SECRET_SIG in api_token, resource["urn"]
        assert "ciphertext" in api_token
    for token in setup.tokens:
        assert token not in export
    cli("destroy", "--yes", "--non-interactive")


def test_cli_fleet_entry_renamed_with_its_previous_name_moves_sending_nothing(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    # What tests/test_examples.py models in its stand-in engine, through the real
    # engine's aliases.
    project = Project.load(ROOT / "examples" / "fleet" / "Pulumi.yaml")
    setup = fleet_stack(project, admin, agent, tmp_path)
    cli = make_cli(project.program_dir)
    init_stack(cli, setup)
    cli("up", "--yes", "--non-interactive")
    held = config_of(admin, setup.agents["sales"])
    requests_sent(admin)

    edit_agents_file(setup, rename_sales(["sales"]))
    cli("preview", "--expect-no-changes", "--non-interactive")
    cli("up", "--yes", "--non-interactive")
    assert requests_sent(admin) == []
    assert config_of(admin, setup.agents["sales"]) == held
    resources = json.loads(cli("stack", "export").stdout)["deployment"]["resources"]
    names = sorted(r["urn"].rsplit("::", 1)[1] for r in resources if r["type"] == DYNAMIC_TYPE)
    assert names == ["archive", "sales-eu", "support"]

    cli("destroy", "--yes", "--non-interactive")
    assert config_of(admin, setup.agents["sales"]) == DISABLED


@pytest.mark.skipif(
    CLI_VERSION is not None and CLI_VERSION < (3, 226, 0),
    reason="the Pulumi CLI finds pulumi-plugin.json of an editable install, as here, only "
    "from 3.226.0 (importlib, pulumi/pulumi#22127); older CLIs look in site-packages alone",
)
def test_cli_a_dynamic_program_asks_the_engine_for_no_plugin_download(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    # pkg/engine/plugins.go `ensurePluginsAreInstalled` logs each plugin it
    # tries to install; the package's pulumi-plugin.json names none.
    project = Project.load(ROOT / "examples" / "basic" / "Pulumi.yaml")
    setup = EXAMPLE_STACKS["basic"](project, admin, agent, tmp_path)
    cli = make_cli(project.program_dir)
    init_stack(cli, setup)
    preview = cli("preview", "--non-interactive", "--logtostderr", "--logflow", "-v=9")
    log = preview.stderr.lower()
    assert "resource-quickchat" not in log
    assert "plugin quickchat" not in log


def test_cli_import_of_a_native_resource_reads_once_and_the_next_preview_finds_no_change(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    project = Project.load(ROOT / "examples" / "yaml" / "Pulumi.yaml")
    setup = EXAMPLE_STACKS["yaml"](project, admin, agent, tmp_path)
    admin.edit_configuration(
        agent["scenario_id"], {"conv_rating_active": True, "conv_rating_popup_active": True}
    )
    cli = make_cli(project.program_dir)
    init_stack(cli, setup)
    requests_sent(admin)
    cli("import", NATIVE_TYPE, "ratings", agent["scenario_id"], "--yes", "--non-interactive")
    assert requests_sent(admin) == ["GET 200"]
    cli("preview", "--expect-no-changes", "--non-interactive")
    assert requests_sent(admin) == []
