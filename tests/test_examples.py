"""Every example program runs end to end: its own __main__.py, the real plugin host, Quickchat.

The stand-in engine: `support.program` runs each program under the SDK's
mocks and hands its resources to the real plugin host (see that module for
what is faithful and what stands in for the engine). Each project, the root
Pulumi.yaml included, walks preview, up, a no-op up, a Dashboard edit found
by refresh and put back by up, and destroy; after each step the emulator is
asked what it holds and which requests reached it. tests/test_cli.py walks
the same through the real CLI where there is one.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

import pulumi_quickchat
from pulumi_quickchat import QuickchatInputError
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import assert_provider_holds_no_secret, config_of, requests_sent
from support.example_stacks import (
    DISABLED,
    ENABLED,
    EXAMPLE_STACKS,
    FLEET_POLICY,
    ExampleStack,
    agents_toml,
    edit_agents_file,
    fleet_stack,
    rename_sales,
    setting_of,
    token_recorded,
)
from support.plugins import NativePlugin, Plugin, installed_plugin
from support.program import ProgramStack, Project

ROOT = Path(__file__).resolve().parents[1]
# Someone turns rating off in the Dashboard.
DASHBOARD_EDIT = {"conv_rating_active": False, "conv_rating_popup_active": False}


# Every example, and the root project (which runs examples/basic).
# examples/typescript and examples/go run only through the real CLI, as Automation API
# inline programs: tests/test_other_languages.py walks them.
WALKED_BY_THE_CLI_ALONE = {"nodejs", "go"}
PROJECT_FILES = [
    path
    for path in [*sorted(ROOT.glob("examples/*/Pulumi.yaml")), ROOT / "Pulumi.yaml"]
    if Project.load(path).runtime not in WALKED_BY_THE_CLI_ALONE
]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_example_is_a_project_with_a_stack_to_walk() -> None:
    for example in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        project = Project.load(example / "Pulumi.yaml")
        if project.runtime == "python":
            for name in ("__main__.py", "requirements.txt"):
                assert (example / name).is_file(), f"{example.name} lacks {name}"
        if project.runtime not in WALKED_BY_THE_CLI_ALONE:
            assert example.name in EXAMPLE_STACKS, f"add a stack setup for examples/{example.name}"
    root = Project.load(ROOT / "Pulumi.yaml")
    assert root.program_dir == ROOT / "examples" / "basic"
    assert root.name == Project.load(ROOT / "examples/basic/Pulumi.yaml").name


@pytest.mark.parametrize("pulumi_yaml", PROJECT_FILES, ids=_id)
def test_example_walks_preview_up_noop_drift_refresh_up_destroy(
    pulumi_yaml: Path,
    admin: EmulatorAdmin,
    agent: AgentJson,
    start_plugin: Callable[..., Plugin],
    tmp_path: Path,
) -> None:
    project = Project.load(pulumi_yaml)
    setup = EXAMPLE_STACKS[project.program_dir.name](project, admin, agent, tmp_path)
    stack = ProgramStack(
        pulumi_yaml, start_plugin=start_plugin, config=setup.config, secret_keys=setup.secret_keys
    )
    names = list(setup.agents)
    before = {name: config_of(admin, scenario) for name, scenario in setup.agents.items()}
    requests_sent(admin)
    # What each run of the program reads through the provider's function.
    reads = ["GET 200"] * setup.reads_per_run

    def held() -> dict[str, dict[str, Any]]:
        return {name: config_of(admin, scenario) for name, scenario in setup.agents.items()}

    def sent() -> list[str]:
        return sorted(requests_sent(admin))

    # 1. preview: Check and Diff (and, natively, Create with preview set); no write.
    run = stack.preview()
    assert run.steps == dict.fromkeys(names, "create")
    assert run.outputs == setup.exports_at_preview
    assert sent() == []
    assert held() == before
    assert stack.state == {}

    # 2. up: one PATCH per agent, and each holds what the program asks for.
    run = stack.up()
    assert run.steps == dict.fromkeys(names, "create")
    assert sent() == sorted(reads + ["PATCH 200"] * len(names))
    assert held() == setup.wanted
    assert run.outputs == setup.exports
    assert {name: state.id for name, state in stack.state.items()} == setup.agents
    for state in stack.state.values():
        # A token given per resource is recorded (refresh and destroy need it); one from
        # stack config is not.
        assert token_recorded(state.outputs) is setup.tokens_in_state

    # 3. up again with nothing changed: no write.
    run = stack.up()
    assert run.steps == dict.fromkeys(names, "same")
    assert run.outputs == setup.exports
    assert sent() == reads

    # 4. Someone turns rating off for the first agent in the Dashboard; refresh
    # reads every agent (one GET each), records the edit and writes nothing.
    drifted = names[0]
    admin.edit_configuration(setup.agents[drifted], DASHBOARD_EDIT)
    stack.refresh()
    assert sent() == ["GET 200"] * len(names)
    assert setting_of(stack.state[drifted].outputs)["conv_rating_active"] is False
    for name in names[1:]:
        assert setting_of(stack.state[name].outputs) == setup.wanted[name]
    assert held() == {**setup.wanted, drifted: {**setup.wanted[drifted], **DASHBOARD_EDIT}}
    # The next preview shows the change back, for that agent alone.
    run = stack.preview()
    assert run.steps == {name: "update" if name == drifted else "same" for name in names}
    assert sent() == reads

    # 5. up puts it back with one PATCH.
    run = stack.up()
    assert run.steps == {name: "update" if name == drifted else "same" for name in names}
    assert sent() == sorted([*reads, "PATCH 200"])
    assert held() == setup.wanted
    assert run.outputs == setup.exports

    # 6. destroy: one PATCH per agent, back to disabled defaults; state is empty.
    assert sorted(stack.destroy()) == sorted(names)
    assert sent() == ["PATCH 200"] * len(names)
    assert held() == dict.fromkeys(names, DISABLED)
    assert stack.state == {}

    # A dynamic resource's program serialized its provider, which holds no token.
    assert bool(stack.providers) is not setup.native
    for provider in stack.providers:
        assert_provider_holds_no_secret(provider, *setup.tokens)


def _basic_stack(
    admin: EmulatorAdmin, token: str, start_plugin: Callable[..., Plugin]
) -> ProgramStack:
    return ProgramStack(
        ROOT / "examples/basic/Pulumi.yaml",
        start_plugin=start_plugin,
        config={"quickchat:apiToken": token, "quickchat:baseUrl": admin.url},
        secret_keys={"quickchat:apiToken"},
    )


def test_basic_config_change_previews_as_update_and_ups_with_one_patch(
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
    start_plugin: Callable[..., Plugin],
) -> None:
    stack = _basic_stack(admin, token, start_plugin)
    stack.up()
    requests_sent(admin)

    stack.set_config("quickchat-basic:ratingActive", "false")
    stack.set_config("quickchat-basic:questionCodes", '["EXPERIENCE_THUMBS"]')
    assert stack.preview().steps == {"ratings": "update"}
    assert requests_sent(admin) == []

    run = stack.up()
    assert run.steps == {"ratings": "update"}
    assert requests_sent(admin) == ["PATCH 200"]
    # The popup follows the rating switch.
    wanted = {
        "conv_rating_active": False,
        "conv_rating_popup_active": False,
        "conv_rating_question_codes": ["EXPERIENCE_THUMBS"],
    }
    assert config_of(admin, agent["scenario_id"]) == wanted
    assert run.outputs == {"scenario_id": agent["scenario_id"], **wanted}


def test_basic_typo_in_question_codes_fails_at_preview_naming_the_property(
    admin: EmulatorAdmin, token: str, start_plugin: Callable[..., Plugin]
) -> None:
    stack = _basic_stack(admin, token, start_plugin)
    stack.set_config("quickchat-basic:questionCodes", '["HELPFUL_THUMB"]')
    # A plain value: the resource checks it as the program constructs it.
    with pytest.raises(QuickchatInputError) as failed:
        stack.preview()
    assert [f.field for f in failed.value.failures] == ["conv_rating_question_codes"]
    assert "did you mean 'HELPFUL_THUMBS'" in str(failed.value)
    assert requests_sent(admin) == []


FLEET = ROOT / "examples/fleet/Pulumi.yaml"


@pytest.fixture
def fleet(
    admin: EmulatorAdmin,
    agent: AgentJson,
    start_plugin: Callable[..., Plugin],
    tmp_path: Path,
) -> tuple[ProgramStack, ExampleStack]:
    """The fleet's stack of three agents, as the walk (and tests/test_cli.py) sets it up."""
    setup = fleet_stack(Project.load(FLEET), admin, agent, tmp_path)
    stack = ProgramStack(
        FLEET, start_plugin=start_plugin, config=setup.config, secret_keys=setup.secret_keys
    )
    return stack, setup


