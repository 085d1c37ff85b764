"""What the emulator answers, before server.py turns it into HTTP.

`ApiResult` is an answer; `ApiFault` is an error answer in Quickchat's shape (its body,
its code for each status). The readers of a JSON request body answer 400 for a field
of the wrong kind. rules.py, tokens.py and faults.py all answer, so this sits below them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

Transport = Literal["full", "cut", "stall", "drop"]

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


def code_for_status(status: int) -> str:
    return CODE_BY_STATUS.get(status) or ("BAD_REQUEST" if status < 500 else "UNKNOWN")


def error_body(code: str, message: str) -> dict[str, object]:
    return {"errors": {"root": [{"message": message, "code": code}]}}


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


def bad_request(message: str) -> ApiFault:
    return ApiFault(400, "BAD_REQUEST", message)


def invalid(message: str) -> ApiFault:
    return ApiFault(422, "VALIDATION_ERROR", message)


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


# ---- reading a JSON request body ----------------------------------------------------------


def parse_json_object(raw: bytes) -> dict[str, object]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request("Request body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise bad_request("Request body must be a JSON object")
    return cast(dict[str, object], value)


def check_keys(body: Mapping[str, object], allowed: tuple[str, ...]) -> None:
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise bad_request(f"Unknown field(s): {', '.join(unknown)}")


def read_number(body: Mapping[str, object], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request(f"{key} must be a number")
    return float(value)


def read_integer(body: Mapping[str, object], key: str, *, minimum: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_request(f"{key} must be an integer >= {minimum}")
    return value


def read_string(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    return value


def read_boolean(body: Mapping[str, object], key: str) -> bool | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad_request(f"{key} must be a boolean")
    return value


def read_object(body: Mapping[str, object], key: str) -> dict[str, object]:
    value = body.get(key, {})
    if not isinstance(value, dict):
        raise bad_request(f"{key} must be a JSON object")
    return cast(dict[str, object], value)
