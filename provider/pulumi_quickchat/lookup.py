"""Read an AI Agent's Conversation Rating setting without managing it.

The counterpart of a Terraform data source: one GET, nothing written, nothing
recorded in state, and a read_all token is enough. Use it to report on agents
another team manages, or to copy one agent's setting to others::

    current = quickchat.get_conversation_rating_config_output(api_token=reporting_token)
    pulumi.export("rating_on", current.conv_rating_active)

Unlike the resource, a lookup runs during `pulumi preview` too, as data
sources do. It is a plain function that runs in the program: a unit test
replaces it as it would any function that sends a request (docs/reference.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi

from . import _core
from ._declaration import CONNECTION_NAMES, SECRET_NAMES
from ._settings import ProviderConfig

ARGUMENT = "the lookup's `api_token` argument"


@dataclass(frozen=True)
class GetConversationRatingConfigResult:
    """An agent's Conversation Rating setting as Quickchat reports it now: the declaration's
    LOOKUP_RESULT, typed (tests/test_declaration.py holds the two together)."""

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
    return _lookup(api_token, base_url, hidden=SECRET_NAMES)


def _lookup(
    api_token: str | None, base_url: str | None, *, hidden: tuple[str, ...]
) -> GetConversationRatingConfigResult:
    inputs = {"api_token": api_token, "base_url": base_url}
    config = dataclasses.replace(ProviderConfig.of_program(), owner="the lookup's")
    # Checked before anything is sent.
    config.require_tokens(inputs, ARGUMENT)
    _core.refuse_known_inputs(
        "get_conversation_rating_config", inputs, config, CONNECTION_NAMES, hidden
    )
    return GetConversationRatingConfigResult(**_core.lookup(inputs, config, argument=ARGUMENT))


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
        lambda args: _lookup(args[0], args[1], hidden=CONNECTION_NAMES)
    )
