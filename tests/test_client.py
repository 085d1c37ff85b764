"""The API client against the emulator, over real HTTP on loopback."""

from __future__ import annotations

import email.utils
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pulumi_quickchat import (
    QuickchatAPIError,
    QuickchatClient,
    QuickchatConfigError,
    QuickchatError,
    QuickchatResponseError,
    QuickchatTransportError,
    RatingConfiguration,
    __version__,
    scenario_id_of,
)
from pulumi_quickchat._api import scenario_id_from_token
from pulumi_quickchat.client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    worst_case_seconds,
)
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import requests_sent, wait_for_logged_fault
from support.proxy import LoopbackProxy

FAST = {"backoff_factor": 0.01, "read_timeout": 1.0}


@pytest.fixture
def client(admin: EmulatorAdmin, token: str) -> QuickchatClient:
    return QuickchatClient(token, admin.url, **FAST)


def test_the_client_is_a_context_manager_that_closes_its_connections(
    admin: EmulatorAdmin, token: str
) -> None:
    with QuickchatClient(token, admin.url) as quickchat:
        quickchat.get_configuration()
        quickchat.get_configuration()
    quickchat.get_configuration()  # a closed client opens a connection anew
    first, second, third = admin.request_log()
    assert first["connection"] == second["connection"] != third["connection"]


def test_get_returns_the_agents_configuration(client: QuickchatClient) -> None:
    assert client.get_configuration() == RatingConfiguration(
        False, False, ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
    )


def test_partial_update_changes_only_the_fields_sent(
    client: QuickchatClient, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    result = client.update_configuration(conv_rating_question_codes=["EXPERIENCE_THUMBS"])
    assert result == RatingConfiguration(False, False, ["EXPERIENCE_THUMBS"])
    assert admin.get_configuration(agent["scenario_id"])["conv_rating_question_codes"] == [
        "EXPERIENCE_THUMBS"
    ]


def test_every_request_names_the_client_and_carries_the_token_only_in_authorization(
    client: QuickchatClient, admin: EmulatorAdmin, token: str
) -> None:
    client.get_configuration()
    client.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)
    log = admin.request_log()
    assert [e["method"] for e in log] == ["GET", "PATCH"]
    for entry in log:
        assert entry["headers"]["user-agent"] == f"pulumi-quickchat/{__version__}"
        assert entry["scenario_id"] is not None  # the token was accepted
        assert token not in str(entry)


def test_a_revoked_token_gives_401_with_where_to_set_a_new_one(
    client: QuickchatClient, admin: EmulatorAdmin, token: str
) -> None:
    admin.revoke_token(token)
    with pytest.raises(QuickchatAPIError) as failed:
        client.get_configuration()
    error = failed.value
    assert (error.status, error.code, error.method, error.path) == (
        401,
        "PERMISSION_DENIED",
        "GET",
        "/v1/api/conversation_ratings/configuration",
    )
    text = str(error)
    assert "invalid, expired or revoked" in text
    assert "quickchat:apiToken" in text and "QUICKCHAT_API_TOKEN" in text
    assert token not in text and token not in repr(error)
    assert requests_sent(admin) == ["GET 401"]


def test_a_read_only_token_cannot_patch(admin: EmulatorAdmin, agent: AgentJson) -> None:
    client = QuickchatClient(agent["tokens"]["read_all"], admin.url, **FAST)
    assert client.get_configuration().conv_rating_active is False
    with pytest.raises(QuickchatAPIError) as failed:
        client.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)
    assert failed.value.status == 403
    assert failed.value.message == "Insufficient token scope. Required: write_all"
    assert "write_all scope" in str(failed.value)


