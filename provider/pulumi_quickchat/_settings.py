"""Settings: where the token and base URL come from, and the clients built from them.

For the resource, all of this lives in the plugin process: the provider
object that Pulumi pickles into state carries none of it, and refresh and
destroy find the token again from the resource's inputs, the stack config received
through `configure`, or the environment.

First found wins:

- token: the resource's `api_token`; stack config `quickchat:apiToken`;
  environment `QUICKCHAT_API_TOKEN`; otherwise an error.
- base URL: the resource's `base_url`; stack config `quickchat:baseUrl`;
  environment `QUICKCHAT_API_BASE_URL`; otherwise https://app.quickchat.ai.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._api import DEFAULT_BASE_URL, normalize_base_url
from .errors import QuickchatConfigError, token_settings

if TYPE_CHECKING:
    from .client import QuickchatClient

TOKEN_CONFIG_KEY = "quickchat:apiToken"
BASE_URL_CONFIG_KEY = "quickchat:baseUrl"
TOKEN_ENV = "QUICKCHAT_API_TOKEN"
BASE_URL_ENV = "QUICKCHAT_API_BASE_URL"
# Tuning for unusual networks (and for tests that inject faults).
MAX_RETRIES_ENV = "QUICKCHAT_MAX_RETRIES"
READ_TIMEOUT_ENV = "QUICKCHAT_READ_TIMEOUT"
BACKOFF_ENV = "QUICKCHAT_RETRY_BACKOFF"

_lock = threading.Lock()
# The stack's config, as the engine's Configure call delivered it (secrets
# decrypted). Replaced whole, never mutated, so readers need no lock.
_stack_config: Mapping[str, Any] = {}
_described_as: Mapping[str, str] = {}
# One client per token and base URL, shared by the plugin host's worker
# threads; every client for one base URL shares the connection pool of the
# first made for it (with the same tuning), so a fleet of agents opens a few
# connections, not one each.
_clients: dict[tuple[str, str], QuickchatClient] = {}
_first_client_for: dict[tuple[str, int, float, float], QuickchatClient] = {}


def configure(
    stack_config: Mapping[str, Any], *, described_as: Mapping[str, str] | None = None
) -> None:
    """Keep the configuration the engine sent (called from the provider's `configure`).

    `described_as` names a key as messages should, where it is not stack config
    by that name (the native provider's own `apiToken`, for instance).
    """
    global _stack_config, _described_as
    _stack_config = dict(stack_config)
    _described_as = dict(described_as or {})


@dataclass(frozen=True)
class Found:
    """A setting's value and where it came from, for error messages."""

    value: str
    source: str


def _candidates(
    inputs: Mapping[str, Any],
    input_key: str,
    config_key: str,
    env_name: str,
    stack_config: Mapping[str, Any] | None,
) -> list[Found]:
    """Every value set, in the resolution order: input, stack config, environment.

    `stack_config` defaults to what `configure` received.
    """
    found = []
    given = inputs.get(input_key)
    if isinstance(given, str):
        found.append(Found(given, f"the resource's {input_key}"))
    configured = (_stack_config if stack_config is None else stack_config).get(config_key)
    if isinstance(configured, str):
        described = _described_as.get(config_key) if stack_config is None else None
        found.append(Found(configured, described or f"stack config {config_key}"))
    from_env = os.environ.get(env_name)
    if from_env is not None:
        found.append(Found(from_env, f"environment variable {env_name}"))
    return found


def all_tokens(
    inputs: Mapping[str, Any], stack_config: Mapping[str, Any] | None = None
) -> list[Found]:
    """Every API token set for a resource, the one that wins first."""
    return _candidates(inputs, "api_token", TOKEN_CONFIG_KEY, TOKEN_ENV, stack_config)


def find_token(
    inputs: Mapping[str, Any], stack_config: Mapping[str, Any] | None = None
) -> Found | None:
    """The API token for a resource; None if there is none anywhere."""
    tokens = all_tokens(inputs, stack_config)
    return tokens[0] if tokens else None


def find_base_url(
    inputs: Mapping[str, Any], stack_config: Mapping[str, Any] | None = None
) -> Found:
    """The base URL for a resource; Quickchat's own address if none is set."""
    found = _candidates(inputs, "base_url", BASE_URL_CONFIG_KEY, BASE_URL_ENV, stack_config)
    return found[0] if found else Found(DEFAULT_BASE_URL, "the default")


def require_tokens(
    inputs: Mapping[str, Any],
    stack_config: Mapping[str, Any] | None = None,
    *,
    argument: str = "the resource's `api_token`",
) -> list[Found]:
    """Every API token set, the one that wins first; an error naming `argument` if none is."""
    tokens = all_tokens(inputs, stack_config)
    if not tokens:
        raise QuickchatConfigError(f"No Quickchat API token: set {token_settings(argument)}.")
    return tokens


def program_config() -> dict[str, Any]:
    """The settings in a Pulumi program's own stack config (secrets decrypted), for what
    runs in the program rather than in a provider: the lookup, construction checks."""
    import pulumi  # only a program needs it

    config = pulumi.Config("quickchat")
    return {TOKEN_CONFIG_KEY: config.get("apiToken"), BASE_URL_CONFIG_KEY: config.get("baseUrl")}


def _env_number(name: str, default: float, *, integer: bool = False) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = -1
    if value < 0:
        kind = "a whole number" if integer else "a number of seconds"
        raise QuickchatConfigError(f"Environment variable {name} must be {kind} >= 0, got {raw!r}.")
    return value


def client_for(token: str, base_url: str) -> QuickchatClient:
    """The shared client for this token and base URL, built on first use (thread-safe)."""
    # Imported here, not at the top: it brings in requests, which check and
    # diff (all a preview runs) never need.
    from .client import (
        DEFAULT_BACKOFF_FACTOR,
        DEFAULT_MAX_RETRIES,
        DEFAULT_READ_TIMEOUT,
        QuickchatClient,
    )

    base = normalize_base_url(base_url)
    key = (hashlib.sha256(token.encode()).hexdigest(), base)
    with _lock:
        client = _clients.get(key)
        if client is None:
            # Read when a client is built, not on every call.
            tuning = (
                int(_env_number(MAX_RETRIES_ENV, DEFAULT_MAX_RETRIES, integer=True)),
                _env_number(READ_TIMEOUT_ENV, DEFAULT_READ_TIMEOUT),
                _env_number(BACKOFF_ENV, DEFAULT_BACKOFF_FACTOR),
            )
            sharing = _first_client_for.get((base, *tuning))
            if sharing is not None:
                client = sharing.with_token(token)
            else:
                max_retries, read_timeout, backoff_factor = tuning
                client = _first_client_for[(base, *tuning)] = QuickchatClient(
                    token,
                    base,
                    max_retries=max_retries,
                    read_timeout=read_timeout,
                    backoff_factor=backoff_factor,
                )
            _clients[key] = client
        return client


def connect(
    inputs: Mapping[str, Any],
    stack_config: Mapping[str, Any] | None = None,
    *,
    argument: str = "the resource's `api_token`",
) -> QuickchatClient:
    """The client the winning token and base URL make; it names the agent and address."""
    token = require_tokens(inputs, stack_config, argument=argument)[0].value
    return client_for(token, find_base_url(inputs, stack_config).value)
