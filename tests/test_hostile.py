"""Hostile conditions, tried on purpose through the plugin host the Pulumi CLI uses.

Faults come from the emulator's fault injection (or, for a refused
connection, from an emulator that is gone). Each test says what must hold:
transient faults are retried and the step succeeds; persistent ones end in
one clear error, and state never claims what Quickchat does not have.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess

from support.checks import config_of, requests_sent, wait_for_logged_fault
from support.engine import CheckFailed, Engine
from support.mocks import mocked_program
from support.plugins import PluginHost, ProviderError
from support.relay import Relay

ON = {"conv_rating_active": True}
ONE_QUESTION = {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS"]}

# Each transient fault, as the emulator injects it. `times` is how often it hits.
TRANSIENT: dict[str, dict[str, Any]] = {
    "429": {"kind": "status", "status": 429, "times": 2},
    "429 with Retry-After": {"kind": "status", "status": 429, "retry_after": 1},
    "500": {"kind": "status", "status": 500, "times": 2},
    "502": {"kind": "status", "status": 502, "times": 2},
    "503": {"kind": "status", "status": 503, "times": 2},
    "504": {"kind": "status", "status": 504, "times": 2},
    # Far beyond the hosts' 2 s read timeout; the emulator lets go once the client hangs up.
    "read timeout": {"kind": "delay", "delay": 60},
    "connection cut mid-response": {"kind": "cut"},
    "stalled mid-response": {"kind": "stall", "delay": 60},
    "connection dropped": {"kind": "drop"},
    "malformed body": {"kind": "malformed"},
    "partial body": {"kind": "partial"},
    "a gateway's HTML page": {"kind": "gateway_html", "times": 2},
    "a JSON list": {"kind": "list_body"},
}
STEPS = ["create", "update", "refresh", "destroy"]
METHOD = {"create": "PATCH", "update": "PATCH", "refresh": "GET", "destroy": "PATCH"}


def prepare(engine: Engine, step: str) -> None:
    """Bring the stack to where `step` is the next thing to do."""
    if step != "create":
        engine.up("ratings", ON)


def run(engine: Engine, step: str) -> None:
    if step in ("create", "update"):
        engine.up("ratings", ONE_QUESTION)
    elif step == "refresh":
        engine.refresh("ratings")
    else:
        engine.destroy("ratings")


def expected_after(step: str) -> dict[str, Any]:
    if step == "destroy":
        return {"conv_rating_active": False, "conv_rating_question_codes": None}
    if step == "refresh":
        return {"conv_rating_active": True, "conv_rating_question_codes": None}
    return {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS"]}


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("fault", list(TRANSIENT))
def test_transient_faults_are_retried_and_the_step_succeeds(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, step: str, fault: str
) -> None:
    prepare(engine, step)
    requests_sent(admin)
    admin.add_fault(method=METHOD[step], **TRANSIENT[fault])

    run(engine, step)

    times = TRANSIENT[fault].get("times", 1)
    # A held-up request is logged when the emulator lets it go, maybe after the retry.
    log = wait_for_logged_fault(admin, TRANSIENT[fault]["kind"], times)
    held = config_of(admin, agent["scenario_id"])
    for field, value in expected_after(step).items():
        if value is not None:
            assert held[field] == value
    # The fault as often as it was asked for, then the retry that worked.
    assert sum(e["fault"] is not None for e in log) == times
    assert [e["status"] for e in log if e["fault"] is None] == [200], log
    if step == "destroy":
        assert "ratings" not in engine.state
    else:
        recorded = engine.state["ratings"].outputs
        assert {f: recorded[f] for f in held} == held  # state matches Quickchat


PERSISTENT: dict[str, dict[str, Any]] = {
    "429": {"kind": "status", "status": 429},
    "500": {"kind": "status", "status": 500},
    "502": {"kind": "status", "status": 502},
    "503": {"kind": "status", "status": 503},
    "504": {"kind": "status", "status": 504},
    "connection cut mid-response": {"kind": "cut"},
    "stalled mid-response": {"kind": "stall", "delay": 60},
    "read timeout": {"kind": "delay", "delay": 60},
    "connection dropped": {"kind": "drop"},
    "malformed body": {"kind": "malformed"},
}
SAYS = {
    "429": "HTTP 429 (TOO_MANY_REQUESTS",
    "500": "HTTP 500 (UNKNOWN",
    "502": "HTTP 502",
    "503": "HTTP 503 (SERVICE_UNAVAILABLE",
    "504": "HTTP 504",
    "connection cut mid-response": "the connection was cut mid-response",
    "stalled mid-response": "no response within 2s",
    "read timeout": "no response within 2s",
    "connection dropped": "could not reach the server",
    "malformed body": "unexpected response body (not JSON)",
}


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("fault", list(PERSISTENT))
def test_persistent_faults_end_in_one_clear_error_and_state_stays_true(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson, step: str, fault: str
) -> None:
    prepare(engine, step)
    before = {name: state.outputs for name, state in engine.state.items()}
    held_before = config_of(admin, agent["scenario_id"])
    requests_sent(admin)
    admin.add_fault(method=METHOD[step], times=1000, **PERSISTENT[fault])

    with pytest.raises(ProviderError) as failed:
        run(engine, step)

    details = failed.value.details
    assert f"{METHOD[step]} /v1/api/conversation_ratings/configuration failed" in details
    assert SAYS[fault] in details
    # Bounded: one try and four retries, then it stops, and says so.
    wait_for_logged_fault(admin, PERSISTENT[fault]["kind"], 5)
    assert len(requests_sent(admin)) == 5
    assert "after 5 attempts" in details
    # Each retry was logged where the engine shows a plugin's stderr.
    log = engine.plugin.stderr()
    for retry in range(1, 5):
        assert f"{METHOD[step]} {admin.url}/v1/api/conversation_ratings/configuration: " in log
        assert f"; retry {retry} of 4 in " in log
    # State claims nothing new: a failed create records nothing, a failed
    # update or refresh keeps the old outputs, a failed destroy keeps the resource.
    assert {name: state.outputs for name, state in engine.state.items()} == before
    if PERSISTENT[fault]["kind"] == "status":
        assert config_of(admin, agent["scenario_id"]) == held_before


@pytest.mark.parametrize("step", STEPS)
def test_a_refused_connection_ends_in_one_clear_error_and_state_stays_true(
    start_host: Callable[..., PluginHost], emulator: EmulatorProcess, token: str, step: str
) -> None:
    # Quickchat's address is a port the test holds, passed on to the emulator until
    # Quickchat "goes away": from then on every connection to it is refused.
    with Relay(int(emulator.url.rsplit(":", 1)[1])) as quickchat:
        host = start_host()
        host.configure({"quickchat:apiToken": token, "quickchat:baseUrl": quickchat.url})
        engine = Engine(host)
        prepare(engine, step)
        quickchat.refuse()
        before = {name: state.outputs for name, state in engine.state.items()}
        with pytest.raises(ProviderError, match="connection refused, after 5 attempts"):
            run(engine, step)
    assert {name: state.outputs for name, state in engine.state.items()} == before


def test_an_answer_that_contradicts_the_change_fails_and_records_nothing(
    engine: Engine, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    admin.add_fault("contradict", method="PATCH")
    with pytest.raises(ProviderError, match="Quickchat then reported different values"):
        engine.up("ratings", ONE_QUESTION)
    assert "ratings" not in engine.state
    # The change did not stick; the verifying GET saw that.
    assert requests_sent(admin) == ["PATCH 200", "GET 200"]
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is False
    # Run again, and it goes through.
    engine.up("ratings", ONE_QUESTION)
    assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True


def test_a_contradicting_update_keeps_the_old_outputs(engine: Engine, admin: EmulatorAdmin) -> None:
    engine.up("ratings", ON)
    before = engine.state["ratings"].outputs
    admin.add_fault("contradict", method="PATCH")
    with pytest.raises(ProviderError, match="conv_rating_question_codes"):
        engine.up("ratings", ONE_QUESTION)
    assert engine.state["ratings"].outputs == before


# Every documented status, with what the user must read and whether it is retried.
STATUSES = {
    400: ("BAD_REQUEST", "malformed", 1),
    401: ("PERMISSION_DENIED", "invalid, expired or revoked", 1),
    402: ("PAYMENT_REQUIRED", "billing", 1),
    403: ("PERMISSION_DENIED", "write_all scope", 1),
    404: ("NOT_FOUND", "base URL", 1),
    409: ("CONFLICT", "run the command again", 1),
    422: ("VALIDATION_ERROR", "fix the field it names", 1),
    429: ("TOO_MANY_REQUESTS", "rate limit", 5),
    500: ("UNKNOWN", "failed internally", 5),
    503: ("SERVICE_UNAVAILABLE", "unavailable", 5),
}


@pytest.mark.parametrize("status", list(STATUSES))
def test_every_documented_status_has_its_own_message_and_only_transient_ones_are_retried(
    engine: Engine, admin: EmulatorAdmin, status: int
) -> None:
    code, advice, attempts = STATUSES[status]
    admin.add_fault("status", status=status, times=1000, message=f"quickchat says {status}")
    with pytest.raises(ProviderError) as failed:
        engine.up("ratings", ON)
    details = failed.value.details
    assert f"HTTP {status} ({code}: quickchat says {status})" in details
    assert advice in details
    assert requests_sent(admin) == [f"PATCH {status}"] * attempts
    assert "ratings" not in engine.state


def test_the_messages_for_each_status_are_distinct() -> None:
    from pulumi_quickchat.errors import HINTS

    assert len(set(HINTS.values())) == len(HINTS)
    assert set(STATUSES) <= set(HINTS)


# The dynamic provider is never told which values are secret (the engine strips the
# marks before calling it), so its check names the field and the rule and quotes no
# value; the program quotes plain values at construction (tests/test_mocks.py).
BAD_INPUTS: list[tuple[dict[str, Any], str, str]] = [
    ({"conv_rating_active": "true"}, "conv_rating_active", "got a string"),
    ({"conv_rating_active": 1}, "conv_rating_active", "got a number"),
    ({"conv_rating_active": ["yes"]}, "conv_rating_active", "got a list"),
    (
        {"conv_rating_active": True, "conv_rating_popup_active": "false"},
        "conv_rating_popup_active",
        "must be true or false",
    ),
    (
        {"conv_rating_active": False, "conv_rating_popup_active": True},
        "conv_rating_popup_active",
        "set it to the same value or leave it out",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": "HELPFUL_THUMBS"},
        "conv_rating_question_codes",
        "must be a list",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": {"a": 1}},
        "conv_rating_question_codes",
        "got an object",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS", None]},
        "conv_rating_question_codes",
        "got null",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": [7]},
        "conv_rating_question_codes",
        "got a number",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["STARS"]},
        "conv_rating_question_codes",
        "known codes: HELPFUL_THUMBS, EXPERIENCE_THUMBS",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["EXPERIENCE_THUMB"]},
        "conv_rating_question_codes",
        "an unknown question code, not shown here",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["experience_thumbs"]},
        "conv_rating_question_codes",
        "known codes: HELPFUL_THUMBS, EXPERIENCE_THUMBS",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS"] * 2},
        "conv_rating_question_codes",
        "more than once",
    ),
    (
        {"conv_rating_active": True, "conv_rating_question_codes": []},
        "conv_rating_question_codes",
        "is empty while conv_rating_active is true",
    ),
    ({"conv_rating_active": True, "api_token": ""}, "api_token", "is empty"),
    ({"conv_rating_active": True, "api_token": "   "}, "api_token", "is empty"),
    ({"conv_rating_active": True, "api_token": "ab cd"}, "api_token", "whitespace"),
    ({"conv_rating_active": True, "api_token": 42}, "api_token", "must be a string"),
    ({"conv_rating_active": True, "base_url": ""}, "base_url", "https://"),
    ({"conv_rating_active": True, "base_url": "quickchat"}, "base_url", "https://"),
    ({"conv_rating_active": True, "base_url": "https://"}, "base_url", "https://"),
    ({"conv_rating_active": True, "base_url": "http://10.1.2.3"}, "base_url", "plain http"),
    ({"conv_rating_active": True, "base_url": "https://a.b:99999"}, "base_url", "not a valid"),
    ({"conv_rating_active": True, "base_url": "https://a.b/?x=1"}, "base_url", "query"),
    ({"conv_rating_active": True, "base_url": 8080}, "base_url", "must be a URL string"),
]


@pytest.mark.parametrize(("program", "prop", "says"), BAD_INPUTS)
def test_bad_input_is_rejected_at_check_naming_the_property_with_nothing_sent(
    engine: Engine, admin: EmulatorAdmin, program: dict[str, Any], prop: str, says: str
) -> None:
    with pytest.raises(CheckFailed) as failed:
        engine.up("ratings", program)
    assert failed.value.properties == [prop]
    # The engine prints the property's name before the reason; the reason does not repeat it.
    assert not str(failed.value).startswith(f"{prop}: ")
    assert says in str(failed.value)
    assert requests_sent(admin) == []


def test_a_bad_token_in_stack_config_is_rejected_at_check_without_echoing_it(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin
) -> None:
    host = start_host()
    host.configure({"quickchat:apiToken": "s3cret value\n", "quickchat:baseUrl": admin.url})
    with pytest.raises(CheckFailed) as failed:
        Engine(host).up("ratings", ON)
    assert failed.value.properties == ["api_token"]
    assert "stack config quickchat:apiToken contains whitespace" in str(failed.value)
    assert "s3cret" not in str(failed.value)
    assert requests_sent(admin) == []


REFUSED_FOR = {
    "user:s3cret@app.quickchat.ai": "must be an absolute https:// URL, such as "
    "https://app.quickchat.ai",
    "https://user:s3c/ret@app.quickchat.ai": "is not a valid URL (check the host and that "
    "the port is a number up to 65535)",
    "https://s3cret-t0ken@app.quickchat.ai": "must not contain credentials; the token goes "
    "in api_token",
    "https://user:s3c@r3t@app.quickchat.ai": "must not contain credentials; the token goes "
    "in api_token",
}


@pytest.mark.parametrize(
    "base_url",
    [
        "user:s3cret@app.quickchat.ai",
        "https://user:s3c/ret@app.quickchat.ai",
        # A user name alone: a token pasted before the host.
        "https://s3cret-t0ken@app.quickchat.ai",
        # A password holding an @: all of it before the last @ is hidden.
        "https://user:s3c@r3t@app.quickchat.ai",
    ],
)
def test_credentials_in_a_bad_base_url_are_never_echoed(engine: Engine, base_url: str) -> None:
    with pytest.raises(CheckFailed) as failed:
        engine.up("ratings", {"conv_rating_active": True, "base_url": base_url})
    said = str(failed.value)
    assert failed.value.properties == ["base_url"]
    assert "s3c" not in str(failed.value)
    # The rule is named, the address never quoted: Check cannot know it was not secret.
    assert said.startswith("the base URL from the resource's base_url ")
    assert said.endswith(REFUSED_FOR[base_url])
    # Refused at check: in no message, no log line, no state; the plugin's answers
    # hold it only where Check hands the program's own inputs back.
    answers = [_without_inputs(answer) for answer in engine.plugin.responses]
    for part in ("s3c", "r3t", "t0ken"):
        assert part not in said
        assert part not in engine.plugin.stderr()
        assert not any(part in answer for answer in answers)
    assert engine.state == {}


def _without_inputs(answer: str) -> str:
    try:
        document = json.loads(answer)
    except ValueError:
        return answer  # an error's text
    document.pop("inputs", None)
    return json.dumps(document)


def test_a_plain_string_token_per_resource_is_still_declared_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pulumi
    import pulumi.dynamic

    from pulumi_quickchat import ConversationRatingConfig

    options: list[pulumi.ResourceOptions] = []
    real_init = pulumi.dynamic.Resource.__init__

    def spy(self: Any, provider: Any, name: str, props: Any, opts: Any = None) -> None:
        options.append(opts)
        real_init(self, provider, name, props, opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", spy)

    with mocked_program(preview=False) as (loop, mocks):
        resource = ConversationRatingConfig("r", conv_rating_active=True, api_token="plain-token")
        # The input is wrapped as a secret, and the output is declared one, so the
        # engine encrypts what the provider returns under api_token.
        assert loop.run_until_complete(resource.api_token.is_secret())
        assert options[0].additional_secret_outputs == ["api_token"]
        assert mocks.registered[0].typ == "pulumi-python:dynamic/quickchat:ConversationRatingConfig"


def test_many_agents_updated_at_once_under_rate_limits_all_end_as_desired(
    start_host: Callable[..., PluginHost], admin: EmulatorAdmin
) -> None:
    # One write per token per second and no Retry-After (Quickchat promises
    # none): every agent's second and third write meets a 429 and must back
    # off until the window frees.
    admin.set_rate_limits(writes_per_minute=1, window_seconds=1.0, send_retry_after=False)
    agents = [admin.create_agent() for _ in range(12)]
    host = start_host({"QUICKCHAT_RETRY_BACKOFF": "0.4", "QUICKCHAT_MAX_RETRIES": "6"})
    host.configure({"quickchat:baseUrl": admin.url})
    steps = [
        {"conv_rating_active": True},
        {"conv_rating_active": True, "conv_rating_question_codes": ["EXPERIENCE_THUMBS"]},
        {"conv_rating_active": False, "conv_rating_question_codes": ["HELPFUL_THUMBS"]},
    ]

    def walk(agent: AgentJson) -> Engine:
        engine = Engine(host)
        for program in steps:
            engine.up("ratings", {**program, "api_token": agent["tokens"]["write_all"]})
        return engine

    with ThreadPoolExecutor(max_workers=len(agents)) as pool:
        engines = list(pool.map(walk, agents))

    log = admin.request_log()
    for agent, engine in zip(agents, engines, strict=True):
        scenario = agent["scenario_id"]
        assert config_of(admin, scenario) == {
            "conv_rating_active": False,
            "conv_rating_popup_active": False,
            "conv_rating_question_codes": ["HELPFUL_THUMBS"],
        }
        assert engine.state["ratings"].outputs["conv_rating_question_codes"] == ["HELPFUL_THUMBS"]
        mine = [e for e in log if e["scenario_id"] == scenario]
        # Exactly one accepted write per step: none lost, none duplicated;
        # every other request was a rate-limited retry.
        assert [e["status"] for e in mine if e["status"] == 200] == [200, 200, 200]
        assert {e["status"] for e in mine} <= {200, 429}
    assert any(e["status"] == 429 for e in log), "the rate limit never bit; the test proves nothing"
