"""A local stand-in for Quickchat's Conversation Rating API, for tests and the quick start."""

from ._version import __version__
from .admin import EmulatorAdmin, EmulatorAdminError
from .answers import ApiFault, ApiResult
from .faults import FaultKind, RateLimitsJson
from .process import EmulatorProcess
from .rules import AgentJson, ConfigurationJson, Emulator, LogEntryJson, TokensJson
from .server import EmulatorServer
from .tokens import Scope

__all__ = [
    "AgentJson",
    "ApiFault",
    "ApiResult",
    "ConfigurationJson",
    "Emulator",
    "EmulatorAdmin",
    "EmulatorAdminError",
    "EmulatorProcess",
    "EmulatorServer",
    "FaultKind",
    "LogEntryJson",
    "RateLimitsJson",
    "Scope",
    "TokensJson",
    "__version__",
]
