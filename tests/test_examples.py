"""Every example program runs end to end: its own __main__.py, the real plugin host, Quickchat.

No Pulumi CLI here: `support.mock_engine` runs each program under the SDK's
mocks and hands its resources to the real plugin host (see that module for
what is faithful and what stands in for the engine). Each project, the root
Pulumi.yaml included, walks preview, up, a no-op up, a Dashboard edit found
by refresh and put back by up, and destroy; after each step the emulator is
asked what it holds and which requests reached it. tests/test_cli.py walks
the same through the real CLI where there is one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_quickchat.emulator import EmulatorAdmin
from pulumi_quickchat.emulator.models import AgentJson

from support.checks import assert_provider_holds_no_secret, config_of, requests_sent
from support.mock_engine import (
    DISABLED,
    ENABLED,
    EXAMPLE_STACKS,
    ExampleStack,
    ProgramStack,
    Project,
    fleet_stack,
)
from support.plugin_host import CheckFailed, PluginHost

ROOT = Path(__file__).resolve().parents[1]
# Someone turns rating off in the Dashboard.
DASHBOARD_EDIT = {"conv_rating_active": False, "conv_rating_popup_active": False}


# Every example, and the root project (which runs examples/basic).
PROJECT_FILES = [*sorted(ROOT.glob("examples/*/Pulumi.yaml")), ROOT / "Pulumi.yaml"]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_example_is_a_python_project_with_a_stack_to_walk() -> None:
    for example in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        for name in ("Pulumi.yaml", "__main__.py", "requirements.txt"):
            assert (example / name).is_file(), f"{example.name} lacks {name}"
        assert example.name in EXAMPLE_STACKS, f"add a stack setup for examples/{example.name}"
    root = Project.load(ROOT / "Pulumi.yaml")
    assert root.program_dir == ROOT / "examples" / "basic"
    assert root.name == Project.load(ROOT / "examples/basic/Pulumi.yaml").name


@pytest.mark.parametrize("pulumi_yaml", PROJECT_FILES, ids=_id)
def test_example_walks_preview_up_noop_drift_refresh_up_destroy(
    pulumi_yaml: Path,
    admin: EmulatorAdmin,
    agent: AgentJson,
    start_host: Callable[[], PluginHost],
) -> None:
    project = Project.load(pulumi_yaml)
    setup = EXAMPLE_STACKS[project.program_dir.name](project, admin, agent)
    stack = ProgramStack(
        pulumi_yaml, start_host=start_host, config=setup.config, secret_keys=setup.secret_keys
    )
    names = list(setup.agents)
    before = {name: config_of(admin, scenario) for name, scenario in setup.agents.items()}
    requests_sent(admin)

    def held() -> dict[str, dict[str, Any]]:
        return {name: config_of(admin, scenario) for name, scenario in setup.agents.items()}

    # 1. preview: Check and Diff only; nothing reaches Quickchat.
    run = stack.preview()
    assert run.steps == dict.fromkeys(names, "create")
    assert run.outputs == setup.exports_at_preview
    assert requests_sent(admin) == []
    assert held() == before
    assert stack.state == {}

    # 2. up: one PATCH per agent, and each holds what the program asks for.
    run = stack.up()
    assert run.steps == dict.fromkeys(names, "create")
    assert requests_sent(admin) == ["PATCH 200"] * len(names)
    assert held() == setup.wanted
    assert run.outputs == setup.exports
    assert {name: state.id for name, state in stack.state.items()} == setup.agents
    for state in stack.state.values():
        # A token given per resource is recorded (refresh and destroy need it); one from
        # stack config is not.
        assert ("api_token" in state.outputs) is setup.tokens_in_state

    # 3. up again with nothing changed: no request.
    run = stack.up()
    assert run.steps == dict.fromkeys(names, "same")
    assert run.outputs == setup.exports
    assert requests_sent(admin) == []

    # 4. Someone turns rating off for the first agent in the Dashboard; refresh
    # reads every agent (one GET each), records the edit and writes nothing.
    drifted = names[0]
    admin.edit_configuration(setup.agents[drifted], DASHBOARD_EDIT)
    stack.refresh()
    assert requests_sent(admin) == ["GET 200"] * len(names)
    assert stack.state[drifted].outputs["conv_rating_active"] is False
    for name in names[1:]:
        managed = {k: stack.state[name].outputs[k] for k in ENABLED}
        assert managed == setup.wanted[name]
    assert held() == {**setup.wanted, drifted: {**setup.wanted[drifted], **DASHBOARD_EDIT}}
    # The next preview shows the change back, for that agent alone.
    run = stack.preview()
    assert run.steps == {name: "update" if name == drifted else "same" for name in names}
    assert requests_sent(admin) == []

    # 5. up puts it back with one PATCH.
    run = stack.up()
    assert run.steps == {name: "update" if name == drifted else "same" for name in names}
    assert requests_sent(admin) == ["PATCH 200"]
    assert held() == setup.wanted
    assert run.outputs == setup.exports

    # 6. destroy: one PATCH per agent, back to disabled defaults; state is empty.
    assert sorted(stack.destroy()) == sorted(names)
    assert requests_sent(admin) == ["PATCH 200"] * len(names)
    assert held() == dict.fromkeys(names, DISABLED)
    assert stack.state == {}

    # The program's own serialized provider went to the plugin host, holding no token.
    assert stack.providers
    for provider in stack.providers:
        assert_provider_holds_no_secret(provider, *setup.tokens)


def _basic_stack(
    admin: EmulatorAdmin, token: str, start_host: Callable[[], PluginHost]
) -> ProgramStack:
    return ProgramStack(
        ROOT / "examples/basic/Pulumi.yaml",
        start_host=start_host,
        config={"quickchat:apiToken": token, "quickchat:baseUrl": admin.url},
        secret_keys={"quickchat:apiToken"},
    )


def test_basic_config_change_previews_as_update_and_ups_with_one_patch(
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
    start_host: Callable[[], PluginHost],
) -> None:
    stack = _basic_stack(admin, token, start_host)
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
    admin: EmulatorAdmin, token: str, start_host: Callable[[], PluginHost]
) -> None:
    stack = _basic_stack(admin, token, start_host)
    stack.set_config("quickchat-basic:questionCodes", '["HELPFUL_THUMB"]')
    with pytest.raises(CheckFailed) as failed:
        stack.preview()
    assert failed.value.properties == ["conv_rating_question_codes"]
    assert "did you mean 'HELPFUL_THUMBS'" in str(failed.value)
    assert requests_sent(admin) == []


def _fleet_stack(
    admin: EmulatorAdmin, agent: AgentJson, start_host: Callable[[], PluginHost]
) -> tuple[ProgramStack, ExampleStack]:
    pulumi_yaml = ROOT / "examples/fleet/Pulumi.yaml"
    setup = fleet_stack(Project.load(pulumi_yaml), admin, agent)
    stack = ProgramStack(
        pulumi_yaml, start_host=start_host, config=setup.config, secret_keys=setup.secret_keys
    )
    return stack, setup


def test_fleet_agent_dropped_from_config_is_reset_by_the_next_up(
    admin: EmulatorAdmin, agent: AgentJson, start_host: Callable[[], PluginHost]
) -> None:
    stack, setup = _fleet_stack(admin, agent, start_host)
    stack.up()
    requests_sent(admin)

    entries = json.loads(setup.config["quickchat-fleet:agents"])
    stack.set_config(
        "quickchat-fleet:agents", json.dumps([e for e in entries if e["name"] != "sales"])
    )
    assert stack.preview().steps == {"support": "same", "archive": "same", "sales": "delete"}
    assert requests_sent(admin) == []

    run = stack.up()
    assert run.steps["sales"] == "delete"
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, setup.agents["sales"]) == DISABLED
    assert config_of(admin, setup.agents["support"]) == ENABLED
    assert set(stack.state) == {"support", "archive"}


def test_fleet_keeps_each_token_in_its_resource_state_and_out_of_the_exports(
    admin: EmulatorAdmin, agent: AgentJson, start_host: Callable[[], PluginHost]
) -> None:
    stack, setup = _fleet_stack(admin, agent, start_host)
    run = stack.up()
    exported = json.dumps(run.outputs)
    for name, state in stack.state.items():
        # Kept per resource (refresh and destroy need it), where the engine encrypts it.
        assert state.outputs["api_token"] in setup.tokens, name
    for token in setup.tokens:
        assert token not in exported
    assert run.secret_outputs == set()


def test_fleet_agent_without_a_token_fails_at_preview_saying_which_config_to_set(
    admin: EmulatorAdmin, agent: AgentJson, start_host: Callable[[], PluginHost]
) -> None:
    stack, setup = _fleet_stack(admin, agent, start_host)
    entries = json.loads(setup.config["quickchat-fleet:agents"])
    stack.set_config("quickchat-fleet:agents", json.dumps([*entries, {"name": "ghost"}]))
    with pytest.raises(ValueError, match=r"pulumi config set --secret --path 'apiTokens\.ghost'"):
        stack.preview()
    assert requests_sent(admin) == []


@pytest.mark.parametrize(
    "pulumi_yaml",
    [pytest.param(p, id=_id(p)) for p in PROJECT_FILES if p != ROOT / "Pulumi.yaml"],
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