def _fleet_program(
    admin: EmulatorAdmin,
    start_plugin: Callable[..., Plugin],
    tokens: dict[str, str],
    agents_file: Path | None = None,
) -> ProgramStack:
    """The fleet program with these token config keys set with --secret, and this data file."""
    secrets = {f"quickchat-fleet:{key}": token for key, token in tokens.items()}
    file = {"quickchat-fleet:agentsFile": str(agents_file)} if agents_file else {}
    return ProgramStack(
        FLEET,
        start_plugin=start_plugin,
        config={**secrets, **file, "quickchat:baseUrl": admin.url},
        secret_keys=set(secrets),
    )


def test_fleet_entry_turning_rating_off_takes_the_popup_of_the_policy_with_it(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    path = Path(setup.config["quickchat-fleet:agentsFile"])
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    # The policy names the popup too; "archive" overrides only the rating switch.
    policy = {**document["defaults"], "conv_rating_popup_active": True}
    path.write_text(agents_toml(policy, document["agents"]), encoding="utf-8")
    stack.up()
    assert config_of(admin, setup.agents["archive"]) == DISABLED
    assert config_of(admin, setup.agents["support"]) == ENABLED


def test_fleet_agent_dropped_from_the_data_file_is_reset_by_the_next_up(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    stack.up()
    requests_sent(admin)

    edit_agents_file(setup, lambda entries: [e for e in entries if e["name"] != "sales"])
    assert stack.preview().steps == {"support": "same", "archive": "same", "sales": "delete"}
    assert requests_sent(admin) == []

    run = stack.up()
    assert run.steps["sales"] == "delete"
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, setup.agents["sales"]) == DISABLED
    assert config_of(admin, setup.agents["support"]) == ENABLED
    assert set(stack.state) == {"support", "archive"}
    assert run.outputs == {"scenario_ids": {n: setup.agents[n] for n in ("support", "archive")}}


def test_fleet_entry_renamed_with_its_previous_name_moves_in_state_sending_nothing(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    stack.up()
    held = config_of(admin, setup.agents["sales"])
    requests_sent(admin)

    edit_agents_file(setup, rename_sales(["sales"]))
    assert stack.preview().steps == {"support": "same", "sales-eu": "same", "archive": "same"}
    run = stack.up()
    assert run.steps == {"support": "same", "sales-eu": "same", "archive": "same"}
    assert requests_sent(admin) == []
    assert set(stack.state) == {"support", "sales-eu", "archive"}
    assert stack.state["sales-eu"].id == setup.agents["sales"]
    assert config_of(admin, setup.agents["sales"]) == held


def test_fleet_renamed_entry_keeps_its_agent_through_a_change_and_destroy(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    stack.up()
    requests_sent(admin)

    # Renamed and changed in one edit: one update under the new name.
    def rename_and_change(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries = rename_sales(["sales"])(entries)
        entries[1]["conv_rating_question_codes"] = ["HELPFUL_THUMBS"]
        return entries

    edit_agents_file(setup, rename_and_change)
    assert stack.preview().steps == {"support": "same", "sales-eu": "update", "archive": "same"}
    assert stack.up().steps == {"support": "same", "sales-eu": "update", "archive": "same"}
    assert requests_sent(admin) == ["PATCH 200"]
    sales = config_of(admin, setup.agents["sales"])
    assert sales["conv_rating_question_codes"] == ["HELPFUL_THUMBS"]

    # previous_names left in place: the next up is a no-op.
    assert set(stack.up().steps.values()) == {"same"}
    assert requests_sent(admin) == []

    # destroy resets the agent through the moved state.
    assert sorted(stack.destroy()) == ["archive", "sales-eu", "support"]
    assert requests_sent(admin) == ["PATCH 200"] * 3
    assert config_of(admin, setup.agents["sales"]) == DISABLED


def test_fleet_rename_with_both_names_still_in_state_previews_the_old_ones_delete(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    # After a bare rename, both names are in state; listing the old one in
    # previous_names then does not hide that the old resource is deleted.
    stack, setup = fleet
    stack.up()
    edit_agents_file(setup, rename_sales(None))
    stack.preview()  # the stand-in records nothing at preview; up below does
    assert stack.up().steps["sales"] == "delete"
    held = stack.engine_of("sales-eu").state
    held["sales"] = held["sales-eu"]  # as if that delete had failed
    edit_agents_file(setup, lambda entries: _with_previous(entries, "sales-eu", ["sales"]))
    assert stack.preview().steps["sales"] == "delete"


def _with_previous(
    entries: list[dict[str, Any]], name: str, previous: list[str]
) -> list[dict[str, Any]]:
    for entry in entries:
        if entry["name"] == name:
            entry["previous_names"] = previous
    return entries


def test_fleet_entry_renamed_without_its_previous_name_ends_with_rating_off(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    # What the README warns of, and previous_names prevents: the new name is
    # created (a PATCH), then the old one deleted, which resets the same agent.
    stack, setup = fleet
    stack.up()
    requests_sent(admin)

    edit_agents_file(setup, rename_sales(None))
    assert stack.preview().steps == {
        "support": "same",
        "sales-eu": "create",
        "archive": "same",
        "sales": "delete",
    }
    stack.up()
    assert requests_sent(admin) == ["PATCH 200", "PATCH 200"]
    assert config_of(admin, setup.agents["sales"]) == DISABLED
    assert stack.state["sales-eu"].outputs["conv_rating_active"] is True  # until a refresh


def test_fleet_keeps_each_token_in_its_resource_state_and_out_of_the_exports(
    fleet: tuple[ProgramStack, ExampleStack],
) -> None:
    stack, setup = fleet
    run = stack.up()
    exported = json.dumps(run.outputs)
    for name, state in stack.state.items():
        # Kept per resource (refresh and destroy need it), where the engine encrypts it.
        assert state.outputs["api_token"] in setup.tokens, name
    for token in setup.tokens:
        assert token not in exported
    assert run.secret_outputs == set()


def test_fleet_agents_without_a_token_fail_at_preview_naming_each_config_key_to_set(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    ghosts = [
        {"name": "ghost", "token_config": "ghostToken"},
        {"name": "phantom", "token_config": "phantomToken"},
    ]
    edit_agents_file(setup, lambda entries: [*entries, *ghosts])
    with pytest.raises(pulumi.RunError) as failed:
        stack.preview()
    assert str(failed.value).splitlines() == [
        f"agent {name!r} has no API token in stack 'dev': run "
        f"`pulumi config set --secret {name}Token` (it prompts for the token)"
        for name in ("ghost", "phantom")
    ]
    assert requests_sent(admin) == []
    # Not even the agents that have their token were declared.
    assert stack.providers == set()


def test_fleet_token_set_without_secret_fails_at_preview_saying_how_to_encrypt_it(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    key = "quickchat-fleet:salesToken"
    stack.set_config(key, setup.config[key], is_secret=False)
    with pytest.raises(pulumi.RunError) as failed:
        stack.preview()
    assert str(failed.value).splitlines() == [
        "agent 'sales': its API token is stored in plain text in Pulumi.dev.yaml: run "
        "`pulumi config set --secret salesToken` (it prompts for the token) to encrypt it"
    ]
    assert setup.config[key] not in str(failed.value)
    assert requests_sent(admin) == []
    assert stack.providers == set()


def test_fleet_two_entries_with_tokens_of_one_agent_fail_at_preview_naming_both(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    stack, setup = fleet
    # The sales agent's token, pasted under archive's key too (a second token of it).
    second = admin.issue_token(setup.agents["sales"])
    stack.set_config("quickchat-fleet:archiveToken", second, is_secret=True)
    with pytest.raises(pulumi.RunError) as failed:
        stack.preview()
    assert str(failed.value) == (
        f"agents 'sales' and 'archive' have API tokens of one AI Agent ({setup.agents['sales']}): "
        "give each its own agent's token with `pulumi config set --secret salesToken` or "
        "`pulumi config set --secret archiveToken`"
    )
    assert second not in str(failed.value)
    assert requests_sent(admin) == []
    assert stack.providers == set()


def test_fleet_tokens_of_one_agent_on_an_applied_stack_stop_up_with_state_untouched(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    # The dangerous case: a failed program registers nothing, and the engine
    # must not read that as "every resource removed".
    stack, setup = fleet
    stack.up()
    recorded = {name: state.outputs for name, state in stack.state.items()}
    requests_sent(admin)
    stack.set_config(
        "quickchat-fleet:archiveToken", admin.issue_token(setup.agents["sales"]), is_secret=True
    )
    with pytest.raises(pulumi.RunError, match="have API tokens of one AI Agent"):
        stack.up()
    assert requests_sent(admin) == []
    assert {name: state.outputs for name, state in stack.state.items()} == recorded
    assert config_of(admin, setup.agents["archive"]) == DISABLED
    assert config_of(admin, setup.agents["sales"])["conv_rating_active"] is True


def test_fleet_shipped_agents_file_previews_one_create_per_entry(
    admin: EmulatorAdmin, start_plugin: Callable[..., Plugin]
) -> None:
    # No agentsFile in config: the program reads examples/fleet/agents.toml.
    entries = tomllib.loads((FLEET.parent / "agents.toml").read_text(encoding="utf-8"))["agents"]
    tokens = {e["token_config"]: admin.create_agent()["tokens"]["write_all"] for e in entries}
    stack = _fleet_program(admin, start_plugin, tokens)
    # The provider's check accepted every setting the file asks for.
    assert stack.preview().steps == {e["name"]: "create" for e in entries}
    assert requests_sent(admin) == []


POLICY = "[defaults]\nconv_rating_active = true\n"
SUPPORT = '\n[[agents]]\nname = "support"\ntoken_config = "supportToken"\n'
# A data file with a mistake, and what its message must say: where, and the fix.
BAD_AGENTS_FILES = [
    pytest.param(
        POLICY + SUPPORT.replace('"support"', '"support'),
        # tomllib's own words may change between Python versions; where it points may not.
        [("not valid TOML: ", "line 5, column 16")],
        id="not TOML",
    ),
    pytest.param(POLICY, ["no agents: add an [[agents]] table per agent"], id="no agents"),
    pytest.param(
        POLICY + SUPPORT.replace("[[agents]]", "[agents]"),
        ["agents: must be an array of tables: write [[agents]] (double brackets)"],
        id="[agents] for [[agents]]",
    ),
    pytest.param(
        POLICY.replace("[defaults]", "[default]") + SUPPORT,
        [
            "top level: unknown key 'default': did you mean 'defaults'? "
            "allowed here: defaults, agents",
            # Without the policy, the entry has no setting.
            "conv_rating_active is set neither in [defaults] nor in [[agents]] "
            "entry 1 ('support'): add conv_rating_active = true (or false) to [defaults]",
        ],
        id="unknown table",
    ),
    pytest.param(
        POLICY + 'question_codes = ["HELPFUL_THUMBS"]\n' + SUPPORT,
        [
            "[defaults]: unknown key 'question_codes': did you mean "
            "'conv_rating_question_codes'? allowed here: conv_rating_active, "
            "conv_rating_popup_active, conv_rating_question_codes"
        ],
        id="unknown key in defaults",
    ),
    pytest.param(
        POLICY + SUPPORT + "conv_rating_activ = false\n",
        [
            "[[agents]] entry 1 ('support'): unknown key 'conv_rating_activ': did you mean "
            "'conv_rating_active'? allowed here: name, token_config, previous_names, "
            "conv_rating_active, conv_rating_popup_active, conv_rating_question_codes"
        ],
        id="unknown key in an entry",
    ),
    pytest.param(
        POLICY + SUPPORT + '\n[[agents]]\ntoken_config = "salesToken"\n',
        ['[[agents]] entry 2: name is missing: add name = "support"'],
        id="no name",
    ),
    pytest.param(
        POLICY + SUPPORT + '\n[[agents]]\nname = "sales"\n',
        [
            "[[agents]] entry 2 ('sales'): token_config is missing: "
            'add token_config = "salesToken"'
        ],
        id="no token_config",
    ),
    pytest.param(
        POLICY + SUPPORT + 'conv_rating_active = "yes"\n',
        [
            "[[agents]] entry 1 ('support'): conv_rating_active must be true or false "
            '(no quotes), not "yes"'
        ],
        id="text for a boolean",
    ),
    pytest.param(
        POLICY + 'conv_rating_question_codes = "HELPFUL_THUMBS"\n' + SUPPORT,
        [
            "[defaults]: conv_rating_question_codes must be a list of question codes, "
            'e.g. ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"], not "HELPFUL_THUMBS"'
        ],
        id="text for a list",
    ),
    pytest.param(
        POLICY + SUPPORT.replace('"support"\n', "7\n", 1),
        ['[[agents]] entry 1: name must be a non-empty string, e.g. name = "support", not 7'],
        id="number for a name",
    ),
    pytest.param(
        POLICY + SUPPORT + SUPPORT.replace("supportToken", "salesToken"),
        [
            "name 'support' is in [[agents]] entries 1, 2: "
            "give each agent a resource name of its own"
        ],
        id="one name twice",
    ),
    pytest.param(
        POLICY + SUPPORT + SUPPORT.replace('"support"', '"sales"'),
        [
            "token_config 'supportToken' is in [[agents]] entries 1 ('support'), 2 ('sales'): "
            "one token is one agent"
        ],
        id="one token for two agents",
    ),
    pytest.param(
        POLICY + SUPPORT.replace("supportToken", "quickchat:apiToken"),
        [
            "[[agents]] entry 1 ('support'): token_config 'quickchat:apiToken' names a config "
            'namespace: give a key of this project without one, e.g. token_config = "supportToken"'
        ],
        id="namespaced token_config",
    ),
    pytest.param(
        POLICY + SUPPORT + 'previous_names = "sales"\n',
        [
            "[[agents]] entry 1 ('support'): previous_names must be a list of the (non-empty) "
            'names it had, e.g. previous_names = ["sales"], not "sales"'
        ],
        id="previous_names not a list",
    ),
    pytest.param(
        POLICY + SUPPORT + 'previous_names = ["support"]\n',
        ["[[agents]] entry 1 ('support'): previous_names lists its own name: leave it out"],
        id="previous_names with its own name",
    ),
    pytest.param(
        POLICY
        + SUPPORT
        + 'previous_names = ["help"]\n'
        + SUPPORT.replace("support", "sales")
        + 'previous_names = ["help"]\n',
        [
            "'help' is claimed by [[agents]] entries 1 ('support') (previous_names), "
            "2 ('sales') (previous_names): one resource can move to one entry only"
        ],
        id="previous name claimed twice",
    ),
    pytest.param(
        POLICY + SUPPORT + SUPPORT.replace("support", "sales") + 'previous_names = ["support"]\n',
        [
            "'support' is claimed by [[agents]] entries 1 ('support') (its name), "
            "2 ('sales') (previous_names): one resource can move to one entry only, and not "
            "while another entry still has its name; rename it first (pulumi up), then give "
            "the name to a new entry in a later change"
        ],
        id="previous name is another entry's name",
    ),
    pytest.param(
        None,
        [
            (
                "cannot read it (",  # the system's own words for why, which vary
                "): create it, or point this stack at its own with "
                "`pulumi config set agentsFile <path>`",
            )
        ],
        id="no such file",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_AGENTS_FILES)
def test_fleet_agents_file_mistake_fails_before_any_request_naming_where_and_the_fix(
    text: str | None,
    expected: list[str | tuple[str, ...]],
    admin: EmulatorAdmin,
    token: str,
    start_plugin: Callable[..., Plugin],
    tmp_path: Path,
) -> None:
    agents_file = tmp_path / "agents.toml"
    if text is not None:
        agents_file.write_text(text, encoding="utf-8")
    tokens = dict.fromkeys(["supportToken", "salesToken"], token)
    stack = _fleet_program(admin, start_plugin, tokens, agents_file)
    with pytest.raises(pulumi.RunError) as failed:
        stack.preview()
    # One line per problem, each naming the file first.
    lines = str(failed.value).splitlines()
    assert len(lines) == len(expected), lines
    for line, said in zip(lines, expected, strict=True):
        parts = said if isinstance(said, tuple) else (said,)
        assert line.startswith(f"{agents_file}: "), line
        assert all(part in line for part in parts), line
    assert requests_sent(admin) == []
    assert stack.providers == set()


def test_fleet_unknown_question_code_in_the_data_file_is_the_providers_check_to_name(
    admin: EmulatorAdmin, fleet: tuple[ProgramStack, ExampleStack]
) -> None:
    # The program checks the file's shape; the values are the resource's to judge, as the
    # program constructs it.
    stack, setup = fleet

    def typo(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entries[1]["conv_rating_question_codes"] = ["EXPERIENCE_THUMB"]
        return entries

    edit_agents_file(setup, typo)
    with pytest.raises(QuickchatInputError) as failed:
        stack.preview()
    assert [f.field for f in failed.value.failures] == ["conv_rating_question_codes"]
    assert "did you mean 'EXPERIENCE_THUMBS'" in str(failed.value)
    assert requests_sent(admin) == []


def test_fleet_of_50_agents_from_one_data_file_sends_one_request_per_agent_and_step(
    admin: EmulatorAdmin, start_plugin: Callable[..., Plugin], tmp_path: Path
) -> None:
    names = [f"agent-{n:02d}" for n in range(1, 51)]
    agents = {name: admin.create_agent() for name in names}
    tokens = {name: agent["tokens"]["write_all"] for name, agent in agents.items()}
    token_keys = {name: f"{name.replace('-', '')}Token" for name in names}
    # The policy for all, and a few agents that differ from it.
    overrides: dict[str, dict[str, Any]] = {
        "agent-05": {"conv_rating_question_codes": ["EXPERIENCE_THUMBS"]},
        "agent-17": {"conv_rating_question_codes": ["HELPFUL_THUMBS"]},
        "agent-23": {"conv_rating_active": False},
        "agent-42": {"conv_rating_active": False, "conv_rating_question_codes": ["HELPFUL_THUMBS"]},
    }
    wanted = {
        **dict.fromkeys(names, ENABLED),
        "agent-05": {**ENABLED, "conv_rating_question_codes": ["EXPERIENCE_THUMBS"]},
        "agent-17": {**ENABLED, "conv_rating_question_codes": ["HELPFUL_THUMBS"]},
        "agent-23": DISABLED,
        "agent-42": {**DISABLED, "conv_rating_question_codes": ["HELPFUL_THUMBS"]},
    }
    agents_file = tmp_path / "fleet.toml"

    def write_agents_file() -> None:
        entries = [
            {"name": name, "token_config": token_keys[name], **overrides.get(name, {})}
            for name in names
        ]
        agents_file.write_text(agents_toml(FLEET_POLICY, entries), encoding="utf-8")

    def held() -> dict[str, dict[str, Any]]:
        return {name: config_of(admin, agent["scenario_id"]) for name, agent in agents.items()}

    write_agents_file()
    stack = _fleet_program(
        admin, start_plugin, {key: tokens[name] for name, key in token_keys.items()}, agents_file
    )
    requests_sent(admin)

    # 1. preview: 50 creates, nothing sent.
    run = stack.preview()
    assert run.steps == dict.fromkeys(names, "create")
    assert requests_sent(admin) == []

    # 2. up: one PATCH per agent; each holds the policy or its override.
    run = stack.up()
    assert run.steps == dict.fromkeys(names, "create")
    assert requests_sent(admin) == ["PATCH 200"] * 50
    assert held() == wanted
    assert run.outputs == {"scenario_ids": {n: a["scenario_id"] for n, a in agents.items()}}
    exported = json.dumps(run.outputs)
    assert not [name for name, token in tokens.items() if token in exported]
    assert run.secret_outputs == set()

    # 3. up again, nothing changed: nothing sent.
    assert stack.up().steps == dict.fromkeys(names, "same")
    assert requests_sent(admin) == []

    # 4. One agent's override changes in the file: one update, one PATCH.
    overrides["agent-05"] = {"conv_rating_question_codes": ["HELPFUL_THUMBS"]}
    wanted["agent-05"] = {**ENABLED, "conv_rating_question_codes": ["HELPFUL_THUMBS"]}
    write_agents_file()
    changed = {name: "update" if name == "agent-05" else "same" for name in names}
    assert stack.preview().steps == changed
    assert requests_sent(admin) == []
    assert stack.up().steps == changed
    assert requests_sent(admin) == ["PATCH 200"]
    assert held() == wanted

    # 5. refresh: one GET per agent.
    stack.refresh()
    assert requests_sent(admin) == ["GET 200"] * 50

    # 6. destroy: one PATCH per agent, each back to disabled defaults.
    assert sorted(stack.destroy()) == names
    assert requests_sent(admin) == ["PATCH 200"] * 50
    assert held() == dict.fromkeys(names, DISABLED)
    assert stack.state == {}

    # Each resource's token reached the plugin host per resource, never in its provider.
    for provider in stack.providers:
        assert_provider_holds_no_secret(provider, *tokens.values())


@pytest.mark.parametrize(
    "pulumi_yaml",
    [
        pytest.param(p, id=_id(p))
        for p in PROJECT_FILES
        if p != ROOT / "Pulumi.yaml" and Project.load(p).runtime == "python"
    ],
)
def test_program_and_dynamic_provider_find_the_repository_virtualenv(pulumi_yaml: Path) -> None:
    project = Project.load(pulumi_yaml)
    virtualenv = project.runtime_options["virtualenv"]
    for_the_program = (pulumi_yaml.parent / virtualenv).resolve()
    for_the_provider = (project.program_dir / virtualenv).resolve()
    assert for_the_program == ROOT / ".venv"
    assert for_the_provider == ROOT / ".venv"


def test_the_root_project_names_no_virtualenv_so_program_and_provider_agree() -> None:
    # With `main: examples/basic/`, the language host would resolve a relative
    # `virtualenv` from the repository root but the dynamic-provider plugin from
    # examples/basic (pulumi/pulumi#7061), so the root project uses the active
    # Python instead (the README says to activate .venv first).
    project = Project.load(ROOT / "Pulumi.yaml")
    assert project.program_dir == ROOT / "examples" / "basic"
    assert "virtualenv" not in project.runtime_options


NATIVE_PROJECTS = [p for p in PROJECT_FILES if "plugins" in Project.load(p).document]


@pytest.mark.parametrize("pulumi_yaml", [pytest.param(p, id=_id(p)) for p in NATIVE_PROJECTS])
def test_the_engine_finds_the_native_plugin_where_the_project_says(pulumi_yaml: Path) -> None:
    # pkg/resource/plugin/host.go `resolvePluginPath`: `path` is relative to the
    # Pulumi.yaml and must be a directory; sdk/go/common/workspace/plugins.go
    # `getPluginPath`: the plugin is pulumi-resource-<name> in it.
    (entry,) = Project.load(pulumi_yaml).document["plugins"]["providers"]
    assert entry["name"] == "quickchat" and "version" not in entry
    directory = (pulumi_yaml.parent / entry["path"]).resolve()
    assert directory.is_dir()
    with NativePlugin(installed_plugin(directory)) as plugin:
        assert plugin.plugin_version() == pulumi_quickchat.__version__


def test_the_examples_point_outside_their_folder_only_where_the_reference_says() -> None:
    # docs/reference.md, "Examples outside this checkout", names each of these
    # and the edit that makes a copy stand alone.
    guide = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    section = guide.split("## Examples outside this checkout", 1)[1]
    for example in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        outside = set(re.findall(r"\.\./[^\s\"']*", (example / "Pulumi.yaml").read_text()))
        requirements = example / "requirements.txt"
        if requirements.exists():
            outside |= set(re.findall(r"\.\./[^\s]*", requirements.read_text()))
        allowed = {"../../.venv", "../../.venv/bin", "../..", "../../sdk/python"}
        assert outside <= allowed, example.name
        for reference in outside:
            assert f"`{reference}`" in section or "../../.venv" in section, reference
