"""Unit tests catch mistakes: under `pulumi.runtime.set_mocks`, where no provider runs,
the dynamic resource and the lookup refuse what check refuses, in check's words.

Each case is a program a user might write, constructed under mocks; the error
must be the very message `pulumi preview` shows for that input (the core's
check, which the provider runs), and nothing reaches the mocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from pulumi_quickchat import (
    ConversationRatingConfig,
    QuickchatConfigError,
    QuickchatError,
    _core,
    get_conversation_rating_config,
)

from support.configured import stack_config
from support.mocks import mocked_program

TOKEN = "a-token"
ON = {"conv_rating_active": True, "api_token": TOKEN}

# One program per message check can give, with that message.
CASES: list[tuple[dict[str, Any], str]] = [
    ({**ON, "conv_rating_active": None}, "conv_rating_active: is required"),
    ({**ON, "conv_rating_active": "yes"}, "got the string 'yes'"),
    ({**ON, "conv_rating_popup_active": False}, "set it to true or leave it out"),
    ({**ON, "conv_rating_popup_active": "no"}, "conv_rating_popup_active: must be true or false"),
    ({**ON, "conv_rating_question_codes": "HELPFUL_THUMBS"}, "write ['HELPFUL_THUMBS']"),
    ({**ON, "conv_rating_question_codes": 5}, "got the number 5"),
    ({**ON, "conv_rating_question_codes": [None]}, "each question code must be a string"),
    ({**ON, "conv_rating_question_codes": ["STARS"]}, "unknown question code 'STARS'"),
    ({**ON, "conv_rating_question_codes": ["helpful_thumbs"]}, "use 'HELPFUL_THUMBS'"),
    ({**ON, "conv_rating_question_codes": ["HELPFUL_THUMS"]}, "did you mean 'HELPFUL_THUMBS'?"),
    ({**ON, "conv_rating_question_codes": ["HELPFUL_THUMBS"] * 2}, "more than once"),
    ({**ON, "conv_rating_question_codes": []}, "is empty while conv_rating_active is true"),
    ({**ON, "conv_rating_question_codes": ["X"] * 101}, "more than the 100 accepted"),
    ({"conv_rating_active": True}, "api_token: no Quickchat API token found"),
    ({**ON, "api_token": "a b"}, "the token from the resource's api_token contains whitespace"),
    ({**ON, "api_token": 5}, "api_token: must be a string"),
    ({**ON, "base_url": "http://quickchat.example"}, "uses plain http"),
    ({**ON, "base_url": "https://app.quickchat.ai "}, "contains whitespace or control"),
    ({**ON, "base_url": "http://127.0.0.1:8377/v1/api"}, "use http://127.0.0.1:8377"),
    ({**ON, "base_url": 8080}, "base_url: must be a URL string"),
]


@pytest.fixture(autouse=True)
def no_settings_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUICKCHAT_API_TOKEN", raising=False)
    monkeypatch.delenv("QUICKCHAT_API_BASE_URL", raising=False)


@pytest.fixture
def program() -> Iterator[tuple[asyncio.AbstractEventLoop, Any]]:
    with mocked_program(preview=False) as running:
        yield running


@pytest.mark.parametrize(("args", "says"), CASES, ids=[says for _, says in CASES])
def test_the_resource_refuses_under_mocks_what_preview_refuses_in_the_same_words(
    program: tuple[asyncio.AbstractEventLoop, Any], args: dict[str, Any], says: str
) -> None:
    _, mocks = program
    with pytest.raises(QuickchatConfigError) as refused:
        ConversationRatingConfig("ratings", **args)
    # What `pulumi preview` shows: the provider's check of the same inputs.
    _, failures = _core.check(args, ("api_token",), stack_config())
    # ... each failure after its field's name, which the engine would print before it.
    failure = failures[0]
    assert (
        str(refused.value)
        == f"ConversationRatingConfig 'ratings': {failure.field}: {failure.reason}"
    )
    assert says in str(refused.value)
    assert isinstance(refused.value, pulumi.RunError)  # reported without a stack trace
    assert [r.name for r in mocks.registered if r.typ != "pulumi:pulumi:Stack"] == []


def test_values_known_only_at_up_are_left_to_the_provider(
    program: tuple[asyncio.AbstractEventLoop, Any],
) -> None:
    loop, mocks = program
    later = pulumi.Output.from_input(["STARS"])
    ConversationRatingConfig("ratings", **ON, conv_rating_question_codes=later)
    loop.run_until_complete(asyncio.sleep(0.1))
    assert [r.name for r in mocks.registered if r.typ != "pulumi:pulumi:Stack"] == ["ratings"]


def test_the_token_in_the_programs_stack_config_counts(
    program: tuple[asyncio.AbstractEventLoop, Any],
) -> None:
    pulumi.runtime.set_all_config({"quickchat:apiToken": TOKEN}, ["quickchat:apiToken"])
    try:
        ConversationRatingConfig("ratings", conv_rating_active=True)
    finally:
        pulumi.runtime.set_all_config({})


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({}, "No Quickchat API token: set the lookup's `api_token` argument"),
        ({"api_token": "a b"}, "the token from the lookup's api_token contains whitespace"),
        ({"api_token": TOKEN, "base_url": "http://quickchat.example"}, "uses plain http"),
    ],
)
def test_the_lookup_refuses_under_mocks_what_it_refuses_for_real(
    program: tuple[asyncio.AbstractEventLoop, Any], args: dict[str, Any], says: str
) -> None:
    with pytest.raises(QuickchatError, match=None) as refused:
        get_conversation_rating_config(**args)
    assert says in str(refused.value)
