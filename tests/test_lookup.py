"""The read-only lookup: an agent's current setting, read without managing it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_quickchat import (
    GetConversationRatingConfigResult,
    QuickchatAPIError,
    QuickchatConfigError,
    get_conversation_rating_config,
)
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import requests_sent
from support.plugins import Plugin
from support.program import ProgramStack
from support.sdk import reset_runtime, set_config, wait_for_rpcs

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
    # No program's runtime (an earlier test's mocks) is left around: the
    # lookup is called here as a plain function, outside any program.
    reset_runtime(preview=False)
    set_config({})
    yield
    set_config({})


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
    set_config(
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
    with pytest.raises(QuickchatConfigError) as failed:
        get_conversation_rating_config()
    # A lookup has no resource: its own argument is named, then config and environment.
    assert "the lookup's `api_token` argument" in str(failed.value)
    assert "resource" not in str(failed.value)
    assert "quickchat:apiToken" in str(failed.value)


def test_lookup_with_a_revoked_token_says_what_to_do(
    admin: EmulatorAdmin, rated_agent: AgentJson
) -> None:
    token = rated_agent["tokens"]["read_all"]
    admin.revoke_token(token)
    with pytest.raises(QuickchatAPIError, match="invalid, expired or revoked") as failed:
        get_conversation_rating_config(api_token=token, base_url=admin.url)
    assert token not in str(failed.value)


def test_lookup_runs_during_preview_too_as_a_data_source(
    admin: EmulatorAdmin,
    rated_agent: AgentJson,
    tmp_path: Path,
    start_plugin: Callable[..., Plugin],
) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: lookup\nruntime: python\n")
    (program / "__main__.py").write_text(
        "import pulumi\nimport pulumi_quickchat as quickchat\n"
        "token = pulumi.Config().require_secret('reportingToken')\n"
        "current = quickchat.get_conversation_rating_config_output(api_token=token)\n"
        "pulumi.export('codes', current.conv_rating_question_codes)\n"
    )
    stack = ProgramStack(
        program / "Pulumi.yaml",
        start_plugin=start_plugin,
        config={
            "quickchat:baseUrl": admin.url,
            "lookup:reportingToken": rated_agent["tokens"]["read_all"],
        },
        secret_keys={"lookup:reportingToken"},
    )
    requests_sent(admin)
    run = stack.preview()
    assert run.outputs == {"codes": EXPECTED_CODES}
    # The result holds no token, so it is not secret, though the token was.
    assert run.secret_outputs == set()
    assert requests_sent(admin) == ["GET 200"]


class CountingMocks(pulumi.runtime.Mocks):
    """A unit test's mocks, counting the provider functions they are asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return "id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        self.calls.append(args.token)
        return {}, []


def test_under_mocks_the_lookup_is_still_the_plain_function_that_reads_quickchat(
    admin: EmulatorAdmin, rated_agent: AgentJson
) -> None:
    # The product knows no test harness: under pulumi.runtime.set_mocks the lookup is
    # what it is in every run, one GET from the program (docs/reference.md says how a
    # unit test replaces it), never a provider function the mocks answer.
    requests_sent(admin)
    mocks = CountingMocks()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        reset_runtime(preview=False)
        pulumi.runtime.set_mocks(mocks, preview=False)
        result = get_conversation_rating_config(
            api_token=rated_agent["tokens"]["read_all"], base_url=admin.url
        )
        loop.run_until_complete(wait_for_rpcs())
    finally:
        loop.close()
    assert result == expected(rated_agent, admin.url)
    assert mocks.calls == []
    assert requests_sent(admin) == ["GET 200"]
