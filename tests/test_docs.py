"""The README's troubleshooting table and the code's error messages stay in step.

The messages are produced by the code itself (check on bad inputs, the client
against the emulator's faults, the provider's guards), then matched against
the table both ways: every message the code raises has a row, and every row
matches a message the code raises. A coverage check makes sure the bad inputs
reach every failure `check` can report.
"""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import requests

from pulumi_quickchat import (
    ConversationRatingConfigProvider,
    QuickchatClient,
    QuickchatError,
    RatingConfiguration,
    conversation_rating,
    get_conversation_rating_config,
    settings,
)
from pulumi_quickchat.client import _describe_transport_error, worst_case_seconds
from pulumi_quickchat.conversation_rating import _write, check_inputs
from pulumi_quickchat.errors import GENERIC_HINT, HINTS
from quickchat_emulator import EmulatorAdmin

README = Path(__file__).resolve().parents[1] / "README.md"

BAD_CHECK_INPUTS: list[dict[str, Any]] = [
    {},
    {"conv_rating_active": "yes"},
    {"conv_rating_active": True, "conv_rating_popup_active": 1},
    {"conv_rating_active": True, "conv_rating_popup_active": False},
    {"conv_rating_active": True, "conv_rating_question_codes": "HELPFUL_THUMBS"},
    {"conv_rating_active": True, "conv_rating_question_codes": [None]},
    {"conv_rating_active": True, "conv_rating_question_codes": ["helpful_thumbs"]},
    {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMS"]},
    {"conv_rating_active": True, "conv_rating_question_codes": ["STARS"]},
    {"conv_rating_active": True, "conv_rating_question_codes": ["HELPFUL_THUMBS"] * 2},
    {"conv_rating_active": True, "conv_rating_question_codes": []},
    {"conv_rating_active": True, "api_token": 5},
    {"conv_rating_active": True, "api_token": "a b"},
    {"conv_rating_active": True, "base_url": 5},
    {"conv_rating_active": True, "base_url": "quickchat.ai"},
    {"conv_rating_active": True, "base_url": "https://x:70000"},
    {"conv_rating_active": True, "base_url": "http://quickchat.example"},
    {"conv_rating_active": True, "base_url": "https://u:p@quickchat.example"},
    {"conv_rating_active": True, "base_url": "https://quickchat.example/#top"},
]


def troubleshooting_rows() -> dict[str, str]:
    text = README.read_text()
    section = text.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
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


@pytest.fixture
def config_with_token() -> Iterator[None]:
    settings.configure({"quickchat:apiToken": "a-token"})
    yield
    settings.configure({})


def check_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("QUICKCHAT_API_TOKEN", raising=False)
    reasons = []
    for config in ({"quickchat:apiToken": "a-token"}, {}, {"quickchat:apiToken": " \n"}):
        settings.configure(config)
        for news in BAD_CHECK_INPUTS:
            reasons += [f.reason for f in check_inputs(news)[1]]
    settings.configure({})
    return reasons


def api_messages(admin: EmulatorAdmin, token: str) -> list[str]:
    client = QuickchatClient(token, admin.url, backoff_factor=0.01, read_timeout=2)
    messages = []
    for status in [*HINTS, 418]:
        admin.add_fault("status", status=status, times=100)
        messages += messages_from(client.get_configuration)
        admin.clear_faults()
    for kind in ("cut", "malformed", "partial"):
        admin.add_fault(kind, times=100)
        messages += messages_from(client.get_configuration)
        admin.clear_faults()
    admin.add_fault("contradict", method="PATCH")
    desired = RatingConfiguration(True, True, ("HELPFUL_THUMBS",))
    messages += messages_from(lambda: _write(client, desired, "pulumi up"))
    return messages


def transport_messages() -> list[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    messages = messages_from(QuickchatClient("t", closed, backoff_factor=0.01).get_configuration)
    # The other transport failures need a network this machine has not got;
    # their wording comes from one function, called here as the client calls it.
    timeout = (5.0, 10.0)
    for error in (
        requests.exceptions.ConnectTimeout(),
        requests.exceptions.ReadTimeout(),
        requests.exceptions.RetryError(),
        requests.exceptions.ConnectionError(),
        requests.exceptions.InvalidURL(),
    ):
        messages.append(_describe_transport_error(error, timeout))
    return messages


def guard_messages(admin: EmulatorAdmin, token: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    news = {"conv_rating_active": True, "api_token": token, "base_url": admin.url}
    olds = {**news, "scenario_id": "another-agent", "base_url": admin.url}
    update = ConversationRatingConfigProvider().update
    messages = messages_from(lambda: update("id", olds, news))
    olds = {**news, "scenario_id": conversation_rating.agent_key(token), "base_url": "https://x"}
    messages += messages_from(lambda: update("id", olds, news))
    recorded = {**news, "scenario_id": "another-agent"}
    messages += messages_from(lambda: ConversationRatingConfigProvider().delete("id", recorded))
    messages += messages_from(lambda: QuickchatClient(" "))
    messages += messages_from(lambda: QuickchatClient("t", "http://quickchat.example"))
    monkeypatch.delenv("QUICKCHAT_API_TOKEN", raising=False)
    messages += messages_from(get_conversation_rating_config)
    monkeypatch.setenv("QUICKCHAT_MAX_RETRIES", "many")
    messages += messages_from(lambda: settings.client_for("t2", admin.url))
    return messages


def all_messages(admin: EmulatorAdmin, token: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return (
        check_messages(monkeypatch)
        + api_messages(admin, token)
        + transport_messages()
        + guard_messages(admin, token, monkeypatch)
    )


def test_every_message_the_code_raises_has_a_row_in_the_readme(
    admin: EmulatorAdmin, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = troubleshooting_rows()
    missing = [m for m in all_messages(admin, token, monkeypatch) if not any(r in m for r in rows)]
    assert missing == [], "add these to README.md's Troubleshooting table"


def test_every_row_in_the_readme_matches_a_message_the_code_raises(
    admin: EmulatorAdmin, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = all_messages(admin, token, monkeypatch)
    stale = [r for r in troubleshooting_rows() if not any(r in m for m in messages)]
    assert stale == [], "these README rows match no message the code raises"


def test_each_status_row_says_what_the_error_itself_says() -> None:
    rows = troubleshooting_rows()
    for status, hint in HINTS.items():
        assert rows[f"HTTP {status}"] == hint
    assert GENERIC_HINT.startswith("Unexpected answer from Quickchat")


def test_the_readme_states_the_time_bound_the_client_settings_give() -> None:
    text = README.read_text()
    bound = worst_case_seconds()
    assert f"at most **{bound:g} seconds**" in text
    # A step sends one request, or two when a write's answer contradicts it.
    assert f"a step ends within {2 * bound:g} s" in text


def test_the_bad_inputs_reach_every_failure_check_can_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = Path(conversation_rating.__file__)
    lines = source.read_text().splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith("def check_inputs"))
    end = next(i for i, line in enumerate(lines, 1) if i > start and line.startswith("def "))
    fail_lines = {
        i for i in range(start, end) if "fail(" in lines[i - 1] and "def fail" not in lines[i - 1]
    }
    executed: set[int] = set()

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_filename == str(source):
            executed.add(frame.f_lineno)
        return trace

    sys.settrace(trace)
    try:
        check_messages(monkeypatch)
    finally:
        sys.settrace(None)
    assert fail_lines, "found no failure sites; has check_inputs moved?"
    assert sorted(fail_lines - executed) == [], "add a bad input reaching these lines"
