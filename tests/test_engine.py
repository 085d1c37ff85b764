"""What the real engine does with this package, step by step, in the stand-in engine.

Each test walks a small program through `support.program` (the stand-in for
the CLI and the engine, each behaviour citing the engine file it follows)
and the real plugins, and checks what reached Quickchat: refresh and destroy
configured from state, `--refresh`, replaceOnChanges and deleteBeforeReplace,
and the dynamic resource's import. tests/test_cli.py runs the same scenarios
through the real CLI and the stand-in alike and compares what Quickchat
received step by step (`test_cli_and_the_stand_in_engine_send_the_same_...`);
the engine's own decisions the stand-in no longer models (protect,
retainOnDelete, ignoreChanges, `--target`, `pulumi state delete`, the move to
the native provider) are tested there alone.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of, requests_sent
from support.plugins import Plugin, PluginHost, ProviderError
from support.program import ProgramStack

BOTH = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
ON = {"conv_rating_active": True, "conv_rating_popup_active": True}
DISABLED = {"conv_rating_active": False, "conv_rating_popup_active": False}

DYNAMIC_PROGRAM = """
import functools
import json
import pulumi
import pulumi_quickchat as quickchat

config = pulumi.Config()
quickchat.ConversationRatingConfig(
    "ratings",
    conv_rating_active=True,
    conv_rating_question_codes=json.loads(config.get("codes") or '["HELPFUL_THUMBS"]'),
    opts=pulumi.ResourceOptions({options}),
)
"""
NATIVE_PROGRAM = DYNAMIC_PROGRAM.replace(
    "import pulumi_quickchat as quickchat", "import pulumi_quickchat_native as quickchat"
)


def stack_of(
    tmp_path: Path,
    start_plugin: Callable[..., Plugin],
    admin: EmulatorAdmin,
    token: str,
    *,
    native: bool = False,
    options: str = "",
    source: str | None = None,
) -> ProgramStack:
    """A one-resource program of its own, its token in `quickchat:apiToken`."""
    program = tmp_path / "program"
    program.mkdir(exist_ok=True)
    (program / "Pulumi.yaml").write_text("name: engine-test\nruntime: python\n")
    template = source if source is not None else NATIVE_PROGRAM if native else DYNAMIC_PROGRAM
    (program / "__main__.py").write_text(template.replace("{options}", options))
    return ProgramStack(
        program / "Pulumi.yaml",
        start_plugin=start_plugin,
        config={"quickchat:apiToken": token, "quickchat:baseUrl": admin.url},
        secret_keys={"quickchat:apiToken"},
    )


@pytest.fixture
def make_stack(
    tmp_path: Path, start_plugin: Callable[..., Plugin], admin: EmulatorAdmin, token: str
) -> Callable[..., ProgramStack]:
    """`stack_of` for this test's agent: keyword arguments `native`, `options`, `source`."""
    return functools.partial(stack_of, tmp_path, start_plugin, admin, token)


def set_codes(stack: ProgramStack, codes: list[str]) -> None:
    stack.set_config("engine-test:codes", str(codes).replace("'", '"'))


