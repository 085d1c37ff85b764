"""A small client for Quickchat's Conversation Rating API.

It knows HTTP, Quickchat's endpoints, tokens and error format, and nothing of
Pulumi. Usable on its own::

    from pulumi_quickchat import QuickchatClient

    with QuickchatClient(token) as quickchat:
        print(quickchat.get_configuration())
        quickchat.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)

Every call goes through one retry loop, `QuickchatClient._call`, read as
go-retryablehttp's `Client.Do`: try once (`_attempt` returns the configuration,
or the failure, classified once); ask `_should_retry` whether another attempt
may do better (429 and 500/502/503/504, no connection, no answer in time, a
body cut short or not a configuration; never another status, never a request
that requests refused to build); stop when the budget is spent (`RetryPolicy`'s
`max_retries` retries per call, whatever failed); ask `RetryPolicy.wait` how
long (a server's `Retry-After` up to a cap, else exponential backoff with
jitter); log the retry and the wait; wait on the operation's cancellation
token (`_cancel`), never in `time.sleep`, and check it before each attempt;
try again.
"""

from __future__ import annotations

import copy
import email.utils
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.util.retry import RequestHistory, Retry

from . import _cancel
from ._api import (
    CONFIGURATION_PATH,
    _is_loopback,
    agent_key,
    base_url_problem,
    display_url,
    normalize_base_url,
    quotable,
    token_problem,
)
from ._declaration import DEFAULT_BASE_URL, QUESTION_CODES, RatingConfiguration
from ._version import __version__
from .errors import (
    TOKEN_PAGE,
    QuickchatAPIError,
    QuickchatCancelledError,
    QuickchatConfigError,
    QuickchatError,
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


# One failed attempt as urllib3's Retry records it: get_backoff_time counts them.
_FAILED_ATTEMPT = RequestHistory(None, None, None, None, None)


@dataclass(frozen=True)
class RetryPolicy:
    """How many retries a call gets, and how long to wait before each (`wait`)."""

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR

    def wait(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `retry` (1 for the first): the Backoff.

        A server's Retry-After wins, up to RETRY_AFTER_MAX_SECONDS. Otherwise
        urllib3's backoff: the first retry goes at once (one failure is often a
        blip), then the factor times 2 ** (retry - 1), plus up to half the
        factor of jitter so that many clients do not retry in step, capped at
        BACKOFF_MAX_SECONDS after the jitter. With the defaults: 0, 1, 2, 4 s.
        """
        if retry_after is not None:
            return min(retry_after, RETRY_AFTER_MAX_SECONDS)
        backoff = Retry(
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_factor / 2,
            backoff_max=BACKOFF_MAX_SECONDS,
            history=(_FAILED_ATTEMPT,) * retry,
        )
        return backoff.get_backoff_time()


@dataclass(frozen=True)
class _Failure:
    """An attempt that brought back no configuration, classified once.

    `error` is what the call raises if it stops here; `what` is what the
    attempt got, in the few words the retry's log line and a cancellation's
    message quote; `retry_after` is the wait the server asked for, in seconds.
    """

    error: QuickchatError
    what: str
    retry_after: float | None = None


def _should_retry(failure: _Failure) -> bool:
    """Whether another attempt may succeed where this one failed: the CheckRetry."""
    if isinstance(failure.error, QuickchatAPIError):
        # Rate limiting and the server-side failures that pass; any other status
        # is a verdict on the request, the same next time.
        return failure.error.status in RETRY_STATUSES
    # No usable answer (no connection, a timeout, a body cut short or not a
    # configuration) is often a blip. A request that requests refused to build
    # (QuickchatConfigError) was never sent, and would be refused again.
    return isinstance(failure.error, QuickchatTransportError | QuickchatResponseError)


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
        if problem := base_url_problem(base_url, quote=quotable(shown), token_field="api_token"):
            quoted = f" {shown!r}" if quotable(shown) else ""
            raise QuickchatConfigError(f"The Quickchat base URL{quoted} {problem}.")
        self.base_url = normalize_base_url(base_url)
        self.scenario_id = agent_key(api_token)
        self._timeout = (connect_timeout, read_timeout)
        self._retry = RetryPolicy(max_retries, backoff_factor)
        # Before any call of this client can wait to retry: where the process's exit
        # is all a provider learns of a cancellation (the dynamic provider's host,
        # `_cancel` says why), it ends those waits. It takes effect once per process;
        # here, not at import, so that importing the module leaves the exit alone.
        _cancel.cancel_at_exit()
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
        """The one loop every request goes through: try, and retry what `_should_retry`
        allows, waiting as `RetryPolicy.wait` says, until the budget is spent.

        PATCH is retried as GET is: it always carries the whole change, so
        sending it twice gives the same result. The error that ends the loop
        says how many attempts were sent and whether any of them may have
        applied the change. A cancelled operation (`_cancel`) sends nothing
        more: the token is checked before each attempt, and the wait for a
        retry ends when it is set.
        """
        cancelled = _cancel.current()
        attempts = 0
        maybe_applied = False  # by any attempt, not only the last
        previous: str | None = None  # what the last attempt got
        while True:
            if cancelled.is_set():
                stopped = QuickchatCancelledError(method, CONFIGURATION_PATH, previous)
                stopped.attempts, stopped.maybe_applied = attempts, maybe_applied
                raise stopped
            outcome = self._attempt(method, body)
            attempts += 1
            if isinstance(outcome, RatingConfiguration):
                return outcome
            maybe_applied = maybe_applied or outcome.error.maybe_applied
            if not _should_retry(outcome) or attempts > self._retry.max_retries:
                if isinstance(outcome.error, QuickchatRequestError):
                    outcome.error.attempts = attempts
                    outcome.error.maybe_applied = maybe_applied
                raise outcome.error
            wait = self._retry.wait(attempts, outcome.retry_after)
            log.warning(
                "%s %s%s: %s; retry %d of %d in %.1f s",
                method,
                self.base_url,
                CONFIGURATION_PATH,
                outcome.what,
                attempts,
                self._retry.max_retries,
                wait,
            )
            previous = outcome.what
            if wait > 0:
                cancelled.wait(wait)  # ends early, and the loop stops, when cancelled

    def _attempt(self, method: str, body: dict[str, Any] | None) -> RatingConfiguration | _Failure:
        """One request, its answer read whole: the configuration, or what went wrong.

        Decides nothing about retrying; `_call` asks `_should_retry`.
        """
        try:
            response = self._session.request(
                method,
                self.base_url + CONFIGURATION_PATH,
                auth=self._auth,
                proxies=self._proxies,
                json=body,
                timeout=self._timeout,
                allow_redirects=False,
                stream=True,  # the body is read below, where its failures are classified
            )
        except _PERMANENT_LOCAL_ERRORS as exc:
            refused = QuickchatConfigError(
                f"{method} {CONFIGURATION_PATH} cannot be sent: "
                f"the request could not be prepared ({type(exc).__name__}). Nothing was sent. "
                "Fix the base URL (quickchat:baseUrl / QUICKCHAT_API_BASE_URL) or the token."
            )
            return _Failure(refused, "a request that could not be prepared")
        except requests.exceptions.RequestException as exc:
            lost = _transport_error(method, exc, self._timeout, answered=False)
            return _Failure(lost, lost.detail)
        with response:
            try:
                response.content  # noqa: B018 - reads the whole body
            except requests.exceptions.RequestException as exc:
                cut = _transport_error(method, exc, self._timeout, answered=True)
                return _Failure(cut, cut.detail)
            if response.status_code != 200:
                retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                what = f"HTTP {response.status_code}"
                if retry_after is not None:
                    what += f" with Retry-After {retry_after:g} s"
                return _Failure(_api_error(method, response), what, retry_after)
            try:
                return RatingConfiguration.from_api(response.json())
            except requests.exceptions.JSONDecodeError:
                unreadable = QuickchatResponseError(method, CONFIGURATION_PATH, "not JSON")
                return _Failure(unreadable, "a body that is not JSON")
            except ValueError as exc:
                unreadable = QuickchatResponseError(method, CONFIGURATION_PATH, str(exc))
                return _Failure(unreadable, f"an unexpected body ({exc})")


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
    malformed, so that a garbled header means backing off rather than failing.

    Not urllib3's `Retry.parse_retry_after`, which reads a date whose zone is
    unknown ("-0000") or missing as local time and a 31 February as 3 March, and
    raises ValueError for a year past 9999: here each of those is malformed.
    """
    if header is None:
        return None
    header = header.strip()
    if header.isascii() and header.isdigit():  # "²" is a digit to isdigit, not to float
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


def _transport_error(
    method: str,
    exc: requests.exceptions.RequestException,
    timeout: tuple[float, float],
    *,
    answered: bool,
) -> QuickchatTransportError:
    """A failure below HTTP in our own words, and whether the request may have reached
    Quickchat (`sent`, which makes a PATCH `maybe_applied`).

    Judged by the exceptions' types, never their text. `answered`: the failure
    came while reading the body of an answer. Our words, not str(exc): urllib3's
    messages are long, and we keep full control over what text reaches a log.
    """
    connect_timeout, read_timeout = timeout
    cause = _urllib3_cause(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
        cause, urllib3.exceptions.ConnectTimeoutError
    ):
        # No connection was made, to Quickchat or to the proxy on the way (a
        # NewConnectionError is a ConnectTimeoutError too): nothing was sent.
        if cause is not None and isinstance(cause.__cause__, ConnectionRefusedError):
            words = "connection refused"
        elif isinstance(cause, urllib3.exceptions.NewConnectionError):
            words = "could not reach the server"  # no such host, no route to it
        else:
            words = f"could not connect within {connect_timeout:g}s"
        return QuickchatTransportError(method, CONFIGURATION_PATH, words, sent=False)
    if isinstance(exc, requests.exceptions.Timeout) or isinstance(
        cause, urllib3.exceptions.TimeoutError | TimeoutError
    ):
        words = f"no response within {read_timeout:g}s"
    elif answered:
        words = "the connection was cut mid-response"
    elif isinstance(exc, requests.exceptions.ConnectionError):
        words = "could not reach the server"
    else:
        words = f"request failed ({type(exc).__name__})"
    return QuickchatTransportError(method, CONFIGURATION_PATH, words, sent=True)


def _urllib3_cause(exc: requests.exceptions.RequestException) -> BaseException | None:
    """What stopped urllib3, out of the wrappers around it: requests puts urllib3's
    error first in its args; urllib3 puts what stopped it in a MaxRetryError's
    `reason`, a ProxyError's `original_error` and a ProtocolError's second argument
    (the OSError that aborted the connection). None for a bare requests error."""
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if isinstance(cause, urllib3.exceptions.MaxRetryError):
        cause = cause.reason
    if isinstance(cause, urllib3.exceptions.ProxyError):
        cause = cause.original_error
    if isinstance(cause, urllib3.exceptions.ProtocolError) and len(cause.args) > 1:
        aborted_by = cause.args[1]
        if isinstance(aborted_by, BaseException):
            cause = aborted_by
    return cause
