"""No secret is ever echoed, and every value derived from a secret stays secret.

Property-based: hypothesis puts secrets in every field and drives every path
that can fail on one: the core's check, then the native plugin's Check,
CheckConfig, Diff, Create, Update and Invoke, and the dynamic provider's Check,
Create and Update, over gRPC as the engine calls them. Each secret carries a
marker that no message holds by itself, so a secret quoted whole, in part or
escaped is found. Values that look like tokens are never quoted, secret or not.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_quickchat import _core
from pulumi_quickchat._declaration import INPUT_NAMES, schema_name
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.configured import WITH_TOKEN
from support.plugins import NativePlugin, PluginHost, ProviderError
from support.sdk import is_secret, secret

MARK = "Zq7x"


def _jwt_like(payload: str) -> str:
    claims = base64.urlsafe_b64encode(json.dumps({"sub": payload}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.{MARK}sig"


# Secrets as a user pastes them by mistake: a token, a word, a URL, a code, with blanks.
secret_text = st.one_of(
    st.builds(lambda t: MARK + t, st.text(max_size=40)),
    st.builds(lambda t: t + MARK, st.text(max_size=40)),
    st.builds(lambda t: f"https://{MARK}{t}.example", st.text(max_size=10)),
    st.builds(lambda t: f"http://127.0.0.1:1/{MARK}{t}", st.text(max_size=10)),
    st.builds(lambda t: f"https://{MARK}.example/{t} ", st.text(max_size=10)),
    st.builds(lambda t: f"HELPFUL_{MARK}{t}", st.text(max_size=10)),
    st.builds(_jwt_like, st.text(max_size=20)),
)
# Where a secret can sit: a field's value, or an item of the list of codes.
placements = st.one_of(
    st.tuples(st.sampled_from(INPUT_NAMES), secret_text),
    st.tuples(st.just("conv_rating_question_codes"), st.lists(secret_text, min_size=1, max_size=3)),
)
EXAMPLES = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def assert_unquoted(*texts: str) -> None:
    for text in texts:
        assert MARK not in text, text


@settings(max_examples=1500, deadline=None)
@given(placements, st.booleans())
def test_check_never_quotes_a_secret_or_anything_derived_from_it(
    placement: tuple[str, Any], active: bool
) -> None:
    name, value = placement
    news = {"conv_rating_active": active, name: value}
    _, failures = _core.check(news, {name}, WITH_TOKEN)
    assert_unquoted(*(f.reason for f in failures))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(INPUT_NAMES), st.builds(_jwt_like, st.text(max_size=20)))
def test_check_never_quotes_a_value_that_looks_like_a_token_even_when_not_secret(
    name: str, token_like: str
) -> None:
    for value in (token_like, [token_like]):
        _, failures = _core.check({"conv_rating_active": True, name: value}, (), WITH_TOKEN)
        assert_unquoted(*(f.reason for f in failures))


def test_a_secret_boolean_is_not_told_by_the_popup_rule() -> None:
    news = {"conv_rating_active": True, "conv_rating_popup_active": False}
    _, failures = _core.check(news, {"conv_rating_active"}, WITH_TOKEN)
    assert failures[0].reason == (
        "must equal conv_rating_active (Quickchat requires the popup "
        "to be on exactly when rating is on): set it to the same value or leave it out"
    )


def native_props(name: str, value: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"convRatingActive": True, schema_name(name): secret(value)}
    return props


def test_every_native_path_keeps_secrets_out_of_its_answers(
    native: NativePlugin, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    recorded = {
        "convRatingActive": True,
        "convRatingPopupActive": True,
        "convRatingQuestionCodes": ["HELPFUL_THUMBS"],
        "scenarioId": agent["scenario_id"],
        "baseUrl": native_base_url(admin),
    }

    @EXAMPLES
    @given(placements)
    def probe(placement: tuple[str, Any]) -> None:
        name, value = placement
        props = native_props(name, value)
        calls = [
            lambda: native.check("ratings", {}, props),
            lambda: native.diff("ratings", agent["scenario_id"], recorded, props, {}),
            lambda: native.create("ratings", props),
            lambda: native.update("ratings", agent["scenario_id"], recorded, props, {}),
        ]
        if name in ("api_token", "base_url"):
            config = {schema_name(name): secret(value)}
            calls.append(lambda: native.check_config({}, config))
            calls.append(lambda: native.invoke(config))
        for call in calls:
            with contextlib.suppress(ProviderError, AssertionError):
                call()
        answers = native.responses[:]
        native.responses.clear()
        for answer in answers:
            # A secret may leave only as a secret value, under the engine's secret marker.
            assert_unquoted(_without_secret_values(answer))

    probe()


def test_every_dynamic_path_keeps_secrets_out_of_its_answers(
    host: PluginHost, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    recorded = {
        "conv_rating_active": True,
        "conv_rating_popup_active": True,
        "conv_rating_question_codes": ["HELPFUL_THUMBS"],
        "scenario_id": agent["scenario_id"],
        "base_url": admin.url,
    }

    @EXAMPLES
    @given(placements)
    def probe(placement: tuple[str, Any]) -> None:
        name, value = placement
        # The engine strips the secret marks before calling a dynamic provider.
        props = {"conv_rating_active": True, name: value}
        for call in (
            lambda: host.check("ratings", {}, props),
            lambda: host.create("ratings", props),
            lambda: host.update("ratings", agent["scenario_id"], recorded, props, {}),
        ):
            with contextlib.suppress(ProviderError):
                call()
        answers = host.responses[:]
        host.responses.clear()
        for answer in answers:
            assert_unquoted(_without_inputs_echoed(answer))

    probe()


def native_base_url(admin: EmulatorAdmin) -> str:
    return admin.url


def _without_secret_values(answer: str) -> str:
    """The answer with every secret value taken out: those the engine encrypts."""
    try:
        document = json.loads(answer)
    except ValueError:
        return answer  # an error's details: nothing in it may be secret
    return json.dumps(_drop_secrets(document))


def _drop_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if is_secret(value):
            return None
        return {k: _drop_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_secrets(v) for v in value]
    return value


def _without_inputs_echoed(answer: str) -> str:
    """A dynamic provider answers check with the inputs it was given (the engine marks them
    secret again by name); only its failures and errors must not hold a value."""
    try:
        document = json.loads(answer)
    except ValueError:
        return answer
    document.pop("inputs", None)
    document.pop("properties", None)
    return json.dumps(document)


def test_a_default_copied_from_a_secret_leaves_check_secret(native: NativePlugin) -> None:
    inputs, failures = native.check("ratings", {}, {"convRatingActive": secret(True)})
    assert failures == []
    assert is_secret(inputs["convRatingPopupActive"])


def test_the_dynamic_resource_passes_a_secret_active_on_to_the_popup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The engine strips secrets before a dynamic provider's check, and marks again only
    # what shares a name with a secret input: the program must send the popup itself.
    import pulumi
    import pulumi.dynamic

    from pulumi_quickchat import ConversationRatingConfig

    from support.mocks import mocked_program

    sent: list[dict[str, Any]] = []
    real_init = pulumi.dynamic.Resource.__init__

    def spy(self: Any, provider: Any, name: str, props: Any, opts: Any = None) -> None:
        sent.append(props)
        real_init(self, provider, name, props, opts)

    monkeypatch.setattr(pulumi.dynamic.Resource, "__init__", spy)
    with mocked_program(preview=False) as (loop, _):
        ConversationRatingConfig(
            "r", conv_rating_active=pulumi.Output.secret(True), api_token="plain-token"
        )
        popup = pulumi.Output.from_input(sent[0]["conv_rating_popup_active"])
        assert loop.run_until_complete(popup.is_secret())
        assert loop.run_until_complete(popup.future()) is True