def test_validation_errors_carry_quickchats_code_and_message_and_are_not_retried(
    client: QuickchatClient, admin: EmulatorAdmin
) -> None:
    with pytest.raises(QuickchatAPIError) as failed:
        client.update_configuration(conv_rating_active=True, conv_rating_popup_active=False)
    assert failed.value.status == 422 and failed.value.code == "VALIDATION_ERROR"
    assert "conv_rating_popup_active" in (failed.value.message or "")
    assert requests_sent(admin) == ["PATCH 422"]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_failures_are_retried_then_succeed(
    client: QuickchatClient, admin: EmulatorAdmin, status: int
) -> None:
    admin.add_fault("status", status=status, times=2)
    result = client.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)
    assert result == RatingConfiguration(True, True, ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"])
    assert requests_sent(admin) == [f"PATCH {status}", f"PATCH {status}", "PATCH 200"]


def test_persistent_failures_give_up_after_the_retry_budget(
    client: QuickchatClient, admin: EmulatorAdmin
) -> None:
    admin.add_fault("status", status=503, times=100)
    with pytest.raises(QuickchatAPIError) as failed:
        client.get_configuration()
    assert failed.value.status == 503 and failed.value.code == "SERVICE_UNAVAILABLE"
    assert requests_sent(admin) == ["GET 503"] * 5  # 1 try + 4 retries


def test_a_slow_answer_times_out_and_is_retried(
    client: QuickchatClient, admin: EmulatorAdmin
) -> None:
    # Far longer than the 1 s read timeout: the emulator lets go once the client hangs up.
    admin.add_fault("delay", delay=60, times=1)
    assert client.get_configuration().conv_rating_active is False
    wait_for_logged_fault(admin, "delay")
    assert sorted(e["fault"] or "" for e in admin.request_log()) == ["", "delay"]


def test_a_connection_refused_is_a_transport_error(token: str) -> None:
    # A port held, bound but not listening, for the whole test: the kernel refuses every
    # connection to it, and no other process can take it meanwhile.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        client = QuickchatClient(token, f"http://127.0.0.1:{held.getsockname()[1]}", **FAST)
        with pytest.raises(QuickchatTransportError, match="connection refused") as failed:
            client.get_configuration()
    assert "after 5 attempts" in str(failed.value)
    assert token not in str(failed.value)


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("http://app.quickchat.ai", "plain http"),
        ("ftp://app.quickchat.ai", "https://"),
        ("app.quickchat.ai", "https://"),
        ("https://user:pw@app.quickchat.ai", "credentials"),
        # A user name alone is credentials too: a token pasted before the host.
        ("https://s3cret-token@app.quickchat.ai", "credentials"),
        ("https://app.quickchat.ai:99999", "not a valid URL"),
        # The address alone: a path would be prefixed to every request.
        ("http://127.0.0.1:8377/v1/api", "without the path '/v1/api': use http://127.0.0.1:8377"),
    ],
)
def test_unusable_base_urls_are_refused_before_any_request(
    token: str, base_url: str, reason: str
) -> None:
    with pytest.raises(QuickchatConfigError, match=reason) as refused:
        QuickchatClient(token, base_url)
    assert "s3cret" not in str(refused.value) and "pw@" not in str(refused.value)


def test_a_password_holding_an_at_sign_is_hidden_whole(token: str) -> None:
    with pytest.raises(QuickchatConfigError) as refused:
        QuickchatClient(token, "https://user:s3c@r3t@app.quickchat.ai")
    said = str(refused.value)
    assert "'https://<redacted>@app.quickchat.ai'" in said
    assert "s3c" not in said and "r3t" not in said


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("s3cr3t v4lue", "whitespace"),
        ("s3cr3t-v4lue\n", "whitespace"),
        # Pasted from a page that shortened it: requests would fail deep inside http.client.
        ("s3cr3t\u2026v4lue", "cannot be sent in an HTTP header"),
        ("s3cr3t\x7fv4lue", "cannot be sent in an HTTP header"),
    ],
)
def test_unusable_tokens_are_refused_without_echoing_them(bad: str, says: str) -> None:
    with pytest.raises(QuickchatConfigError, match=says) as failed:
        QuickchatClient(bad)
    assert "s3cr3t" not in str(failed.value) and "v4lue" not in str(failed.value)


def test_a_missing_token_is_the_packages_config_error_naming_the_fix(
    client: QuickchatClient,
) -> None:
    for make in (lambda: QuickchatClient(None), lambda: client.with_token(None)):  # type: ignore[arg-type]
        with pytest.raises(
            QuickchatConfigError, match="No Quickchat API token: pass one as a string"
        ):
            make()


