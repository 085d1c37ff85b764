"""ConversationRatingConfig as a Python dynamic resource: zero set-up for Python programs.

A thin front end: `ConversationRatingConfigProvider` hands every step to the
shared core (`_core.py`, where the rules and the lifecycle live) and
translates the answers into `pulumi.dynamic`'s types; `ConversationRatingConfig`
is the typed resource programs import. The native plugin (`_plugin/`) is the
other front end of the same core.

Compatibility: `pulumi_quickchat.conversation_rating.ConversationRatingConfigProvider`
is part of the state format. Every stack's state holds it (pickled by reference
in `__provider`), and refresh and destroy import it from there. It never moves
and its constructor never changes; tests/test_compatibility.py pins both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi.dynamic as dynamic
from pulumi.runtime.config import is_config_secret

from . import _core
from ._declaration import CONFIGURATION, INPUT_NAMES, INPUTS, OUTPUTS
from ._settings import ProviderConfig, config_key


class ConversationRatingConfigProvider(dynamic.ResourceProvider):
    """The dynamic provider behind ConversationRatingConfig.

    Constructed with no instance attributes: Pulumi pickles this object into
    every resource's state as the program constructs it, and the token, base
    URL and HTTP session must never travel there (nor may a fleet of hundreds
    of resources hit the SDK's pickling recursion limit, which only a non-empty
    `__dict__` triggers). The provider's settings arrive later, in the plugin
    host, which unpickles the object once per process and calls `configure`
    before any step (`pulumi/dynamic/__main__.py`, `get_provider`).
    """

    _config: ProviderConfig

    # Nothing secret is captured when pickling, so the serialized provider
    # need not be encrypted in state.
    serialize_as_secret_always = False

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        # The engine sends a dynamic provider the whole stack config, with
        # namespaced keys; unset keys come back as None, which resolve passes over.
        given = {
            setting.name: req.config.get(config_key(setting.name)) for setting in CONFIGURATION
        }
        self._config = ProviderConfig.resolve(given)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        # The engine strips the secret marks before calling a dynamic provider (the SDK's
        # host declines secrets), so any value may be one: no failure quotes a value.
        # The program quotes plain values, checked at construction (below).
        inputs, failures = _core.check(news, INPUT_NAMES, self._config)
        return dynamic.CheckResult(
            inputs, [dynamic.CheckFailure(f.field, f.reason) for f in failures]
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        found = _core.diff(olds, news, self._config)
        return dynamic.DiffResult(
            changes=bool(found.changed),
            replaces=found.replaces,
            delete_before_replace=found.delete_before_replace,
        )

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        id_, outs = _core.create(props, self._config)
        return dynamic.CreateResult(id_, outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        id_, outs, inputs = _core.read(id_, props, self._config)
        return dynamic.ReadResult(id_, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        # Always return the outputs: the SDK's default update() would wipe them.
        return dynamic.UpdateResult(_core.update(id_, olds, news, self._config))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        _core.delete(id_, props, self._config)


class ConversationRatingConfig(
    dynamic.Resource, module="quickchat", name="ConversationRatingConfig"
):
    """An AI Agent's Conversation Rating setting (Dashboard: Conversations > Inbox > Feedback).

    When on, visitors are asked at the end of a conversation to rate it. The
    agent is the one the API token belongs to. Destroying the resource turns
    rating off and restores the default questions.
    """

    conv_rating_active: pulumi.Output[bool]
    """Whether visitors are asked to rate the conversation at its end."""
    conv_rating_popup_active: pulumi.Output[bool]
    """Whether a popup asks for the rating; Quickchat requires it to equal conv_rating_active."""
    conv_rating_question_codes: pulumi.Output[list[str]]
    """The questions asked, in order: HELPFUL_THUMBS, EXPERIENCE_THUMBS."""
    api_token: pulumi.Output[str | None]
    """The per-resource API token, if one was given (always a secret)."""
    base_url: pulumi.Output[str]
    """The Quickchat API address used."""
    scenario_id: pulumi.Output[str]
    """The AI Agent managed, read from the token (a fingerprint if the token is no JWT)."""

    def __init__(
        self,
        resource_name: str,
        *,
        conv_rating_active: pulumi.Input[bool],
        conv_rating_popup_active: pulumi.Input[bool] | None = None,
        conv_rating_question_codes: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        api_token: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """
        :param resource_name: The Pulumi name of this resource.
        :param conv_rating_active: True to ask visitors to rate the conversation at its end.
        :param conv_rating_popup_active: Show the rating popup; defaults to conv_rating_active,
            which Quickchat requires it to equal.
        :param conv_rating_question_codes: Questions to ask, from HELPFUL_THUMBS and
            EXPERIENCE_THUMBS; defaults to both, in that order.
        :param api_token: A Quickchat API token with the write_all scope for this agent;
            defaults to stack config quickchat:apiToken, then QUICKCHAT_API_TOKEN. Stored as
            a secret.
        :param base_url: The Quickchat API address; defaults to quickchat:baseUrl, then
            QUICKCHAT_API_BASE_URL, then https://app.quickchat.ai.
        :param opts: Pulumi resource options.
        """
        given: dict[str, Any] = {
            "conv_rating_active": conv_rating_active,
            "conv_rating_popup_active": conv_rating_popup_active,
            "conv_rating_question_codes": conv_rating_question_codes,
            "api_token": api_token,
            "base_url": base_url,
        }
        # What check would refuse is refused here, as the program runs: unit tests under
        # mocks, where no provider runs, see the messages `pulumi preview` shows.
        _core.refuse_known_inputs(
            f"ConversationRatingConfig {resource_name!r}", given, ProviderConfig.of_program()
        )
        # The outputs only, declared so that they become attributes of the resource.
        props: dict[str, Any] = {field.name: None for field in OUTPUTS} | given
        secret_outputs = []
        for field in INPUTS:
            copied_from = field.facts.default_from
            if copied_from is not None and given[field.name] is None:
                # Filled in as check fills it in, so that it stays secret where its source
                # is (the engine marks by name, and check's copy would reach the engine as
                # a plain value).
                props[field.name] = given[copied_from]
            if field.facts.secret and given[field.name] is not None:
                # The engine re-marks as secret only outputs that share a key with a secret
                # input; listing it keeps it secret in any case.
                props[field.name] = pulumi.Output.secret(given[field.name])
                secret_outputs.append(field.name)
        if base_url is None and is_config_secret(config_key("base_url")):
            secret_outputs.append("base_url")  # stack config holds it as a secret
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs)
        )
        super().__init__(ConversationRatingConfigProvider(), resource_name, props, opts)
