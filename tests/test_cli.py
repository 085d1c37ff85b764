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
from collections.abc import Iterator
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
from support.plugins import DYNAMIC_TYPE, NATIVE_TYPE
from support.program import Project

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


@pytest.mark.parametrize("example", sorted(EXAMPLE_STACKS))
def test_cli_walks_preview_up_noop_drift_refresh_up_destroy(
    example: str, tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    pulumi_yaml = ROOT / "examples" / example / "Pulumi.yaml"
    project = Project.load(pulumi_yaml)
    # The fleet's data file is written beside the project copy, in tmp_path.
    setup = EXAMPLE_STACKS[example](project, admin, agent, tmp_path)
    names = list(setup.agents)
    cli = make_cli(project.program_dir)

    def held() -> dict[str, dict[str, Any]]:
        return {name: config_of(admin, scenario) for name, scenario in setup.agents.items()}

    def sent() -> list[str]:
        log = json.dumps(admin.request_log())
        for token in setup.tokens:
            assert token not in log, "a token reached Quickchat outside the Authorization header"
        return sorted(requests_sent(admin))

    def outputs() -> dict[str, Any]:
        result: dict[str, Any] = json.loads(cli("stack", "output", "--json").stdout)
        return result

    # 0. A local backend, a stack, its config; the secret arrives on stdin, stored encrypted.
    init_stack(cli, setup)
    stack_file = (cli.project / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    for token in setup.tokens:
        assert token not in stack_file
    before = held()
    sent()

    # What each run of the program reads through the provider's function.
    reads = ["GET 200"] * setup.reads_per_run

    # 1. preview: nothing is written.
    cli("preview", "--non-interactive")
    assert sent() == reads
    assert held() == before

    # 2. up: one PATCH per agent; each holds what the program asks for.
    cli("up", "--yes", "--non-interactive")
    assert sent() == sorted(reads + ["PATCH 200"] * len(names))
    assert held() == setup.wanted
    assert outputs() == setup.exports

    # 3. nothing changed: the preview finds no change and writes nothing.
    cli("preview", "--expect-no-changes", "--non-interactive")
    assert sent() == reads

    # 4. A Dashboard edit: refresh reads each agent (one GET each) and writes nothing ...
    drifted = names[0]
    admin.edit_configuration(setup.agents[drifted], DASHBOARD_EDIT)
    cli("refresh", "--yes", "--non-interactive")
    assert sent() == ["GET 200"] * len(names)
    assert held() == {**setup.wanted, drifted: {**setup.wanted[drifted], **DASHBOARD_EDIT}}
    # ... after which a preview shows the change back.
    changes = cli("preview", "--expect-no-changes", "--non-interactive", ok=False)
    assert changes.returncode != 0, changes.stdout
    assert sent() == reads

    # 5. up puts it back with one PATCH.
    cli("up", "--yes", "--non-interactive")
    assert sent() == sorted([*reads, "PATCH 200"])
    assert held() == setup.wanted
    assert outputs() == setup.exports

    # The state, exported with its secrets left encrypted, holds no token in plaintext.
    export = cli("stack", "export").stdout
    for token in setup.tokens:
        assert token not in export
    resources = json.loads(export)["deployment"]["resources"]
    ours = [r for r in resources if r["type"] in (DYNAMIC_TYPE, NATIVE_TYPE)]
    assert sorted(r["id"] for r in ours) == sorted(setup.agents.values())
    for resource in ours:
        api_token = resource["outputs"].get("api_token", resource["outputs"].get("apiToken"))
        if setup.tokens_in_state:
            assert isinstance(api_token, dict) and SECRET_SIG in api_token, resource["urn"]
            assert "ciphertext" in api_token
        else:
            assert api_token is None, resource["urn"]

    # 6. destroy: one PATCH per agent, back to disabled defaults.
    cli("destroy", "--yes", "--non-interactive")
    assert sent() == ["PATCH 200"] * len(names)
    assert held() == dict.fromkeys(names, DISABLED)

    transcript = "\n".join(cli.transcript)
    for token in setup.tokens:
        assert token not in transcript, "a token appeared in the CLI's output"


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


def test_cli_import_in_a_python_project_prints_a_python_program(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    # The program comes from the language host's GenerateProgram
    # (pkg/v3 cmd/pulumi/operations/import.go), here scripts/codegen_host.
    project = Project.load(ROOT / "examples" / "native" / "Pulumi.yaml")
    cli = make_cli(project.program_dir)
    init_stack(cli, EXAMPLE_STACKS["native"](project, admin, agent, tmp_path))
    out = tmp_path / "imported.py"
    cli(
        "import", NATIVE_TYPE, "ratings", agent["scenario_id"], "--yes", "--non-interactive",
        f"--out={out}",
    )  # fmt: skip
    program = out.read_text(encoding="utf-8")
    # The generated SDK's import name (the schema's language.python.packageName), never
    # pulumi_quickchat, whose ConversationRatingConfig is the dynamic resource.
    assert program.startswith("import pulumi\nimport pulumi_quickchat_native as quickchat\n")
    assert 'quickchat.ConversationRatingConfig("ratings",' in program, program
    assert "protect=True" in program, program
