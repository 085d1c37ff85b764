"""A small client for Quickchat's Conversation Rating API.

It knows HTTP, Quickchat's endpoints, tokens and error format, and nothing of
Pulumi. Usable on its own::

    from pulumi_quickchat import QuickchatClient

    with QuickchatClient(token) as quickchat:
        print(quickchat.get_configuration())
        quickchat.update_configuration(conv_rating_active=True, conv_rating_popup_active=True)

Retries live in the transport, as requests intends: one `Session` with an
`HTTPAdapter` whose urllib3 `Retry` decides what is retried (429 and 5xx,
connection failures, read timeouts; never another 4xx), how long to wait
(exponential backoff with jitter, a server's `Retry-After` honoured up to a cap)
and when to stop.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import InvalidHeader, MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from ._version import __version__

# Quickchat's API facts lived here until 0.1.0; they stay importable from here.
from .api import (
    CONFIGURATION_PATH,
    DEFAULT_BASE_URL,
    DEFAULT_QUESTION_CODES,
    DISABLED_DEFAULTS,
    FINGERPRINT_PREFIX,
    QUESTION_CODES,
    RatingConfiguration,
    agent_key,
    base_url_problem,
    display_url,
    is_fingerprint,
    normalize_base_url,
    scenario_id_from_token,
    token_problem,
)
from .errors import (
    QuickchatAPIError,
    QuickchatConfigError,
    QuickchatRequestError,
    QuickchatResponseError,
    QuickchatTransportError,
    parse_error_body,
)

__all__ = [
    "BACKOFF_MAX_SECONDS",
    "CONFIGURATION_PATH",
    "DEFAULT_BACKOFF_FACTOR",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_QUESTION_CODES",
    "DEFAULT_READ_TIMEOUT",
    "DISABLED_DEFAULTS",
    "FINGERPRINT_PREFIX",
    "QUESTION_CODES",
    "RETRY_AFTER_MAX_SECONDS",
    "RETRY_STATUSES",
    "QuickchatClient",
    "RatingConfiguration",
    "agent_key",
    "base_url_problem",
    "display_url",
    "is_fingerprint",
    "normalize_base_url",
    "scenario_id_from_token",
    "token_problem",
    "worst_case_seconds",
]

# Statuses worth another try: rate limiting and the server-side failures that
# are usually transient. Every other 4xx is a verdict and is never retried.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 4
DEFAULT_BACKOFF_FACTOR = 0.5
BACKOFF_MAX_SECONDS = 8.0
RETRY_AFTER_MAX_SECONDS = 20


def worst_case_seconds(
    max_retries: int = DEFAULT_MAX_RETRIES,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> float:
    """The longest one client call can take before it gives up (the README's bound)."""
    attempts = max_retries + 1
    longest_wait = max(BACKOFF_MAX_SECONDS, RETRY_AFTER_MAX_SECONDS)
    return attempts * (connect_timeout + read_timeout) + max_retries * longest_wait


class _BearerAuth(requests.auth.AuthBase):
    """Adds the token to each request; its repr never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"


def _bearer(api_token: str) -> _BearerAuth:
    problem = token_problem(api_token)
    if problem:
        raise QuickchatConfigError(f"The Quickchat API token {problem}.")
    return _BearerAuth(api_token)


class _Retry(Retry):
    """urllib3's Retry, reading a malformed Retry-After as absent.

    Plain Retry raises InvalidHeader on one (say `Retry-After: soon`), which
    would turn a 429 into a transport error; backing off is the better answer.
    """

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None


class _BudgetedAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter whose Retry one call can replace, for its own thread only.

    The client itself retries the failures urllib3 cannot see: a body cut
    short, stalled or garbled is found after the adapter has returned. Handing
    the adapter what is left of the call's budget keeps one Retry, and so one
    bound, per call, while the connection pool stays shared.
    """

    def __init__(self, retry: Retry) -> None:
        self._per_thread = threading.local()
        super().__init__(max_retries=retry)

    @property
    def max_retries(self) -> Retry:
        retry: Retry | None = getattr(self._per_thread, "retry", None)
        return retry if retry is not None else self._default_retry

    @max_retries.setter
    def max_retries(self, value: Retry) -> None:
        self._default_retry = value

    @contextmanager
    def budget(self, retry: Retry) -> Iterator[None]:
        self._per_thread.retry = retry
        try:
            yield
        finally:
            self._per_thread.retry = None


class QuickchatClient:
    """Reads and updates one AI Agent's Conversation Rating configuration.

    One token names one agent, so a client is bound to that agent;
    `with_token` makes one for another agent over the same connections. Safe
    to share between threads: requests' connection pool is thread-safe,
    cookies are refused, and each call keeps its retry budget to its own thread.
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
        problem = base_url_problem(base_url)
        if problem:
            shown = display_url(base_url)
            raise QuickchatConfigError(f"The Quickchat base URL {shown!r} {problem}.")
        self.base_url = normalize_base_url(base_url)
        self._timeout = (connect_timeout, read_timeout)
        self._retry = _Retry(
            total=max_retries,
            status_forcelist=RETRY_STATUSES,
            # PATCH is not in urllib3's default set; ours always sends the
            # whole desired state, so sending it twice is harmless.
            allowed_methods=frozenset({"GET", "PATCH"}),
            backoff_factor=backoff_factor,
            backoff_max=BACKOFF_MAX_SECONDS,
            backoff_jitter=backoff_factor / 2,
            respect_retry_after_header=True,
            retry_after_max=RETRY_AFTER_MAX_SECONDS,
            # Give the last response back instead of raising, so its
            # status and Quickchat's error body reach the user.
            raise_on_status=False,
        )
        self._session = requests.Session()
        self._session.headers["User-Agent"] = f"pulumi-quickchat/{__version__}"
        self._session.headers["Accept"] = "application/json"
        self._session.trust_env = False  # no proxy or .netrc credentials slipped in
        # The API sets none; refusing them keeps calls independent of each other.
        self._session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._adapter = _BudgetedAdapter(self._retry)
        self._session.mount("https://", self._adapter)
        self._session.mount("http://", self._adapter)

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
        return sibling

    def __repr__(self) -> str:
        return f"QuickchatClient(base_url={self.base_url!r})"

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
        if conv_rating_question_codes is not None:
            body["conv_rating_question_codes"] = list(conv_rating_question_codes)
        return self._call("PATCH", body)

    def set_configuration(self, desired: RatingConfiguration) -> RatingConfiguration:
        """PATCH every field, so the result does not depend on what was there."""
        return self._call("PATCH", desired.to_api())

    def _call(self, method: str, body: dict[str, Any] | None) -> RatingConfiguration:
        url = self.base_url + CONFIGURATION_PATH
        retry = self._retry
        while True:
            response = None
            try:
                with self._adapter.budget(retry):
                    response = self._session.request(
                        method,
                        url,
                        auth=self._auth,
                        json=body,
                        timeout=self._timeout,
                        allow_redirects=False,
                        stream=True,  # read the body below, where its failures are ours to retry
                    )
                response.content  # noqa: B018 - reads the whole body
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ConnectionError,
            ) as exc:
                if response is None:
                    # Before any answer: the adapter has retried and spent the budget.
                    detail = _describe_transport_error(exc, self._timeout)
                    raise QuickchatTransportError(method, CONFIGURATION_PATH, detail) from None
                response.close()
                problem: QuickchatRequestError = QuickchatTransportError(
                    method, CONFIGURATION_PATH, _describe_body_error(exc, self._timeout)
                )
            except requests.exceptions.RequestException as exc:
                if response is not None:
                    response.close()
                detail = _describe_transport_error(exc, self._timeout)
                raise QuickchatTransportError(method, CONFIGURATION_PATH, detail) from None
            else:
                if response.status_code != 200:
                    raise _api_error(method, response)
                try:
                    return RatingConfiguration.from_api(response.json())
                except requests.exceptions.JSONDecodeError:
                    problem = QuickchatResponseError(method, CONFIGURATION_PATH, "not JSON")
                except ValueError as exc:
                    problem = QuickchatResponseError(method, CONFIGURATION_PATH, str(exc))
            # Go on from what the adapter left of the budget: it counts every
            # attempt this call has made, whatever failed.
            spent = getattr(response.raw, "retries", None) or retry
            try:
                retry = spent.increment(method, url, error=problem)
            except MaxRetryError:
                raise problem from None
            retry.sleep()


def _api_error(method: str, response: requests.Response) -> QuickchatAPIError:
    try:
        error_body = response.json()
    except ValueError:
        error_body = None
    code, message = parse_error_body(error_body)
    return QuickchatAPIError(method, CONFIGURATION_PATH, response.status_code, code, message)


def _describe_body_error(
    exc: requests.exceptions.RequestException, timeout: tuple[float, float]
) -> str:
    if isinstance(exc.args[0] if exc.args else None, ReadTimeoutError):
        return f"no response within {timeout[1]:g}s, after retrying"
    return "the connection was cut mid-response"


def _describe_transport_error(
    exc: requests.exceptions.RequestException, timeout: tuple[float, float]
) -> str:
    # Our own words, not str(exc): urllib3's messages are long, and we keep
    # full control over what text can reach a log.
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"could not connect within {timeout[0]:g}s, after retrying"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return f"no response within {timeout[1]:g}s, after retrying"
    if isinstance(exc, requests.exceptions.RetryError):
        return "the server kept failing, after retrying"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if reason is not None and "timed out" in str(reason).lower():
            return f"no response within {timeout[1]:g}s, after retrying"
        if reason is not None and "refused" in str(reason).lower():
            return "connection refused, after retrying"
        return "could not reach the server, after retrying"
    return f"request failed ({type(exc).__name__})"
