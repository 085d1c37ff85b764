"""`pulumi:providers:quickchat`: an explicit provider, for a token or address of its own."""

from __future__ import annotations

import pulumi

from . import _utilities

__all__ = ["Provider"]


@pulumi.type_token("pulumi:providers:quickchat")
class Provider(pulumi.ProviderResource):
    """A Quickchat provider: the default API token and address for the resources and
    functions given it with `opts=pulumi.ResourceOptions(provider=...)`.

    Every provider instance is a plugin process of its own, so for many agents
    prefer one provider and a token per resource (`api_token`).
    """

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        api_token: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
    ) -> None:
        """
        :param api_token: The default API token; QUICKCHAT_API_TOKEN where unset. A secret.
        :param base_url: The Quickchat API address; QUICKCHAT_API_BASE_URL, then
            https://app.quickchat.ai, where unset.
        """
        opts = pulumi.ResourceOptions.merge(_utilities.resource_opts_defaults(), opts)
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["apiToken"])
        )
        props = {
            "apiToken": None if api_token is None else pulumi.Output.secret(api_token),
            "baseUrl": base_url,
        }
        # A provider resource names its package; the engine makes the type
        # pulumi:providers:quickchat of it.
        super().__init__("quickchat", resource_name, props, opts)
