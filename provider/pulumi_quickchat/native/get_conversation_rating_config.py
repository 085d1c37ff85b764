"""`quickchat:index:getConversationRatingConfig`: an agent's setting, read without managing it."""

from __future__ import annotations

from typing import Any

import pulumi

from . import _utilities

__all__ = [
    "GetConversationRatingConfigResult",
    "get_conversation_rating_config",
    "get_conversation_rating_config_output",
]

TOKEN = "quickchat:index:getConversationRatingConfig"


@pulumi.output_type
class GetConversationRatingConfigResult:
    """An agent's Conversation Rating setting as Quickchat reports it now."""

    def __init__(
        self,
        conv_rating_active: bool,
        conv_rating_popup_active: bool,
        conv_rating_question_codes: list[str],
        base_url: str,
        scenario_id: str,
    ) -> None:
        pulumi.set(self, "conv_rating_active", conv_rating_active)
        pulumi.set(self, "conv_rating_popup_active", conv_rating_popup_active)
        pulumi.set(self, "conv_rating_question_codes", list(conv_rating_question_codes))
        pulumi.set(self, "base_url", base_url)
        pulumi.set(self, "scenario_id", scenario_id)

    @property
    @pulumi.getter(name="convRatingActive")
    def conv_rating_active(self) -> bool:
        return pulumi.get(self, "conv_rating_active")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="convRatingPopupActive")
    def conv_rating_popup_active(self) -> bool:
        return pulumi.get(self, "conv_rating_popup_active")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="convRatingQuestionCodes")
    def conv_rating_question_codes(self) -> list[str]:
        return pulumi.get(self, "conv_rating_question_codes")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="baseUrl")
    def base_url(self) -> str:
        return pulumi.get(self, "base_url")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="scenarioId")
    def scenario_id(self) -> str:
        return pulumi.get(self, "scenario_id")  # type: ignore[no-any-return]


def _result(raw: Any) -> GetConversationRatingConfigResult:
    return GetConversationRatingConfigResult(
        conv_rating_active=pulumi.get(raw, "conv_rating_active"),
        conv_rating_popup_active=pulumi.get(raw, "conv_rating_popup_active"),
        conv_rating_question_codes=pulumi.get(raw, "conv_rating_question_codes"),
        base_url=pulumi.get(raw, "base_url"),
        scenario_id=pulumi.get(raw, "scenario_id"),
    )


def get_conversation_rating_config(
    api_token: str | None = None,
    base_url: str | None = None,
    opts: pulumi.InvokeOptions | None = None,
) -> GetConversationRatingConfigResult:
    """Read the setting of the agent `api_token` belongs to (one GET, nothing recorded);
    a read_all token is enough. Defaults to the provider's token and address."""
    args = {"apiToken": api_token, "baseUrl": base_url}
    opts = pulumi.InvokeOptions.merge(_utilities.invoke_opts_defaults(), opts)
    raw = pulumi.runtime.invoke(TOKEN, args, opts=opts, typ=GetConversationRatingConfigResult)
    return _result(raw.value)


def get_conversation_rating_config_output(
    api_token: pulumi.Input[str | None] = None,
    base_url: pulumi.Input[str | None] = None,
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[GetConversationRatingConfigResult]:
    """The same lookup for inputs that are Outputs (a token from a secret, say)."""
    args = {"apiToken": api_token, "baseUrl": base_url}
    opts = pulumi.InvokeOutputOptions.merge(_utilities.invoke_output_opts_defaults(), opts)
    raw = pulumi.runtime.invoke_output(
        TOKEN, args, opts=opts, typ=GetConversationRatingConfigResult
    )
    return raw.apply(_result)
