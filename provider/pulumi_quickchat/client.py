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

import base64
import binascii
import hashlib
import ipaddress
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import InvalidHeader, MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from ._version import __version__
from .errors import (
    QuickchatAPIError,
    QuickchatConfigError,
    QuickchatRequestError,
    QuickchatResponseError,
    QuickchatTransportError,
    parse_error_body,
)

DEFAULT_BASE_URL = "https://app.quickchat.ai"
CONFIGURATION_PATH = "/v1/api/conversation_ratings/configuration"

# The documented question codes; the default list is both, in this order.
QUESTION_CODES: tuple[str, ...] = ("HELPFUL_THUMBS", "EXPERIENCE_THUMBS")
DEFAULT_QUESTION_CODES: tuple[str, ...] = QUESTION_CODES

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


@dataclass(frozen=True)
class RatingConfiguration:
    """An AI Agent's Conversation Rating setting, as Quickchat reports it."""

    conv_rating_active: bool
    conv_rating_popup_active: bool
    conv_rating_question_codes: tuple[str, ...]

    @classmethod
    def from_api(cls, body: Any) -> RatingConfiguration:
        """Parse Quickchat's JSON; ValueError names what is missing or mistyped."""
        if not isinstance(body, dict):
            raise ValueError(f"expected a JSON object, got {type(body).__name__}")
        for flag in ("conv_rating_active", "conv_rating_popup_active"):
            if not isinstance(body.get(flag), bool):
                raise ValueError(f"`{flag}` is missing or not a boolean")
        codes = body.get("conv_rating_question_codes")
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ValueError("`conv_rating_question_codes` is missing or not a list of strings")
        return cls(body["conv_rating_active"], body["conv_rating_popup_active"], tuple(codes))

    def to_api(self) -> dict[str, Any]:
        return {
            "conv_rating_active": self.conv_rating_active,
            "conv_rating_popup_active": self.conv_rating_popup_active,
            "conv_rating_question_codes": list(self.conv_rating_question_codes),
        }


# The state `pulumi destroy` leaves behind: collection off, the default questions.
DISABLED_DEFAULTS = RatingConfiguration(False, False, DEFAULT_QUESTION_CODES)


def scenario_id_from_token(token: str) -> str | None:
    """The `scenario_id` claim of a Quickchat token, read but not verified.

    Quickchat tokens are JWTs naming exactly one AI Agent. Reading the claim
    lets the provider tell which agent a token manages without a request, so
    that a rotated token for the same agent is no replacement.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    scenario = claims.get("scenario_id") if isinstance(claims, dict) else None
    if isinstance(scenario, (str, int)) and not isinstance(scenario, bool) and str(scenario):
        return str(scenario)
    return None


FINGERPRINT_PREFIX = "token-"


def is_fingerprint(agent: str) -> bool:
    """Whether an agent id is a token's fingerprint rather than a scenario_id."""
    return agent.startswith(FINGERPRINT_PREFIX)


def agent_key(token: str) -> str:
    """The agent a token manages: its scenario_id, or a fingerprint if it is no JWT.

    The fingerprint is a truncated SHA-256, enough to tell tokens apart and
    useless for recovering one.
    """
    scenario = scenario_id_from_token(token)
    if scenario is not None:
        return scenario
    return FINGERPRINT_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:16]


def token_problem(token: str) -> str | None:
    """Why a token cannot be used, or None. Never quotes the token."""
    if not token.strip():
        return "is empty"
    if token != token.strip() or any(c.isspace() for c in token):
        return "contains whitespace (a stray space or newline from copy and paste?)"
    if not token.isascii() or not token.isprintable():
        return "contains characters that cannot be sent in an HTTP header"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str) -> str:
    """The form recorded in state and compared in diff: no trailing slash."""
    return base_url.rstrip("/")


def display_url(url: str) -> str:
    """The URL with anything before an `@` (credentials) hidden, fit to quote in a message."""
    if "@" not in url:
        return url
    scheme, separator, _ = url.partition("://")
    prefix = scheme + separator if separator and "@" not in scheme else ""
    return prefix + "<redacted>@" + url.rsplit("@", 1)[1]


def base_url_problem(base_url: str) -> str | None:
    """Why a base URL cannot be used, or None.

    Plain http would send the token in clear, so it is allowed only for
    loopback addresses (such as the local emulator).
    """
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        # Not urllib's words: they can quote a password from the URL.
        return "is not a valid URL (check the host and that the port is a number up to 65535)"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https:// URL, such as https://app.quickchat.ai"
    if parts.username or parts.password:
        return "must not contain credentials; the token goes in api_token"
    if parts.query or parts.fragment:
        return "must not contain a query string or fragment"
    if parts.scheme == "http" and not _is_loopback(host):
        return (
            "uses plain http, which would send the API token unencrypted; use https "
            "(plain http is allowed only for loopback addresses such as the local emulator)"
        )
    return None


class _BearerAuth(requests.auth.AuthBase):
    """Adds the token to each request; its repr never shows it."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"


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

    One token names one agent, so a client is bound to that agent. Safe to
    share between threads: requests' connection pool is thread-safe, cookies
    are refused, and each call keeps its retry budget to its own thread.
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
        problem = token_problem(api_token)
        if problem:
            raise QuickchatConfigError(f"The Quickchat API token {problem}.")
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
        self._session.auth = _BearerAuth(api_token)
        self._session.headers["User-Agent"] = f"pulumi-quickchat/{__version__}"
        self._session.headers["Accept"] = "application/json"
        self._session.trust_env = False  # no proxy or .netrc credentials slipped in
        # The API sets none; refusing them keeps calls independent of each other.
        self._session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._adapter = _BudgetedAdapter(self._retry)
        self._session.mount("https://", self._adapter)
        self._session.mount("http://", self._adapter)

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
