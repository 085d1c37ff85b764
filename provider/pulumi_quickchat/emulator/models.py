"""The emulator's state and Quickchat's rules. No HTTP here: server.py is only the wire.

Everything the emulator decides (routing of the public API, auth, scopes, rate limits,
validation, injected faults, the request log) lives in `Emulator`, guarded by one lock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Literal, TypedDict, cast
from urllib.parse import urlsplit

API_PATH = "/v1/api/conversation_ratings/configuration"
KNOWN_QUESTION_CODES: tuple[str, ...] = ("HELPFUL_THUMBS", "EXPERIENCE_THUMBS")
DEFAULT_QUESTION_CODES: tuple[str, ...] = KNOWN_QUESTION_CODES
CONFIG_FIELDS = ("conv_rating_active", "conv_rating_popup_active", "conv_rating_question_codes")
POPUP_MISMATCH = "conv_rating_popup_active must match conv_rating_active"
SCOPE_MESSAGE = "Insufficient token scope. Required: write_all"

Scope = Literal["read_all", "write_all"]
FaultKind = Literal["status", "delay", "cut", "stall", "drop", "malformed", "partial", "contradict"]
Transport = Literal["full", "cut", "stall", "drop"]

SCOPES: tuple[Scope, ...] = ("write_all", "read_all")
FAULT_KINDS: tuple[FaultKind, ...] = (
    "status",
    "delay",
    "cut",
    "stall",
    "drop",
    "malformed",
    "partial",
    "contradict",
)
CODE_BY_STATUS: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "PERMISSION_DENIED",
    402: "PAYMENT_REQUIRED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
    500: "UNKNOWN",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}

DEFAULT_READS_PER_MINUTE = 120
DEFAULT_WRITES_PER_MINUTE = 60
DEFAULT_WINDOW_SECONDS = 60.0


def code_for_status(status: int) -> str:
    return CODE_BY_STATUS.get(status) or ("BAD_REQUEST" if status < 500 else "UNKNOWN")


class ConfigurationJson(TypedDict):
    conv_rating_active: bool
    conv_rating_popup_active: bool
    conv_rating_question_codes: list[str]


class TokensJson(TypedDict):
    write_all: str
    read_all: str


class AgentJson(TypedDict):
    scenario_id: str
    tokens: TokensJson
    configuration: ConfigurationJson


class LogEntryJson(TypedDict):
    seq: int
    method: str
    path: str
    status: int
    scenario_id: str | None
    scope: str | None
    headers: dict[str, str]
    body: str
    fault: str | None
    # Which of the server's connections carried the request (1, 2, ... in the
    # order they were accepted); 0 when called without a server, as in unit tests.
    connection: int


class RateLimitsJson(TypedDict):
    reads_per_minute: int
    writes_per_minute: int
    window_seconds: float
    send_retry_after: bool
    enabled: bool


class ApiFault(Exception):
    """An error answer in Quickchat's shape; the server turns it into a response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, object]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, object]:
    return {"errors": {"root": [{"message": message, "code": code}]}}


def _bad_request(message: str) -> ApiFault:
    return ApiFault(400, "BAD_REQUEST", message)


def _invalid(message: str) -> ApiFault:
    return ApiFault(422, "VALIDATION_ERROR", message)


