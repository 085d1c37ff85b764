"""Settings: where the token and base URL come from, and the clients built from them.

The provider's own settings are resolved once, when it is configured
(`ProviderConfig.resolve`): the stack config or provider arguments the engine
sends, then the environment. A resource's own inputs come first, so each step
looks a setting up in the resource's inputs and then in the ProviderConfig it is
given. The provider object Pulumi pickles into state carries none of this.

First found wins:

- token: the resource's `api_token`; the provider's (stack config
  `quickchat:apiToken`); environment `QUICKCHAT_API_TOKEN`; otherwise an error.
- base URL: the resource's `base_url`; the provider's (stack config
  `quickchat:baseUrl`); environment `QUICKCHAT_API_BASE_URL`; otherwise
  https://app.quickchat.ai.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._api import normalize_base_url
from ._declaration import (
    CONFIGURATION,
    DEFAULT_BASE_URL,
    PACKAGE,
    Naming,
    python_name,
    schema_name,
)
from .errors import QuickchatConfigError, token_settings

if TYPE_CHECKING:
    from .client import QuickchatClient

# Tuning for unusual networks (and for tests that inject faults): the client's keyword
# argument each environment variable sets, and whether it takes a whole number. Unset,
# the client's defaults hold.
_TUNING = {
    "QUICKCHAT_MAX_RETRIES": ("max_retries", True),
    "QUICKCHAT_READ_TIMEOUT": ("read_timeout", False),
    "QUICKCHAT_RETRY_BACKOFF": ("backoff_factor", False),
}
Tuning = tuple[tuple[str, float], ...]

_lock = threading.Lock()
# One client per token and base URL, shared by the plugin host's worker
# threads; every client for one base URL shares the connection pool of the
# first made for it (with the same tuning), so a fleet of agents opens a few
# connections, not one each.
_clients: dict[tuple[str, str, Tuning], QuickchatClient] = {}
_first_client_for: dict[tuple[str, Tuning], QuickchatClient] = {}


def config_key(name: str) -> str:
    """A provider setting's key in stack config, such as `quickchat:apiToken`."""
    return f"{PACKAGE}:{schema_name(name)}"


@dataclass(frozen=True)
class Found:
    """A setting's value and where it came from, for error messages."""

    value: str
    source: str


