"""The native provider plugin, started as the CLI starts it and driven as the engine drives it.

`pulumi-resource-quickchat` (the executable the wheel installs) runs in its
own process; `support.engine` steps it as the engine does, including the
previews that call Create and Update with `preview` set, and counts what
reaches the emulator. The same rules and the same request counts as the
dynamic resource (tests/test_lifecycle.py), from the same core.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import jsonschema
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from pulumi_quickchat import __version__
from pulumi_quickchat._declaration import CONFIGURATION, OUTPUTS
from pulumi_quickchat._plugin.schema import SCHEMA
from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess

from support.checks import config_of, requests_sent
from support.engine import CheckFailed, Engine, Options
from support.plugins import NativePlugin, ProviderError
from support.sdk import UNKNOWN, is_secret, secret, unwrap_secret

# pkg/codegen/schema/pulumi.json at pulumi/pulumi 1b5949891b3c (3.260.0-dev).
METASCHEMA = Path(__file__).parent / "support" / "pulumi-package-metaschema.json"
BOTH = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
ON = {
    "convRatingActive": True,
    "convRatingPopupActive": True,
    "convRatingQuestionCodes": BOTH,
}
OFF = {**ON, "convRatingActive": False, "convRatingPopupActive": False}
DISABLED = {
    "conv_rating_active": False,
    "conv_rating_popup_active": False,
    "conv_rating_question_codes": BOTH,
}
UPDATE, UPDATE_REPLACE = proto.PropertyDiff.UPDATE, proto.PropertyDiff.UPDATE_REPLACE


def metaschema_validator() -> jsonschema.protocols.Validator:
    # The metaschema's patterns name groups as Go does, `(?<name>`; Python says `(?P<name>`.
    metaschema = json.loads(re.sub(r"\(\?<(?=\w)", "(?P<", METASCHEMA.read_text()))
    validator_class = jsonschema.validators.validator_for(metaschema)
    return validator_class(metaschema)  # type: ignore[no-any-return]


# --- the plugin and its schema ------------------------------------------------------------


def test_the_plugin_starts_as_the_cli_starts_it_and_reports_the_package_version(
    start_native: Callable[..., NativePlugin],
) -> None:
    plugin = start_native()
    assert plugin.plugin_version() == __version__
    # With the flags the engine may put before its address; `--tracing`
    # takes a value, which must not be taken for the address.
    flags = ["--logtostderr", "-v=9", "--tracing", "127.0.0.1:9"]
    with NativePlugin(flags=flags) as flagged:
        assert flagged.plugin_version() == __version__


def test_the_schema_is_valid_against_pulumis_package_metaschema(native: NativePlugin) -> None:
    served = json.loads(native.schema())
    assert served == SCHEMA
    validator = metaschema_validator()
    assert list(validator.iter_errors(served)) == []
    # The validation can fail: a mistyped property is caught.
    broken = json.loads(native.schema())
    resource = broken["resources"]["quickchat:index:ConversationRatingConfig"]
    resource["inputProperties"]["convRatingActive"]["type"] = "bool"
    assert list(validator.iter_errors(broken)) != []


# The names every program in another language writes: a rename breaks them all.
WIRE_NAMES = {
    "convRatingActive",
    "convRatingPopupActive",
    "convRatingQuestionCodes",
    "apiToken",
    "baseUrl",
    "scenarioId",
}


def test_the_schema_names_every_field_as_programs_write_it_and_marks_the_token_secret() -> None:
    resource = SCHEMA["resources"]["quickchat:index:ConversationRatingConfig"]
    inputs, outputs = resource["inputProperties"], resource["properties"]
    assert set(outputs) == WIRE_NAMES
    assert set(inputs) == WIRE_NAMES - {"scenarioId"}
    assert resource["requiredInputs"] == ["convRatingActive"]
    assert inputs["apiToken"]["secret"] and outputs["apiToken"]["secret"]
    assert SCHEMA["provider"]["inputProperties"]["apiToken"]["secret"]
    assert SCHEMA["config"]["variables"]["apiToken"]["secret"]
    function = SCHEMA["functions"]["quickchat:index:getConversationRatingConfig"]
    assert set(function["outputs"]["properties"]) == WIRE_NAMES - {"apiToken"}


# --- the lifecycle table ------------------------------------------------------------------


def test_full_lifecycle_with_previews_that_send_nothing(
    native_engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    scenario = agent["scenario_id"]
    program = {"convRatingActive": True}

    # 1. preview: Check, and Create with preview set; nothing is sent, and
    # the agent is already named (read from the token).
    plan = native_engine.plan("ratings", program)
    assert plan.action == "create"
    assert plan.inputs == ON
    assert plan.outputs == {**ON, "scenarioId": scenario, "baseUrl": admin.url}
    assert requests_sent(admin) == []

    # 2. up creates: one PATCH.
    native_engine.up("ratings", program)
    assert requests_sent(admin) == ["PATCH 200"]
    state = native_engine.state["ratings"]
    assert state.id == scenario
    assert state.outputs == {**ON, "scenarioId": scenario, "baseUrl": admin.url}

    # 3. nothing changed: nothing sent.
    assert native_engine.up("ratings", program).action == "same"
    assert requests_sent(admin) == []

    # 4. a preview of a change names the field (a detailed diff) and sends nothing ...
    program = {"convRatingActive": True, "convRatingQuestionCodes": ["EXPERIENCE_THUMBS"]}
    plan = native_engine.plan("ratings", program)
    assert (plan.action, plan.detailed_diff) == ("update", {"convRatingQuestionCodes": UPDATE})
    assert plan.outputs["convRatingQuestionCodes"] == ["EXPERIENCE_THUMBS"]
    assert requests_sent(admin) == []
    # ... and up sends one PATCH.
    assert native_engine.up("ratings", program).action == "update"
    assert requests_sent(admin) == ["PATCH 200"]

    # 5. a Dashboard edit: refresh (one GET) records it and shows it as drift ...
    admin.edit_configuration(
        scenario, {"conv_rating_active": False, "conv_rating_popup_active": False}
    )
    native_engine.refresh("ratings")
    assert requests_sent(admin) == ["GET 200"]
    assert native_engine.drift["ratings"]
    assert native_engine.state["ratings"].outputs["convRatingActive"] is False
    # ... the next preview names both fields, and up puts them back with one PATCH.
    assert native_engine.plan("ratings", program).detailed_diff == {
        "convRatingActive": UPDATE,
        "convRatingPopupActive": UPDATE,
    }
    native_engine.up("ratings", program)
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, scenario)["conv_rating_active"] is True

    # 6. destroy: one PATCH to disabled defaults.
    native_engine.destroy("ratings")
    assert requests_sent(admin) == ["PATCH 200"]
    assert config_of(admin, scenario) == DISABLED
    assert native_engine.state == {}


def test_a_token_of_the_same_agent_is_no_replacement_and_sends_nothing(
    native_engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    native_engine.up("ratings", {"convRatingActive": True, "apiToken": secret(token)})
    requests_sent(admin)
    rotated = admin.issue_token(agent["scenario_id"])
    program = {"convRatingActive": True, "apiToken": secret(rotated)}
    plan = native_engine.plan("ratings", program)
    assert (plan.action, plan.detailed_diff) == ("update", {"apiToken": UPDATE})
    native_engine.up("ratings", program)
    assert requests_sent(admin) == []
    assert native_engine.state["ratings"].outputs["apiToken"] == rotated
    assert "apiToken" in native_engine.state["ratings"].secret_outputs


def test_a_token_of_another_agent_replaces_writing_the_new_first(
    native_engine: Engine, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    native_engine.up("ratings", {"convRatingActive": True, "apiToken": secret(token)})
    other = admin.create_agent()
    requests_sent(admin)
    program = {"convRatingActive": True, "apiToken": secret(other["tokens"]["write_all"])}
    plan = native_engine.plan("ratings", program)
    assert plan.action == "replace"
    assert plan.detailed_diff == {"apiToken": UPDATE_REPLACE}
    assert not plan.delete_before_replace
    native_engine.up("ratings", program)
    log = admin.request_log()
    assert [(e["method"], e["scenario_id"]) for e in log] == [
        ("PATCH", other["scenario_id"]),
        ("PATCH", agent["scenario_id"]),
    ]
    assert config_of(admin, agent["scenario_id"]) == DISABLED
    assert native_engine.state["ratings"].id == other["scenario_id"]


def test_check_fails_per_field_in_the_schemas_names_before_any_request(
    native_engine: Engine, admin: EmulatorAdmin
) -> None:
    with pytest.raises(CheckFailed) as failed:
        native_engine.plan(
            "ratings",
            {
                "convRatingActive": "yes",
                "convRatingQuestionCodes": ["helpful_thumbs"],
                "baseUrl": "http://quickchat.example",
            },
        )
    assert failed.value.properties == ["convRatingActive", "convRatingQuestionCodes", "baseUrl"]
    reasons = [reason for _, reason in failed.value.failures]
    assert reasons[0] == "must be true or false, got the string 'yes'"
    assert "use 'HELPFUL_THUMBS'" in reasons[1]
    assert reasons[2].startswith("'http://quickchat.example' from the resource's baseUrl")
    with pytest.raises(CheckFailed, match="must equal convRatingActive"):
        native_engine.plan("ratings", {"convRatingActive": True, "convRatingPopupActive": False})
    assert requests_sent(admin) == []


def test_unknown_inputs_pass_check_and_preview_as_unknown(
    native_engine: Engine, admin: EmulatorAdmin
) -> None:
    plan = native_engine.plan("ratings", {"convRatingActive": UNKNOWN, "apiToken": UNKNOWN})
    assert plan.action == "create"
    assert plan.outputs["convRatingActive"] == UNKNOWN
    assert plan.outputs["scenarioId"] == UNKNOWN  # which agent is known at up
    assert requests_sent(admin) == []


# --- import -------------------------------------------------------------------------------


def test_import_reads_the_agent_with_one_get_and_the_next_up_sends_nothing(
    native_engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    scenario = agent["scenario_id"]
    admin.edit_configuration(
        scenario,
        {
            "conv_rating_active": True,
            "conv_rating_popup_active": True,
            "conv_rating_question_codes": ["EXPERIENCE_THUMBS"],
        },
    )
    requests_sent(admin)
    imported = native_engine.import_("ratings", scenario)
    assert requests_sent(admin) == ["GET 200"]
    assert imported.id == scenario
    assert imported.inputs == {**ON, "convRatingQuestionCodes": ["EXPERIENCE_THUMBS"]}
    assert imported.outputs["scenarioId"] == scenario
    # The program `pulumi import` writes out is the agent as it is: no change.
    program = {"convRatingActive": True, "convRatingQuestionCodes": ["EXPERIENCE_THUMBS"]}
    assert native_engine.up("ratings", program).action == "same"
    assert requests_sent(admin) == []


def test_import_of_an_id_the_token_does_not_belong_to_is_refused_with_nothing_sent(
    native_engine: Engine, admin: EmulatorAdmin
) -> None:
    other = admin.create_agent()
    requests_sent(admin)
    with pytest.raises(ProviderError, match=f"Cannot import AI Agent '{other['scenario_id']}'"):
        native_engine.import_("ratings", other["scenario_id"])
    assert requests_sent(admin) == []
    assert native_engine.state == {}


# --- the function ---------------------------------------------------------------------------


def test_the_function_reads_an_agent_with_one_get_and_a_read_only_token(
    native: NativePlugin, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    requests_sent(admin)
    result = native.invoke({"apiToken": secret(agent["tokens"]["read_all"])})
    assert result == {
        **OFF,
        "scenarioId": agent["scenario_id"],
        "baseUrl": admin.url,
    }
    assert requests_sent(admin) == ["GET 200"]


def test_the_function_without_a_token_names_its_own_argument(
    start_native: Callable[..., NativePlugin], admin: EmulatorAdmin
) -> None:
    plugin = start_native()
    plugin.configure({"baseUrl": admin.url})
    with pytest.raises(ProviderError, match="the function's `apiToken` argument") as failed:
        plugin.invoke({})
    assert "Unexpected" not in failed.value.details and "Traceback" not in failed.value.details


# --- explicit providers, secrets, faults ------------------------------------------------------


def test_provider_config_is_checked_naming_the_key(
    start_native: Callable[..., NativePlugin],
) -> None:
    plugin = start_native()
    _, failures = plugin.check_config({}, {"baseUrl": "https://quickchat.example/v1/api"})
    assert [prop for prop, _ in failures] == ["baseUrl"]
    assert "without the path '/v1/api': use https://quickchat.example" in failures[0][1]
    _, failures = plugin.check_config({}, {"apiToken": secret("two words")})
    assert failures == [
        (
            "apiToken",
            "the token contains whitespace (a stray space or newline from copy and paste?)",
        )
    ]


def test_the_token_leaves_the_plugin_only_as_a_secret(
    native_engine: Engine, admin: EmulatorAdmin, token: str
) -> None:
    native_engine.up("ratings", {"convRatingActive": True, "apiToken": secret(token)})
    state = native_engine.state["ratings"]
    assert state.secret_outputs == {"apiToken"}
    assert is_secret(state.inputs["apiToken"])
    # Refresh records what Read returns, which the engine marks again only for
    # providers that do not accept secrets: this one must keep them marked.
    refreshed = native_engine.refresh("ratings")
    assert refreshed is not None
    assert refreshed.secret_outputs == {"apiToken"}
    assert is_secret(refreshed.inputs["apiToken"])
    # Marked secret by the plugin itself: the engine does not re-mark for a
    # provider that accepts secrets.
    _, outputs = native_engine.plugin.create(
        "again", {**ON, "apiToken": secret(token)}, preview=True
    )
    assert is_secret(outputs["apiToken"]) and unwrap_secret(outputs["apiToken"]) == token
    inputs, _ = native_engine.plugin.check(
        "again", {}, {"convRatingActive": True, "apiToken": secret(token)}
    )
    assert is_secret(inputs["apiToken"])


def test_a_persistent_failure_reaches_the_engine_as_quickchats_own_sentence(
    native_engine: Engine, admin: EmulatorAdmin
) -> None:
    admin.add_fault("status", status=503, times=100)
    with pytest.raises(ProviderError) as failed:
        native_engine.up("ratings", {"convRatingActive": True})
    details = failed.value.details
    assert details.startswith(
        "PATCH /v1/api/conversation_ratings/configuration failed: HTTP 503 (SERVICE_UNAVAILABLE"
    )
    assert "after 5 attempts" in details and "try again later" in details
    assert "Traceback" not in details and "Unexpected" not in details
    assert native_engine.state == {}
    assert "retry 4 of 4" in native_engine.plugin.stderr()


def test_a_revoked_token_says_where_a_token_is_set_and_keeps_the_resource(
    native_engine: Engine, admin: EmulatorAdmin, token: str
) -> None:
    native_engine.up("ratings", {"convRatingActive": True})
    admin.revoke_token(token)
    with pytest.raises(ProviderError) as failed:
        native_engine.destroy("ratings")
    assert "HTTP 401" in failed.value.details
    assert "the resource's own token argument, the stack config `quickchat:apiToken`" in (
        failed.value.details
    )
    assert "ratings" in native_engine.state  # kept, so destroy can run again


def test_no_message_of_the_native_provider_names_a_field_as_python_does(
    start_native: Callable[..., NativePlugin], admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    # Every way a native step can refuse, and every way a call to Quickchat can fail:
    # each message names fields as the schema does, never in Python's snake_case.
    python_names = [f.name for f in (*OUTPUTS, *CONFIGURATION) if f.name != f.schema_name]
    other = admin.create_agent()["tokens"]["write_all"]
    messages: list[str] = []

    def refused(call: Callable[[], object]) -> None:
        with pytest.raises(ProviderError) as failed:
            call()
        messages.append(failed.value.details)

    plugin = start_native(env={"QUICKCHAT_API_BASE_URL": "https://u:p@quickchat.example"})
    plugin.configure({"apiToken": secret(token + "\n")})
    bad = {"convRatingActive": True, "convRatingPopupActive": False, "convRatingQuestionCodes": []}
    messages += [reason for _, reason in plugin.check("r", {}, bad)[1]]
    messages += [reason for _, reason in plugin.check("r", {}, {"convRatingActive": True})[1]]
    messages += [r for _, r in plugin.check_config({}, {"baseUrl": "https://u:p@x.example"})[1]]
    recorded = {"convRatingActive": True, "scenarioId": agent["scenario_id"]}
    refused(lambda: plugin.read("r", agent["scenario_id"], recorded, {}))  # a bad token
    refused(lambda: plugin.invoke({"apiToken": secret(" x")}))
    refused(lambda: plugin.read("r", "another-agent", {}, {}))  # an import, no token for it

    plugin = start_native()
    plugin.configure({"apiToken": secret(token), "baseUrl": admin.url})
    refused(lambda: plugin.delete("r", "another-agent", {**ON, "scenarioId": "another-agent"}, {}))
    admin.add_fault("contradict", method="PATCH")
    codes = {"convRatingQuestionCodes": ["HELPFUL_THUMBS"]}  # not what the agent holds
    refused(lambda: plugin.create("r", {**ON, **codes, "apiToken": secret(token)}))
    admin.clear_faults()
    olds = {**ON, "scenarioId": "another-agent", "baseUrl": admin.url}
    news = {**ON, "apiToken": secret(other)}
    refused(lambda: plugin.update("r", "another-agent", olds, news, {}))
    admin.revoke_token(token)
    refused(lambda: plugin.create("r", {**ON, "apiToken": secret(token)}))

    assert len(messages) >= 10
    for message in messages:
        assert not [name for name in python_names if name in message], message


# --- concurrency --------------------------------------------------------------------------


def test_many_agents_are_applied_at_once_each_request_on_a_connection_of_its_own(
    start_native: Callable[..., NativePlugin], admin: EmulatorAdmin, emulator: EmulatorProcess
) -> None:
    # Quickchat holds every request until all 24 have arrived. Calls served one at
    # a time, or by a handful of threads, would never get there (and each would
    # reuse a kept-alive connection); all at once, each needs a connection of its own.
    plugin = start_native()
    plugin.configure({"baseUrl": emulator.url})
    agents = [admin.create_agent() for _ in range(24)]
    admin.set_barrier(len(agents))
    errors: list[BaseException] = []

    def create(agent: AgentJson) -> None:
        try:
            plugin.create("r", {**ON, "apiToken": secret(agent["tokens"]["write_all"])})
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=create, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admin.set_barrier(0)
    assert errors == []
    log = admin.request_log()
    assert len(log) == len(agents)
    assert len({entry["connection"] for entry in log}) == len(agents)


def test_preview_calls_create_and_update_with_preview_set_and_they_send_nothing(
    native: NativePlugin, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    assert native.supports_preview and native.accept_secrets
    id_, outputs = native.create("r", ON, preview=True)
    assert id_ == ""
    outputs = native.update(
        "r",
        agent["scenario_id"],
        {**OFF, "scenarioId": agent["scenario_id"]},
        ON,
        OFF,
        preview=True,
    )
    assert outputs["convRatingActive"] is True
    assert requests_sent(admin) == []


def test_options_the_engine_applies_work_on_native_resources(
    native_engine: Engine, admin: EmulatorAdmin
) -> None:
    # replaceOnChanges matches the keys of the provider's detailed diff
    # (step_generator.go `applyReplaceOnChanges`), which a native provider sends.
    options = Options(replace_on_changes=("convRatingQuestionCodes",))
    native_engine.up("ratings", {"convRatingActive": True}, options)
    program = {"convRatingActive": True, "convRatingQuestionCodes": ["HELPFUL_THUMBS"]}
    assert native_engine.plan("ratings", program, options).action == "replace"


class EngineLogs(engine_pb2_grpc.EngineServicer):
    """The engine's Log service, keeping what plugins send it."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str]] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.lines.append((request.severity, request.message))
        return empty_pb2.Empty()


