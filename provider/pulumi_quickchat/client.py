"""A small client for Quickchat's Conversation Rating API.

It knows HTTP, Quickchat's endpoints, tokens and error format, and nothing of
Pulumi. Usable on its own::

    from pulumi_quickchat import QuickchatClient

    with QuickchatClient(token) as quickchat:
        print(quickchat.get_configuration())
        quickchat.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)

Every call goes through one retry loop (`QuickchatClient._call`), in the
spirit of go-retryablehttp's `Do`: try once, ask the policy whether and how
long to wait, log the retry and the wait, sleep, try again. `RetryPolicy`
alone decides what is retried (429 and 5xx, connection failures, timeouts,
bodies cut short or garbled; never another 4xx), how long to wait
(exponential backoff with jitter, a server's `Retry-After` honoured up to a
cap) and when to stop: one budget per call, whatever failed.
"""

from __future__ import annotations

import copy
import email.utils
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from . import _cancel
from ._api import (
    CONFIGURATION_PATH,
    DEFAULT_BASE_URL,
    QUESTION_CODES,
    RatingConfiguration,
    _is_loopback,
    agent_key,
    base_url_problem,
    display_url,
    normalize_base_url,
    quotable,
    token_problem,
)
from ._version import __version__
from .errors import (
    TOKEN_PAGE,
    QuickchatAPIError,
    QuickchatCancelledError,
    QuickchatConfigError,
    QuickchatRequestError,
    QuickchatResponseError,
    QuickchatTransportError,
    describe_foreign_body,
    parse_error_body,
    token_settings,
)

__all__ = [
    "BACKOFF_MAX_SECONDS",
    "DEFAULT_BACKOFF_FACTOR",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_READ_TIMEOUT",
    "RETRY_AFTER_MAX_SECONDS",
    "RETRY_STATUSES",
    "QuickchatClient",
    "RetryPolicy",
    "worst_case_seconds",
]

# Each retry and each wait is logged here, at WARNING: a user waiting on
# `pulumi up` can see why (docs/reference.md says where plugin logs appear).
log = logging.getLogger("pulumi_quickchat")

# Statuses worth another try: rate limiting and the server-side failures that
# are usually transient. Every other 4xx is a verdict and is never retried.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 4
DEFAULT_BACKOFF_FACTOR = 0.5
BACKOFF_MAX_SECONDS = 8.0
RETRY_AFTER_MAX_SECONDS = 20.0
# Connections kept per address. The native plugin runs many calls at once; a
# pool smaller than that would open and discard a connection per extra call.
POOL_CONNECTIONS = 64


def worst_case_seconds(
    max_retries: int = DEFAULT_MAX_RETRIES,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> float:
    """How long one client call can spend on timeouts and waits before it gives up: the
    documented bound. Looking the host up, and further addresses it resolves to, come
    on top (docs/reference.md says so)."""
    attempts = max_retries + 1
    longest_wait = max(BACKOFF_MAX_SECONDS, RETRY_AFTER_MAX_SECONDS)
    return attempts * (connect_timeout + read_timeout) + max_retries * longest_wait


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before each retry, and how many retries a call gets."""

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR

    def wait(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (1 for the first).

        A server's Retry-After wins, up to RETRY_AFTER_MAX_SECONDS. Otherwise
        the first retry goes at once (one failure is often a blip) and then the
        wait doubles from twice the factor, with up to half the factor of
        jitter so that many clients do not retry in step, capped at
        BACKOFF_MAX_SECONDS. With the defaults: 0, 1, 2, 4 s.
        """
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_MAX_SECONDS)
        if retry <= 1:
            return 0.0
        backoff = self.backoff_factor * 2.0 ** (retry - 1)
        return min(backoff + random.uniform(0, self.backoff_factor / 2), BACKOFF_MAX_SECONDS)


class _Retryable(Exception):
    """One attempt failed in a way another attempt may not: `error` if none is left.

    Whether the change may have been applied is the error's own `maybe_applied`.
    """

    def __init__(
        self,
        error: QuickchatRequestError,
        why: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(why)
        self.error = error
        self.why = why
        self.retry_after = retry_after


# Refusals of requests' own, before anything is sent: the same on every attempt.
_PERMANENT_LOCAL_ERRORS = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidHeader,
    requests.exceptions.URLRequired,
)


