"""Whole lifecycles through the real plugin host, as the Pulumi CLI drives it.

Each step is checked three ways: what the engine would record, what the
Quickchat emulator now holds, and how many requests reached it (docs/design.md's
lifecycle table).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from pulumi_quickchat import scenario_id_of
from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess

from support.checks import (
    assert_token_only_under_api_token,
    config_of,
    requests_sent,
)
from support.engine import CheckFailed, Engine
from support.plugins import PluginHost, ProviderError
from support.sdk import UNKNOWN

BOTH = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
DISABLED = {
    "conv_rating_active": False,
    "conv_rating_popup_active": False,
    "conv_rating_question_codes": BOTH,
}


def test_full_lifecycle_preview_up_noop_update_drift_destroy(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    scenario = agent["scenario_id"]
    program = {"conv_rating_active": True}

    # 1. preview of a new stack: check and diff only, nothing sent.
    plan = engine.plan("ratings", program)
    assert plan.action == "create"
    assert plan.inputs == {
        "conv_rating_active": True,
        "conv_rating_popup_active": True,
        "conv_rating_question_codes": BOTH,
    }
    assert requests_sent(admin) == []

    # 2. up creates: one PATCH of the whole desired state; outputs are Quickchat's answer.
    assert engine.up("ratings", program).action == "create"
    assert requests_sent(admin) == ["PATCH 200"]
    state = engine.state["ratings"]
    assert state.id == scenario
    assert state.outputs == {
        "conv_rating_active": True,
        "conv_rating_popup_active": True,
        "conv_rating_question_codes": BOTH,
        "scenario_id": scenario,
        "base_url": admin.url,
    }
    assert config_of(admin, scenario) == {
        **DISABLED,
        "conv_rating_active": True,
        "conv_rating_popup_active": True,
    }

    # 3. a second up with nothing changed sends nothing.
    assert engine.up("ratings", program).action == "same"
    assert requests_sent(admin) == []

    # 4. one field changed: one PATCH.
    program = {"conv_rating_active": True, "conv_rating_question_codes": ["EXPERIENCE_THUMBS"]}
    assert engine.up("ratings", program).action == "update"
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, scenario)["conv_rating_question_codes"] == ["EXPERIENCE_THUMBS"]
    assert engine.state["ratings"].outputs["conv_rating_question_codes"] == ["EXPERIENCE_THUMBS"]

    # 5. someone turns rating off in the Dashboard; refresh (one GET) sees it ...
    admin.edit_configuration(
        scenario, {"conv_rating_active": False, "conv_rating_popup_active": False}
    )
    refreshed = engine.refresh("ratings")
    assert requests_sent(admin) == ["GET 200"]
    assert refreshed is not None
    assert refreshed.outputs["conv_rating_active"] is False
    assert refreshed.inputs["conv_rating_active"] is False  # no stale inputs
    # ... the next preview shows the change back, and up puts it back.
    assert engine.plan("ratings", program).action == "update"
    assert engine.up("ratings", program).action == "update"
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, scenario)["conv_rating_active"] is True

    # 6. destroy resets the agent to disabled defaults with one PATCH.
    engine.destroy("ratings")
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, scenario) == DISABLED
    assert "ratings" not in engine.state

    assert_token_only_under_api_token(engine.plugin.responses, token)


def test_create_adopts_whatever_the_agent_has(engine: Engine, admin: EmulatorAdmin) -> None:
    agent = admin.create_agent(
        configuration={
            "conv_rating_active": True,
            "conv_rating_popup_active": True,
            "conv_rating_question_codes": ["HELPFUL_THUMBS"],
        }
    )
    host = engine.plugin
    host.configure(
        {"quickchat:apiToken": agent["tokens"]["write_all"], "quickchat:baseUrl": admin.url}
    )
    requests_sent(admin)
    engine.up("ratings", {"conv_rating_active": False})
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, agent["scenario_id"]) == DISABLED


def test_token_rotation_for_the_same_agent_writes_nothing_and_is_no_replacement(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    scenario = agent["scenario_id"]
    program = {"conv_rating_active": True, "api_token": token}
    engine.up("ratings", program)
    requests_sent(admin)

    rotated = admin.issue_token(scenario, "write_all")
    plan = engine.up("ratings", {**program, "api_token": rotated})
    assert plan.action == "update" and plan.replaces == []
    assert requests_sent(admin) == []
    assert engine.state["ratings"].outputs["api_token"] == rotated

    # The old token is revoked; refresh and destroy use the recorded new one.
    admin.revoke_token(token)
    engine.refresh("ratings")
    engine.destroy("ratings")
    assert requests_sent(admin) == ["GET 200", "PATCH 200"]
    assert config_of(admin, scenario) == DISABLED
    for secret in (token, rotated):
        assert_token_only_under_api_token(engine.plugin.responses, secret)


def test_token_rotation_in_stack_config_writes_nothing(
    start_host: type[PluginHost], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    first = start_host()
    first.configure({"quickchat:apiToken": token, "quickchat:baseUrl": admin.url})
    engine = Engine(first)
    engine.up("ratings", {"conv_rating_active": True})
    requests_sent(admin)

    # A new `pulumi up` (a new plugin process) with the rotated token in config.
    rotated = admin.issue_token(agent["scenario_id"], "write_all")
    admin.revoke_token(token)
    engine.plugin = start_host()
    engine.plugin.configure({"quickchat:apiToken": rotated, "quickchat:baseUrl": admin.url})
    assert engine.up("ratings", {"conv_rating_active": True}).action == "same"
    engine.refresh("ratings")
    assert requests_sent(admin) == ["GET 200"]


def test_a_token_for_another_agent_replaces_the_resource(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    engine.up("ratings", {"conv_rating_active": True, "api_token": token})
    other = admin.create_agent()
    requests_sent(admin)

    plan = engine.up(
        "ratings", {"conv_rating_active": True, "api_token": other["tokens"]["write_all"]}
    )
    assert plan.action == "replace" and plan.replaces == ["api_token"]
    # Create before delete: the new agent is written, then the old one reset.
    assert not plan.delete_before_replace
    assert [(e["method"], e["scenario_id"]) for e in admin.request_log()] == [
        ("PATCH", other["scenario_id"]),
        ("PATCH", agent["scenario_id"]),
    ]
    assert config_of(admin, agent["scenario_id"]) == DISABLED
    assert config_of(admin, other["scenario_id"])["conv_rating_active"] is True
    assert engine.state["ratings"].id == other["scenario_id"]


def test_a_replacement_whose_create_fails_leaves_the_old_agent_as_it_was(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    engine.up("ratings", {"conv_rating_active": True, "api_token": token})
    before = engine.state["ratings"]
    other = admin.create_agent()
    with pytest.raises(ProviderError, match="HTTP 403"):
        engine.up("ratings", {"conv_rating_active": True, "api_token": other["tokens"]["read_all"]})
    assert engine.state["ratings"] == before
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


def test_another_base_url_replaces_the_resource_resetting_first(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, emulator: EmulatorProcess
) -> None:
    engine.up("ratings", {"conv_rating_active": True})
    requests_sent(admin)
    # The same emulator under another loopback name: another base URL for the
    # same agent, the case where the old must be reset before the new is written.
    other_url = emulator.url.replace("127.0.0.1", "localhost")
    program = {"conv_rating_active": True, "base_url": other_url}
    plan = engine.up("ratings", program)
    assert plan.action == "replace" and plan.replaces == ["base_url"]
    assert plan.delete_before_replace
    assert requests_sent(admin) == ["PATCH 200", "PATCH 200"]
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True
    assert engine.state["ratings"].outputs["base_url"] == other_url


@pytest.mark.parametrize("step", ["refresh", "destroy"])
def test_a_config_token_now_naming_another_agent_is_refused_with_nothing_sent(
    engine: Engine,
    start_host: Callable[..., PluginHost],
    admin: EmulatorAdmin,
    agent: AgentJson,
    step: str,
) -> None:
    engine.up("ratings", {"conv_rating_active": True})
    before = engine.state["ratings"]
    # The next run (a new plugin process) has another agent's token in config.
    other = admin.create_agent()
    engine.plugin = start_host()
    engine.plugin.configure(
        {"quickchat:apiToken": other["tokens"]["write_all"], "quickchat:baseUrl": admin.url}
    )
    requests_sent(admin)
    with pytest.raises(ProviderError) as failed:
        engine.refresh("ratings") if step == "refresh" else engine.destroy("ratings")
    details = failed.value.details
    assert f"This resource manages AI Agent {agent['scenario_id']!r}" in details
    assert f"stack config quickchat:apiToken for {other['scenario_id']!r}" in details
    assert "read -rs QUICKCHAT_API_TOKEN" in details and "pulumi state delete" in details
    assert requests_sent(admin) == []
    assert engine.state["ratings"] == before
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True
    assert config_of(admin, other["scenario_id"])["conv_rating_active"] is False


def test_a_config_token_now_naming_another_agent_replaces_but_never_resets_the_wrong_one(
    engine: Engine, start_host: Callable[..., PluginHost], admin: EmulatorAdmin, agent: AgentJson
) -> None:
    engine.up("ratings", {"conv_rating_active": True})
    other = admin.create_agent()
    engine.plugin = start_host()
    engine.plugin.configure(
        {"quickchat:apiToken": other["tokens"]["write_all"], "quickchat:baseUrl": admin.url}
    )
    # The new agent is written; resetting the old one needs its token, which
    # this run has not got: that step fails and the old resource waits in state.
    with pytest.raises(ProviderError, match="read -rs QUICKCHAT_API_TOKEN"):
        engine.up("ratings", {"conv_rating_active": True})
    assert engine.state["ratings"].id == other["scenario_id"]
    assert [r.id for r in engine.pending_delete] == [agent["scenario_id"]]
    assert config_of(admin, other["scenario_id"])["conv_rating_active"] is True
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


def test_the_old_agents_token_in_the_environment_completes_a_move_to_another_agent(
    engine: Engine,
    start_host: Callable[..., PluginHost],
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
) -> None:
    engine.up("ratings", {"conv_rating_active": True})
    other = admin.create_agent()
    # Stack config now holds the new agent's token; the old one rides along in
    # QUICKCHAT_API_TOKEN for this run, and is used only for the old agent.
    engine.plugin = start_host({"QUICKCHAT_API_TOKEN": token})
    engine.plugin.configure(
        {"quickchat:apiToken": other["tokens"]["write_all"], "quickchat:baseUrl": admin.url}
    )
    requests_sent(admin)
    assert engine.up("ratings", {"conv_rating_active": True}).action == "replace"
    assert [(e["method"], e["scenario_id"]) for e in admin.request_log()] == [
        ("PATCH", other["scenario_id"]),
        ("PATCH", agent["scenario_id"]),
    ]
    assert config_of(admin, agent["scenario_id"]) == DISABLED
    assert config_of(admin, other["scenario_id"])["conv_rating_active"] is True
    assert engine.pending_delete == []


def test_preview_with_unknown_inputs_neither_fails_nor_sends(
    engine: Engine, admin: EmulatorAdmin
) -> None:
    engine.up("ratings", {"conv_rating_active": True})
    requests_sent(admin)
    for program in (
        {"conv_rating_active": UNKNOWN},
        {"conv_rating_active": True, "conv_rating_question_codes": UNKNOWN},
        {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS", UNKNOWN]},
        {"conv_rating_active": True, "api_token": UNKNOWN},
        {"conv_rating_active": True, "base_url": UNKNOWN},
    ):
        assert engine.plan("ratings", program).action == "update", program
    assert requests_sent(admin) == []


def test_a_new_resource_with_unknown_inputs_previews_as_create(
    engine: Engine, admin: EmulatorAdmin
) -> None:
    plan = engine.plan("ratings", {"conv_rating_active": UNKNOWN, "api_token": UNKNOWN})
    assert plan.action == "create"
    # Check guesses nothing: the popup follows the unknown, the codes take the default.
    assert plan.inputs == {
        "conv_rating_active": UNKNOWN,
        "conv_rating_popup_active": UNKNOWN,
        "conv_rating_question_codes": BOTH,
        "api_token": UNKNOWN,
    }
    assert requests_sent(admin) == []


BAD_INPUTS = [
    ({}, "conv_rating_active"),
    ({"conv_rating_active": "true"}, "conv_rating_active"),
    ({"conv_rating_active": True, "conv_rating_popup_active": False}, "conv_rating_popup_active"),
    ({"conv_rating_active": True, "conv_rating_popup_active": "yes"}, "conv_rating_popup_active"),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["THUMBS"]},
        "conv_rating_question_codes",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["helpful_thumbs"]},
        "conv_rating_question_codes",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS"] * 2},
        "conv_rating_question_codes",
    ),
    ({"conv_rating_active": True, "conv_rating_question_codes": []}, "conv_rating_question_codes"),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": "HELPFUL_THUMBS"},
        "conv_rating_question_codes",
    ),
    ({"conv_rating_active": True, "api_token": "  "}, "api_token"),
    # Pasted from a page that shortened it with an ellipsis: no HTTP header can carry it.
    ({"conv_rating_active": True, "api_token": "eyJhbGciOi\u2026"}, "api_token"),
    ({"conv_rating_active": True, "base_url": "http://quickchat.example.com"}, "base_url"),
    ({"conv_rating_active": True, "base_url": "app.quickchat.ai"}, "base_url"),
]


@pytest.mark.parametrize(("program", "prop"), BAD_INPUTS)
def test_check_rejects_bad_input_naming_the_property_with_nothing_sent(
    engine: Engine, admin: EmulatorAdmin, program: dict[str, object], prop: str
) -> None:
    with pytest.raises(CheckFailed) as failed:
        engine.up("ratings", program)
    assert failed.value.properties == [prop]
    # The engine prints the property's name before the reason; the reason does not repeat it.
    assert not str(failed.value).startswith(f"{prop}: ")
    assert requests_sent(admin) == []


def test_check_names_the_known_codes_without_quoting_the_value(engine: Engine) -> None:
    # The engine does not tell a dynamic provider which values are secret: it quotes
    # none. The program suggests the nearest code at construction (tests/test_mocks.py).
    with pytest.raises(CheckFailed, match="known codes: HELPFUL_THUMBS, EXPERIENCE_THUMBS"):
        engine.plan(
            "ratings", {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMS"]}
        )


def test_check_fails_when_no_token_is_configured_anywhere(
    start_host: type[PluginHost], admin: EmulatorAdmin
) -> None:
    host = start_host()
    host.configure({"quickchat:baseUrl": admin.url})
    with pytest.raises(CheckFailed, match="quickchat:apiToken") as failed:
        Engine(host).plan("ratings", {"conv_rating_active": True})
    assert failed.value.properties == ["api_token"]


def test_token_and_base_url_from_the_environment(
    start_host: type[PluginHost], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    host = start_host({"QUICKCHAT_API_TOKEN": token, "QUICKCHAT_API_BASE_URL": admin.url})
    host.configure({})
    engine = Engine(host)
    engine.up("ratings", {"conv_rating_active": True})
    assert engine.state["ratings"].id == agent["scenario_id"]
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


def test_stack_config_wins_over_the_environment_and_the_input_over_both(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    from_env, from_input = admin.create_agent(), admin.create_agent()
    host = start_host(
        {
            "QUICKCHAT_API_TOKEN": from_env["tokens"]["write_all"],
            "QUICKCHAT_API_BASE_URL": "https://quickchat.invalid",
        }
    )
    host.configure({"quickchat:apiToken": token, "quickchat:baseUrl": admin.url})
    engine = Engine(host)
    engine.up("config", {"conv_rating_active": True})
    engine.up("input", {"conv_rating_active": True, "api_token": from_input["tokens"]["write_all"]})
    assert engine.state["config"].id == agent["scenario_id"]
    assert engine.state["input"].id == from_input["scenario_id"]
    assert engine.state["config"].outputs["base_url"] == admin.url
    assert config_of(admin, from_env["scenario_id"])["conv_rating_active"] is False


def test_a_revoked_token_at_up_says_what_to_do_and_records_nothing(
    engine: Engine, admin: EmulatorAdmin, token: str
) -> None:
    admin.revoke_token(token)
    with pytest.raises(ProviderError) as failed:
        engine.up("ratings", {"conv_rating_active": True})
    details = failed.value.details
    assert "HTTP 401" in details and "PERMISSION_DENIED" in details
    assert "quickchat:apiToken" in details and "QUICKCHAT_API_TOKEN" in details
    assert token not in details
    assert "ratings" not in engine.state
    assert requests_sent(admin) == ["PATCH 401"]  # 4xx is never retried


def test_a_read_only_token_at_up_says_it_lacks_write_all(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    read_only = agent["tokens"]["read_all"]
    with pytest.raises(ProviderError) as failed:
        engine.up("ratings", {"conv_rating_active": True, "api_token": read_only})
    details = failed.value.details
    assert "HTTP 403" in details
    assert "Insufficient token scope. Required: write_all" in details
    assert "write_all scope" in details
    assert read_only not in details
    assert "ratings" not in engine.state
    assert requests_sent(admin) == ["PATCH 403"]  # never retried


def test_a_failed_destroy_keeps_the_resource(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    engine.up("ratings", {"conv_rating_active": True})
    admin.revoke_token(token)
    with pytest.raises(ProviderError, match="HTTP 401"):
        engine.destroy("ratings")
    assert "ratings" in engine.state
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


@pytest.mark.parametrize("step", ["refresh", "destroy"])
def test_a_deleted_agent_is_an_error_that_keeps_the_resource_in_state(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, step: str
) -> None:
    # A 404 could as well come from a wrong address; forgetting the resource
    # on it would lose it silently, so the user decides (pulumi state delete).
    engine.up("ratings", {"conv_rating_active": True})
    admin.delete_agent(agent["scenario_id"])
    with pytest.raises(ProviderError, match="HTTP 404") as failed:
        engine.refresh("ratings") if step == "refresh" else engine.destroy("ratings")
    assert "pulumi state delete" in failed.value.details
    assert "ratings" in engine.state


def test_per_resource_token_is_recorded_only_under_api_token(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    token = admin.issue_token(agent["scenario_id"], "write_all")
    engine.plugin.configure({"quickchat:baseUrl": admin.url})
    program = {"conv_rating_active": True, "api_token": token}
    engine.up("ratings", program)
    engine.up("ratings", program)
    engine.refresh("ratings")
    engine.destroy("ratings")
    assert engine.plugin.responses, "no responses recorded"
    assert_token_only_under_api_token(engine.plugin.responses, token)
    assert token not in engine.plugin.stderr()
    for entry in admin.request_log():
        assert token not in str(entry)


def test_an_opaque_token_rotated_in_stack_config_keeps_the_resource_through_refresh_and_destroy(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # A token that is no JWT names no agent, so its successor is taken to be the same
    # agent's: a rotation, never a replacement that would need the revoked token.
    scenario = agent["scenario_id"]
    first = admin.issue_token(scenario, opaque=True)
    engine = Engine(start_host())
    engine.plugin.configure({"quickchat:apiToken": first, "quickchat:baseUrl": admin.url})
    engine.up("ratings", {"conv_rating_active": True})
    recorded = engine.state["ratings"]
    assert recorded.id == scenario_id_of(first) == recorded.outputs["scenario_id"]

    # The next run has the rotated token; the old one is revoked.
    rotated = admin.issue_token(scenario, opaque=True)
    admin.revoke_token(first)
    engine.plugin = start_host()
    engine.plugin.configure({"quickchat:apiToken": rotated, "quickchat:baseUrl": admin.url})
    requests_sent(admin)
    assert engine.up("ratings", {"conv_rating_active": True}).action == "same"
    engine.refresh("ratings")
    assert engine.state["ratings"].outputs == recorded.outputs
    engine.destroy("ratings")
    assert [(e["method"], e["status"], e["scenario_id"]) for e in admin.request_log()] == [
        ("GET", 200, scenario),
        ("PATCH", 200, scenario),
    ]
    assert config_of(admin, scenario) == DISABLED


def test_an_opaque_token_rotated_per_resource_records_the_new_token_and_keeps_the_id(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    first = admin.issue_token(agent["scenario_id"], opaque=True)
    engine.up("ratings", {"conv_rating_active": True, "api_token": first})
    rotated = admin.issue_token(agent["scenario_id"], opaque=True)
    admin.revoke_token(first)
    requests_sent(admin)
    plan = engine.up("ratings", {"conv_rating_active": True, "api_token": rotated})
    assert plan.action == "update" and plan.replaces == []
    assert requests_sent(admin) == []
    state = engine.state["ratings"]
    assert state.outputs["api_token"] == rotated
    assert state.id == state.outputs["scenario_id"] == scenario_id_of(first)
    engine.destroy("ratings")
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, agent["scenario_id"]) == DISABLED


def test_a_jwt_after_an_opaque_token_is_replaced_resetting_first(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    # A token known by its fingerprint and one naming an agent may be the same
    # agent's: writing the new first and resetting the old after would leave it off.
    opaque = admin.issue_token(agent["scenario_id"], opaque=True)
    engine.up("ratings", {"conv_rating_active": True, "api_token": opaque})
    plan = engine.up("ratings", {"conv_rating_active": True, "api_token": token})
    assert plan.action == "replace" and plan.replaces == ["api_token"]
    assert plan.delete_before_replace
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True
    assert engine.state["ratings"].id == agent["scenario_id"]


def test_an_answer_from_before_an_applied_change_is_checked_and_the_change_recorded(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # The PATCH applied, but its answer shows the old configuration (a stale cache
    # or replica): one GET finds the change held, and the up succeeds.
    admin.add_fault("stale", method="PATCH")
    engine.up("ratings", {"conv_rating_active": True})
    assert requests_sent(admin) == ["PATCH 200", "GET 200"]
    wanted = {**DISABLED, "conv_rating_active": True, "conv_rating_popup_active": True}
    assert config_of(admin, agent["scenario_id"]) == wanted
    assert {f: engine.state["ratings"].outputs[f] for f in wanted} == wanted


def test_a_failure_other_than_401_on_the_first_token_stops_there(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    # Two tokens for the agent: the recorded one, and one in the environment. Only a
    # 401 (that token is dead) moves on to the next; a 404 is the answer for the agent.
    engine = Engine(start_host({"QUICKCHAT_API_TOKEN": admin.issue_token(agent["scenario_id"])}))
    engine.plugin.configure({"quickchat:baseUrl": admin.url})
    engine.up("ratings", {"conv_rating_active": True, "api_token": token})
    requests_sent(admin)
    admin.add_fault("status", status=404, method="PATCH")
    with pytest.raises(ProviderError, match="HTTP 404"):
        engine.destroy("ratings")
    assert requests_sent(admin) == ["PATCH 404"]
    assert "ratings" in engine.state
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


@pytest.mark.parametrize("moved", ["api_token", "base_url"])
def test_an_update_that_would_move_the_resource_is_refused_with_nothing_sent(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str, moved: str
) -> None:
    # Where the token or base URL was unknown at preview, diff could not ask for a
    # replacement, and the engine calls update with the values known at last.
    engine.up("ratings", {"conv_rating_active": True, "api_token": token})
    old = engine.state["ratings"]
    other = admin.create_agent()
    elsewhere = admin.url.replace("127.0.0.1", "localhost")
    news = {
        **old.inputs,
        "conv_rating_question_codes": ["HELPFUL_THUMBS"],
        "api_token": other["tokens"]["write_all"] if moved == "api_token" else token,
        "base_url": elsewhere if moved == "base_url" else admin.url,
    }
    requests_sent(admin)
    with pytest.raises(ProviderError) as refused:
        engine.plugin.update("ratings", old.id, old.outputs, news, old.inputs)
    said = refused.value.details
    assert "Nothing was sent. Run `pulumi up` again to replace the resource" in said
    if moved == "api_token":
        assert f"now belongs to AI Agent {other['scenario_id']!r}" in said
    else:
        # Neither address is quoted: either may have arrived secret.
        assert "The base URL is now another than the one this resource was managed" in said
        assert elsewhere not in said and admin.url not in said
    assert requests_sent(admin) == []
    assert config_of(admin, agent["scenario_id"])["conv_rating_question_codes"] == BOTH


def test_state_without_a_recorded_agent_falls_back_to_the_id(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # Stack config holds another agent's token; the id still names the agent.
    other = admin.create_agent()
    engine.plugin.configure(
        {"quickchat:apiToken": other["tokens"]["write_all"], "quickchat:baseUrl": admin.url}
    )
    outputs = {**DISABLED, "base_url": admin.url}
    with pytest.raises(ProviderError, match="no API token set for this run"):
        engine.plugin.read("ratings", agent["scenario_id"], outputs, {})
    with pytest.raises(ProviderError, match="no API token set for this run"):
        engine.plugin.delete("ratings", agent["scenario_id"], outputs, {})
    assert requests_sent(admin) == []


def test_a_refused_recorded_token_gives_way_to_the_next_one_for_the_same_agent(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    host = start_host()
    host.configure({"quickchat:baseUrl": admin.url})
    engine = Engine(host)
    engine.up("ratings", {"conv_rating_active": True, "api_token": token})
    # The recorded token was revoked outside Pulumi; a new one rides in the environment.
    admin.revoke_token(token)
    fresh = admin.issue_token(agent["scenario_id"], "write_all")
    engine.plugin = start_host({"QUICKCHAT_API_TOKEN": fresh})
    engine.plugin.configure({"quickchat:baseUrl": admin.url})
    requests_sent(admin)
    engine.destroy("ratings")
    assert requests_sent(admin) == ["PATCH 401", "PATCH 200"]
    assert config_of(admin, agent["scenario_id"]) == DISABLED


def test_a_fleet_through_one_plugin_host_shares_a_few_connections_and_mixes_no_tokens(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin
) -> None:
    # Against the real service each new connection costs a TLS handshake:
    # a fleet's agents share the plugin host's pool instead of one each.
    agents = [admin.create_agent() for _ in range(24)]
    host = start_host()
    host.configure({"quickchat:baseUrl": admin.url})
    # Each agent its own questions, so a token sent for the wrong agent would show.
    codes = [["HELPFUL_THUMBS"], ["EXPERIENCE_THUMBS"], ["EXPERIENCE_THUMBS", "HELPFUL_THUMBS"]]

    def walk(index: int) -> Engine:
        engine = Engine(host)
        program = {
            "conv_rating_active": True,
            "conv_rating_question_codes": codes[index % 3],
            "api_token": agents[index]["tokens"]["write_all"],
        }
        engine.up("ratings", program)
        engine.refresh("ratings")
        return engine

    with ThreadPoolExecutor(max_workers=10) as pool:
        engines = list(pool.map(walk, range(len(agents))))

    log = admin.request_log()
    # Each agent's token reached Quickchat exactly once per step: the emulator
    # names the agent from the token it received.
    assert Counter((entry["method"], entry["scenario_id"]) for entry in log) == {
        (method, agent["scenario_id"]): 1 for agent in agents for method in ("PATCH", "GET")
    }
    # The plugin host serves at most 4 calls at once, so it needs at most 4 connections.
    assert len({entry["connection"] for entry in log}) <= 4
    for index, (agent, engine) in enumerate(zip(agents, engines, strict=True)):
        assert (
            config_of(admin, agent["scenario_id"])["conv_rating_question_codes"] == codes[index % 3]
        )
        assert engine.state["ratings"].outputs["conv_rating_question_codes"] == codes[index % 3]