def test_question_codes_are_a_list_as_in_the_lookup_and_the_outputs(
    client: QuickchatClient,
) -> None:
    codes = client.get_configuration().conv_rating_question_codes
    assert isinstance(codes, list) and codes == ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]


def test_repr_never_shows_the_token(client: QuickchatClient, token: str) -> None:
    # The auth goes with each request, not on the session: its own repr is the one to check.
    assert token not in repr(client)
    assert repr(client._auth) == "_BearerAuth(<redacted>)"


def test_the_agent_is_read_from_the_tokens_claims(agent: AgentJson, token: str) -> None:
    assert scenario_id_from_token(token) == agent["scenario_id"]
    assert scenario_id_of(token) == agent["scenario_id"]
    assert scenario_id_of("not-a-jwt").startswith("token-")
    assert "not-a-jwt" not in scenario_id_of("not-a-jwt")


def test_the_stated_time_bound_covers_every_wait(
    admin: EmulatorAdmin, token: str, waits: list[float]
) -> None:
    # The loop run to its end with the longest waits there are: each attempt may spend
    # its connect and read timeouts, each wait is Retry-After's cap.
    client = QuickchatClient(token, admin.url)
    admin.add_fault("status", status=503, retry_after=3600, times=100)
    with pytest.raises(QuickchatAPIError):
        client.get_configuration()
    attempts = len(requests_sent(admin))
    spent = attempts * (DEFAULT_CONNECT_TIMEOUT + DEFAULT_READ_TIMEOUT) + sum(waits)
    assert spent == worst_case_seconds() == 155  # the figure docs/design.md states


def test_one_retry_budget_covers_every_kind_of_failure_in_a_call(
    client: QuickchatClient, admin: EmulatorAdmin
) -> None:
    # Failures of every kind (a 503, a garbled or cut body) alternate; together
    # they still get one try and four retries.
    for kind in ("malformed", "status", "cut", "status", "malformed", "status", "cut"):
        admin.add_fault(kind)  # type: ignore[arg-type]
    with pytest.raises(QuickchatError):
        client.get_configuration()
    assert len(requests_sent(admin)) == 5


def test_a_body_that_stalls_after_the_headers_times_out_and_is_retried(
    client: QuickchatClient, admin: EmulatorAdmin
) -> None:
    admin.add_fault("stall", delay=60)  # far beyond the 1 s read timeout
    assert client.get_configuration().conv_rating_active is False
    assert [e["fault"] for e in admin.request_log()] == ["stall", None]