class _BearerAuth(requests.auth.AuthBase):
    """Adds the token to each request; its repr never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"


def _bearer(api_token: object) -> _BearerAuth:
    if not isinstance(api_token, str):
        raise QuickchatConfigError(
            f"No Quickchat API token: pass one as a string (got {type(api_token).__name__}). "
            f"In a Pulumi program it can also come from {token_settings('`api_token`')}."
        )
    problem = token_problem(api_token)
    if problem:
        raise QuickchatConfigError(
            f"The Quickchat API token {problem}: pass the token itself, as created in "
            f"{TOKEN_PAGE}. In a Pulumi program it can also come from "
            f"{token_settings('`api_token`')}."
        )
    return _BearerAuth(api_token)


class QuickchatClient:
    """Reads and updates one AI Agent's Conversation Rating configuration.

    One token names one agent, so a client is bound to that agent;
    `with_token` makes one for another agent over the same connections. Safe
    to share between threads: requests' connection pool is thread-safe and
    cookies are refused.
    """

    def __init__(
        self,
        api_token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
    ) -> None:
        self._auth = _bearer(api_token)
        if not isinstance(base_url, str):
            raise QuickchatConfigError(
                f"The Quickchat base URL must be a string such as {DEFAULT_BASE_URL!r}, "
                f"got {type(base_url).__name__}."
            )
        shown = display_url(base_url)
        if problem := base_url_problem(base_url, quote=quotable(shown)):
            quoted = f" {shown!r}" if quotable(shown) else ""
            raise QuickchatConfigError(f"The Quickchat base URL{quoted} {problem}.")
        self.base_url = normalize_base_url(base_url)
        self.scenario_id = agent_key(api_token)
        self._timeout = (connect_timeout, read_timeout)
        self._retry = RetryPolicy(max_retries, backoff_factor)
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"pulumi-quickchat/{__version__}"
        self._session.headers["Accept"] = "application/json"
        # Not requests' trust_env, which would also take credentials from ~/.netrc: the
        # proxy settings alone, read here as curl and Go's ProxyFromEnvironment read them.
        self._session.trust_env = False
        self._proxies = _proxies_from_environment(self.base_url)
        # The API sets none; refusing them keeps calls independent of each other.
        self._session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        # No retries in the transport: every retry is the loop's, under one budget.
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=POOL_CONNECTIONS, max_retries=0
        )
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def with_token(self, api_token: str) -> QuickchatClient:
        """A client for another agent's token that shares this one's connections and settings.

        For many agents at one address: each new connection to Quickchat
        costs a TCP and a TLS handshake, and a shared pool is safe, since every
        request carries its own client's token and cookies are refused.
        Closing any of them closes the pooled connections; the others open new
        ones when next called.
        """
        sibling = copy.copy(self)
        sibling._auth = _bearer(api_token)
        sibling.scenario_id = agent_key(api_token)
        return sibling

    def __repr__(self) -> str:
        return f"QuickchatClient(base_url={self.base_url!r}, scenario_id={self.scenario_id!r})"

    def __enter__(self) -> QuickchatClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def get_configuration(self) -> RatingConfiguration:
        """GET the agent's configuration."""
        return self._call("GET", None)

    def update_configuration(
        self,
        *,
        conv_rating_active: bool | None = None,
        conv_rating_popup_active: bool | None = None,
        conv_rating_question_codes: Sequence[str] | None = None,
    ) -> RatingConfiguration:
        """PATCH the given fields (others are left as they are); returns the whole result."""
        body: dict[str, Any] = {}
        if conv_rating_active is not None:
            body["conv_rating_active"] = conv_rating_active
        if conv_rating_popup_active is not None:
            body["conv_rating_popup_active"] = conv_rating_popup_active
        if isinstance(conv_rating_question_codes, str):
            # list() would split it into letters, which Quickchat refuses one by one.
            raise QuickchatConfigError(
                "conv_rating_question_codes must be a list of question codes, not a single "
                f"string: pass a list such as [{QUESTION_CODES[0]!r}]. Nothing was sent."
            )
        if conv_rating_question_codes is not None:
            body["conv_rating_question_codes"] = list(conv_rating_question_codes)
        return self._call("PATCH", body)

    def set_configuration(self, desired: RatingConfiguration) -> RatingConfiguration:
        """PATCH every field, so the result does not depend on what was there."""
        return self._call("PATCH", desired.to_api())

    def _call(self, method: str, body: dict[str, Any] | None) -> RatingConfiguration:
        """Try, and retry what the policy allows; the one loop every request goes through.

        PATCH is retried as GET is: it always carries the whole change, so
        sending it twice gives the same result. A cancelled operation
        (`_cancel`) sends nothing more: the token is checked before each
        attempt, and the wait for a retry ends when it is set.
        """
        _cancel.cancel_at_exit()
        cancelled = _cancel.current()
        retries = 0
        maybe_applied = False  # by any attempt, not only the last
        previous: str | None = None
        while True:
            if cancelled.is_set():
                error = QuickchatCancelledError(method, CONFIGURATION_PATH, previous)
                error.attempts, error.maybe_applied = retries, maybe_applied
                raise error
            try:
                return self._attempt(method, body)
            except _Retryable as failure:
                maybe_applied = maybe_applied or failure.error.maybe_applied
                previous = failure.why
                if retries >= self._retry.max_retries:
                    failure.error.attempts = retries + 1
                    failure.error.maybe_applied = maybe_applied
                    raise failure.error from None
                retries += 1
                wait = self._retry.wait(retries, failure.retry_after)
                log.warning(
                    "%s %s%s: %s; retry %d of %d in %.1f s",
                    method,
                    self.base_url,
                    CONFIGURATION_PATH,
                    failure.why,
                    retries,
                    self._retry.max_retries,
                    wait,
                )
                if wait > 0:
                    cancelled.wait(wait)  # ends early, and the loop stops, when cancelled

    def _attempt(self, method: str, body: dict[str, Any] | None) -> RatingConfiguration:
        """One request. Raises _Retryable for what another attempt may fix."""
        try:
            response = self._session.request(
                method,
                self.base_url + CONFIGURATION_PATH,
                auth=self._auth,
                proxies=self._proxies,
                json=body,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,  # the body is read below, where its failures are ours to retry
            )
        except _PERMANENT_LOCAL_ERRORS as exc:
            # requests refused to build the request: no retry can change that.
            raise QuickchatConfigError(
                f"{method} {CONFIGURATION_PATH} cannot be sent: "
                f"the request could not be prepared ({type(exc).__name__}). Nothing was sent. "
                "Fix the base URL (quickchat:baseUrl / QUICKCHAT_API_BASE_URL) or the token."
            ) from None
        except requests.exceptions.RequestException as exc:
            why = _describe_transport_error(exc, self._timeout)
            sent = not _never_connected(exc)
            error = QuickchatTransportError(method, CONFIGURATION_PATH, why, sent=sent)
            raise _Retryable(error, why) from None
        with response:
            try:
                response.content  # noqa: B018 - reads the whole body
            except requests.exceptions.RequestException as exc:
                why = _describe_body_error(exc, self._timeout)
                error = QuickchatTransportError(method, CONFIGURATION_PATH, why, sent=True)
                raise _Retryable(error, why) from None
            if response.status_code != 200:
                api_error = _api_error(method, response)
                if response.status_code not in RETRY_STATUSES:
                    raise api_error
                why = f"HTTP {response.status_code}"
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                if retry_after is not None:
                    why += f" with Retry-After {retry_after:g} s"
                raise _Retryable(api_error, why, retry_after)
            try:
                return RatingConfiguration.from_api(response.json())
            except requests.exceptions.JSONDecodeError:
                unreadable = QuickchatResponseError(method, CONFIGURATION_PATH, "not JSON")
                raise _Retryable(unreadable, "a body that is not JSON") from None
            except ValueError as exc:
                unreadable = QuickchatResponseError(method, CONFIGURATION_PATH, str(exc))
                raise _Retryable(unreadable, f"an unexpected body ({exc})") from None


