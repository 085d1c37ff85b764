"""The troubleshooting page and the code's error messages stay in step.

The messages are produced by the code itself (check on bad inputs, the client
against the emulator's faults, the provider's guards), then matched against
the table both ways: every message the code raises has a row, and every row
matches a message the code raises. Each failure check can report has an
explicit case below, naming the field and the words it must say.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from pulumi_quickchat import (
    QuickchatClient,
    QuickchatError,
    RatingConfiguration,
    _core,
    get_conversation_rating_config,
    scenario_id_of,
)
from pulumi_quickchat._settings import ProviderConfig
from pulumi_quickchat.client import _transport_error, worst_case_seconds
from pulumi_quickchat.errors import GENERIC_HINT, HINTS
from quickchat_emulator import EmulatorAdmin

from support.configured import configured_provider, stack_config
from support.plugins import NativePlugin, ProviderError

DOCS = Path(__file__).resolve().parents[1] / "docs"
TROUBLESHOOTING = DOCS / "troubleshooting.md"
REFERENCE = DOCS / "reference.md"
A_TOKEN = {"api_token": "a-token"}


@dataclass(frozen=True)
class CheckCase:
    """Inputs (and stack config) for which check must report `field`, saying `says`."""

    news: dict[str, Any]
    field: str
    says: str
    config: Mapping[str, str] = field(default_factory=lambda: A_TOKEN)


ON: dict[str, Any] = {"conv_rating_active": True}
CHECK_CASES = [
    CheckCase({}, "conv_rating_active", "is required"),
    CheckCase({"conv_rating_active": "yes"}, "conv_rating_active", "must be true or false"),
    CheckCase(
        {**ON, "conv_rating_popup_active": 1}, "conv_rating_popup_active", "must be true or false"
    ),
    CheckCase(
        {**ON, "conv_rating_popup_active": False},
        "conv_rating_popup_active",
        "must equal conv_rating_active",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": "HELPFUL_THUMBS"},
        "conv_rating_question_codes",
        "not a single string: write ['HELPFUL_THUMBS']",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": 5},
        "conv_rating_question_codes",
        "must be a list of question codes, got the number 5",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": [None]},
        "conv_rating_question_codes",
        "each question code must be a string",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": ["helpful_thumbs"]},
        "conv_rating_question_codes",
        "codes are upper case, use 'HELPFUL_THUMBS'",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": ["HELPFUL_THUMS"]},
        "conv_rating_question_codes",
        "did you mean 'HELPFUL_THUMBS'?",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": ["STARS"]},
        "conv_rating_question_codes",
        "unknown question code 'STARS' (known codes: HELPFUL_THUMBS, EXPERIENCE_THUMBS)",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": ["HELPFUL_THUMBS"] * 2},
        "conv_rating_question_codes",
        "lists HELPFUL_THUMBS more than once",
    ),
    CheckCase(
        {**ON, "conv_rating_question_codes": []},
        "conv_rating_question_codes",
        "is empty while conv_rating_active is true",
    ),
    CheckCase({**ON, "api_token": 5}, "api_token", "must be a string"),
    CheckCase(ON, "api_token", "no Quickchat API token found", config={}),
    CheckCase({**ON, "api_token": "a b"}, "api_token", "the token from the resource's api_token"),
    CheckCase(
        ON,
        "api_token",
        "the token from stack config quickchat:apiToken is empty",
        config={"api_token": " \n"},
    ),
    CheckCase({**ON, "base_url": 5}, "base_url", "must be a URL string"),
    CheckCase({**ON, "base_url": "quickchat.ai"}, "base_url", "must be an absolute https:// URL"),
    CheckCase({**ON, "base_url": "https://x:70000"}, "base_url", "is not a valid URL"),
    CheckCase({**ON, "base_url": "http://quickchat.example"}, "base_url", "uses plain http"),
    CheckCase(
        {**ON, "base_url": "https://u:p@quickchat.example"},
        "base_url",
        "must not contain credentials",
    ),
    CheckCase(
        {**ON, "base_url": "https://quickchat.example/#top"},
        "base_url",
        "must not contain a query string or fragment",
    ),
    CheckCase(
        {**ON, "base_url": "http://127.0.0.1:8377/v1/api"},
        "base_url",
        "without the path '/v1/api': use http://127.0.0.1:8377",
    ),
]


def check_failures(case: CheckCase) -> list[_core.CheckFailure]:
    return _core.check(case.news, (), stack_config(**case.config))[1]


@pytest.fixture(autouse=True)
def no_token_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUICKCHAT_API_TOKEN", raising=False)
    monkeypatch.delenv("QUICKCHAT_API_BASE_URL", raising=False)


@pytest.mark.parametrize("case", CHECK_CASES, ids=lambda case: f"{case.field}: {case.says}")
def test_check_reports_each_bad_input_on_its_field_in_these_words(case: CheckCase) -> None:
    failures = check_failures(case)
    assert [f.field for f in failures] == [case.field]
    # The engine prints the field's name before the reason; the reason does not repeat it.
    assert not failures[0].reason.startswith(f"{case.field}: ")
    assert case.says in failures[0].reason


def test_every_field_check_validates_has_a_case() -> None:
    assert {case.field for case in CHECK_CASES} == set(_core.VALIDATORS)


def troubleshooting_rows() -> dict[str, str]:
    # The first table: pulumi-quickchat's own messages (the second is Pulumi's).
    text = TROUBLESHOOTING.read_text()
    section = text.split("## From pulumi-quickchat", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `([^`]+)` \| (.+) \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def messages_from(action: Callable[[], object]) -> list[str]:
    try:
        action()
    except QuickchatError as error:
        return [str(error)]
    raise AssertionError(f"{action} raised nothing")


def check_messages() -> list[str]:
    # The engine prints `property FIELD value V has a problem: REASON`; the table
    # lists each as `FIELD: REASON`.
    return [
        f"{failure.field}: {failure.reason}"
        for case in CHECK_CASES
        for failure in check_failures(case)
    ]


def api_messages(admin: EmulatorAdmin, token: str) -> list[str]:
    client = QuickchatClient(token, admin.url, backoff_factor=0.01, read_timeout=2)
    messages = []
    for status in [*HINTS, 418]:
        admin.add_fault("status", status=status, times=100)
        messages += messages_from(client.get_configuration)
        admin.clear_faults()
    for kind in ("cut", "malformed", "partial", "gateway_html"):
        admin.add_fault(kind, times=100)
        messages += messages_from(client.get_configuration)
        admin.clear_faults()
    admin.add_fault("contradict", method="PATCH")
    desired = RatingConfiguration(True, True, ["HELPFUL_THUMBS"])
    messages += messages_from(lambda: _core._write(client, desired, "pulumi up", stack_config()))
    return messages


def transport_messages() -> list[str]:
    # A port held, bound but not listening: refused, and no other process can take it.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{held.getsockname()[1]}"
        client = QuickchatClient("t", closed, backoff_factor=0.01)
        messages = messages_from(client.get_configuration)
    # The other transport failures need a network this machine has not got;
    # their wording comes from one function, called here as the client calls it.
    timeout = (5.0, 10.0)
    for error in (
        requests.exceptions.ConnectTimeout(),
        requests.exceptions.ReadTimeout(),
        requests.exceptions.ConnectionError(),
        requests.exceptions.InvalidURL(),
    ):
        messages.append(str(_transport_error("GET", error, timeout, answered=False)))
    return messages


def guard_messages(admin: EmulatorAdmin, token: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    news = {"conv_rating_active": True, "api_token": token, "base_url": admin.url}
    olds = {**news, "scenario_id": "another-agent", "base_url": admin.url}
    provider = configured_provider({})
    messages = messages_from(lambda: provider.update("id", olds, news))
    olds = {**news, "scenario_id": scenario_id_of(token), "base_url": "https://x"}
    messages += messages_from(lambda: provider.update("id", olds, news))
    recorded = {**news, "scenario_id": "another-agent"}
    messages += messages_from(lambda: provider.delete("id", recorded))
    config = stack_config(api_token=token, base_url=admin.url)
    messages += messages_from(lambda: _core.read("another-agent", {}, config))  # an import
    messages += messages_from(lambda: QuickchatClient(" "))
    messages += messages_from(lambda: QuickchatClient("t", "http://quickchat.example"))
    monkeypatch.delenv("QUICKCHAT_API_TOKEN", raising=False)
    messages += messages_from(get_conversation_rating_config)
    monkeypatch.setenv("QUICKCHAT_MAX_RETRIES", "many")
    messages += messages_from(lambda: ProviderConfig.resolve({}))
    return messages


def plugin_messages(start_native: Callable[..., NativePlugin]) -> list[str]:
    """What the native plugin says of a failure that is not Quickchat's."""
    plugin = start_native()
    with pytest.raises(ProviderError) as failed:
        plugin.invoke({}, token="quickchat:index:getSomethingElse")
    return [failed.value.details]


