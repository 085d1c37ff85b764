"""`quickchat:index:ConversationRatingConfig`, served by the native plugin."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import pulumi

from . import _utilities

__all__ = ["ConversationRatingConfig", "ConversationRatingConfigArgs"]


@pulumi.input_type
class ConversationRatingConfigArgs:
    """The inputs of a ConversationRatingConfig, for passing them as one object."""

    def __init__(
        self,
        *,
        conv_rating_active: pulumi.Input[bool],
        conv_rating_popup_active: pulumi.Input[bool] | None = None,
        conv_rating_question_codes: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        api_token: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
    ) -> None:
        """
        :param conv_rating_active: True to ask visitors to rate the conversation at its end.
        :param conv_rating_popup_active: Show the rating popup; defaults to conv_rating_active,
            which Quickchat requires it to equal.
        :param conv_rating_question_codes: Questions to ask, from HELPFUL_THUMBS and
            EXPERIENCE_THUMBS; defaults to both, in that order.
        :param api_token: A token of this AI Agent with the write_all scope; defaults to the
            provider's apiToken. Stored as a secret.
        :param base_url: The Quickchat API address; defaults to the provider's baseUrl.
        """
        pulumi.set(self, "conv_rating_active", conv_rating_active)
        for name, value in (
            ("conv_rating_popup_active", conv_rating_popup_active),
            ("conv_rating_question_codes", conv_rating_question_codes),
            ("api_token", api_token),
            ("base_url", base_url),
        ):
            if value is not None:
                pulumi.set(self, name, value)

    @property
    @pulumi.getter(name="convRatingActive")
    def conv_rating_active(self) -> pulumi.Input[bool]:
        return pulumi.get(self, "conv_rating_active")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="convRatingPopupActive")
    def conv_rating_popup_active(self) -> pulumi.Input[bool] | None:
        return pulumi.get(self, "conv_rating_popup_active")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="convRatingQuestionCodes")
    def conv_rating_question_codes(self) -> pulumi.Input[Sequence[pulumi.Input[str]]] | None:
        return pulumi.get(self, "conv_rating_question_codes")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="apiToken")
    def api_token(self) -> pulumi.Input[str] | None:
        return pulumi.get(self, "api_token")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="baseUrl")
    def base_url(self) -> pulumi.Input[str] | None:
        return pulumi.get(self, "base_url")  # type: ignore[no-any-return]


@pulumi.type_token("quickchat:index:ConversationRatingConfig")
class ConversationRatingConfig(pulumi.CustomResource):
    """An AI Agent's Conversation Rating setting (Dashboard: Conversations > Inbox > Feedback).

    The native form: served by the `quickchat` provider plugin, importable with
    `pulumi import quickchat:index:ConversationRatingConfig NAME SCENARIO_ID`, with
    field-level previews. The agent is the one the API token belongs to.
    Destroying the resource turns rating off and restores the default questions.
    """

    @overload
    def __init__(
        self,
        resource_name: str,
        args: ConversationRatingConfigArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        conv_rating_active: pulumi.Input[bool],
        conv_rating_popup_active: pulumi.Input[bool] | None = None,
        conv_rating_question_codes: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        api_token: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
    ) -> None: ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        args_object = kwargs.pop("args", None)
        if args and isinstance(args[0], ConversationRatingConfigArgs):
            args_object, args = args[0], args[1:]
        opts = args[0] if args else kwargs.pop("opts", None)
        if isinstance(args_object, ConversationRatingConfigArgs):
            kwargs = {**vars(args_object), **kwargs}
        self._internal_init(resource_name, opts, **kwargs)

    def _internal_init(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        conv_rating_active: pulumi.Input[bool] | None = None,
        conv_rating_popup_active: pulumi.Input[bool] | None = None,
        conv_rating_question_codes: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        api_token: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        __props__: ConversationRatingConfigArgs | None = None,
    ) -> None:
        opts = pulumi.ResourceOptions.merge(_utilities.resource_opts_defaults(), opts)
        if opts.id is None:
            if conv_rating_active is None and not opts.urn:
                raise TypeError("Missing required property 'conv_rating_active'")
            __props__ = ConversationRatingConfigArgs.__new__(ConversationRatingConfigArgs)
            __props__.__dict__.update(
                conv_rating_active=conv_rating_active,
                conv_rating_popup_active=conv_rating_popup_active,
                conv_rating_question_codes=conv_rating_question_codes,
                api_token=None if api_token is None else pulumi.Output.secret(api_token),
                base_url=base_url,
                scenario_id=None,  # an output only
            )
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["apiToken"])
        )
        # As generated SDKs do, the inputs go as an input type, whose getters
        # give each field its name on the wire (convRatingActive, ...).
        super().__init__(
            "quickchat:index:ConversationRatingConfig",
            resource_name,
            __props__,  # type: ignore[arg-type]
            opts,
        )

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> ConversationRatingConfig:
        """Look up an existing agent's setting by its id (the scenario_id), as Quickchat has it."""
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        props = ConversationRatingConfigArgs.__new__(ConversationRatingConfigArgs)
        props.__dict__.update(
            dict.fromkeys(
                (
                    "conv_rating_active",
                    "conv_rating_popup_active",
                    "conv_rating_question_codes",
                    "api_token",
                    "base_url",
                    "scenario_id",
                )
            )
        )
        resource = ConversationRatingConfig.__new__(ConversationRatingConfig)
        resource._internal_init(resource_name, opts, __props__=props)
        return resource

    @property
    @pulumi.getter(name="convRatingActive")
    def conv_rating_active(self) -> pulumi.Output[bool]:
        """Whether visitors are asked to rate the conversation at its end."""
        return pulumi.get(self, "conv_rating_active")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="convRatingPopupActive")
    def conv_rating_popup_active(self) -> pulumi.Output[bool]:
        """Whether a popup asks for the rating; equal to conv_rating_active."""
        return pulumi.get(self, "conv_rating_popup_active")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="convRatingQuestionCodes")
    def conv_rating_question_codes(self) -> pulumi.Output[list[str]]:
        """The questions asked, in order."""
        return pulumi.get(self, "conv_rating_question_codes")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="apiToken")
    def api_token(self) -> pulumi.Output[str | None]:
        """The per-resource API token, if one was given (always a secret)."""
        return pulumi.get(self, "api_token")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="baseUrl")
    def base_url(self) -> pulumi.Output[str]:
        """The Quickchat API address used."""
        return pulumi.get(self, "base_url")  # type: ignore[no-any-return]

    @property
    @pulumi.getter(name="scenarioId")
    def scenario_id(self) -> pulumi.Output[str]:
        """The AI Agent managed, read from the token; also the resource's id."""
        return pulumi.get(self, "scenario_id")  # type: ignore[no-any-return]