def parse_json_object(raw: bytes) -> dict[str, object]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_request("Request body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise _bad_request("Request body must be a JSON object")
    return cast(dict[str, object], value)


@dataclass(frozen=True)
class Configuration:
    active: bool = False
    popup_active: bool = False
    question_codes: tuple[str, ...] = DEFAULT_QUESTION_CODES

    def to_json(self) -> ConfigurationJson:
        return {
            "conv_rating_active": self.active,
            "conv_rating_popup_active": self.popup_active,
            "conv_rating_question_codes": list(self.question_codes),
        }

    def merged(self, patch: Mapping[str, object]) -> Configuration:
        """`patch` must already have passed `check_patch`."""
        active = patch.get("conv_rating_active", self.active)
        popup = patch.get("conv_rating_popup_active", self.popup_active)
        codes = patch.get("conv_rating_question_codes", self.question_codes)
        return Configuration(bool(active), bool(popup), tuple(cast(list[str], codes)))


def check_patch(body: Mapping[str, object], *, known_codes_only: bool) -> None:
    """Raise the error Quickchat gives for a bad partial configuration.

    The Dashboard (admin) edit passes known_codes_only=False: it stands for a change
    made elsewhere, which the emulator must be able to express even if odd.
    """
    unknown = sorted(k for k in body if k not in CONFIG_FIELDS)
    if unknown:
        raise _bad_request(
            f"Unknown field(s): {', '.join(unknown)}. Allowed fields: {', '.join(CONFIG_FIELDS)}"
        )
    problems = [
        f"{name} must be a boolean"
        for name in ("conv_rating_active", "conv_rating_popup_active")
        if name in body and not isinstance(body[name], bool)
    ]
    codes = body.get("conv_rating_question_codes", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        problems.append("conv_rating_question_codes must be a list of strings")
    if problems:
        raise _invalid("; ".join(problems))
    if known_codes_only:
        strange = [c for c in cast(list[str], codes) if c not in KNOWN_QUESTION_CODES]
        if strange:
            quoted = ", ".join(repr(c) for c in dict.fromkeys(strange))
            raise _invalid(
                f"Unknown question code(s) in conv_rating_question_codes: {quoted}. "
                f"Known codes: {', '.join(KNOWN_QUESTION_CODES)}"
            )


@dataclass(frozen=True)
class ApiResult:
    """What to send back. `text_body` wins over `json_body` (for bodies that are not JSON)."""

    status: int
    json_body: object = None
    text_body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    transport: Transport = "full"
    stall_seconds: float = 0.0

    @classmethod
    def from_fault(cls, fault: ApiFault) -> ApiResult:
        return cls(fault.status, fault.body(), headers=fault.headers)


@dataclass(frozen=True)
class Token:
    jti: str
    scenario_id: str
    scope: Scope
    expires_at: float | None


@dataclass
class _Fault:
    id: int
    kind: FaultKind
    times: int
    method: str | None
    status: int
    retry_after: float | str | None  # a string is sent as it is, to try a malformed header
    delay: float
    code: str | None
    message: str | None


@dataclass
class _Limits:
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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_keys(body: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise _bad_request(f"Unknown field(s): {', '.join(unknown)}")


def _number(body: Mapping[str, object], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad_request(f"{key} must be a number")
    return float(value)


def _integer(body: Mapping[str, object], key: str, *, minimum: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _bad_request(f"{key} must be an integer >= {minimum}")
    return value


def _string(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad_request(f"{key} must be a string")
    return value


def _boolean(body: Mapping[str, object], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _bad_request(f"{key} must be a boolean")
    return value


def _object(body: Mapping[str, object], key: str) -> dict[str, object]:
    value = body.get(key, {})
    if not isinstance(value, dict):
        raise _bad_request(f"{key} must be a JSON object")
    return cast(dict[str, object], value)


def _format_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _redact(headers: Mapping[str, str]) -> dict[str, str]:
    logged = {name.lower(): value for name, value in headers.items()}
    if "authorization" in logged:
        scheme = logged["authorization"].split(" ", 1)[0]
        # Keep the scheme so tests can see how the client authenticated, never the token.
        logged["authorization"] = (
            "Bearer [redacted]" if scheme.lower() == "bearer" else "[redacted]"
        )
    return logged


class Emulator:
    """Agents, tokens, rate limits, faults and the request log behind one lock.

    `clock` (seconds, wall time) drives token expiry and the rate-limit windows, so
    tests can move time without sleeping.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._reset_state()

    def _reset_state(self) -> None:
        self._secret = secrets.token_bytes(32)
        self._agents: dict[str, Configuration] = {}
        self._tokens: dict[str, Token] = {}
        self._revoked: set[str] = set()
        self._limits = _Limits()
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._faults: list[_Fault] = []
        self._next_fault_id = 1
        self._log: list[LogEntryJson] = []
        self._next_seq = 1

    # ---- admin -------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._reset_state()

    def create_agent(self, body: Mapping[str, object]) -> AgentJson:
        _check_keys(body, ("scenario_id", "configuration"))
        scenario_id = _string(body, "scenario_id")
        if scenario_id is not None and (not scenario_id or "/" in scenario_id):
            raise _bad_request("scenario_id must be a non-empty string without '/'")
        patch = _object(body, "configuration")
        check_patch(patch, known_codes_only=False)
        with self._lock:
            if scenario_id is None:
                scenario_id = "scn_" + secrets.token_hex(6)
            if scenario_id in self._agents:
                raise ApiFault(409, "CONFLICT", f"Agent {scenario_id!r} already exists")
            config = Configuration().merged(patch)
            self._agents[scenario_id] = config
            tokens: TokensJson = {
                "write_all": self._issue(scenario_id, "write_all", None),
                "read_all": self._issue(scenario_id, "read_all", None),
            }
            return {
                "scenario_id": scenario_id,
                "tokens": tokens,
                "configuration": config.to_json(),
            }

    def delete_agent(self, scenario_id: str) -> None:
        with self._lock:
            if self._agents.pop(scenario_id, None) is None:
                raise ApiFault(404, "NOT_FOUND", f"No agent {scenario_id!r}")

    def issue_token(self, scenario_id: str, body: Mapping[str, object]) -> str:
        _check_keys(body, ("scope", "expires_in"))
        scope = body.get("scope")
        if scope not in SCOPES:
            raise _bad_request(f"scope must be one of: {', '.join(SCOPES)}")
        expires_in = _number(body, "expires_in")
        with self._lock:
            self._agent(scenario_id)
            return self._issue(scenario_id, scope, expires_in)

    def revoke_token(self, body: Mapping[str, object]) -> None:
        _check_keys(body, ("token",))
        token = _string(body, "token")
        with self._lock:
            known = self._verify(token) if token else None
            if known is None:
                raise _bad_request("token is not one this emulator issued")
            self._revoked.add(known.jti)

    def configuration(self, scenario_id: str) -> ConfigurationJson:
        with self._lock:
            return self._agent(scenario_id).to_json()

    def edit_configuration(self, scenario_id: str, body: Mapping[str, object]) -> ConfigurationJson:
        """An edit made in the Dashboard, behind the provider's back."""
        check_patch(body, known_codes_only=False)
        with self._lock:
            config = self._agent(scenario_id).merged(body)
            self._agents[scenario_id] = config
            return config.to_json()

    def request_log(self) -> list[LogEntryJson]:
        with self._lock:
            return [
                cast(LogEntryJson, {**entry, "headers": dict(entry["headers"])})
                for entry in self._log
            ]

    def clear_request_log(self) -> None:
        with self._lock:
            self._log.clear()

    def add_fault(self, body: Mapping[str, object]) -> int:
        _check_keys(
            body, ("kind", "times", "method", "status", "retry_after", "delay", "code", "message")
        )
        kind = body.get("kind")
        if kind not in FAULT_KINDS:
            raise _bad_request(f"kind must be one of: {', '.join(FAULT_KINDS)}")
        if kind != "status":
            # Silently ignoring these would make a test believe it set up something it did not.
            misplaced = sorted(k for k in ("status", "retry_after", "code", "message") if k in body)
            if misplaced:
                raise _bad_request(f"{', '.join(misplaced)} only apply to kind 'status'")
        method = body.get("method")
        if method not in (None, "GET", "PATCH"):
            raise _bad_request("method must be GET or PATCH (or absent for any)")
        status = _integer(body, "status", minimum=400)
        if status is not None and status > 599:
            raise _bad_request("status must be an integer from 400 to 599")
        raw_retry_after = body.get("retry_after")
        retry_after: float | str | None = (
            raw_retry_after if isinstance(raw_retry_after, str) else _number(body, "retry_after")
        )
        delay = _number(body, "delay")
        if kind in ("delay", "stall") and delay is None:
            raise _bad_request(f"kind {kind!r} needs delay (seconds)")
        negative_wait = isinstance(retry_after, (int, float)) and retry_after < 0
        if negative_wait or (delay is not None and delay < 0):
            raise _bad_request("retry_after and delay must not be negative")
        with self._lock:
            fault = _Fault(
                id=self._next_fault_id,
                kind=kind,
                times=_integer(body, "times", minimum=1) or 1,
                method=method,
                status=status or 503,
                retry_after=retry_after,
                delay=delay or 0.0,
                code=_string(body, "code"),
                message=_string(body, "message"),
            )
            self._next_fault_id += 1
            self._faults.append(fault)
            return fault.id

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_rate_limits(self, body: Mapping[str, object]) -> RateLimitsJson:
        _check_keys(body, tuple(_Limits().to_json()))
        reads = _integer(body, "reads_per_minute", minimum=1)
        writes = _integer(body, "writes_per_minute", minimum=1)
        window = _number(body, "window_seconds")
        if window is not None and window <= 0:
            raise _bad_request("window_seconds must be > 0")
        send_retry_after = _boolean(body, "send_retry_after")
        enabled = _boolean(body, "enabled")
        with self._lock:
            limits = self._limits
            limits.reads_per_minute = reads or limits.reads_per_minute
            limits.writes_per_minute = writes or limits.writes_per_minute
            limits.window_seconds = window or limits.window_seconds
            if send_retry_after is not None:
                limits.send_retry_after = send_retry_after
            if enabled is not None:
                limits.enabled = enabled
            return limits.to_json()

    # ---- the public API ----------------------------------------------------------------

    def handle_api(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        connection: int = 0,
    ) -> ApiResult:
        """Answer one request to Quickchat's API and log it.

        `target` is the request target as received (path and query); `headers` map
        names (any case) to values.
        """
        path = urlsplit(target).path
        fault: _Fault | None = None
        if path == API_PATH and method in ("GET", "PATCH"):
            with self._lock:
                fault = self._take_fault(method)
            if fault is not None and fault.delay > 0 and fault.kind != "stall":
                time.sleep(fault.delay)  # outside the lock: other clients keep being served
        lowered = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            token, auth_error = self._identify(lowered.get("authorization"))
            if fault is None or fault.kind in ("delay", "cut", "stall"):
                result = self._serve(method, path, token, auth_error, body)
                if fault is not None and fault.kind == "cut":
                    result = replace(result, transport="cut")
                if fault is not None and fault.kind == "stall":
                    result = replace(result, transport="stall", stall_seconds=fault.delay)
            else:
                result = self._faulted(fault, token)
            self._log.append(
                {
                    "seq": self._next_seq,
                    "method": method,
                    "path": target,
                    # A dropped request got no response at all; 0 says so in an int field.
                    "status": 0 if result.transport == "drop" else result.status,
                    "scenario_id": token.scenario_id if token else None,
                    "scope": token.scope if token else None,
                    "headers": _redact(headers),
                    "body": body.decode("utf-8", errors="replace"),
                    "fault": fault.kind if fault else None,
                    "connection": connection,
                }
            )
            self._next_seq += 1
            return result

    def _serve(
        self,
        method: str,
        path: str,
        token: Token | None,
        auth_error: ApiFault | None,
        body: bytes,
    ) -> ApiResult:
        try:
            if path != API_PATH:
                raise ApiFault(404, "NOT_FOUND", f"Not found: {path}")
            if method not in ("GET", "PATCH"):
                raise ApiFault(
                    405, "BAD_REQUEST", f"Method {method} not allowed", {"Allow": "GET, PATCH"}
                )
            if token is None:
                raise auth_error or ApiFault(401, "PERMISSION_DENIED", "Invalid token")
            if method == "PATCH" and token.scope != "write_all":
                raise ApiFault(403, "PERMISSION_DENIED", SCOPE_MESSAGE)
            self._take_slot(token, "reads" if method == "GET" else "writes")
            config = self._agents.get(token.scenario_id)
            if config is None:
                raise ApiFault(404, "NOT_FOUND", "AI Agent not found")
            if method == "PATCH":
                patch = parse_json_object(body)
                check_patch(patch, known_codes_only=True)
                config = config.merged(patch)
                if config.popup_active != config.active:
                    raise _invalid(POPUP_MISMATCH)
                self._agents[token.scenario_id] = config
            return ApiResult(200, config.to_json())
        except ApiFault as fault:
            return ApiResult.from_fault(fault)

    def _faulted(self, fault: _Fault, token: Token | None) -> ApiResult:
        if fault.kind == "status":
            code = fault.code or code_for_status(fault.status)
            try:
                message = fault.message or HTTPStatus(fault.status).phrase
            except ValueError:
                message = fault.message or "Error"
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = (
                    fault.retry_after
                    if isinstance(fault.retry_after, str)
                    else _format_seconds(fault.retry_after)
                )
            return ApiResult(fault.status, error_body(code, message), headers=headers)
        if fault.kind == "drop":
            return ApiResult(0, transport="drop")
        if fault.kind == "malformed":
            return ApiResult(
                200,
                text_body='{"conv_rating_active": true, "conv_rating_popup',
                headers={"Content-Type": "application/json"},
            )
        # A bad or agentless token still gets a plausible body: the fault stands in for a
        # broken layer in front of the API, which does not know about tokens.
        config = (self._agents.get(token.scenario_id) if token else None) or Configuration()
        shown: dict[str, object] = dict(config.to_json())
        if fault.kind == "partial":
            del shown["conv_rating_question_codes"]
        else:  # contradict
            shown["conv_rating_active"] = not config.active
            shown["conv_rating_popup_active"] = not config.popup_active
        return ApiResult(200, shown)

    # ---- internals (lock held) -----------------------------------------------------------

    def _agent(self, scenario_id: str) -> Configuration:
        config = self._agents.get(scenario_id)
        if config is None:
            raise ApiFault(404, "NOT_FOUND", f"No agent {scenario_id!r}")
        return config

    def _issue(self, scenario_id: str, scope: Scope, expires_in: float | None) -> str:
        now = self._clock()
        jti = secrets.token_hex(16)
        claims: dict[str, object] = {
            "scenario_id": scenario_id,
            "scope": scope,
            "iat": int(now),
            "jti": jti,
        }
        expires_at = None
        if expires_in is not None:
            # Fractional on purpose (NumericDate allows it): a test's 1-second token must
            # not lose most of its second to rounding.
            expires_at = round(now + expires_in, 3)
            claims["exp"] = expires_at
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = _b64(hmac.new(self._secret, signing_input, hashlib.sha256).digest())
        self._tokens[jti] = Token(jti, scenario_id, scope, expires_at)
        return f"{header}.{payload}.{signature}"

    def _verify(self, token: str) -> Token | None:
        """The token's record if this emulator signed it, whatever its state; else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            signature = _unb64(parts[2])
            claims = json.loads(_unb64(parts[1]))
        except (binascii.Error, ValueError):
            return None
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", errors="replace")
        expected = hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature) or not isinstance(claims, dict):
            return None
        jti = claims.get("jti")
        return self._tokens.get(jti) if isinstance(jti, str) else None

    def _identify(self, authorization: str | None) -> tuple[Token | None, ApiFault | None]:
        def denied(message: str) -> tuple[None, ApiFault]:
            return None, ApiFault(401, "PERMISSION_DENIED", message)

        if not authorization:
            return denied("Authentication credentials were not provided")
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return denied("Authorization header must be 'Bearer <token>'")
        token = self._verify(credentials.strip())
        if token is None:
            return denied("Invalid token")
        if token.jti in self._revoked:
            return denied("Token has been revoked")
        if token.expires_at is not None and self._clock() >= token.expires_at:
            return denied("Token has expired")
        return token, None

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _take_slot(self, token: Token, kind: Literal["reads", "writes"]) -> None:
        """Sliding window per token and kind; a request refused here takes no slot."""
        limits = self._limits
        if not limits.enabled:
            return
        limit = limits.reads_per_minute if kind == "reads" else limits.writes_per_minute
        now = self._clock()
        window = self._windows.setdefault((token.jti, kind), deque())
        while window and window[0] <= now - limits.window_seconds:
            window.popleft()
        if len(window) >= limit:
            headers = {}
            if limits.send_retry_after:
                frees_at = window[len(window) - limit] + limits.window_seconds
                headers["Retry-After"] = str(max(1, math.ceil(frees_at - now)))
            raise ApiFault(
                429,
                "TOO_MANY_REQUESTS",
                f"Rate limit exceeded: at most {limit} {kind} per "
                f"{_format_seconds(limits.window_seconds)} seconds",
                headers,
            )
        window.append(now)