def test_each_retry_reaches_the_engines_log_which_the_cli_shows(
    admin: EmulatorAdmin, token: str
) -> None:
    # The engine keeps a native plugin's stderr at debug level; its Log
    # service is what `pulumi up` shows as the run goes.
    logs = EngineLogs()
    engine_service = grpc.server(ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(logs, engine_service)
    port = engine_service.add_insecure_port("127.0.0.1:0")
    engine_service.start()
    try:
        with NativePlugin(
            engine=f"127.0.0.1:{port}", env={"QUICKCHAT_RETRY_BACKOFF": "0.01"}
        ) as plugin:
            plugin.configure({"apiToken": secret(token), "baseUrl": admin.url})
            admin.add_fault("status", status=503, times=2)
            Engine(plugin).up("ratings", {"convRatingActive": True})
            # A failure that is not Quickchat's: one sentence for the user, the
            # traceback in the plugin's own log alone.
            with pytest.raises(ProviderError, match="pulumi-resource-quickchat failed"):
                plugin.invoke({}, token="quickchat:index:getSomethingElse")
            stderr = plugin.stderr()
            # The plugin sends its log lines without waiting for them to land.
            deadline = time.monotonic() + 10
            while len(logs.lines) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        engine_service.stop(grace=None)
    url = f"{admin.url}/v1/api/conversation_ratings/configuration"
    assert [severity for severity, _ in logs.lines] == [engine_pb2.WARNING] * 2
    # Each line is sent without waiting for the last, so two sent within milliseconds
    # (the test's backoff) may land in either order.
    first, second = sorted(message for _, message in logs.lines)
    assert first.startswith(f"PATCH {url}: HTTP 503; retry 1 of 4 in ")
    assert second.startswith(f"PATCH {url}: HTTP 503; retry 2 of 4 in ")
    assert "retry 2 of 4" in stderr  # and in the plugin's own log
    assert "Traceback" in stderr
    assert token not in json.dumps(logs.lines)


def test_pulumi_import_prints_a_python_program_importing_the_native_sdk() -> None:
    # pkg/codegen/python/gen_program.go imports a package by its schema's
    # language.python.packageName; without it, `pulumi_quickchat`, the dynamic resource.
    import importlib

    from pulumi_quickchat._plugin.schema import SCHEMA

    package = SCHEMA["language"]["python"]["packageName"]
    assert package == "pulumi_quickchat_native"
    native_sdk = importlib.import_module(package)
    assert native_sdk.ConversationRatingConfig.__module__.startswith("pulumi_quickchat_native.")


@pytest.mark.parametrize(
    ("rpc", "request_type", "says"),
    [
        ("Parameterize", "ParameterizeRequest", "takes no parameters"),
        ("Construct", "ConstructRequest", "has no component resources"),
        ("Call", "CallRequest", "has no resource methods to call"),
    ],
)
def test_what_the_plugin_does_not_serve_is_one_sentence_and_unimplemented(
    start_native: Callable[..., NativePlugin], rpc: str, request_type: str, says: str
) -> None:
    plugin = start_native()
    with pytest.raises(grpc.RpcError) as refused:
        getattr(plugin.stub, rpc)(getattr(proto, request_type)())
    assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert says in refused.value.details()
    assert "Traceback" not in refused.value.details()


@pytest.mark.parametrize("flag", ["--help", "-h", "--version"])
def test_the_plugin_says_what_it_is_and_its_version_and_where_its_documentation_is(
    flag: str,
) -> None:
    plugin = Path(sys.executable).parent / "pulumi-resource-quickchat"
    ran = subprocess.run([str(plugin), flag], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    if flag == "--version":
        assert ran.stdout == f"{__version__}\n"
    else:
        assert ran.stdout.startswith(f"pulumi-resource-quickchat {__version__}: the Pulumi")
        assert "https://pypi.org/project/pulumi-quickchat/" in ran.stdout
        assert "docs/native.md" not in ran.stdout


def test_a_bad_tuning_variable_is_refused_at_configure_before_any_step(
    start_native: Callable[..., NativePlugin], admin: EmulatorAdmin, token: str
) -> None:
    # Resolved with the provider's settings, so `pulumi preview` already says so.
    plugin = start_native(env={"QUICKCHAT_MAX_RETRIES": "many"})
    with pytest.raises(ProviderError) as refused:
        plugin.configure({"apiToken": secret(token), "baseUrl": admin.url})
    assert refused.value.details == (
        "Environment variable QUICKCHAT_MAX_RETRIES must be a whole number >= 0, got 'many'."
    )
    assert requests_sent(admin) == []
