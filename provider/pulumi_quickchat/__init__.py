"""Manage the Quickchat AI Conversation Rating setting of your AI Agents with Pulumi.

import pulumi_quickchat as quickchat

quickchat.ConversationRatingConfig("ratings", conv_rating_active=True)
"""

from ._version import __version__
from .client import (
    DEFAULT_BASE_URL,
    DEFAULT_QUESTION_CODES,
    QUESTION_CODES,
    QuickchatClient,
    RatingConfiguration,
)
from .conversation_rating import ConversationRatingConfig, ConversationRatingConfigProvider
from .errors import (
    QuickchatAPIError,
    QuickchatConfigError,
    QuickchatError,
    QuickchatMismatchError,
    QuickchatRequestError,
    QuickchatResponseError,
    QuickchatTransportError,
)
from .lookup import (
    GetConversationRatingConfigResult,
    get_conversation_rating_config,
    get_conversation_rating_config_output,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_QUESTION_CODES",
    "QUESTION_CODES",
    "ConversationRatingConfig",
    "ConversationRatingConfigProvider",
    "GetConversationRatingConfigResult",
    "QuickchatAPIError",
    "QuickchatClient",
    "QuickchatConfigError",
    "QuickchatError",
    "QuickchatMismatchError",
    "QuickchatRequestError",
    "QuickchatResponseError",
    "QuickchatTransportError",
    "RatingConfiguration",
    "__version__",
    "get_conversation_rating_config",
    "get_conversation_rating_config_output",
]
