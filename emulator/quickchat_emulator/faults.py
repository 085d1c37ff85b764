"""Injected faults, and the per-token rate limits.

A fault, queued through the admin API, catches the next request to the public API
(GET or PATCH, or only the method it names) for `times` requests. `delay`, `cut`,
`stall` and `stale` let the API serve and apply the request, then hold up, break or
age its answer; the others answer instead of the API, and the request is not applied.

Some stand for what is not Quickchat's own behaviour but reaches a client all the
same: a gateway's HTML error page (`gateway_html`), a framework's `{"detail": ...}`
error (`detail_body`), a body of the wrong JSON type (`list_body`, `string_body`), or
a configuration missing a flag or with a flag that is no boolean (`missing_flag`,
`string_flag`). README.md lists them all.

The rate limits are Quickchat's: a sliding window per token for reads (GET) and one
for writes (PATCH).

Neither class has a lock: `Emulator` calls them with its own held.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Literal, TypedDict, get_args

from .answers import (
    ApiFault,
    ApiResult,
    bad_request,
    check_keys,
    code_for_status,
    error_body,
    read_boolean,
    read_integer,
    read_number,
    read_string,
)

FaultKind = Literal[
    "status",
    "delay",
    "cut",
    "stall",
    "drop",
    "malformed",
    "partial",
    "contradict",
    "stale",
    "gateway_html",
    "detail_body",
    "list_body",
    "string_body",
    "missing_flag",
    "string_flag",
]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
# Which of the admin body's options each kind takes; any other is refused.
OPTIONS: dict[str, tuple[str, ...]] = {
    "status": ("status", "retry_after", "code", "message"),
    "gateway_html": ("status",),
    "detail_body": ("status", "message"),
}
# nginx's own page for a failed upstream, as a gateway in front of an API serves it.
GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

DEFAULT_READS_PER_MINUTE = 120
DEFAULT_WRITES_PER_MINUTE = 60
DEFAULT_WINDOW_SECONDS = 60.0


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# ---- faults ---------------------------------------------------------------------------------


@dataclass
class Fault:
    id: int
    kind: FaultKind
    times: int
    method: str | None
    status: int
    retry_after: float | str | None  # a string is sent as it is, to try a malformed header
    delay: float
    code: str | None
    message: str | None

    @property
    def wait_seconds(self) -> float:
        """How long the request waits before it is served; a stall waits mid-body instead."""
        return 0.0 if self.kind == "stall" else self.delay

    @property
    def served(self) -> bool:
        """Whether the API serves and applies the request, and only its answer suffers."""
        return self.kind in ("delay", "cut", "stall", "stale")

    def deliver(self, result: ApiResult, before: Mapping[str, object]) -> ApiResult:
        """The API's answer to a served request, as this fault lets it reach the client.
        `before` is the agent's configuration as it was before the request."""
        if self.kind == "cut":
            return replace(result, transport="cut")
        if self.kind == "stall":
            return replace(result, transport="stall", stall_seconds=self.delay)
        if self.kind == "stale" and result.status == 200:
            # Applied, but answered from a cache or replica that has not seen it yet.
            return replace(result, json_body=dict(before))
        return result

    def answer(self, configuration: Mapping[str, object]) -> ApiResult:
        """The answer in place of the API's. `configuration` is the agent's, to garble."""
        if self.kind == "status":
            code = self.code or code_for_status(self.status)
            message = self.message or _phrase(self.status)
            headers = {}
            if self.retry_after is not None:
                headers["Retry-After"] = (
                    self.retry_after
                    if isinstance(self.retry_after, str)
                    else _format_seconds(self.retry_after)
                )
            return ApiResult(self.status, error_body(code, message), headers=headers)
        if self.kind == "gateway_html":
            page = GATEWAY_PAGE.format(status=self.status, phrase=_phrase(self.status))
            return ApiResult(self.status, text_body=page, headers={"Content-Type": "text/html"})
        if self.kind == "detail_body":
            return ApiResult(self.status, {"detail": self.message or _phrase(self.status)})
        if self.kind == "list_body":
            return ApiResult(200, [dict(configuration)])
        if self.kind == "string_body":
            return ApiResult(200, "OK")
        if self.kind == "drop":
            return ApiResult(0, transport="drop")
        if self.kind == "malformed":
            return ApiResult(
                200,
                text_body='{"conv_rating_active": true, "conv_rating_popup',
                headers={"Content-Type": "application/json"},
            )
        shown = dict(configuration)
        if self.kind == "partial":
            del shown["conv_rating_question_codes"]
        elif self.kind == "missing_flag":
            del shown["conv_rating_popup_active"]
        elif self.kind == "string_flag":
            shown["conv_rating_active"] = str(configuration["conv_rating_active"]).lower()
        else:  # contradict
            shown["conv_rating_active"] = not configuration["conv_rating_active"]
            shown["conv_rating_popup_active"] = not configuration["conv_rating_popup_active"]
        return ApiResult(200, shown)


