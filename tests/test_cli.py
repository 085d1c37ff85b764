"""The real Pulumi CLI (`make cli` builds it) on every example, and the stand-in held to it.

Nothing stands in here: a `file://` backend and a passphrase secrets provider in
a temporary folder, `pulumi stack init`, stack config (each token set with
`--secret`, on stdin; the fleet's `agentsFile` names a data file that
`support.example_stacks.fleet_stack` writes). Each example walks preview, up, a
no-op up, a Dashboard edit that `pulumi preview --refresh --expect-no-changes`
must fail on, refresh, the up that puts it back (at `-v=9 --logtostderr`), and
destroy; after each step the emulator says what it holds and which requests
reached it, `pulumi stack export` must hold no token in plaintext, nor must
anything the CLI printed (`--json` too). Then the same steps run through the
stand-in engine (tests/support/program.py) on agents of its own, and Quickchat
must have received the same, step by step; so do the scenarios of
tests/test_engine.py. The engine's own decisions the stand-in does not model
(protect, retainOnDelete, ignoreChanges, `--target`, `pulumi state delete`),
import and the move from the dynamic resource to the native one are tested here
alone.

Each project is copied to the temporary folder with a Pulumi.yaml naming this
interpreter's virtualenv (scripts/quickstart.py's `prepare_project`), and run from
there as a user runs it: `runtime: python`, through the real Python language host.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of, requests_sent
from support.cli import Cli, cli_env, cli_version, requires_cli
from support.example_stacks import (
    BOTH_CODES,
    DISABLED,
    ENABLED,
    EXAMPLE_STACKS,
    ExampleStack,
    edit_agents_file,
    fleet_stack,
    rename_sales,
)
from support.plugins import DYNAMIC_TYPE, NATIVE_TYPE, Plugin
from support.program import ProgramStack, Project
from support.scripts import load_script

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


@pytest.fixture
def make_cli(tmp_path: Path) -> Callable[[Path], Cli]:
    """Copies an example into tmp_path and returns its `Cli`."""

    def make(example: Path) -> Cli:
        project = tmp_path / "project"
        extra_env = load_script("quickstart").prepare_project(example, project)
        return Cli(project, cli_env(tmp_path, extra_env))

    return make


def init_stack(cli: Cli, setup: ExampleStack) -> None:
    """Log in to the test's backend, create stack "dev", and set its config (secrets on stdin)."""
    cli("login", cli.env["PULUMI_BACKEND_URL"])
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    for key, value in setup.config.items():
        secret_flag = ["--secret"] if key in setup.secret_keys else []
        cli("config", "set", *secret_flag, key, stdin=value)


def received(admin: EmulatorAdmin, agents: Mapping[str, str]) -> list[Request]:
    """What Quickchat received since the last call, each request as (resource name, method,
    status, body): by resource name, each resource's in the order they came (the engine
    steps resources in parallel, so the order across resources is no fact)."""
    names = {scenario: name for name, scenario in agents.items()}
    log = admin.request_log()
    admin.clear_request_log()
    requests = [
        (
            names.get(entry["scenario_id"] or "", str(entry["scenario_id"])),
            entry["method"],
            entry["status"],
            json.dumps(json.loads(entry["body"]), sort_keys=True) if entry["body"] else "",
        )
        for entry in log
    ]
    return sorted(requests, key=lambda request: request[0])


def methods(requests: list[Request]) -> list[tuple[str, str]]:
    return sorted((name, method) for name, method, _, _ in requests)


def assert_state_holds_tokens_encrypted_only(cli: Cli, setup: ExampleStack) -> None:
    """The state, exported with its secrets left encrypted, holds no token in plaintext;
    a token given per resource (the fleet's) is there, encrypted, for refresh and destroy."""
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
            assert_state_holds_tokens_encrypted_only(cli, setup)

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


