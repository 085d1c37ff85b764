"""The client for the emulator's admin API (/_emulator): one method per endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import quote

import requests

from .faults import FaultKind, RateLimitsJson
from .rules import AgentJson, ConfigurationJson, LogEntryJson
from .tokens import Scope


class EmulatorAdminError(RuntimeError):
    def __init__(self, status: int, body: str, what: str) -> None:
        super().__init__(f"{what} -> {status}: {body}")
        self.status = status
        self.body = body


class EmulatorAdmin:
    """One method per /_emulator endpoint. Raises EmulatorAdminError on any non-2xx."""

    def __init__(
        self, url: str, *, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            # The emulator serves loopback only: a proxy in the environment is not for it.
            session.trust_env = False
        self.session = session

    def _call(self, method: str, path: str, body: Mapping[str, object] | None = None) -> Any:
        response = self.session.request(
            method, f"{self.url}/_emulator{path}", json=body, timeout=self.timeout
        )
        if not response.ok:
            raise EmulatorAdminError(response.status_code, response.text, f"{method} {path}")
        return response.json() if response.content else None

    def health(self) -> bool:
        return bool(self._call("GET", "/health")["ok"])

    def create_agent(
        self,
        scenario_id: str | None = None,
        configuration: Mapping[str, object] | None = None,
    ) -> AgentJson:
        body: dict[str, object] = {}
        if scenario_id is not None:
            body["scenario_id"] = scenario_id
        if configuration is not None:
            body["configuration"] = dict(configuration)
        return cast(AgentJson, self._call("POST", "/agents", body))

    def delete_agent(self, scenario_id: str) -> None:
        self._call("DELETE", f"/agents/{_segment(scenario_id)}")

    def issue_token(
        self,
        scenario_id: str,
        scope: Scope = "write_all",
        expires_in: float | None = None,
        *,
        opaque: bool = False,
    ) -> str:
        """A new token for the agent; `opaque` makes it no JWT, with no claims to read."""
        body: dict[str, object] = {"scope": scope}
        if expires_in is not None:
            body["expires_in"] = expires_in
        if opaque:
            body["opaque"] = True
        return str(self._call("POST", f"/agents/{_segment(scenario_id)}/tokens", body)["token"])

    def revoke_token(self, token: str) -> None:
        self._call("POST", "/tokens/revoke", {"token": token})

    def get_configuration(self, scenario_id: str) -> ConfigurationJson:
        path = f"/agents/{_segment(scenario_id)}/configuration"
        return cast(ConfigurationJson, self._call("GET", path))

    def edit_configuration(
        self, scenario_id: str, configuration: Mapping[str, object]
    ) -> ConfigurationJson:
        """Change the agent as someone in the Dashboard would (drift)."""
        path = f"/agents/{_segment(scenario_id)}/configuration"
        return cast(ConfigurationJson, self._call("PUT", path, dict(configuration)))

    def request_log(self) -> list[LogEntryJson]:
        return cast(list[LogEntryJson], self._call("GET", "/requests")["requests"])

    def clear_request_log(self) -> None:
        self._call("DELETE", "/requests")

    def add_fault(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        method: str | None = None,
        status: int | None = None,
        retry_after: float | str | None = None,
        delay: float | None = None,
        code: str | None = None,
        message: str | None = None,
    ) -> int:
        options = {
            "method": method,
            "status": status,
            "retry_after": retry_after,
            "delay": delay,
            "code": code,
            "message": message,
        }
        body: dict[str, object] = {"kind": kind, "times": times}
        body.update({k: v for k, v in options.items() if v is not None})
        return int(self._call("POST", "/faults", body)["id"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_rate_limits(
        self,
        *,
        reads_per_minute: int | None = None,
        writes_per_minute: int | None = None,
        window_seconds: float | None = None,
        send_retry_after: bool | None = None,
        enabled: bool | None = None,
    ) -> RateLimitsJson:
        options = {
            "reads_per_minute": reads_per_minute,
            "writes_per_minute": writes_per_minute,
            "window_seconds": window_seconds,
            "send_retry_after": send_retry_after,
            "enabled": enabled,
        }
        body = {k: v for k, v in options.items() if v is not None}
        return cast(RateLimitsJson, self._call("PUT", "/rate_limits", body))

    def set_barrier(self, parties: int, timeout: float | None = None) -> None:
        """API requests wait until `parties` of them are in flight at once (0: no more)."""
        body: dict[str, object] = {"parties": parties}
        if timeout is not None:
            body["timeout"] = timeout
        self._call("PUT", "/barrier", body)

    def set_latency(self, seconds: float) -> None:
        """Make every API request wait `seconds` before it is served, as a round trip would."""
        self._call("PUT", "/latency", {"seconds": seconds})

    def reset(self) -> None:
        self._call("POST", "/reset")

    def close(self) -> None:
        self.session.close()


def _segment(value: str) -> str:
    return quote(value, safe="")