class Faults:
    """The faults waiting for requests, oldest first."""

    def __init__(self) -> None:
        self._waiting: list[Fault] = []
        self._next_id = 1

    def add(self, body: Mapping[str, object]) -> int:
        """Queue the fault an admin body describes; its id."""
        check_keys(
            body, ("kind", "times", "method", "status", "retry_after", "delay", "code", "message")
        )
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            raise bad_request(f"kind must be one of: {', '.join(FAULT_KINDS)}")
        # Silently ignoring these would make a test believe it set up something it did not.
        misplaced = sorted(
            k
            for k in ("status", "retry_after", "code", "message")
            if k in body and k not in OPTIONS.get(str(kind), ())
        )
        if misplaced:
            takers = sorted(k for k, options in OPTIONS.items() if misplaced[0] in options)
            raise bad_request(
                f"{', '.join(misplaced)} only apply to kind {' or '.join(map(repr, takers))}"
            )
        method = body.get("method")
        if method not in (None, "GET", "PATCH"):
            raise bad_request("method must be GET or PATCH (or absent for any)")
        status = read_integer(body, "status", minimum=400)
        if status is not None and status > 599:
            raise bad_request("status must be an integer from 400 to 599")
        given = body.get("retry_after")
        retry_after = given if isinstance(given, str) else read_number(body, "retry_after")
        delay = read_number(body, "delay")
        if kind in ("delay", "stall") and delay is None:
            raise bad_request(f"kind {kind!r} needs delay (seconds)")
        negative_wait = isinstance(retry_after, (int, float)) and retry_after < 0
        if negative_wait or (delay is not None and delay < 0):
            raise bad_request("retry_after and delay must not be negative")
        fault = Fault(
            id=self._next_id,
            kind=kind,
            times=read_integer(body, "times", minimum=1) or 1,
            method=method,
            status=status or (502 if kind == "gateway_html" else 503),
            retry_after=retry_after,
            delay=delay or 0.0,
            code=read_string(body, "code"),
            message=read_string(body, "message"),
        )
        self._next_id += 1
        self._waiting.append(fault)
        return fault.id

    def take(self, method: str) -> Fault | None:
        """The oldest fault for `method`, used once (and dropped after its last time)."""
        for fault in self._waiting:
            if fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self._waiting.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._waiting.clear()


# ---- rate limits ----------------------------------------------------------------------------


class RateLimitsJson(TypedDict):
    reads_per_minute: int
    writes_per_minute: int
    window_seconds: float
    send_retry_after: bool
    enabled: bool


@dataclass
class _Settings:
    reads_per_minute: int = DEFAULT_READS_PER_MINUTE
    writes_per_minute: int = DEFAULT_WRITES_PER_MINUTE
    window_seconds: float = DEFAULT_WINDOW_SECONDS
    send_retry_after: bool = False
    enabled: bool = True

    def to_json(self) -> RateLimitsJson:
        return {
            "reads_per_minute": self.reads_per_minute,
            "writes_per_minute": self.writes_per_minute,
            "window_seconds": self.window_seconds,
            "send_retry_after": self.send_retry_after,
            "enabled": self.enabled,
        }


class RateLimits:
    """The limits in force and each token's recent requests. `clock` moves the windows."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._settings = _Settings()
        self._windows: dict[tuple[str, str], deque[float]] = {}

    def update(self, body: Mapping[str, object]) -> RateLimitsJson:
        """Change the settings an admin body names; all of them, as they now are."""
        check_keys(body, tuple(_Settings().to_json()))
        reads = read_integer(body, "reads_per_minute", minimum=1)
        writes = read_integer(body, "writes_per_minute", minimum=1)
        window = read_number(body, "window_seconds")
        if window is not None and window <= 0:
            raise bad_request("window_seconds must be > 0")
        send_retry_after = read_boolean(body, "send_retry_after")
        enabled = read_boolean(body, "enabled")
        settings = self._settings
        settings.reads_per_minute = reads or settings.reads_per_minute
        settings.writes_per_minute = writes or settings.writes_per_minute
        settings.window_seconds = window or settings.window_seconds
        if send_retry_after is not None:
            settings.send_retry_after = send_retry_after
        if enabled is not None:
            settings.enabled = enabled
        return settings.to_json()

    def take_slot(self, jti: str, kind: Literal["reads", "writes"]) -> None:
        """Sliding window per token and kind; a request refused here takes no slot."""
        settings = self._settings
        if not settings.enabled:
            return
        limit = settings.reads_per_minute if kind == "reads" else settings.writes_per_minute
        now = self._clock()
        window = self._windows.setdefault((jti, kind), deque())
        while window and window[0] <= now - settings.window_seconds:
            window.popleft()
        if len(window) >= limit:
            headers = {}
            if settings.send_retry_after:
                frees_at = window[len(window) - limit] + settings.window_seconds
                headers["Retry-After"] = str(max(1, math.ceil(frees_at - now)))
            raise ApiFault(
                429,
                "TOO_MANY_REQUESTS",
                f"Rate limit exceeded: at most {limit} {kind} per "
                f"{_format_seconds(settings.window_seconds)} seconds",
                headers,
            )
        window.append(now)
