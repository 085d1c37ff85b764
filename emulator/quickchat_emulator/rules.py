"""Quickchat's rules and the agents' state. No HTTP here: server.py is only the wire.

(moto calls this file `models.py`.) `Emulator` holds the agents' configurations and
the request log, routes the public API (auth, scopes, rate limits, validation,
injected faults), and serves the admin API's changes, all behind one lock. Tokens
live in tokens.py, faults and rate limits in faults.py, the shape of an answer in
answers.py.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypedDict, cast
from urllib.parse import urlsplit

from .answers import (
    ApiFault,
    ApiResult,
    bad_request,
    check_keys,
    invalid,
    parse_json_object,
    read_boolean,
    read_integer,
    read_number,
    read_object,
    read_string,
)
from .faults import Fault, Faults, RateLimits, RateLimitsJson
from .tokens import SCOPES, Token, Tokens

API_PATH = "/v1/api/conversation_ratings/configuration"
KNOWN_QUESTION_CODES: tuple[str, ...] = ("HELPFUL_THUMBS", "EXPERIENCE_THUMBS")
DEFAULT_QUESTION_CODES: tuple[str, ...] = KNOWN_QUESTION_CODES
CONFIG_FIELDS = ("conv_rating_active", "conv_rating_popup_active", "conv_rating_question_codes")
POPUP_MISMATCH = "conv_rating_popup_active must match conv_rating_active"
SCOPE_MESSAGE = "Insufficient token scope. Required: write_all"


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
        raise bad_request(
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
        raise invalid("; ".join(problems))
    if known_codes_only:
        strange = [c for c in cast(list[str], codes) if c not in KNOWN_QUESTION_CODES]
        if strange:
            quoted = ", ".join(repr(c) for c in dict.fromkeys(strange))
            raise invalid(
                f"Unknown question code(s) in conv_rating_question_codes: {quoted}. "
                f"Known codes: {', '.join(KNOWN_QUESTION_CODES)}"
            )


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
        self._agents: dict[str, Configuration] = {}
        self._tokens = Tokens(self._clock)
        self._limits = RateLimits(self._clock)
        self._faults = Faults()
        # Seconds each API request waits before it is served: the real service's
        # round trip, for measuring how a client copes with one.
        self._latency = 0.0
        self._barrier: threading.Barrier | None = None
        self._log: list[LogEntryJson] = []
        self._next_seq = 1

    # ---- admin -------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            if self._barrier is not None:
                self._barrier.abort()  # nobody waits for requests that will not come
            self._reset_state()

    def create_agent(self, body: Mapping[str, object]) -> AgentJson:
        check_keys(body, ("scenario_id", "configuration"))
        scenario_id = read_string(body, "scenario_id")
        if scenario_id is not None and (not scenario_id or "/" in scenario_id):
            raise bad_request("scenario_id must be a non-empty string without '/'")
        patch = read_object(body, "configuration")
        check_patch(patch, known_codes_only=False)
        with self._lock:
            if scenario_id is None:
                scenario_id = "scn_" + secrets.token_hex(6)
            if scenario_id in self._agents:
                raise ApiFault(409, "CONFLICT", f"Agent {scenario_id!r} already exists")
            config = Configuration().merged(patch)
            self._agents[scenario_id] = config
            tokens: TokensJson = {
                "write_all": self._tokens.issue(scenario_id, "write_all", None),
                "read_all": self._tokens.issue(scenario_id, "read_all", None),
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
        check_keys(body, ("scope", "expires_in", "opaque"))
        scope = body.get("scope")
        if scope not in SCOPES:
            raise bad_request(f"scope must be one of: {', '.join(SCOPES)}")
        expires_in = read_number(body, "expires_in")
        opaque = read_boolean(body, "opaque") or False
        with self._lock:
            self._agent(scenario_id)
            return self._tokens.issue(scenario_id, scope, expires_in, opaque=opaque)

    def revoke_token(self, body: Mapping[str, object]) -> None:
        check_keys(body, ("token",))
        token = read_string(body, "token")
        with self._lock:
            self._tokens.revoke(token)

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
        with self._lock:
            return self._faults.add(body)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_rate_limits(self, body: Mapping[str, object]) -> RateLimitsJson:
        with self._lock:
            return self._limits.update(body)

    def set_latency(self, body: Mapping[str, object]) -> dict[str, float]:
        check_keys(body, ("seconds",))
        seconds = read_number(body, "seconds")
        if seconds is None or seconds < 0:
            raise bad_request("seconds must be a number >= 0")
        with self._lock:
            self._latency = seconds
            return {"seconds": self._latency}

    def set_barrier(self, body: Mapping[str, object]) -> dict[str, int]:
        """From now on API requests wait in groups of `parties`, each let through only
        once that many are waiting (or `timeout` seconds have passed): a test can know
        its requests were all in flight at once. `parties` 0 ends it."""
        check_keys(body, ("parties", "timeout"))
        parties = read_integer(body, "parties", minimum=0)
        timeout = read_number(body, "timeout")
        if parties is None or parties == 1:
            raise bad_request("parties must be an integer >= 2, or 0 to stop waiting")
        with self._lock:
            if self._barrier is not None:
                self._barrier.abort()  # any still waiting go on
            self._barrier = threading.Barrier(parties, timeout=timeout or 30.0) if parties else None
            return {"parties": parties}

    # ---- the public API ----------------------------------------------------------------

    def handle_api(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        connection: int = 0,
        hold: Callable[[float], None] = time.sleep,
    ) -> ApiResult:
        """Answer one request to Quickchat's API and log it.

        `target` is the request target as received (path and query); `headers` map
        names (any case) to values; `hold` waits out latency and delay faults (the
        server's returns early once the client has hung up).
        """
        path = urlsplit(target).path
        fault: Fault | None = None
        if path == API_PATH and method in ("GET", "PATCH"):
            with self._lock:
                barrier = self._barrier
            if barrier is not None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()  # outside the lock, as the others must arrive
            with self._lock:
                fault = self._faults.take(method)
                wait = self._latency + (fault.wait_seconds if fault is not None else 0.0)
            if wait > 0:
                # Outside the lock: other clients keep being served.
                hold(wait)
        lowered = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            token, auth_error = self._tokens.identify(lowered.get("authorization"))
            if fault is None or fault.served:
                before = self._agents.get(token.scenario_id) if token else None
                result = self._serve(method, path, token, auth_error, body)
                if fault is not None:
                    result = fault.deliver(result, (before or Configuration()).to_json())
            else:
                # A bad or agentless token still gets a plausible body: the fault stands in
                # for a broken layer in front of the API, which does not know about tokens.
                config = (self._agents.get(token.scenario_id) if token else None) or Configuration()
                result = fault.answer(config.to_json())
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
            self._limits.take_slot(token.jti, "reads" if method == "GET" else "writes")
            config = self._agents.get(token.scenario_id)
            if config is None:
                raise ApiFault(404, "NOT_FOUND", "AI Agent not found")
            if method == "PATCH":
                patch = parse_json_object(body)
                check_patch(patch, known_codes_only=True)
                config = config.merged(patch)
                if config.popup_active != config.active:
                    raise invalid(POPUP_MISMATCH)
                self._agents[token.scenario_id] = config
            return ApiResult(200, config.to_json())
        except ApiFault as fault:
            return ApiResult.from_fault(fault)

    # ---- internals (lock held) -----------------------------------------------------------

    def _agent(self, scenario_id: str) -> Configuration:
        config = self._agents.get(scenario_id)
        if config is None:
            raise ApiFault(404, "NOT_FOUND", f"No agent {scenario_id!r}")
        return config
