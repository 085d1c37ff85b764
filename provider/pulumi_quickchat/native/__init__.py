"""The native Quickchat provider's SDK: the same resource as `pulumi_quickchat`, served by
the `quickchat` provider plugin, so it can be imported and previews show each field.

    import pulumi_quickchat.native as quickchat

    quickchat.ConversationRatingConfig("ratings", conv_rating_active=True)

Shaped like an SDK that `pulumi package gen-sdk` writes from the plugin's
schema (type tokens, camelCase names on the wire, the plugin's version on every
request); written by hand so that it ships in the same wheel as the plugin.
docs/native.md says how a program finds the plugin.
"""

from .conversation_rating_config import ConversationRatingConfig, ConversationRatingConfigArgs
from .get_conversation_rating_config import (
    GetConversationRatingConfigResult,
    get_conversation_rating_config,
    get_conversation_rating_config_output,
)
from .provider import Provider

__all__ = [
    "ConversationRatingConfig",
    "ConversationRatingConfigArgs",
    "GetConversationRatingConfigResult",
    "Provider",
    "get_conversation_rating_config",
    "get_conversation_rating_config_output",
]