@dataclass(frozen=True)
class ProviderConfig:
    """What a provider was configured with, resolved once: every value set for each of
    its settings, the one that wins first (its own, then the environment's), how its
    users name the resource's fields, for every message a step words, and the client's
    tuning from the environment (a bad value is refused here, at configure)."""

    found: Mapping[str, tuple[Found, ...]] = field(default_factory=dict)
    name: Naming = python_name
    # The client's retries and waits where the environment sets them.
    tuning: Tuning = ()
    # Whose inputs a step reads, as messages name them: a resource's, the lookup's, the
    # native function's.
    owner: str = "the resource's"

    @classmethod
    def resolve(
        cls,
        given: Mapping[str, Any],
        *,
        source: Callable[[str], str] = lambda name: f"stack config {config_key(name)}",
        name: Naming = python_name,
    ) -> ProviderConfig:
        """The settings `given` by declared name (stack config or a provider's arguments,
        unset ones None), completed from the environment; `source` says where a given one
        came from."""
        found: dict[str, tuple[Found, ...]] = {}
        for setting in CONFIGURATION:
            candidates = []
            value = given.get(setting.name)
            if isinstance(value, str):
                candidates.append(Found(value, source(setting.name)))
            variable = setting.facts.environment
            if variable is not None and (from_env := os.environ.get(variable)) is not None:
                candidates.append(Found(from_env, f"environment variable {variable}"))
            found[setting.name] = tuple(candidates)
        return cls(found, name, _tuning())

    @classmethod
    def of_program(cls) -> ProviderConfig:
        """The settings in a Pulumi program's own stack config (secrets decrypted), for what
        runs in the program rather than in a provider: the lookup, construction checks."""
        import pulumi  # only a program needs it

        config = pulumi.Config(PACKAGE)
        return cls.resolve({s.name: config.get(schema_name(s.name)) for s in CONFIGURATION})

    def candidates(self, inputs: Mapping[str, Any], name: str) -> list[Found]:
        """Every value set for `name`, in the resolution order: the owner's own input
        (a resource's, the lookup's), then the provider's settings."""
        given = inputs.get(name)
        own = [Found(given, f"{self.owner} {self.name(name)}")] if isinstance(given, str) else []
        return own + list(self.found.get(name, ()))

    def all_tokens(self, inputs: Mapping[str, Any]) -> list[Found]:
        """Every API token set for a resource, the one that wins first."""
        return self.candidates(inputs, "api_token")

    def find_token(self, inputs: Mapping[str, Any]) -> Found | None:
        """The API token for a resource; None if there is none anywhere."""
        tokens = self.all_tokens(inputs)
        return tokens[0] if tokens else None

    def find_base_url(self, inputs: Mapping[str, Any]) -> Found:
        """The base URL for a resource; Quickchat's own address if none is set."""
        found = self.candidates(inputs, "base_url")
        return found[0] if found else Found(DEFAULT_BASE_URL, "the default")

    def address(self, inputs: Mapping[str, Any]) -> str:
        """The base URL a resource's requests go to, as state records it."""
        return normalize_base_url(self.find_base_url(inputs).value)

    def require_tokens(self, inputs: Mapping[str, Any], argument: str | None = None) -> list[Found]:
        """Every API token set, the one that wins first; an error naming `argument` (the
        resource's token by default) if none is."""
        tokens = self.all_tokens(inputs)
        if not tokens:
            argument = argument or self.token_argument
            raise QuickchatConfigError(f"No Quickchat API token: set {token_settings(argument)}.")
        return tokens

    @property
    def token_argument(self) -> str:
        """The owner's own token argument, as its users name it."""
        return f"{self.owner} `{self.name('api_token')}`"


def _tuning() -> Tuning:
    """What the environment sets of the client's retries and waits, checked."""
    tuning = []
    for variable, (argument, whole) in _TUNING.items():
        raw = os.environ.get(variable)
        if raw is None or raw == "":
            continue
        try:
            value = int(raw) if whole else float(raw)
        except ValueError:
            value = -1
        if value < 0:
            kind = "a whole number" if whole else "a number of seconds"
            raise QuickchatConfigError(
                f"Environment variable {variable} must be {kind} >= 0, got {raw!r}."
            )
        tuning.append((argument, value))
    return tuple(tuning)


def client_for(token: str, base_url: str, tuning: Tuning = ()) -> QuickchatClient:
    """The shared client for this token and base URL (normalised here, as `address` does
    for state), with `tuning`, built on first use (thread-safe)."""
    # Imported here, not at the top: it brings in requests, which check and
    # diff (all a preview runs) never need.
    from .client import (
        DEFAULT_BACKOFF_FACTOR,
        DEFAULT_MAX_RETRIES,
        DEFAULT_READ_TIMEOUT,
        QuickchatClient,
    )

    base = normalize_base_url(base_url)
    key = (hashlib.sha256(token.encode()).hexdigest(), base, tuning)
    with _lock:
        client = _clients.get(key)
        if client is None:
            sharing = _first_client_for.get((base, tuning))
            if sharing is not None:
                client = sharing.with_token(token)
            else:
                given = dict(tuning)
                client = _first_client_for[(base, tuning)] = QuickchatClient(
                    token,
                    base,
                    max_retries=int(given.get("max_retries", DEFAULT_MAX_RETRIES)),
                    read_timeout=given.get("read_timeout", DEFAULT_READ_TIMEOUT),
                    backoff_factor=given.get("backoff_factor", DEFAULT_BACKOFF_FACTOR),
                )
            _clients[key] = client
        return client
