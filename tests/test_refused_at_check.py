"""Every value that cannot work is refused at check, before any request, in bounded work.

A base URL that requests would refuse to send fails check naming the fix (the
rule is held to requests' own preparation of the URL); a permanent local error
is never retried; inputs past the documented bounds get one short message that
does not repeat them; and the smaller defects of the second hostile round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_quickchat import (
    QuickchatClient,
    QuickchatConfigError,
    QuickchatTransportError,
    _core,
)
from pulumi_quickchat._api import CONFIGURATION_PATH, base_url_problem
from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess

from support.checks import requests_sent
from support.configured import WITH_TOKEN
from support.engine import CheckFailed, Engine
from support.plugins import NativePlugin, PluginHost, ProviderError
from support.sdk import UNKNOWN, secret

ON = {"conv_rating_active": True}


@pytest.fixture(autouse=True)
def stack_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("QUICKCHAT_API_TOKEN", raising=False)
    monkeypatch.delenv("QUICKCHAT_API_BASE_URL", raising=False)
    yield


@pytest.mark.parametrize(
    "base_url",
    [
        "https://app.quickchat.ai ",
        " https://app.quickchat.ai",
        "https://app.quickchat.ai\n",
        "https://app.quick\tchat.ai",
        "https://app.quickchat.ai\x00",
        "https://app.quickchat.ai\u00a0",
    ],
)
def test_whitespace_or_control_characters_in_a_base_url_fail_check_naming_the_fix(
    engine: Engine, admin: EmulatorAdmin, base_url: str
) -> None:
    with pytest.raises(CheckFailed) as failed:
        engine.up("ratings", {**ON, "base_url": base_url})
    assert failed.value.properties == ["base_url"]
    assert "contains whitespace or control characters" in str(failed.value)
    assert "remove them" in str(failed.value)
    assert requests_sent(admin) == []


hosts = st.text(
    alphabet=st.sampled_from("aZ09-._*~ \t\n\x00\u00e9\u00df\u0301\u200b:@[]%"), max_size=12
)


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(["https://", "http://127.0.0.1:", "https://a.", "http://localhost"]), hosts)
def test_every_base_url_check_passes_is_one_requests_can_prepare(prefix: str, rest: str) -> None:
    base_url = prefix + rest
    if base_url_problem(base_url, quote=True, token_field="api_token") is None:
        # requests' own preparation, as the client's every request goes through it.
        requests.Request("GET", base_url.rstrip("/") + CONFIGURATION_PATH).prepare()


def test_a_permanent_local_error_is_never_retried(
    admin: EmulatorAdmin, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = QuickchatClient(token, admin.url)
    # Past check, as no input could bring it: an address requests refuses to prepare.
    client.base_url = "http://[::1"
    with (
        caplog.at_level(logging.WARNING, "pulumi_quickchat"),
        pytest.raises(QuickchatConfigError, match=r"could not be prepared.*Nothing was sent"),
    ):
        client.get_configuration()
    assert caplog.records == []  # no retry was logged
    assert requests_sent(admin) == []


def test_forty_thousand_codes_are_refused_in_one_short_message() -> None:
    codes = ["HELPFUL_THUMBS"] * 40_000
    _, failures = _core.check({**ON, "conv_rating_question_codes": codes}, (), WITH_TOKEN)
    assert [f.reason for f in failures] == [
        "lists 40000 question codes, more than the 100 accepted "
        "(Quickchat knows 2: HELPFUL_THUMBS, EXPERIENCE_THUMBS)"
    ]


@pytest.mark.parametrize("field", ["conv_rating_question_codes", "api_token", "base_url"])
def test_a_megabyte_string_is_refused_without_being_repeated(field: str) -> None:
    huge = "A" * 1_000_000
    value = [huge] if field == "conv_rating_question_codes" else huge
    _, failures = _core.check({**ON, field: value}, (), WITH_TOKEN)
    assert [f.field for f in failures] == [field]
    assert len(failures[0].reason) < 200, failures[0].reason
    assert "AAAAAAAA" not in failures[0].reason


def test_duplicates_among_the_bound_of_codes_are_named_once() -> None:
    codes = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"] * 50
    _, failures = _core.check({**ON, "conv_rating_question_codes": codes}, (), WITH_TOKEN)
    assert [f.reason for f in failures] == [
        "lists EXPERIENCE_THUMBS, HELPFUL_THUMBS more than once; list each code once"
    ]


def test_check_config_names_the_fields_as_the_schema_does(native: NativePlugin) -> None:
    _, failures = native.check_config({}, {"baseUrl": "https://user:pw@app.quickchat.ai"})
    assert failures == [
        (
            "baseUrl",
            "'https://<redacted>@app.quickchat.ai' must not contain credentials; "
            "the token goes in apiToken",
        )
    ]


def test_a_create_with_an_unknown_token_sends_nothing_and_says_so(
    native: NativePlugin, admin: EmulatorAdmin
) -> None:
    # As check completed them; the token comes from a resource not created yet.
    props = {
        "convRatingActive": True,
        "convRatingPopupActive": True,
        "convRatingQuestionCodes": ["HELPFUL_THUMBS"],
        "apiToken": UNKNOWN,
    }
    with pytest.raises(ProviderError) as failed:
        native.create("ratings", props)
    assert "apiToken still unknown when `pulumi up` came to write it" in failed.value.details
    assert "Nothing was sent" in failed.value.details
    assert requests_sent(admin) == []


def test_a_write_whose_answers_were_all_cut_says_it_may_have_been_applied(
    host: PluginHost, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    admin.add_fault("cut", times=5, method="PATCH")
    with pytest.raises(ProviderError) as failed:
        Engine(host).up("ratings", ON)
    assert "the connection was cut mid-response, after 5 attempts" in str(failed.value)
    assert "The change may already have been applied" in str(failed.value)


def test_a_read_that_failed_says_nothing_of_changes(admin: EmulatorAdmin, token: str) -> None:
    client = QuickchatClient(token, admin.url, backoff_factor=0.01, max_retries=1)
    admin.add_fault("cut", times=2)
    with pytest.raises(QuickchatTransportError) as failed:
        client.get_configuration()
    assert "may already have been applied" not in str(failed.value)


def test_a_secret_base_url_in_the_providers_config_leaves_secret(
    start_native: Callable[..., NativePlugin], emulator: EmulatorProcess, token: str
) -> None:
    plugin = start_native()
    plugin.configure({"apiToken": secret(token), "baseUrl": secret(emulator.url)})
    _, outputs = plugin.create("ratings", {"convRatingActive": True}, preview=True)
    assert outputs["baseUrl"] == secret(emulator.url)
