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

import pulumi
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from . import _core, _settings
from ._plugin.schema import CAMEL, FUNCTION_TOKEN
from .errors import QuickchatConfigError

ARGUMENT = "the lookup's `api_token` argument"


@dataclass(frozen=True)
class GetConversationRatingConfigResult:
    """An agent's Conversation Rating setting as Quickchat reports it now."""

    scenario_id: str
    base_url: str
    conv_rating_active: bool
    conv_rating_popup_active: bool
    conv_rating_question_codes: list[str]


def get_conversation_rating_config(
    *, api_token: str | None = None, base_url: str | None = None
) -> GetConversationRatingConfigResult:
    """Read the setting of the agent `api_token` belongs to (one GET).

    The token and base URL are found as for the resource: the arguments,
    then stack config quickchat:apiToken / quickchat:baseUrl, then
    QUICKCHAT_API_TOKEN / QUICKCHAT_API_BASE_URL, then the default address.
    Raises a QuickchatError subclass with what to do when it cannot.
    """
    return _lookup(api_token, base_url, hidden=("api_token",))


def _lookup(
    api_token: str | None, base_url: str | None, *, hidden: tuple[str, ...]
) -> GetConversationRatingConfigResult:
    inputs, config = {"api_token": api_token, "base_url": base_url}, _settings.program_config()
    # Checked before anything is sent, and under mocks too, where nothing else checks.
    _settings.require_tokens(inputs, config, argument=ARGUMENT)
    _core.refuse_known_inputs(
        "get_conversation_rating_config", inputs, config, _core.CONNECTION_FIELDS, hidden
    )
    if isinstance(get_monitor(), MockMonitor):
        return _mocked(api_token, base_url)
    found = _core.lookup(inputs, config, argument=ARGUMENT)
    return GetConversationRatingConfigResult(**found)


def _mocked(api_token: str | None, base_url: str | None) -> GetConversationRatingConfigResult:
    """The lookup in a unit test: the test's `Mocks.call` answers, as the native
    provider's function would."""
    args = {"apiToken": api_token, "baseUrl": base_url}
    answer = pulumi.runtime.invoke(FUNCTION_TOKEN, args).value
    fields = [CAMEL[name] for name in GetConversationRatingConfigResult.__annotations__]
    missing = [name for name in fields if not isinstance(answer, dict) or name not in answer]
    if missing:
        raise QuickchatConfigError(
            f"The mocked {FUNCTION_TOKEN} returned no {', '.join(missing)}: the test's "
            f"`Mocks.call` must return every field of the result ({', '.join(fields)}) "
            "for this function."
        )
    return GetConversationRatingConfigResult(
        **{name: answer[CAMEL[name]] for name in GetConversationRatingConfigResult.__annotations__}
    )


def get_conversation_rating_config_output(
    *,
    api_token: pulumi.Input[str] | None = None,
    base_url: pulumi.Input[str] | None = None,
) -> pulumi.Output[GetConversationRatingConfigResult]:
    """The same lookup for inputs that are Outputs (a token from another resource or a secret).

    The result holds no token, only the agent's setting and address: it is secret only
    where the base URL was.
    """
    token = pulumi.Output.unsecret(pulumi.Output.from_input(api_token))
    # Either may have been secret: a failure quotes neither.
    return pulumi.Output.all(token, base_url).apply(
        lambda args: _lookup(args[0], args[1], hidden=_core.CONNECTION_FIELDS)
    )
