"""Assertions shared by the test modules."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from quickchat_emulator import EmulatorAdmin, LogEntryJson


def requests_sent(admin: EmulatorAdmin) -> list[str]:
    """The API requests Quickchat saw since the last call, as "METHOD status" lines."""
    log = admin.request_log()
    admin.clear_request_log()
    return [f"{entry['method']} {entry['status']}" for entry in log]


def assert_token_only_under_api_token(texts: list[str], token: str) -> None:
    """The token appears in no response, except as the value of `api_token`.

    `api_token` is the one output the resource lists in
    additional_secret_outputs, so the engine encrypts it in state. Everything
    else in a response (id, every property, inputs, failures, error details)
    must be free of it.
    """
    for text in texts:
        if token not in text:
            continue
        try:
            document = json.loads(text)
        except ValueError:
            raise AssertionError("token in an error message") from None
        for section in ("properties", "inputs", "return"):
            if isinstance(document.get(section), dict):
                # The dynamic resource's name for it, and the native one's.
                document[section].pop("api_token", None)
                document[section].pop("apiToken", None)
        assert token not in json.dumps(document), "token outside the secret api_token"


def assert_provider_holds_no_secret(serialized: str, *secrets: str) -> None:
    raw = base64.b64decode(serialized)
    for value in secrets:
        assert value.encode() not in raw
        assert value not in serialized


def config_of(admin: EmulatorAdmin, scenario_id: str) -> dict[str, Any]:
    return dict(admin.get_configuration(scenario_id))


def wait_for_logged_fault(admin: EmulatorAdmin, kind: str, count: int = 1) -> list[LogEntryJson]:
    """Let slow requests land in this test's log, not the next one's; the log then.

    The emulator logs a request when it answers; a delayed one answers after
    the client's retry has already won (or after the client hung up).
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log = admin.request_log()
        if sum(entry["fault"] == kind for entry in log) >= count:
            return log
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} {kind!r} requests reached the log")
