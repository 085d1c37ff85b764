"""The read-only lookup: an agent's current setting, read without managing it."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest
from pulumi.runtime.config import set_all_config

from pulumi_quickchat import (
    GetConversationRatingConfigResult,
    QuickchatAPIError,
    QuickchatConfigError,
    get_conversation_rating_config,
    get_conversation_rating_config_output,
)
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import requests_sent
from support.mocks import mocked_program

EXPECTED_CODES = ["EXPERIENCE_THUMBS"]


@pytest.fixture
def rated_agent(admin: EmulatorAdmin) -> AgentJson:
    return admin.create_agent(
        configuration={
            "conv_rating_active": True,
            "conv_rating_popup_active": True,
            "conv_rating_question_codes": EXPECTED_CODES,
        }
    )


@pytest.fixture(autouse=True)
def clean_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("QUICKCHAT_API_TOKEN", "QUICKCHAT_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    set_all_config({})
    yield
    set_all_config({})


def expected(agent: AgentJson, url: str) -> GetConversationRatingConfigResult:
    return GetConversationRatingConfigResult(
        scenario_id=agent["scenario_id"],
        base_url=url,
        conv_rating_active=True,
        conv_rating_popup_active=True,
        conv_rating_question_codes=EXPECTED_CODES,
    )


def test_lookup_reads_the_agent_with_one_get_and_a_read_only_token(
    admin: EmulatorAdmin, rated_agent: AgentJson
) -> None:
    requests_sent(admin)
    result = get_conversation_rating_config(
        api_token=rated_agent["tokens"]["read_all"], base_url=admin.url
    )
    assert result == expected(rated_agent, admin.url)
    assert requests_sent(admin) == ["GET 200"]


def test_lookup_finds_token_and_address_in_stack_config(
    admin: EmulatorAdmin, rated_agent: AgentJson
) -> None:
    set_all_config(
        {"quickchat:apiToken": rated_agent["tokens"]["read_all"], "quickchat:baseUrl": admin.url}
    )
    assert get_conversation_rating_config() == expected(rated_agent, admin.url)


def test_lookup_finds_token_and_address_in_the_environment(
    admin: EmulatorAdmin, rated_agent: AgentJson, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUICKCHAT_API_TOKEN", rated_agent["tokens"]["read_all"])
    monkeypatch.setenv("QUICKCHAT_API_BASE_URL", admin.url)
    assert get_conversation_rating_config() == expected(rated_agent, admin.url)


def test_lookup_without_a_token_says_where_to_set_one() -> None:
    with pytest.raises(QuickchatConfigError, match="quickchat:apiToken"):
        get_conversation_rating_config()


def test_lookup_with_a_revoked_token_says_what_to_do(
    admin: EmulatorAdmin, rated_agent: AgentJson
) -> None:
    token = rated_agent["tokens"]["read_all"]
    admin.revoke_token(token)
    with pytest.raises(QuickchatAPIError, match="invalid, expired or revoked") as failed:
        get_conversation_rating_config(api_token=token, base_url=admin.url)
    assert token not in str(failed.value)


def test_lookup_runs_during_preview_too(admin: EmulatorAdmin, rated_agent: AgentJson) -> None:
    with mocked_program(preview=True) as (loop, _):
        requests_sent(admin)
        result = get_conversation_rating_config_output(
            api_token=rated_agent["tokens"]["read_all"], base_url=admin.url
        )
        assert loop.run_until_complete(result.future()) == expected(rated_agent, admin.url)
        assert requests_sent(admin) == ["GET 200"]


def test_lookup_output_takes_a_secret_token_and_gives_a_plain_result(
    admin: EmulatorAdmin, rated_agent: AgentJson
) -> None:
    with mocked_program(preview=False) as (loop, _):
        token = pulumi.Output.secret(rated_agent["tokens"]["read_all"])
        result = get_conversation_rating_config_output(api_token=token, base_url=admin.url)
        active = result.conv_rating_active

        assert loop.run_until_complete(result.future()) == expected(rated_agent, admin.url)
        assert loop.run_until_complete(active.future()) is True
        assert loop.run_until_complete(result.is_secret()) is False
