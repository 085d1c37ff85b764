"""The emulator over real HTTP, run as the CLI runs it (a child process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from quickchat_emulator import (
    AgentJson,
    EmulatorAdmin,
    EmulatorAdminError,
    EmulatorProcess,
    EmulatorServer,
)
from quickchat_emulator.rules import API_PATH, SCOPE_MESSAGE, Emulator

DEFAULTS = {
    "conv_rating_active": False,
    "conv_rating_popup_active": False,
    "conv_rating_question_codes": ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"],
}
ON = {"conv_rating_active": True, "conv_rating_popup_active": True}


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as process:
        yield process


@pytest.fixture
def clean_admin(emulator_process: EmulatorProcess) -> EmulatorAdmin:
    emulator_process.admin.reset()
    return emulator_process.admin


@pytest.fixture
def quickchat_agent(clean_admin: EmulatorAdmin) -> AgentJson:
    return clean_admin.create_agent("agent-1")


@pytest.fixture
def api(emulator_process: EmulatorProcess) -> str:
    return emulator_process.url + API_PATH


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def write_token(agent: AgentJson) -> str:
    return agent["tokens"]["write_all"]


def assert_error(response: requests.Response, status: int, code: str) -> str:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["errors"]
    assert list(body["errors"]) == ["root"]
    (entry,) = body["errors"]["root"]
    assert set(entry) == {"message", "code"}
    assert entry["code"] == code
    return str(entry["message"])


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send bytes, read until the server closes: what a client sees before any parsing."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def raw_get(url: str, token: str) -> bytes:
    host = urlsplit(url).netloc
    return (
        f"GET {API_PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode()


# ---- admin API ------------------------------------------------------------------------


def test_health_is_ok(clean_admin: EmulatorAdmin, emulator_process: EmulatorProcess) -> None:
    assert clean_admin.health() is True
    response = requests.get(emulator_process.url + "/_emulator/health", timeout=5)
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_create_agent_is_201_with_id_tokens_and_configuration(
    clean_admin: EmulatorAdmin, emulator_process: EmulatorProcess
) -> None:
    response = requests.post(
        emulator_process.url + "/_emulator/agents",
        json={"configuration": {"conv_rating_question_codes": ["HELPFUL_THUMBS"]}},
        timeout=5,
    )
    assert response.status_code == 201
    body = response.json()
    assert body["scenario_id"].startswith("scn_")
    assert set(body["tokens"]) == {"write_all", "read_all"}
    assert body["configuration"] == {**DEFAULTS, "conv_rating_question_codes": ["HELPFUL_THUMBS"]}


def test_create_existing_agent_is_409(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson
) -> None:
    with pytest.raises(EmulatorAdminError) as caught:
        clean_admin.create_agent("agent-1")
    assert caught.value.status == 409


def test_deleted_agent_is_204_then_404_for_its_token(
    clean_admin: EmulatorAdmin,
    emulator_process: EmulatorProcess,
    quickchat_agent: AgentJson,
    api: str,
) -> None:
    response = requests.delete(emulator_process.url + "/_emulator/agents/agent-1", timeout=5)
    assert (response.status_code, response.content) == (204, b"")
    assert_error(
        requests.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5), 404, "NOT_FOUND"
    )


def test_issued_read_token_reads_and_gets_the_exact_scope_error_on_patch(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    token = clean_admin.issue_token("agent-1", "read_all")
    assert requests.get(api, headers=bearer(token), timeout=5).json() == DEFAULTS
    response = requests.patch(api, headers=bearer(token), json=ON, timeout=5)
    assert assert_error(response, 403, "PERMISSION_DENIED") == SCOPE_MESSAGE


def test_expired_and_revoked_tokens_are_401(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    expired = clean_admin.issue_token("agent-1", "write_all", expires_in=-1)
    assert_error(requests.get(api, headers=bearer(expired), timeout=5), 401, "PERMISSION_DENIED")
    token = write_token(quickchat_agent)
    clean_admin.revoke_token(token)
    assert_error(requests.get(api, headers=bearer(token), timeout=5), 401, "PERMISSION_DENIED")


def test_dashboard_edit_is_what_the_api_then_reports(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    edited = clean_admin.edit_configuration("agent-1", ON)
    assert edited == {**DEFAULTS, **ON}
    assert clean_admin.get_configuration("agent-1") == edited
    assert (
        requests.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5).json() == edited
    )


def test_api_patch_is_what_the_admin_then_reads(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    response = requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert response.json() == {**DEFAULTS, **ON}
    assert clean_admin.get_configuration("agent-1") == {**DEFAULTS, **ON}


def test_admin_errors_use_the_quickchat_error_body(
    clean_admin: EmulatorAdmin, emulator_process: EmulatorProcess
) -> None:
    base = emulator_process.url + "/_emulator"
    assert_error(requests.get(base + "/agents/ghost/configuration", timeout=5), 404, "NOT_FOUND")
    assert_error(requests.get(base + "/nope", timeout=5), 404, "NOT_FOUND")
    assert_error(requests.post(base + "/faults", data=b"{", timeout=5), 400, "BAD_REQUEST")
    response = requests.put(base + "/rate_limits", json={"window_seconds": -1}, timeout=5)
    assert_error(response, 400, "BAD_REQUEST")


def test_reset_empties_the_emulator(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("status", status=500, times=5)
    clean_admin.set_rate_limits(reads_per_minute=1)
    requests.get(api, timeout=5)
    clean_admin.reset()
    assert clean_admin.request_log() == []
    assert clean_admin.set_rate_limits()["reads_per_minute"] == 120
    with pytest.raises(EmulatorAdminError):
        clean_admin.get_configuration("agent-1")
    agent = clean_admin.create_agent("agent-1")
    assert requests.get(api, headers=bearer(write_token(agent)), timeout=5).status_code == 200


def test_unknown_agent_segment_is_url_decoded(clean_admin: EmulatorAdmin) -> None:
    clean_admin.create_agent("agent 1+x")
    assert clean_admin.get_configuration("agent 1+x") == DEFAULTS
    clean_admin.delete_agent("agent 1+x")


# ---- public API errors over the wire --------------------------------------------------


def test_public_api_errors_have_the_documented_shape_and_codes(
    clean_admin: EmulatorAdmin,
    quickchat_agent: AgentJson,
    api: str,
    emulator_process: EmulatorProcess,
) -> None:
    token = write_token(quickchat_agent)
    headers = bearer(token)
    assert_error(requests.get(api, timeout=5), 401, "PERMISSION_DENIED")
    assert_error(requests.patch(api, headers=headers, data=b"nope", timeout=5), 400, "BAD_REQUEST")
    message = assert_error(
        requests.patch(api, headers=headers, json={"extra": 1}, timeout=5), 400, "BAD_REQUEST"
    )
    assert "extra" in message
    response = requests.patch(api, headers=headers, json={"conv_rating_active": True}, timeout=5)
    assert assert_error(response, 422, "VALIDATION_ERROR") == (
        "conv_rating_popup_active must match conv_rating_active"
    )
    assert_error(requests.get(emulator_process.url + "/v1/api/x", timeout=5), 404, "NOT_FOUND")
    response = requests.delete(api, headers=headers, timeout=5)
    assert_error(response, 405, "BAD_REQUEST")
    assert response.headers["Allow"] == "GET, PATCH"


def test_any_other_method_is_405_with_the_error_body(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    host = urlsplit(api).netloc
    request = f"BREW {API_PATH} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    head, _, body = raw_exchange(api, request.encode()).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405")
    assert json.loads(body)["errors"]["root"][0]["code"] == "BAD_REQUEST"
    response = requests.head(api, headers=bearer(write_token(quickchat_agent)), timeout=5)
    assert (response.status_code, response.content) == (405, b"")


def test_malformed_http_gets_a_json_error_body_too(api: str) -> None:
    host = urlsplit(api).netloc
    headers = "".join(f"X-{i}: {i}\r\n" for i in range(120))  # http.server allows 100
    request = f"GET {API_PATH} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n"
    head, _, body = raw_exchange(api, request.encode()).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431")
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["errors"]["root"][0]["code"] == "BAD_REQUEST"
    chunked = requests.patch(api, data=iter([b"{}"]), timeout=5)  # a generator body is chunked
    assert_error(chunked, 400, "BAD_REQUEST")


def test_keep_alive_serves_several_requests_on_one_connection(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    with requests.Session() as session:
        for _ in range(3):
            assert session.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5).ok
    ports = set()
    parts = urlsplit(api)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        stream = sock.makefile("rb")
        for _ in range(2):
            sock.sendall(raw_get(api, write_token(quickchat_agent)))
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            assert status.startswith(b"HTTP/1.1 200")
            assert json.loads(body) == DEFAULTS
            ports.add(sock.getsockname()[1])
    assert len(ports) == 1


# ---- latency ---------------------------------------------------------------------------


def test_latency_makes_every_api_request_wait_until_reset(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.set_latency(0.3)
    started = time.monotonic()
    response = requests.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5)
    assert response.ok
    assert time.monotonic() - started >= 0.3
    with pytest.raises(EmulatorAdminError, match="seconds must be a number >= 0"):
        clean_admin.set_latency(-1)
    clean_admin.reset()
    assert clean_admin._call("PUT", "/latency", {"seconds": 0}) == {"seconds": 0.0}


# ---- rate limits -----------------------------------------------------------------------


def test_rate_limit_over_http_429_then_free_again_after_the_window() -> None:
    # The emulator's clock moves only when the test moves it: however slow the machine,
    # the requests all fall inside the window, until it is moved past it.
    now = [1_000_000.0]
    with EmulatorServer(Emulator(clock=lambda: now[0])) as server:
        clean_admin = server.admin
        quickchat_agent = clean_admin.create_agent("agent-1")
        _rate_limit_walk(clean_admin, quickchat_agent, server.url + API_PATH, now)


def _rate_limit_walk(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str, now: list[float]
) -> None:
    settings = clean_admin.set_rate_limits(reads_per_minute=2, window_seconds=0.5)
    assert settings == {
        "reads_per_minute": 2,
        "writes_per_minute": 60,
        "window_seconds": 0.5,
        "send_retry_after": False,
        "enabled": True,
    }
    headers = bearer(write_token(quickchat_agent))
    assert [requests.get(api, headers=headers, timeout=5).status_code for _ in range(2)] == [
        200,
        200,
    ]
    response = requests.get(api, headers=headers, timeout=5)
    assert_error(response, 429, "TOO_MANY_REQUESTS")
    assert "Retry-After" not in response.headers
    clean_admin.set_rate_limits(send_retry_after=True)
    assert requests.get(api, headers=headers, timeout=5).headers["Retry-After"] == "1"
    now[0] += 0.5
    assert requests.get(api, headers=headers, timeout=5).status_code == 200


# ---- faults as a client sees them ------------------------------------------------------


def test_status_fault_is_an_error_body_with_retry_after(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    fault_id = clean_admin.add_fault("status", status=503, retry_after=3, method="PATCH")
    assert isinstance(fault_id, int)
    response = requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert response.headers["Retry-After"] == "3"
    assert clean_admin.get_configuration("agent-1") == DEFAULTS


def test_delay_fault_times_out_a_client_but_the_write_lands(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    # Far beyond the client's timeout: the emulator lets go once the client hangs up.
    clean_admin.add_fault("delay", delay=60)
    with pytest.raises(requests.Timeout):
        requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=0.1)
    deadline = time.monotonic() + 3
    while clean_admin.get_configuration("agent-1") != {**DEFAULTS, **ON}:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_cut_fault_promises_more_body_than_it_sends_then_closes(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("cut")
    received = raw_exchange(api, raw_get(api, write_token(quickchat_agent)))
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    assert 0 < len(body) < length
    clean_admin.add_fault("cut", method="PATCH")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert clean_admin.get_configuration("agent-1") == {**DEFAULTS, **ON}


def test_stall_fault_sends_half_the_body_then_goes_silent(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("stall", delay=60, method="PATCH")
    with pytest.raises(requests.exceptions.ConnectionError):  # a read timeout mid-body
        response = requests.patch(
            api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=0.3, stream=True
        )
        assert response.status_code == 200  # the headers came in time
        response.content  # noqa: B018 - the body did not
    assert clean_admin.get_configuration("agent-1") == {**DEFAULTS, **ON}  # it was applied


def test_drop_fault_closes_without_a_response(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("drop", times=2)
    assert raw_exchange(api, raw_get(api, write_token(quickchat_agent))) == b""
    with pytest.raises(requests.ConnectionError):
        requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert clean_admin.get_configuration("agent-1") == DEFAULTS


def test_malformed_fault_is_200_that_does_not_parse(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("malformed")
    response = requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert response.status_code == 200
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert clean_admin.get_configuration("agent-1") == DEFAULTS


def test_partial_and_contradict_faults_are_200_with_wrong_json(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    headers = bearer(write_token(quickchat_agent))
    clean_admin.add_fault("partial")
    clean_admin.add_fault("contradict")
    partial = requests.patch(api, headers=headers, json=ON, timeout=5).json()
    assert partial == {"conv_rating_active": False, "conv_rating_popup_active": False}
    contradict = requests.patch(api, headers=headers, json=ON, timeout=5).json()
    assert contradict == {**DEFAULTS, **ON}
    assert clean_admin.get_configuration("agent-1") == DEFAULTS


def test_gateway_html_fault_is_nginx_s_page_and_the_request_is_not_applied(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("gateway_html", method="PATCH")
    clean_admin.add_fault("gateway_html", status=504)
    response = requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert (response.status_code, response.headers["Content-Type"]) == (502, "text/html")
    assert "<title>502 Bad Gateway</title>" in response.text
    assert clean_admin.get_configuration("agent-1") == DEFAULTS
    response = requests.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5)
    assert "<title>504 Gateway Timeout</title>" in response.text


def test_foreign_and_misshapen_body_faults(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    def body_after(kind: str, **options: object) -> tuple[int, object]:
        clean_admin.add_fault(kind, **options)  # type: ignore[arg-type]
        response = requests.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5)
        return response.status_code, response.json()

    assert body_after("detail_body", status=404, message="Not found.") == (
        404,
        {"detail": "Not found."},
    )
    assert body_after("list_body") == (200, [DEFAULTS])
    assert body_after("string_body") == (200, "OK")
    without_popup = {k: v for k, v in DEFAULTS.items() if k != "conv_rating_popup_active"}
    assert body_after("missing_flag") == (200, without_popup)
    assert body_after("string_flag") == (200, {**DEFAULTS, "conv_rating_active": "false"})
    with pytest.raises(EmulatorAdminError, match="status only apply to kind 'detail_body'"):
        clean_admin.add_fault("list_body", status=500)


def test_stale_fault_applies_the_change_and_answers_with_what_was_there_before(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("stale", method="PATCH")
    response = requests.patch(api, headers=bearer(write_token(quickchat_agent)), json=ON, timeout=5)
    assert (response.status_code, response.json()) == (200, DEFAULTS)
    assert clean_admin.get_configuration("agent-1") == {**DEFAULTS, **ON}


def test_an_opaque_token_is_no_jwt_and_works_until_revoked(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    token = clean_admin.issue_token("agent-1", opaque=True)
    assert token.startswith("qc_") and "." not in token
    assert requests.get(api, headers=bearer(token), timeout=5).json() == DEFAULTS
    clean_admin.revoke_token(token)
    assert_error(requests.get(api, headers=bearer(token), timeout=5), 401, "PERMISSION_DENIED")


def test_cleared_faults_no_longer_fire(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    clean_admin.add_fault("drop", times=3)
    clean_admin.clear_faults()
    assert requests.get(api, headers=bearer(write_token(quickchat_agent)), timeout=5).ok


def test_admin_api_is_never_faulted_rate_limited_or_logged(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson
) -> None:
    clean_admin.add_fault("drop", times=5)
    clean_admin.set_rate_limits(reads_per_minute=1, writes_per_minute=1)
    for _ in range(3):
        assert clean_admin.get_configuration("agent-1") == DEFAULTS
        clean_admin.edit_configuration("agent-1", {})
    assert clean_admin.request_log() == []


# ---- request log -------------------------------------------------------------------------


def test_request_log_redacts_the_token_and_records_the_rest(
    clean_admin: EmulatorAdmin,
    quickchat_agent: AgentJson,
    api: str,
    emulator_process: EmulatorProcess,
) -> None:
    token = write_token(quickchat_agent)
    clean_admin.add_fault("status", status=502)
    requests.get(api, headers=bearer(token), timeout=5)
    requests.patch(api, headers={**bearer(token), "X-Trace": "t1"}, json=ON, timeout=5)
    log = requests.get(emulator_process.url + "/_emulator/requests", timeout=5).json()["requests"]
    assert [(e["seq"], e["method"], e["status"], e["fault"]) for e in log] == [
        (1, "GET", 502, "status"),
        (2, "PATCH", 200, None),
    ]
    entry = log[1]
    assert (entry["path"], entry["scenario_id"], entry["scope"]) == (
        API_PATH,
        "agent-1",
        "write_all",
    )
    assert entry["headers"]["authorization"] == "Bearer [redacted]"
    assert entry["headers"]["x-trace"] == "t1"
    assert json.loads(entry["body"]) == ON
    assert token not in json.dumps(log)
    response = requests.delete(emulator_process.url + "/_emulator/requests", timeout=5)
    assert response.status_code == 204
    assert clean_admin.request_log() == []


def test_request_log_numbers_connections_so_reuse_can_be_counted(
    clean_admin: EmulatorAdmin, quickchat_agent: AgentJson, api: str
) -> None:
    token = write_token(quickchat_agent)
    with requests.Session() as kept_alive:
        kept_alive.get(api, headers=bearer(token), timeout=5)
        kept_alive.get(api, headers=bearer(token), timeout=5)
    requests.get(api, headers=bearer(token), timeout=5)  # a connection of its own
    first, second, third = (e["connection"] for e in clean_admin.request_log())
    assert first == second
    assert third > first


# ---- the in-process server and the CLI ---------------------------------------------------


def test_in_process_server_serves_and_stops() -> None:
    with EmulatorServer() as server:
        url = server.url
        assert url.startswith("http://127.0.0.1:")
        agent = server.admin.create_agent("x")
        session = requests.Session()
        assert session.get(server.url + API_PATH, headers=bearer(write_token(agent)), timeout=5).ok
    with pytest.raises(requests.ConnectionError):
        session.get(url + API_PATH, headers=bearer(write_token(agent)), timeout=5)


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com"])
def test_server_refuses_a_host_that_is_not_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(host=host)


def test_cli_refuses_a_non_loopback_host_and_process_reports_stderr() -> None:
    with pytest.raises(RuntimeError, match="loopback") as caught:
        EmulatorProcess(["--host", "0.0.0.0"]).start()
    assert "exit code 2" in str(caught.value)


def test_cli_on_a_port_in_use_names_it_and_suggests_a_free_one(
    emulator_process: EmulatorProcess,
) -> None:
    port = urlsplit(emulator_process.url).port
    command = [sys.executable, "-m", "quickchat_emulator", "--port", str(port)]
    second = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert second.returncode == 1
    assert second.stdout == ""
    assert second.stderr == (
        f"quickchat-emulator: 127.0.0.1 port {port} is already in use; "
        "use --port 0 for a free port, or another --port\n"
    )
    assert emulator_process.admin.health()  # the first one serves on


def test_cli_demo_writes_a_private_tokens_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    with EmulatorProcess(["--demo", "--tokens-file", str(path)]) as process:
        line = process.next_line()
        assert line == f"demo agent demo-agent: write_all and read_all tokens written to {path}"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        tokens = json.loads(path.read_text())
        assert set(tokens) == {"scenario_id", "write_all", "read_all"}
        assert tokens["scenario_id"] == "demo-agent"
        api = process.url + API_PATH
        response = requests.patch(api, headers=bearer(tokens["write_all"]), json=ON, timeout=5)
        assert response.status_code == 200
        assert process.stderr() == ""  # quiet by default
    assert process.returncode == 0


def test_cli_demo_without_a_file_prints_the_write_token() -> None:
    with EmulatorProcess(["--demo"]) as process:
        line = process.next_line()
        assert line is not None and line.startswith("demo agent demo-agent: write_all token ")
        token = line.rsplit(" ", 1)[1]
        assert requests.get(process.url + API_PATH, headers=bearer(token), timeout=5).ok


def test_cli_prints_the_listening_line_first_flushed_and_exits_0_on_sigint() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": ""}
    command = [sys.executable, "-m", "quickchat_emulator", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 0
    assert line.startswith("Quickchat emulator listening on http://127.0.0.1:")