@pytest.fixture(params=["dynamic", "native"])
def form(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- configuration ------------------------------------------------------------------------


def test_refresh_and_destroy_use_the_provider_config_the_last_up_recorded(
    make_stack: Callable[..., ProgramStack],
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
    form: str,
) -> None:
    # The engine loads providers from state for refresh and destroy
    # (deployment.go `EnsureProvider`): a token switched in stack config since
    # the last up is not used until the next up.
    stack = make_stack(native=form == "native")
    stack.up()
    other = admin.create_agent()
    stack.set_config("quickchat:apiToken", other["tokens"]["write_all"], is_secret=True)
    requests_sent(admin)
    stack.refresh()
    stack.destroy()
    log = admin.request_log()
    assert [(e["method"], e["scenario_id"]) for e in log] == [
        ("GET", agent["scenario_id"]),
        ("PATCH", agent["scenario_id"]),
    ]


def test_refresh_first_finds_a_dashboard_edit_and_up_puts_it_back(
    make_stack: Callable[..., ProgramStack],
    admin: EmulatorAdmin,
    agent: AgentJson,
    form: str,
) -> None:
    # `pulumi preview --refresh`, `pulumi up --refresh`, or `options: refresh: always`.
    stack = make_stack(native=form == "native")
    stack.up()
    admin.edit_configuration(agent["scenario_id"], DISABLED)
    requests_sent(admin)
    assert stack.preview(refresh=True).steps == {"ratings": "update"}
    assert requests_sent(admin) == ["GET 200"]
    # A preview saves nothing: a plain up still compares with the state before
    # the Dashboard edit, finds no change, and leaves the edit in place.
    assert stack.up().steps == {"ratings": "same"}
    assert requests_sent(admin) == []
    assert stack.up(refresh=True).steps == {"ratings": "update"}
    assert requests_sent(admin) == ["GET 200", "PATCH 200"]
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


# --- resource options ---------------------------------------------------------------------


def test_replace_on_changes_has_no_effect_on_the_dynamic_resource(
    make_stack: Callable[..., ProgramStack],
    admin: EmulatorAdmin,
) -> None:
    # The engine matches replaceOnChanges against the keys a provider reports
    # changed (step_generator.go `applyReplaceOnChanges`), which the dynamic
    # provider host never forwards: the change is an update.
    stack = make_stack(
        options="replace_on_changes=['conv_rating_question_codes']",
    )
    stack.up()
    set_codes(stack, BOTH)
    requests_sent(admin)
    assert stack.up().steps == {"ratings": "update"}
    assert requests_sent(admin) == ["PATCH 200"]


def test_a_replacement_the_program_forces_resets_first_so_the_agent_ends_as_asked(
    make_stack: Callable[..., ProgramStack],
    admin: EmulatorAdmin,
    agent: AgentJson,
) -> None:
    # replaceOnChanges replaces the native resource; old and new are the same
    # agent, so creating first and deleting after would leave rating off. The
    # provider asks the engine to delete first whenever it replaces nothing
    # itself (continueStepsFromDiff takes its deleteBeforeReplace).
    stack = make_stack(
        native=True,
        options="replace_on_changes=['convRatingQuestionCodes']",
    )
    stack.up()
    set_codes(stack, BOTH)
    requests_sent(admin)
    assert stack.up().steps == {"ratings": "replace"}
    log = admin.request_log()
    assert [json.loads(e["body"])["conv_rating_active"] for e in log] == [False, True]
    assert config_of(admin, agent["scenario_id"]) == {**ON, "conv_rating_question_codes": BOTH}


def test_delete_before_replace_resets_the_old_agent_before_writing_the_new(
    make_stack: Callable[..., ProgramStack],
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
) -> None:
    source = DYNAMIC_PROGRAM.replace(
        "conv_rating_active=True,",
        'conv_rating_active=True,\n    api_token=config.require_secret("token"),',
    )
    stack = make_stack(options="delete_before_replace=True", source=source)
    stack.set_config("engine-test:token", token, is_secret=True)
    stack.up()
    other = admin.create_agent()
    stack.set_config("engine-test:token", other["tokens"]["write_all"], is_secret=True)
    requests_sent(admin)
    assert stack.up().steps == {"ratings": "replace"}
    log = admin.request_log()
    assert [(e["method"], e["scenario_id"]) for e in log] == [
        ("PATCH", agent["scenario_id"]),
        ("PATCH", other["scenario_id"]),
    ]
    # The token given per resource is stored encrypted.
    assert stack.state["ratings"].secret_outputs == {"api_token"}


# --- import -------------------------------------------------------------------------------


def test_the_dynamic_resource_cannot_be_imported_as_the_engine_calls_read(
    start_plugin: Callable[..., Plugin], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    # step.go `ImportStep.Apply` sends Read the id alone; the dynamic host
    # needs `__provider` among the properties (pulumi/pulumi#16175).
    from support.engine import Engine

    host = start_plugin("dynamic")
    assert isinstance(host, PluginHost)
    host.configure({"quickchat:apiToken": token, "quickchat:baseUrl": admin.url})
    with pytest.raises(ProviderError, match="__provider"):
        Engine(host).import_("ratings", agent["scenario_id"])
    assert requests_sent(admin) == []