def test_a_body_that_keeps_stalling_says_no_response_within_the_timeout(
    admin: EmulatorAdmin, token: str
) -> None:
    client = QuickchatClient(token, admin.url, backoff_factor=0.01, read_timeout=1, max_retries=1)
    admin.add_fault("stall", delay=60, times=2)
    with pytest.raises(QuickchatTransportError, match="no response within 1s, after 2 attempts"):
        client.get_configuration()
    assert len(requests_sent(admin)) == 2


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait the retry loop asks for, recorded instead of waited.

    The loop waits on the operation's cancellation token (`_cancel.current()`);
    this one records the wait and returns at once, not cancelled.
    """
    recorded: list[float] = []

    class Recording(threading.Event):
        def wait(self, timeout: float | None = None) -> bool:
            recorded.append(timeout or 0.0)
            return False

    monkeypatch.setattr("pulumi_quickchat._cancel.current", Recording)
    return recorded


def test_retry_after_is_honoured(admin: EmulatorAdmin, token: str, waits: list[float]) -> None:
    client = QuickchatClient(token, admin.url)
    admin.add_fault("status", status=429, retry_after=3)
    client.get_configuration()
    assert waits == [3]


def test_retry_after_is_capped_at_twenty_seconds(
    admin: EmulatorAdmin, token: str, waits: list[float]
) -> None:
    client = QuickchatClient(token, admin.url)
    admin.add_fault("status", status=503, retry_after=3600)
    client.get_configuration()
    assert waits == [20]


@pytest.mark.parametrize(
    "retry_after",
    [
        "soon",
        # "-0000" says the zone is unknown: no wait can be worked out from it.
        "Sun, 06 Nov 2094 08:49:37 -0000",
        # A Latin-1 byte that str.isdigit takes for a digit and float refuses.
        "\xb2",
    ],
)
def test_a_malformed_retry_after_is_ignored_and_the_client_backs_off(
    admin: EmulatorAdmin, token: str, waits: list[float], retry_after: str
) -> None:
    client = QuickchatClient(token, admin.url)
    admin.add_fault("status", status=429, retry_after=retry_after, times=2)
    assert client.get_configuration().conv_rating_active is False
    assert requests_sent(admin) == ["GET 429", "GET 429", "GET 200"]
    assert len(waits) == 1 and 1.0 <= waits[0] <= 1.25  # the backoff's, not the header's


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap(
    admin: EmulatorAdmin, token: str, waits: list[float]
) -> None:
    # Defaults: factor 0.5, jitter up to 0.25 s, cap 8 s. The first failure
    # is retried at once, then the waits are 1, 2, 4 ... seconds.
    client = QuickchatClient(token, admin.url, max_retries=6)
    admin.add_fault("status", status=503, times=100)
    with pytest.raises(QuickchatAPIError):
        client.get_configuration()
    assert len(waits) == 5
    for wait, base in zip(waits, [1, 2, 4, 8, 8], strict=True):
        assert base <= wait <= min(base + 0.25, 8)  # the cap applies after jitter


def test_each_retry_is_logged_with_the_request_the_failure_and_the_wait(
    admin: EmulatorAdmin, token: str, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    client = QuickchatClient(token, admin.url)
    admin.add_fault("status", status=429, retry_after=3)
    admin.add_fault("cut")
    admin.add_fault("status", status=503)
    with caplog.at_level(logging.WARNING, logger="pulumi_quickchat"):
        client.get_configuration()
    url = f"{admin.url}/v1/api/conversation_ratings/configuration"
    assert [r.getMessage() for r in caplog.records] == [
        f"GET {url}: HTTP 429 with Retry-After 3 s; retry 1 of 4 in 3.0 s",
        f"GET {url}: the connection was cut mid-response; retry 2 of 4 in {waits[1]:.1f} s",
        f"GET {url}: HTTP 503; retry 3 of 4 in {waits[2]:.1f} s",
    ]
    assert token not in caplog.text


def test_a_verdict_after_a_retry_counts_every_attempt_and_what_they_may_have_applied(
    client: QuickchatClient, admin: EmulatorAdmin
) -> None:
    # The 502 may have followed the change; the 409 that ends the call says nothing
    # of what the first attempt did, so the error must still say it may be applied.
    admin.add_fault("status", status=502, method="PATCH")
    admin.add_fault("status", status=409, method="PATCH")
    with pytest.raises(QuickchatAPIError) as failed:
        client.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)
    assert requests_sent(admin) == ["PATCH 502", "PATCH 409"]
    assert failed.value.status == 409 and failed.value.attempts == 2
    assert failed.value.maybe_applied
    assert "after 2 attempts" in str(failed.value)
    assert "The change may already have been applied" in str(failed.value)


def test_failures_only_the_client_sees_wait_by_the_same_policy(
    admin: EmulatorAdmin, token: str, waits: list[float]
) -> None:
    client = QuickchatClient(token, admin.url)
    admin.add_fault("cut", times=3)
    assert client.get_configuration().conv_rating_active is False
    assert len(waits) == 2 and 1.0 <= waits[0] <= 1.25 and 2.0 <= waits[1] <= 2.25


def test_a_client_for_another_token_shares_the_connections_and_speaks_for_its_own_agent(
    admin: EmulatorAdmin, client: QuickchatClient, agent: AgentJson
) -> None:
    other = admin.create_agent()
    sibling = client.with_token(other["tokens"]["write_all"])
    assert sibling.base_url == client.base_url
    client.get_configuration()
    sibling.update_configuration(conv_rating_question_codes=["EXPERIENCE_THUMBS"])
    client.get_configuration()
    first, second, third = admin.request_log()
    # One kept-alive connection, each request with its own client's token.
    assert first["connection"] == second["connection"] == third["connection"] != 0
    assert [e["scenario_id"] for e in (first, second, third)] == [
        agent["scenario_id"],
        other["scenario_id"],
        agent["scenario_id"],
    ]
    assert admin.get_configuration(agent["scenario_id"])["conv_rating_question_codes"] == [
        "HELPFUL_THUMBS",
        "EXPERIENCE_THUMBS",
    ]


def test_a_client_for_a_bad_token_is_refused_without_echoing_it(client: QuickchatClient) -> None:
    with pytest.raises(QuickchatConfigError) as refused:
        client.with_token("abc def")
    assert "abc def" not in str(refused.value)


def test_a_string_of_codes_is_refused_naming_the_fix_with_nothing_sent(
    admin: EmulatorAdmin, token: str
) -> None:
    client = QuickchatClient(token, admin.url)
    with pytest.raises(QuickchatConfigError) as refused:
        client.update_configuration(conv_rating_question_codes="HELPFUL_THUMBS")
    assert str(refused.value) == (
        "conv_rating_question_codes must be a list of question codes, not a single string: "
        "pass a list such as ['HELPFUL_THUMBS']. Nothing was sent."
    )
    assert requests_sent(admin) == []


@pytest.mark.parametrize("empty", ["", "  ", "\n"])
def test_an_empty_token_is_refused_naming_the_fix(empty: str) -> None:
    with pytest.raises(QuickchatConfigError) as refused:
        QuickchatClient(empty)
    assert str(refused.value).startswith(
        "The Quickchat API token is empty: pass the token itself, as created in the "
        "Quickchat Dashboard. In a Pulumi program it can also come from `api_token`, the "
        "stack config `quickchat:apiToken`"
    )


def _http_date(offset: timedelta) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + offset, usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [
        # An hour ahead: far beyond the cap, whatever the clock does meanwhile.
        (timedelta(hours=1), 20.0),
        # A date gone by: retry now, never a negative wait.
        (-timedelta(hours=1), 0.0),
    ],
)
def test_retry_after_as_an_http_date_is_honoured_up_to_its_cap(
    admin: EmulatorAdmin, token: str, waits: list[float], retry_after: timedelta, wait: float
) -> None:
    client = QuickchatClient(token, admin.url)
    admin.add_fault("status", status=429, retry_after=_http_date(retry_after))
    assert client.get_configuration().conv_rating_active is False
    assert waits == ([wait] if wait else [])
    assert requests_sent(admin) == ["GET 429", "GET 200"]


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ({"kind": "gateway_html"}, "HTTP 502 (a page titled '502 Bad Gateway', not from Quickchat"),
        ({"kind": "gateway_html", "status": 504}, "HTTP 504 (a page titled '504 Gateway Timeout'"),
        ({"kind": "detail_body", "status": 404, "message": "Not found."}, "HTTP 404 (Not found.)"),
        ({"kind": "detail_body", "status": 403}, "HTTP 403 (Forbidden)"),
    ],
)
def test_error_bodies_that_are_not_quickchats_are_shown_for_what_they_are(
    admin: EmulatorAdmin, token: str, fault: dict[str, object], says: str
) -> None:
    client = QuickchatClient(token, admin.url, max_retries=0)
    admin.add_fault(**fault)  # type: ignore[arg-type]
    with pytest.raises(QuickchatAPIError) as failed:
        client.get_configuration()
    assert says in str(failed.value)
    assert failed.value.code is None  # no Quickchat code was invented


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("list_body", "expected a JSON object, got list"),
        ("string_body", "expected a JSON object, got str"),
        ("missing_flag", "`conv_rating_popup_active` is missing or not a boolean"),
        ("string_flag", "`conv_rating_active` is missing or not a boolean"),
    ],
)
def test_a_configuration_of_the_wrong_shape_is_retried_then_named(
    admin: EmulatorAdmin, token: str, kind: str, says: str
) -> None:
    client = QuickchatClient(token, admin.url, backoff_factor=0.01, max_retries=1)
    admin.add_fault(kind)  # type: ignore[arg-type]
    assert client.get_configuration().conv_rating_active is False  # a retry read it right
    admin.add_fault(kind, times=2)  # type: ignore[arg-type]
    with pytest.raises(QuickchatResponseError, match=f"unexpected response body \\({says}\\)"):
        client.get_configuration()
    assert requests_sent(admin) == ["GET 200"] * 4


# --- proxies: HTTPS_PROXY, HTTP_PROXY and NO_PROXY, as Go's ProxyFromEnvironment reads them


def _proxy_environment(monkeypatch: pytest.MonkeyPatch, proxy: str, no_proxy: str = "") -> None:
    # Both spellings: where both are set, Python prefers the lower-case one.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy)
        monkeypatch.setenv(name.lower(), proxy)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    monkeypatch.setenv("no_proxy", no_proxy)


@pytest.fixture
def quickchat_here(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """app.quickchat.ai resolved to a listening socket this test holds, so that where the
    client connects is seen without the network (a stand-in for DNS, nothing more)."""
    real = socket.getaddrinfo
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        held.settimeout(0)

        def resolve(host: object, port: object, *rest: object, **named: object) -> object:
            if host == "app.quickchat.ai":
                return real("127.0.0.1", held.getsockname()[1], *rest, **named)  # type: ignore[arg-type]
            return real(host, port, *rest, **named)  # type: ignore[arg-type]

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        yield held


def _connections(held: socket.socket) -> int:
    count = 0
    while True:
        try:
            held.accept()[0].close()
        except BlockingIOError:
            return count
        count += 1


def test_https_proxy_carries_the_request_and_never_sees_the_token(
    monkeypatch: pytest.MonkeyPatch, quickchat_here: socket.socket, token: str
) -> None:
    with LoopbackProxy() as proxy:
        _proxy_environment(monkeypatch, proxy.url)
        client = QuickchatClient(token, max_retries=0)
        with pytest.raises(QuickchatTransportError, match="could not reach the server"):
            client.get_configuration()
    # A tunnel to Quickchat was asked of the proxy (which refused it); the token would
    # travel inside it, never to the proxy; nothing went around it.
    assert [(method, target) for method, target, _ in proxy.seen] == [
        ("CONNECT", "app.quickchat.ai:443")
    ]
    assert token not in str(proxy.seen)
    assert _connections(quickchat_here) == 0


def test_a_write_refused_by_the_proxy_was_never_sent(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    # The proxy's port is held, bound but not listening: no connection, so no request
    # left, and the write cannot have been applied.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        _proxy_environment(monkeypatch, f"http://127.0.0.1:{held.getsockname()[1]}")
        client = QuickchatClient(token, max_retries=0)
        with pytest.raises(QuickchatTransportError, match="connection refused") as failed:
            client.update_configuration(conv_rating_active=False)
    assert not failed.value.maybe_applied
    assert "may already have been applied" not in str(failed.value)


def test_no_proxy_sends_the_request_around_the_proxy(
    monkeypatch: pytest.MonkeyPatch, quickchat_here: socket.socket, token: str
) -> None:
    with LoopbackProxy() as proxy:
        _proxy_environment(monkeypatch, proxy.url, no_proxy="example.com,.quickchat.ai")
        # The held socket accepts and never answers the TLS handshake: a read timeout.
        client = QuickchatClient(token, max_retries=0, read_timeout=0.5)
        with pytest.raises(QuickchatTransportError):
            client.get_configuration()
    assert proxy.seen == []
    assert _connections(quickchat_here) == 1


def test_loopback_addresses_never_go_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch, admin: EmulatorAdmin, token: str
) -> None:
    with LoopbackProxy() as proxy:
        _proxy_environment(monkeypatch, proxy.url)
        assert QuickchatClient(token, admin.url).get_configuration().conv_rating_active is False
    assert proxy.seen == []
    assert requests_sent(admin) == ["GET 200"]


def test_credentials_in_netrc_are_never_sent(
    monkeypatch: pytest.MonkeyPatch, admin: EmulatorAdmin, token: str, tmp_path: Path
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    QuickchatClient(token, admin.url).get_configuration()
    (entry,) = admin.request_log()
    assert entry["headers"]["authorization"] == "Bearer [redacted]"
