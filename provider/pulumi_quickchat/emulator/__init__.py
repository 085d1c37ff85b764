"""A local stand-in for Quickchat's Conversation Rating API, for tests and the quick start."""

from .admin import EmulatorAdmin, EmulatorAdminError, EmulatorProcess
from .models import ApiFault, Emulator
from .server import EmulatorServer

__all__ = [
    "ApiFault",
    "Emulator",
    "EmulatorAdmin",
    "EmulatorAdminError",
    "EmulatorProcess",
    "EmulatorServer",
]
