"""Read an AI Agent's Conversation Rating setting without managing it.

The counterpart of a Terraform data source: one GET, nothing written, nothing
recorded in state, and a read_all token is enough. Use it to report on agents
another team manages, or to copy one agent's setting to others::

    current = quickchat.get_conversation_rating_config_output(api_token=reporting_token)
    pulumi.export("rating_on", current.conv_rating_active)

Unlike the resource, a lookup runs during `pulumi preview` too, as data
sources do.

Under `pulumi.runtime.set_mocks`, the way programs are unit-tested, the lookup
sends nothing: it becomes a call of the provider function
`quickchat:index:getConversationRatingConfig`, which the test's
`Mocks.call` answers (with the result's fields by their camelCase names), as
for any provider's function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from . import _core, _settings
from ._plugin.schema import CAMEL, FUNCTION_TOKEN


@dataclass(frozen=True)
class GetConversationRatingConfigResult:
    """An agent's Conversation Rating setting as Quickchat reports it now."""

    scenario_id: str
    base_url: str
    conv_rating_active: bool
    conv_rating_popup_active: bool
    conv_rating_question_codes: list[str]


def _program_config() -> dict[str, Any]:
    # In a Pulumi program the stack config is read directly; secrets come
    # back decrypted from `get`, which is what a plain function needs.
    config = pulumi.Config("quickchat")
    return {
        _settings.TOKEN_CONFIG_KEY: config.get("apiToken"),
        _settings.BASE_URL_CONFIG_KEY: config.get("baseUrl"),
    }


def get_conversation_rating_config(
    *, api_token: str | None = None, base_url: str | None = None
) -> GetConversationRatingConfigResult:
    """Read the setting of the agent `api_token` belongs to (one GET).

    The token and base URL are found as for the resource: the arguments,
    then stack config quickchat:apiToken / quickchat:baseUrl, then
    QUICKCHAT_API_TOKEN / QUICKCHAT_API_BASE_URL, then the default address.
    Raises a QuickchatError subclass with what to do when it cannot.
    """
    if isinstance(get_monitor(), MockMonitor):
        return _mocked(api_token, base_url)
    found = _core.lookup(
        {"api_token": api_token, "base_url": base_url},
        _program_config(),
        argument="the lookup's `api_token` argument",
    )
    return GetConversationRatingConfigResult(**found)


def _mocked(api_token: str | None, base_url: str | None) -> GetConversationRatingConfigResult:
    """The lookup in a unit test: the test's `Mocks.call` answers, as the native
    provider's function would."""
    args = {"apiToken": api_token, "baseUrl": base_url}
    answer = pulumi.runtime.invoke(FUNCTION_TOKEN, args).value
    return GetConversationRatingConfigResult(
        **{name: answer[CAMEL[name]] for name in GetConversationRatingConfigResult.__annotations__}
    )


def get_conversation_rating_config_output(
    *,
    api_token: pulumi.Input[str] | None = None,
    base_url: pulumi.Input[str] | None = None,
) -> pulumi.Output[GetConversationRatingConfigResult]:
    """The same lookup for inputs that are Outputs (a token from another resource or a secret).

    The result is not secret: it holds no token, only the agent's setting.
    """
    result = pulumi.Output.all(api_token, base_url).apply(
        lambda args: get_conversation_rating_config(api_token=args[0], base_url=args[1])
    )
    return pulumi.Output.unsecret(result)