def _proxies_from_environment(url: str) -> dict[str, str]:
    """The proxy HTTPS_PROXY / HTTP_PROXY (or ALL_PROXY) name for `url`, none where
    NO_PROXY covers its host. As Go's ProxyFromEnvironment, which Terraform's and
    Pulumi's own providers use, a loopback address (the local emulator) never goes
    through a proxy."""
    host = urlsplit(url).hostname
    if host is None or _is_loopback(host):
        return {}
    return dict(requests.utils.get_environ_proxies(url))


def _retry_after_seconds(header: str | None) -> float | None:
    """A Retry-After header in seconds (delta-seconds or an HTTP date); None if absent or
    malformed, so that a garbled header means backing off rather than failing."""
    if header is None:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _api_error(method: str, response: requests.Response) -> QuickchatAPIError:
    try:
        code, message = parse_error_body(response.json())
    except ValueError:
        # Not JSON: a page from a proxy or gateway in front of Quickchat, say. Its title
        # (nginx's "502 Bad Gateway") tells the user whose answer it was.
        code, message = None, describe_foreign_body(response.text)
    return QuickchatAPIError(method, CONFIGURATION_PATH, response.status_code, code, message)


def _describe_body_error(
    exc: requests.exceptions.RequestException, timeout: tuple[float, float]
) -> str:
    if "timed out" in str(exc).lower():
        return f"no response within {timeout[1]:g}s"
    return "the connection was cut mid-response"


def _never_connected(exc: requests.exceptions.RequestException) -> bool:
    """No connection was made (refused, no such host, not connected in time), so the
    request never left; anything else may have reached Quickchat."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _describe_transport_error(
    exc: requests.exceptions.RequestException, timeout: tuple[float, float]
) -> str:
    # Our own words, not str(exc): urllib3's messages are long, and we keep
    # full control over what text can reach a log.
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeout[0]:g}s"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no response within {timeout[1]:g}s"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = str(exc.args[0] if exc.args else "").lower()
        if "refused" in reason:
            return "connection refused"
        if "timed out" in reason:
            return f"no response within {timeout[1]:g}s"
        return "could not reach the server"
    return f"request failed ({type(exc).__name__})"