def all_messages(
    admin: EmulatorAdmin,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    start_native: Callable[..., NativePlugin],
) -> list[str]:
    return (
        check_messages()
        + api_messages(admin, token)
        + transport_messages()
        + guard_messages(admin, token, monkeypatch)
        + plugin_messages(start_native)
    )


def test_every_message_the_code_raises_has_a_row(
    admin: EmulatorAdmin,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    start_native: Callable[..., NativePlugin],
) -> None:
    rows = troubleshooting_rows()
    messages = all_messages(admin, token, monkeypatch, start_native)
    missing = [m for m in messages if not any(r in m for r in rows)]
    assert missing == [], "add these to docs/troubleshooting.md"


def test_every_row_matches_a_message_the_code_raises(
    admin: EmulatorAdmin,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    start_native: Callable[..., NativePlugin],
) -> None:
    messages = all_messages(admin, token, monkeypatch, start_native)
    stale = [r for r in troubleshooting_rows() if not any(r in m for m in messages)]
    assert stale == [], "these troubleshooting rows match no message the code raises"


def test_the_status_rows_are_the_codes_own_words_both_ways() -> None:
    # Every status errors.HINTS knows has a row saying exactly its hint, and
    # every status row is one HINTS knows.
    rows = troubleshooting_rows()
    status_rows = {key: text for key, text in rows.items() if re.fullmatch(r"HTTP \d{3}", key)}
    assert status_rows == {f"HTTP {status}": hint for status, hint in HINTS.items()}
    assert GENERIC_HINT.startswith("Unexpected answer from Quickchat")


def test_no_advice_puts_a_token_on_the_command_line() -> None:
    # `pulumi config set --secret KEY` with no value prompts for it, so the
    # token lands neither in shell history nor in the process list.
    root = DOCS.parent
    texts = [p.read_text() for p in (root / "README.md", root / "CONTRIBUTING.md")]
    texts += [p.read_text() for p in DOCS.rglob("*.md")]
    texts += [p.read_text() for p in (root / "provider").rglob("*.py")]
    texts += [p.read_text() for p in (root / "examples").rglob("*.py")]
    texts += [HINTS[401]]
    for text in texts:
        assert not re.search(r"config set --secret [\w:-]+ <", text), text[:80]
        assert "=<token>" not in text and "=<old token>" not in text


def test_the_reference_states_the_time_bound_the_client_settings_give() -> None:
    text = REFERENCE.read_text()
    bound = worst_case_seconds()
    assert f"at most **{bound:g} seconds**" in text
    # A step sends one request, or two when a write's answer contradicts it.
    assert f"a step ends within {2 * bound:g} s" in text
