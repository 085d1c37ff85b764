"""Manage the Quickchat AI Conversation Rating setting of your AI Agents with Pulumi.

import pulumi_quickchat as quickchat

quickchat.ConversationRatingConfig("ratings", conv_rating_active=True)

The public names are those below; modules whose names start with an
underscore are private and may change in any release.
"""

from typing import TYPE_CHECKING, Any

from ._api import agent_key as scenario_id_of
from ._core import QuickchatInputError
from ._declaration import (
    DEFAULT_BASE_URL,
    DEFAULT_QUESTION_CODES,
    QUESTION_CODES,
    RatingConfiguration,
)
from ._version import __version__
from .conversation_rating import ConversationRatingConfig, ConversationRatingConfigProvider
from .errors import (
    QuickchatAPIError,
    QuickchatCancelledError,
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

if TYPE_CHECKING:
    from .client import QuickchatClient
else:
    # Defined for the interpreter alone: a module-level __getattr__ seen by a type
    # checker would make every misspelt name of this package look valid.

    def __getattr__(name: str) -> Any:
        # The HTTP client brings in requests (some 35 ms of start-up), which check
        # and diff, all a preview runs, never need; it is imported on first use.
        if name == "QuickchatClient":
            from .client import QuickchatClient

            return QuickchatClient
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), "QuickchatClient"})


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_QUESTION_CODES",
    "QUESTION_CODES",
    "ConversationRatingConfig",
    "ConversationRatingConfigProvider",
    "GetConversationRatingConfigResult",
    "QuickchatAPIError",
    "QuickchatCancelledError",
    "QuickchatClient",
    "QuickchatConfigError",
    "QuickchatError",
    "QuickchatInputError",
    "QuickchatMismatchError",
    "QuickchatRequestError",
    "QuickchatResponseError",
    "QuickchatTransportError",
    "RatingConfiguration",
    "__version__",
    "get_conversation_rating_config",
    "get_conversation_rating_config_output",
    "scenario_id_of",
]
