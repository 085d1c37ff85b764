"""Quickchat's rules as the emulator models them, in-process with a fake clock."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest

from quickchat_emulator import AgentJson, ApiFault, ApiResult, Emulator
from quickchat_emulator.rules import API_PATH, POPUP_MISMATCH, SCOPE_MESSAGE

DEFAULT_CODES = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Emulator:
    return Emulator(clock=clock)


@pytest.fixture
def agent(emu: Emulator) -> AgentJson:
    return emu.create_agent({"scenario_id": "agent-1"})


@pytest.fixture
def write_token(agent: AgentJson) -> str:
    return agent["tokens"]["write_all"]


@pytest.fixture
def read_token(agent: AgentJson) -> str:
    return agent["tokens"]["read_all"]


def get(emu: Emulator, token: str | None, path: str = API_PATH) -> ApiResult:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return emu.handle_api("GET", path, headers, b"")


def patch(emu: Emulator, token: str, body: Any, *, raw: bytes | None = None) -> ApiResult:
    data = raw if raw is not None else json.dumps(body).encode()
    return emu.handle_api("PATCH", API_PATH, {"Authorization": f"Bearer {token}"}, data)


def error(result: ApiResult) -> tuple[int, str, str]:
    body: Any = result.json_body
    (entry,) = body["errors"]["root"]
    return result.status, entry["code"], entry["message"]


def config(active: bool, popup: bool, codes: list[str] | None = None) -> dict[str, Any]:
    return {
        "conv_rating_active": active,
        "conv_rating_popup_active": popup,
        "conv_rating_question_codes": DEFAULT_CODES if codes is None else codes,
    }


# ---- agents and configuration ---------------------------------------------------------


def test_new_agent_starts_disabled_with_the_documented_default_codes(
    emu: Emulator, read_token: str
) -> None:
    assert get(emu, read_token) == ApiResult(200, config(False, False))


def test_agent_created_with_a_partial_configuration_fills_in_the_defaults(emu: Emulator) -> None:
    agent = emu.create_agent({"configuration": {"conv_rating_active": True}})
    assert agent["configuration"] == config(True, False)


def test_generated_scenario_id_is_scn_and_12_hex(emu: Emulator) -> None:
    scenario_id = emu.create_agent({})["scenario_id"]
    assert scenario_id.startswith("scn_")
    assert len(scenario_id) == 16
    int(scenario_id[4:], 16)


def test_creating_an_existing_agent_is_a_conflict(emu: Emulator, agent: AgentJson) -> None:
    with pytest.raises(ApiFault) as caught:
        emu.create_agent({"scenario_id": agent["scenario_id"]})
    assert (caught.value.status, caught.value.code) == (409, "CONFLICT")


def test_token_claims_carry_scenario_scope_iat_and_jti(
    emu: Emulator, clock: FakeClock, agent: AgentJson
) -> None:
    payload = agent["tokens"]["read_all"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["scenario_id"] == "agent-1"
    assert claims["scope"] == "read_all"
    assert claims["iat"] == int(clock.now)
    assert isinstance(claims["jti"], str)
    assert "exp" not in claims


def test_patch_merges_the_fields_sent_and_returns_the_whole_configuration(
    emu: Emulator, write_token: str
) -> None:
    result = patch(emu, write_token, {"conv_rating_active": True, "conv_rating_popup_active": True})
    assert result == ApiResult(200, config(True, True))
    assert get(emu, write_token).json_body == config(True, True)


def test_patch_list_replaces_the_list_held(emu: Emulator, write_token: str) -> None:
    result = patch(emu, write_token, {"conv_rating_question_codes": ["EXPERIENCE_THUMBS"]})
    assert result.json_body == config(False, False, ["EXPERIENCE_THUMBS"])


@pytest.mark.parametrize(
    "codes", [[], ["HELPFUL_THUMBS", "HELPFUL_THUMBS"]], ids=["empty", "duplicates"]
)
def test_patch_accepts_empty_and_duplicated_code_lists_as_sent(
    emu: Emulator, write_token: str, codes: list[str]
) -> None:
    result = patch(emu, write_token, {"conv_rating_question_codes": codes})
    assert result.json_body == config(False, False, codes)


def test_empty_patch_changes_nothing(emu: Emulator, write_token: str) -> None:
    assert patch(emu, write_token, {}).json_body == config(False, False)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "not valid JSON"),
        (b"{nope", "not valid JSON"),
        (b"\xff", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b"true", "must be a JSON object"),
    ],
)
def test_patch_body_that_is_not_a_json_object_is_a_bad_request(
    emu: Emulator, write_token: str, raw: bytes, message: str
) -> None:
    status, code, text = error(patch(emu, write_token, None, raw=raw))
    assert (status, code) == (400, "BAD_REQUEST")
    assert message in text


def test_unknown_field_is_a_bad_request_naming_it(emu: Emulator, write_token: str) -> None:
    status, code, message = error(patch(emu, write_token, {"conv_rating_colour": "red"}))
    assert (status, code) == (400, "BAD_REQUEST")
    assert "conv_rating_colour" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("conv_rating_active", "true"),
        ("conv_rating_active", 1),
        ("conv_rating_popup_active", None),
        ("conv_rating_question_codes", "HELPFUL_THUMBS"),
        ("conv_rating_question_codes", [1]),
        ("conv_rating_question_codes", None),
    ],
)
def test_wrong_type_is_a_validation_error_naming_the_field(
    emu: Emulator, write_token: str, field: str, value: object
) -> None:
    status, code, message = error(patch(emu, write_token, {field: value}))
    assert (status, code) == (422, "VALIDATION_ERROR")
    assert field in message


def test_unknown_question_code_is_a_validation_error_listing_the_known_codes(
    emu: Emulator, write_token: str
) -> None:
    body = {"conv_rating_question_codes": ["HELPFUL_THUMBS", "STARS_5"]}
    status, code, message = error(patch(emu, write_token, body))
    assert (status, code) == (422, "VALIDATION_ERROR")
    assert "STARS_5" in message
    assert "HELPFUL_THUMBS" in message
    assert "EXPERIENCE_THUMBS" in message


def test_popup_must_match_active_after_the_merge(emu: Emulator, write_token: str) -> None:
    # Both fields are false; sending only one of them makes the merged result disagree.
    result = patch(emu, write_token, {"conv_rating_active": True})
    assert error(result) == (422, "VALIDATION_ERROR", POPUP_MISMATCH)
    result = patch(
        emu, write_token, {"conv_rating_active": True, "conv_rating_popup_active": False}
    )
    assert error(result) == (422, "VALIDATION_ERROR", POPUP_MISMATCH)


def test_a_rejected_patch_changes_nothing(emu: Emulator, write_token: str) -> None:
    patch(emu, write_token, {"conv_rating_active": True, "conv_rating_question_codes": []})
    patch(emu, write_token, {"conv_rating_question_codes": ["NOPE"]})
    assert get(emu, write_token).json_body == config(False, False)


def test_dashboard_edit_is_type_checked_but_accepts_any_codes_and_mismatches(
    emu: Emulator, agent: AgentJson, read_token: str
) -> None:
    edited = emu.edit_configuration(
        "agent-1", {"conv_rating_active": True, "conv_rating_question_codes": ["LEGACY"]}
    )
    assert edited == config(True, False, ["LEGACY"])
    assert get(emu, read_token).json_body == edited
    with pytest.raises(ApiFault) as caught:
        emu.edit_configuration("agent-1", {"conv_rating_active": "yes"})
    assert caught.value.status == 422
    with pytest.raises(ApiFault) as caught:
        emu.edit_configuration("agent-1", {"bogus": True})
    assert caught.value.status == 400


# ---- routing, auth and scope ----------------------------------------------------------


def test_unknown_path_is_not_found(emu: Emulator, read_token: str) -> None:
    status, code, _ = error(get(emu, read_token, "/v1/api/conversation_ratings"))
    assert (status, code) == (404, "NOT_FOUND")


def test_wrong_method_is_405_with_the_error_body_and_allow(emu: Emulator, write_token: str) -> None:
    result = emu.handle_api("POST", API_PATH, {"Authorization": f"Bearer {write_token}"}, b"{}")
    assert error(result)[:2] == (405, "BAD_REQUEST")
    assert result.headers["Allow"] == "GET, PATCH"


def test_query_string_does_not_change_the_route(emu: Emulator, read_token: str) -> None:
    assert get(emu, read_token, API_PATH + "?x=1").status == 200


def test_read_all_token_may_get_but_not_patch(emu: Emulator, read_token: str) -> None:
    assert get(emu, read_token).status == 200
    result = patch(emu, read_token, {"conv_rating_active": False})
    assert error(result) == (403, "PERMISSION_DENIED", SCOPE_MESSAGE)


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    return f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer {tampered}",
        "Bearer {foreign}",
        "{token}",
    ],
    ids=["missing", "empty", "no-token", "basic", "garbage", "abc", "bad-sig", "foreign", "bare"],
)
def test_invalid_credentials_are_401_permission_denied(
    emu: Emulator, write_token: str, authorization: str | None
) -> None:
    foreign = Emulator().create_agent({"scenario_id": "agent-1"})["tokens"]["write_all"]
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(
            tampered=tampered(write_token), foreign=foreign, token=write_token
        )
    result = emu.handle_api("GET", API_PATH, headers, b"")
    assert error(result)[:2] == (401, "PERMISSION_DENIED")


def test_bearer_scheme_is_case_insensitive(emu: Emulator, read_token: str) -> None:
    result = emu.handle_api("GET", API_PATH, {"authorization": f"bearer {read_token}"}, b"")
    assert result.status == 200


def test_revoked_token_is_401_and_other_tokens_still_work(
    emu: Emulator, write_token: str, read_token: str
) -> None:
    emu.revoke_token({"token": write_token})
    assert error(get(emu, write_token)) == (401, "PERMISSION_DENIED", "Token has been revoked")
    assert get(emu, read_token).status == 200


def test_revoking_something_that_is_not_our_token_is_a_bad_request(emu: Emulator) -> None:
    with pytest.raises(ApiFault) as caught:
        emu.revoke_token({"token": "a.b.c"})
    assert caught.value.status == 400


def test_token_expires_at_its_exp(emu: Emulator, clock: FakeClock, agent: AgentJson) -> None:
    token = emu.issue_token("agent-1", {"scope": "read_all", "expires_in": 10})
    clock.now += 9.9
    assert get(emu, token).status == 200
    clock.now += 0.1
    assert error(get(emu, token)) == (401, "PERMISSION_DENIED", "Token has expired")


def test_negative_expires_in_issues_an_already_expired_token(
    emu: Emulator, agent: AgentJson
) -> None:
    token = emu.issue_token("agent-1", {"scope": "write_all", "expires_in": -5})
    assert get(emu, token).status == 401


def test_issued_token_has_the_requested_scope(emu: Emulator, agent: AgentJson) -> None:
    token = emu.issue_token("agent-1", {"scope": "read_all"})
    assert error(patch(emu, token, {}))[0] == 403


@pytest.mark.parametrize(
    "body", [{}, {"scope": "admin"}, {"scope": "read_all", "expires_in": "1"}, {"x": 1}]
)
def test_token_request_must_name_a_scope_and_a_numeric_expiry(
    emu: Emulator, agent: AgentJson, body: dict[str, object]
) -> None:
    with pytest.raises(ApiFault) as caught:
        emu.issue_token("agent-1", body)
    assert caught.value.status == 400


def test_token_for_an_unknown_agent_is_not_found(emu: Emulator) -> None:
    with pytest.raises(ApiFault) as caught:
        emu.issue_token("ghost", {"scope": "read_all"})
    assert caught.value.status == 404


def test_deleted_agent_with_a_still_valid_token_is_not_found(
    emu: Emulator, write_token: str
) -> None:
    emu.delete_agent("agent-1")
    assert error(get(emu, write_token))[:2] == (404, "NOT_FOUND")
    assert error(patch(emu, write_token, {}))[:2] == (404, "NOT_FOUND")
    with pytest.raises(ApiFault):
        emu.delete_agent("agent-1")


def test_one_token_one_agent(emu: Emulator, write_token: str) -> None:
    other = emu.create_agent({"scenario_id": "agent-2"})["tokens"]["write_all"]
    patch(emu, other, {"conv_rating_active": True, "conv_rating_popup_active": True})
    assert get(emu, write_token).json_body == config(False, False)
    assert emu.configuration("agent-2") == config(True, True)


def test_reset_forgets_agents_and_invalidates_every_token(emu: Emulator, write_token: str) -> None:
    emu.add_fault({"kind": "drop"})
    emu.reset()
    emu.create_agent({"scenario_id": "agent-1"})
    assert get(emu, write_token).status == 401
    assert emu.request_log()[0]["fault"] is None  # the fault went with the reset


# ---- rate limits ------------------------------------------------------------------------


def test_default_rate_limits_are_120_reads_and_60_writes_per_minute(emu: Emulator) -> None:
    assert emu.set_rate_limits({}) == {
        "reads_per_minute": 120,
        "writes_per_minute": 60,
        "window_seconds": 60.0,
        "send_retry_after": False,
        "enabled": True,
    }


def test_default_read_limit_allows_120_gets_then_429_without_retry_after(
    emu: Emulator, read_token: str
) -> None:
    assert all(get(emu, read_token).status == 200 for _ in range(120))
    result = get(emu, read_token)
    assert error(result)[:2] == (429, "TOO_MANY_REQUESTS")
    assert "Retry-After" not in result.headers


def test_rate_limit_window_slides(emu: Emulator, clock: FakeClock, read_token: str) -> None:
    emu.set_rate_limits({"reads_per_minute": 2})
    assert get(emu, read_token).status == 200  # t=0
    clock.now += 30
    assert get(emu, read_token).status == 200  # t=30
    assert get(emu, read_token).status == 429
    clock.now += 30  # t=60: the first request has left the window
    assert get(emu, read_token).status == 200
    assert get(emu, read_token).status == 429
    clock.now += 30  # t=90: the second one has too
    assert get(emu, read_token).status == 200


def test_requests_refused_with_429_take_no_slot(
    emu: Emulator, clock: FakeClock, read_token: str
) -> None:
    emu.set_rate_limits({"reads_per_minute": 1})
    assert get(emu, read_token).status == 200
    for _ in range(5):
        clock.now += 10
        assert get(emu, read_token).status == 429
    clock.now += 10  # 60 s after the only accepted request
    assert get(emu, read_token).status == 200


def test_auth_and_scope_failures_take_no_slot(
    emu: Emulator, write_token: str, read_token: str
) -> None:
    emu.set_rate_limits({"writes_per_minute": 1})
    for _ in range(3):
        assert patch(emu, read_token, {}).status == 403
    assert patch(emu, write_token, {}).status == 200


def test_rate_limits_are_per_token_and_per_kind(
    emu: Emulator, write_token: str, read_token: str
) -> None:
    emu.set_rate_limits({"reads_per_minute": 1, "writes_per_minute": 1})
    assert patch(emu, write_token, {}).status == 200
    assert patch(emu, write_token, {}).status == 429
    assert get(emu, write_token).status == 200  # reads have their own quota
    assert get(emu, write_token).status == 429
    assert get(emu, read_token).status == 200  # so does another token of the same agent
    second = emu.issue_token("agent-1", {"scope": "write_all"})
    assert patch(emu, second, {}).status == 200


def test_retry_after_when_enabled_is_whole_seconds_until_a_slot_frees(
    emu: Emulator, clock: FakeClock, read_token: str
) -> None:
    emu.set_rate_limits({"reads_per_minute": 2, "send_retry_after": True})
    get(emu, read_token)  # t=0
    clock.now += 10
    get(emu, read_token)  # t=10
    clock.now += 10.5  # t=20.5: the first slot frees at t=60
    assert get(emu, read_token).headers["Retry-After"] == "40"


def test_disabled_rate_limits_never_refuse(emu: Emulator, read_token: str) -> None:
    emu.set_rate_limits({"reads_per_minute": 1, "enabled": False})
    assert all(get(emu, read_token).status == 200 for _ in range(5))


@pytest.mark.parametrize(
    "body",
    [
        {"reads_per_minute": 0},
        {"writes_per_minute": 1.5},
        {"window_seconds": 0},
        {"send_retry_after": "yes"},
        {"enabled": 1},
        {"burst": 3},
    ],
)
def test_rate_limit_settings_are_validated(emu: Emulator, body: dict[str, object]) -> None:
    with pytest.raises(ApiFault) as caught:
        emu.set_rate_limits(body)
    assert caught.value.status == 400


# ---- faults -----------------------------------------------------------------------------


def test_status_fault_answers_with_the_error_body_and_does_not_apply(
    emu: Emulator, write_token: str
) -> None:
    emu.add_fault({"kind": "status", "status": 503, "retry_after": 2})
    result = patch(emu, write_token, {"conv_rating_question_codes": []})
    assert error(result)[:2] == (503, "SERVICE_UNAVAILABLE")
    assert result.headers == {"Retry-After": "2"}
    assert emu.configuration("agent-1") == config(False, False)


@pytest.mark.parametrize(
    ("status", "code"),
    [(402, "PAYMENT_REQUIRED"), (429, "TOO_MANY_REQUESTS"), (500, "UNKNOWN"), (502, "BAD_GATEWAY")],
)
def test_status_fault_code_comes_from_the_table(
    emu: Emulator, read_token: str, status: int, code: str
) -> None:
    emu.add_fault({"kind": "status", "status": status})
    result = get(emu, read_token)
    assert error(result)[:2] == (status, code)
    assert "Retry-After" not in result.headers


def test_status_fault_takes_a_given_code_message_and_fractional_retry_after(
    emu: Emulator, read_token: str
) -> None:
    emu.add_fault(
        {"kind": "status", "status": 500, "code": "X", "message": "boom", "retry_after": 0.5}
    )
    result = get(emu, read_token)
    assert error(result) == (500, "X", "boom")
    assert result.headers["Retry-After"] == "0.5"


def test_delay_fault_waits_then_applies_the_request(emu: Emulator, write_token: str) -> None:
    emu.add_fault({"kind": "delay", "delay": 0.2})
    started = time.monotonic()
    result = patch(emu, write_token, {"conv_rating_question_codes": []})
    assert time.monotonic() - started >= 0.2
    assert result.status == 200
    assert emu.configuration("agent-1")["conv_rating_question_codes"] == []


def test_cut_fault_applies_the_request_and_asks_for_a_cut_response(
    emu: Emulator, write_token: str
) -> None:
    emu.add_fault({"kind": "cut"})
    result = patch(emu, write_token, {"conv_rating_question_codes": []})
    assert (result.status, result.transport) == (200, "cut")
    assert emu.configuration("agent-1")["conv_rating_question_codes"] == []


def test_drop_fault_does_not_apply_and_asks_for_no_response(
    emu: Emulator, write_token: str
) -> None:
    emu.add_fault({"kind": "drop"})
    assert patch(emu, write_token, {"conv_rating_question_codes": []}).transport == "drop"
    assert emu.configuration("agent-1") == config(False, False)
    assert emu.request_log()[-1]["status"] == 0


def test_malformed_fault_is_200_with_a_body_that_is_not_json(
    emu: Emulator, write_token: str
) -> None:
    emu.add_fault({"kind": "malformed"})
    result = patch(emu, write_token, {"conv_rating_question_codes": []})
    assert result.status == 200
    assert result.text_body is not None
    with pytest.raises(ValueError):
        json.loads(result.text_body)
    assert emu.configuration("agent-1") == config(False, False)


def test_partial_fault_omits_the_codes_and_does_not_apply(emu: Emulator, write_token: str) -> None:
    emu.add_fault({"kind": "partial"})
    result = patch(emu, write_token, {"conv_rating_question_codes": []})
    assert result == ApiResult(
        200, {"conv_rating_active": False, "conv_rating_popup_active": False}
    )
    assert emu.configuration("agent-1") == config(False, False)


def test_contradict_fault_flips_both_flags_without_applying(
    emu: Emulator, write_token: str
) -> None:
    emu.add_fault({"kind": "contradict"})
    result = patch(emu, write_token, {"conv_rating_question_codes": []})
    assert result == ApiResult(200, config(True, True))
    assert emu.configuration("agent-1") == config(False, False)


def test_faults_are_used_oldest_first_and_removed_after_their_times(
    emu: Emulator, read_token: str
) -> None:
    emu.add_fault({"kind": "status", "status": 500, "times": 2})
    emu.add_fault({"kind": "status", "status": 503})
    assert [get(emu, read_token).status for _ in range(4)] == [500, 500, 503, 200]


def test_fault_with_a_method_only_touches_that_method(emu: Emulator, write_token: str) -> None:
    emu.add_fault({"kind": "status", "status": 500, "method": "PATCH"})
    assert get(emu, write_token).status == 200
    assert patch(emu, write_token, {}).status == 500
    assert patch(emu, write_token, {}).status == 200


def test_faults_leave_unknown_paths_alone(emu: Emulator, read_token: str) -> None:
    emu.add_fault({"kind": "status", "status": 500})
    assert get(emu, read_token, "/nope").status == 404
    assert get(emu, read_token).status == 500


def test_cleared_faults_are_gone(emu: Emulator, read_token: str) -> None:
    emu.add_fault({"kind": "drop", "times": 5})
    emu.clear_faults()
    assert get(emu, read_token).status == 200


def test_faulted_requests_are_logged_with_their_kind(emu: Emulator, read_token: str) -> None:
    emu.add_fault({"kind": "status", "status": 502})
    emu.add_fault({"kind": "contradict"})
    get(emu, read_token)
    get(emu, read_token)
    get(emu, read_token)
    assert [(e["status"], e["fault"]) for e in emu.request_log()] == [
        (502, "status"),
        (200, "contradict"),
        (200, None),
    ]


def test_faulted_requests_take_no_rate_limit_slot(emu: Emulator, read_token: str) -> None:
    emu.set_rate_limits({"reads_per_minute": 1})
    emu.add_fault({"kind": "status", "status": 503, "times": 3})
    assert [get(emu, read_token).status for _ in range(5)] == [503, 503, 503, 200, 429]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "explode"},
        {"kind": "drop", "times": 0},
        {"kind": "drop", "method": "POST"},
        {"kind": "drop", "status": 500},
        {"kind": "status", "status": 200},
        {"kind": "status", "retry_after": -1},
        {"kind": "delay"},
        {"kind": "drop", "colour": "red"},
    ],
)
def test_fault_specs_are_validated(emu: Emulator, body: dict[str, object]) -> None:
    with pytest.raises(ApiFault) as caught:
        emu.add_fault(body)
    assert caught.value.status == 400


# ---- the request log --------------------------------------------------------------------


def test_log_records_requests_with_the_token_redacted(emu: Emulator, write_token: str) -> None:
    emu.handle_api(
        "PATCH",
        API_PATH + "?trace=1",
        {"Authorization": f"Bearer {write_token}", "X-Extra": "yes"},
        b'{"conv_rating_question_codes": []}',
    )
    (entry,) = emu.request_log()
    assert entry == {
        "seq": 1,
        "method": "PATCH",
        "path": API_PATH + "?trace=1",
        "status": 200,
        "scenario_id": "agent-1",
        "scope": "write_all",
        "headers": {"authorization": "Bearer [redacted]", "x-extra": "yes"},
        "body": '{"conv_rating_question_codes": []}',
        "fault": None,
        "connection": 0,
    }
    assert write_token not in json.dumps(emu.request_log())


def test_log_redacts_an_authorization_header_that_is_not_bearer(
    emu: Emulator, write_token: str
) -> None:
    emu.handle_api("GET", API_PATH, {"Authorization": write_token}, b"")
    (entry,) = emu.request_log()
    assert entry["headers"]["authorization"] == "[redacted]"
    assert (entry["status"], entry["scenario_id"], entry["scope"]) == (401, None, None)


def test_log_keeps_what_it_is_sent_elsewhere_so_a_leak_shows(
    emu: Emulator, write_token: str
) -> None:
    emu.handle_api("GET", f"{API_PATH}?token={write_token}", {"X-Token": write_token}, b"")
    logged = json.dumps(emu.request_log())
    assert logged.count(write_token) == 2


def test_log_is_cleared_but_seq_keeps_counting(emu: Emulator, read_token: str) -> None:
    get(emu, read_token)
    emu.clear_request_log()
    get(emu, read_token)
    assert [e["seq"] for e in emu.request_log()] == [2]


def test_concurrent_requests_are_all_served_and_logged(emu: Emulator, write_token: str) -> None:
    emu.set_rate_limits({"enabled": False})

    def worker(active: bool) -> None:
        for _ in range(25):
            patch(
                emu, write_token, {"conv_rating_active": active, "conv_rating_popup_active": active}
            )

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = emu.request_log()
    assert sorted(e["seq"] for e in log) == list(range(1, 201))
    assert {e["status"] for e in log} == {200}
