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

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_QUESTION_CODES",
    "QUESTION_CODES",
    "ConversationRatingConfig",
    "ConversationRatingConfigProvider",
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
]