def project_of(tmp_path: Path, name: str, runtime: str, program: str, native: bool = False) -> Path:
    """A project of a test's own, for make_cli to copy: Pulumi.yaml and its program."""
    source = tmp_path / "source"
    source.mkdir()
    plugins = ""
    if native:
        # prepare_project points this at the plugin beside this interpreter.
        plugins = "plugins:\n  providers:\n    - name: quickchat\n      path: .\n"
    if runtime == "yaml":
        (source / "Pulumi.yaml").write_text(f"name: {name}\nruntime: yaml\n{plugins}{program}")
    else:
        (source / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n{plugins}")
        (source / "__main__.py").write_text(program)
    return source


def urns(cli: Cli) -> dict[str, str]:
    """Each resource of ours in state by name: its URN."""
    resources = json.loads(cli("stack", "export").stdout)["deployment"]["resources"]
    return {
        r["urn"].rsplit("::", 1)[1]: r["urn"]
        for r in resources
        if r["type"] in (DYNAMIC_TYPE, NATIVE_TYPE)
    }


OPTIONS_PROGRAM = """
import json
import pulumi
import pulumi_quickchat as quickchat

config = pulumi.Config()

def ratings(name, **options):
    quickchat.ConversationRatingConfig(
        name,
        conv_rating_active=True,
        conv_rating_question_codes=json.loads(config.get("codes") or '["HELPFUL_THUMBS"]'),
        api_token=config.require_secret(name),
        opts=pulumi.ResourceOptions(**options),
    )

ratings("kept", retain_on_delete=True)
ratings("ignored", ignore_changes=["conv_rating_question_codes"])
ratings("plain")
ratings("forgotten")
ratings("guarded", protect=True)
"""


def test_cli_resource_options_target_and_state_delete_send_what_the_reference_says(
    tmp_path: Path, admin: EmulatorAdmin, make_cli: Any
) -> None:
    # docs/reference.md, "Resource options", and docs/native.md's `pulumi state delete`:
    # the engine's own decisions, through the engine itself.
    agents = {
        name: admin.create_agent() for name in ("kept", "ignored", "plain", "forgotten", "guarded")
    }
    scenarios = {name: a["scenario_id"] for name, a in agents.items()}
    cli = make_cli(project_of(tmp_path, "options", "python", OPTIONS_PROGRAM))
    init_stack(
        cli,
        ExampleStack(
            config={
                "quickchat:baseUrl": admin.url,
                **{f"options:{name}": a["tokens"]["write_all"] for name, a in agents.items()},
            },
            secret_keys={f"options:{name}" for name in agents},
            agents=scenarios,
            wanted={},
            exports_at_preview={},
            exports={},
            tokens=[],
        ),
    )
    step = ["--yes", "--non-interactive", "--skip-preview"]
    cli("up", *step)
    urn = urns(cli)
    received(admin, scenarios)

    def sent() -> list[tuple[str, str]]:
        return methods(received(admin, scenarios))

    # --target: only that resource is checked and sent.
    cli("config", "set", "options:codes", json.dumps(BOTH_CODES))
    cli("up", *step, "--target", urn["plain"])
    assert sent() == [("plain", "PATCH")]
    # ignoreChanges: the ignored field's change is neither previewed nor sent.
    cli("up", *step)
    assert sent() == [("forgotten", "PATCH"), ("guarded", "PATCH"), ("kept", "PATCH")]
    # state delete: the resource leaves state; nothing is sent.
    cli("state", "delete", urn["forgotten"], "--yes", "--non-interactive")
    assert sent() == []
    assert "forgotten" not in urns(cli)
    # protect: destroy is refused and nothing is sent.
    refused = cli("destroy", *step, "--target", urn["guarded"], ok=False)
    assert refused.returncode != 0
    assert "protected" in refused.stdout + refused.stderr
    assert sent() == []
    cli("state", "unprotect", urn["guarded"], "--yes", "--non-interactive")
    # retainOnDelete: destroy sends nothing for it; the agent keeps its setting.
    cli("destroy", *step)
    assert sent() == [("guarded", "PATCH"), ("ignored", "PATCH"), ("plain", "PATCH")]
    for name in ("kept", "forgotten"):
        assert config_of(admin, scenarios[name]) == ENABLED, name
    assert config_of(admin, scenarios["ignored"]) == DISABLED


def test_cli_moves_the_dynamic_resource_to_the_native_one_as_docs_native_says_sending_nothing(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    example = ROOT / "examples" / "basic"
    cli = make_cli(example)
    setup = EXAMPLE_STACKS["basic"](Project.load(example / "Pulumi.yaml"), admin, agent, tmp_path)
    init_stack(cli, setup)
    cli("up", "--yes", "--non-interactive")
    held = config_of(admin, agent["scenario_id"])
    received(admin, setup.agents)

    # 1. A backup, then the dynamic resource leaves the state: nothing is sent.
    cli("stack", "export", "--file", str(tmp_path / "backup.json"))
    cli("state", "delete", urns(cli)["ratings"], "--yes", "--non-interactive")
    # 2. The program moves to pulumi_quickchat_native; Pulumi.yaml names the plugin.
    main = cli.project / "__main__.py"
    main.write_text(
        main.read_text(encoding="utf-8").replace(
            "import pulumi_quickchat as quickchat", "import pulumi_quickchat_native as quickchat"
        ),
        encoding="utf-8",
    )
    plugin_dir = Path(sys.executable).parent
    with (cli.project / "Pulumi.yaml").open("a", encoding="utf-8") as project_file:
        project_file.write(
            f"plugins:\n  providers:\n    - name: quickchat\n      path: {plugin_dir}\n"
        )
    # 3. import: the agent is read (for the preview, then the import), never written.
    cli("import", NATIVE_TYPE, "ratings", agent["scenario_id"], "--yes", "--non-interactive")
    assert methods(received(admin, setup.agents)) == [("ratings", "GET")] * 2
    # 4. up: nothing to change, nothing sent.
    cli("preview", "--expect-no-changes", "--non-interactive")
    cli("up", "--yes", "--non-interactive", "--expect-no-changes")
    assert received(admin, setup.agents) == []
    assert config_of(admin, agent["scenario_id"]) == held
    assert list(urns(cli)) == ["ratings"]


def import_then_run_what_it_printed(
    cli: Cli, admin: EmulatorAdmin, agent: AgentJson, save: Callable[[str], None]
) -> None:
    """docs/native.md, "Import": import an agent, save the program Pulumi printed, and
    preview it: no change, and the next up sends nothing."""
    scenarios = {"ratings": agent["scenario_id"]}
    admin.edit_configuration(
        agent["scenario_id"],
        {
            "conv_rating_active": True,
            "conv_rating_popup_active": True,
            "conv_rating_question_codes": ["EXPERIENCE_THUMBS"],
        },
    )
    received(admin, scenarios)
    printed = tmp = cli.project.parent / "imported.txt"
    cli(
        "import",
        NATIVE_TYPE,
        "ratings",
        agent["scenario_id"],
        "--yes",
        "--non-interactive",
        "--out",
        str(tmp),
    )
    assert methods(received(admin, scenarios)) == [("ratings", "GET")] * 2
    save(printed.read_text(encoding="utf-8"))
    cli("preview", "--expect-no-changes", "--non-interactive")
    cli("up", "--yes", "--non-interactive", "--expect-no-changes")
    assert received(admin, scenarios) == []
    assert config_of(admin, agent["scenario_id"])["conv_rating_question_codes"] == [
        "EXPERIENCE_THUMBS"
    ]


def native_stack_config(admin: EmulatorAdmin, agent: AgentJson) -> ExampleStack:
    token = agent["tokens"]["write_all"]
    return ExampleStack(
        config={"quickchat:apiToken": token, "quickchat:baseUrl": admin.url},
        secret_keys={"quickchat:apiToken"},
        agents={"ratings": agent["scenario_id"]},
        wanted={},
        exports_at_preview={},
        exports={},
        tokens=[token],
    )


def test_cli_import_prints_a_yaml_program_that_previews_with_no_change(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    cli = make_cli(project_of(tmp_path, "import-yaml", "yaml", "resources: {}\n", native=True))
    init_stack(cli, native_stack_config(admin, agent))

    def save(printed: str) -> None:
        project_file = cli.project / "Pulumi.yaml"
        project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
        project["resources"] = yaml.safe_load(printed)["resources"]
        project_file.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")

    import_then_run_what_it_printed(cli, admin, agent, save)


def test_cli_import_prints_a_python_program_that_previews_with_no_change(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson, make_cli: Any
) -> None:
    # The program Pulumi prints must use the native resource (the generated SDK's import
    # name, the schema's language.python.packageName): pulumi_quickchat's
    # ConversationRatingConfig is the dynamic one, which would show a create, and its up a PATCH.
    cli = make_cli(project_of(tmp_path, "import-python", "python", "import pulumi\n", native=True))
    init_stack(cli, native_stack_config(admin, agent))

    def save(printed: str) -> None:
        assert printed.startswith("import pulumi\nimport pulumi_quickchat_native as quickchat\n")
        assert 'quickchat.ConversationRatingConfig("ratings",' in printed, printed
        (cli.project / "__main__.py").write_text(printed, encoding="utf-8")

    import_then_run_what_it_printed(cli, admin, agent, save)


# What tests/test_engine.py walks through the stand-in engine, in one program: each
# resource shows one of the engine's decisions it models.
ENGINE_PROGRAM = """
import json
import pulumi
import pulumi_quickchat as dynamic
import pulumi_quickchat_native as native

config = pulumi.Config()
codes = json.loads(config.get("codes") or '["HELPFUL_THUMBS"]')

# Its token from stack config: refresh and destroy use the one the last up recorded.
dynamic.ConversationRatingConfig(
    "drifting", conv_rating_active=True, conv_rating_question_codes=codes
)
# replaceOnChanges: no effect on the dynamic resource, a replacement of the native one.
dynamic.ConversationRatingConfig(
    "roc",
    conv_rating_active=True,
    conv_rating_question_codes=codes,
    api_token=config.require_secret("roc"),
    opts=pulumi.ResourceOptions(replace_on_changes=["conv_rating_question_codes"]),
)
native.ConversationRatingConfig(
    "replaced",
    conv_rating_active=True,
    conv_rating_question_codes=codes,
    api_token=config.require_secret("replaced"),
    opts=pulumi.ResourceOptions(replace_on_changes=["convRatingQuestionCodes"]),
)
# A token of another agent replaces; deleteBeforeReplace resets the old agent first.
dynamic.ConversationRatingConfig(
    "dbr",
    conv_rating_active=True,
    api_token=config.require_secret("dbr"),
    opts=pulumi.ResourceOptions(delete_before_replace=True),
)
"""


def test_cli_and_the_stand_in_engine_send_the_same_for_what_test_engine_covers(
    tmp_path: Path,
    admin: EmulatorAdmin,
    make_cli: Any,
    start_plugin: Callable[..., Plugin],
) -> None:
    # Each engine gets agents of its own and walks the same steps; after each, Quickchat
    # must have received the same requests from both.
    cli = make_cli(project_of(tmp_path, "held", "python", ENGINE_PROGRAM, native=True))

    def agents() -> dict[str, AgentJson]:
        return {
            name: admin.create_agent()
            for name in ("drifting", "roc", "replaced", "dbr", "dbr-new", "other")
        }

    def token(of: dict[str, AgentJson], name: str) -> str:
        return of[name]["tokens"]["write_all"]

    def config(of: dict[str, AgentJson]) -> dict[str, str]:
        return {
            "quickchat:apiToken": token(of, "drifting"),
            "quickchat:baseUrl": admin.url,
            **{f"held:{name}": token(of, name) for name in ("roc", "replaced", "dbr")},
        }

    secret_keys = {"quickchat:apiToken", "held:roc", "held:replaced", "held:dbr"}
    # (config set before it (key, value, secret), an agent edited in the Dashboard before it,
    #  what the CLI runs, what the stand-in engine runs)
    Step = tuple[
        list[tuple[str, str, bool]], str | None, tuple[str, ...], Callable[[ProgramStack], object]
    ]

    def steps(of: dict[str, AgentJson]) -> list[Step]:
        return [
            ([], None, ("up", "--yes"), lambda s: s.up(preview_first=True)),
            (
                [
                    ("held:codes", json.dumps(BOTH_CODES), False),
                    ("held:dbr", token(of, "dbr-new"), True),
                ],
                None,
                ("up", "--yes"),
                lambda s: s.up(preview_first=True),
            ),
            ([], "drifting", ("preview", "--refresh"), lambda s: s.preview(refresh=True)),
            (
                [],
                None,
                ("up", "--refresh", "--yes"),
                lambda s: s.up(refresh=True, preview_first=True),
            ),
            (
                [("quickchat:apiToken", token(of, "other"), True)],
                None,
                ("refresh", "--yes"),
                lambda s: s.refresh(preview_first=True),
            ),
            ([], None, ("destroy", "--yes"), lambda s: s.destroy()),
        ]

    def scenarios(of: dict[str, AgentJson]) -> dict[str, str]:
        return {name: a["scenario_id"] for name, a in of.items()}

    # The real CLI.
    mine = agents()
    init_stack(
        cli,
        ExampleStack(config(mine), secret_keys, scenarios(mine), {}, {}, {}, []),
    )
    received(admin, scenarios(mine))
    real: list[list[Request]] = []
    for changes, edited, command, _ in steps(mine):
        for key, value, is_secret in changes:
            cli("config", "set", *(["--secret"] if is_secret else []), key, stdin=value)
        if edited:
            admin.edit_configuration(mine[edited]["scenario_id"], DASHBOARD_EDIT)
        cli(*command, "--non-interactive")
        real.append(received(admin, scenarios(mine)))
    # The native replacement resets the agent first and writes it last.
    replaced = [body for name, _, _, body in real[1] if name == "replaced"]
    assert [json.loads(body)["conv_rating_active"] for body in replaced] == [False, True]
    # Destroy reached the agent the last up recorded, not the one config names now.
    assert [name for name, *_ in real[-1]] == ["dbr-new", "drifting", "replaced", "roc"]

    # The stand-in engine, on agents of its own.
    own = agents()
    stack = ProgramStack(
        cli.project / "Pulumi.yaml",
        start_plugin=start_plugin,
        config=config(own),
        secret_keys=secret_keys,
    )
    received(admin, scenarios(own))
    for step, (changes, edited, command, run) in enumerate(steps(own)):
        for key, value, is_secret in changes:
            stack.set_config(key, value, is_secret=is_secret)
        if edited:
            admin.edit_configuration(own[edited]["scenario_id"], DASHBOARD_EDIT)
        run(stack)
        assert received(admin, scenarios(own)) == real[step], f"pulumi {' '.join(command)}"


def test_cli_the_checkouts_root_project_runs_with_the_virtualenv_activated(
    tmp_path: Path, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # Pulumi.yaml at the root runs examples/basic (`main`) with the active Python, as
    # its comment says, from a checkout laid out as this one is.
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", checkout / "Pulumi.yaml")
    shutil.copytree(
        ROOT / "examples" / "basic",
        checkout / "examples" / "basic",
        ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml"),
    )
    venv_bin = str(Path(sys.executable).parent)
    env = cli_env(tmp_path)
    activated = {**env, "VIRTUAL_ENV": sys.prefix, "PATH": f"{venv_bin}:{env['PATH']}"}
    cli = Cli(checkout, activated)
    setup = EXAMPLE_STACKS["basic"](Project.load(ROOT / "Pulumi.yaml"), admin, agent, tmp_path)
    init_stack(cli, setup)
    received(admin, setup.agents)
    cli("up", "--yes", "--non-interactive")
    assert methods(received(admin, setup.agents)) == [("ratings", "PATCH")]
    assert config_of(admin, agent["scenario_id"]) == setup.wanted["ratings"]

    # Why the root names no virtualenv: a relative one is found from the root by the
    # language host, but from examples/basic by the dynamic provider's host, which
    # resolves PULUMI_RUNTIME_VIRTUALENV against its working directory (the SDK's
    # pulumi-resource-pulumi-python script; pulumi/pulumi#7061).
    (checkout / ".venv").symlink_to(sys.prefix)
    project = yaml.safe_load((checkout / "Pulumi.yaml").read_text(encoding="utf-8"))
    project["runtime"]["options"]["virtualenv"] = ".venv"
    (checkout / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    cli.env = env  # not activated
    refused = cli("destroy", "--yes", "--non-interactive", ok=False)
    assert refused.returncode != 0
    assert f"{checkout}/examples/basic/.venv\" doesn't exist" in refused.stdout + refused.stderr
    assert received(admin, setup.agents) == []
