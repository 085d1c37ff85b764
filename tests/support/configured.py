"""A provider's settings as the core receives them, for tests that call the core directly.

`stack_config` is built without the environment, so what a test gives is all there is;
`configured_provider` is the dynamic provider as its plugin host configures it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pulumi.dynamic import Config, ConfigureRequest

from pulumi_quickchat import ConversationRatingConfigProvider
from pulumi_quickchat._declaration import Naming, python_name
from pulumi_quickchat._settings import Found, ProviderConfig, config_key


def stack_config(naming: Naming = python_name, **settings: str) -> ProviderConfig:
    """The settings a stack's config `quickchat:*` gives (by declared name, such as
    api_token="a-token"), each found there; nothing from the environment."""
    found = {
        name: (Found(value, f"stack config {config_key(name)}"),)
        for name, value in settings.items()
    }
    return ProviderConfig(found, naming)


# What most tests need: a token in stack config, so that check asks for none.
WITH_TOKEN = stack_config(api_token="a-token")


def configured_provider(stack: Mapping[str, str]) -> ConversationRatingConfigProvider:
    """The dynamic provider as its plugin host hands it the stack's config (`stack`, by
    key such as quickchat:apiToken) before any step: the environment counts too."""
    provider = ConversationRatingConfigProvider()
    provider.configure(ConfigureRequest(Config(dict(stack), project_name="project")))
    return provider
