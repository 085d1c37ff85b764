"""Clients for the emulator: its /_emulator admin API, and the emulator run as a subprocess."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast
from urllib.parse import quote

import requests

from .models import (
    AgentJson,
    ConfigurationJson,
    FaultKind,
    LogEntryJson,
    RateLimitsJson,
    Scope,
)

_LISTENING = re.compile(r"listening on (http://\S+)")


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
        self.session = session if session is not None else requests.Session()

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
        self, scenario_id: str, scope: Scope = "write_all", expires_in: float | None = None
    ) -> str:
        body: dict[str, object] = {"scope": scope}
        if expires_in is not None:
            body["expires_in"] = expires_in
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

    def reset(self) -> None:
        self._call("POST", "/reset")

    def close(self) -> None:
        self.session.close()


def _segment(value: str) -> str:
    return quote(value, safe="")


class EmulatorProcess:
    """`python -m pulumi_quickchat.emulator --port 0 [extra_args]` as a child process.

    A separate process proves the real CLI works and keeps the emulator's threads
    out of the test's interpreter.
    """

    def __init__(self, extra_args: Sequence[str] = (), *, startup_timeout: float = 20.0) -> None:
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._url: str | None = None
        self._admin: EmulatorAdmin | None = None

    def start(self) -> EmulatorProcess:
        if self._process is not None:
            return self
        env = dict(os.environ)
        # The child must import this very package, even where it is not installed.
        source_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        # A file, not a pipe: nobody reads stderr until something goes wrong, and a full
        # pipe would stall the child.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
        command = [sys.executable, "-m", "pulumi_quickchat.emulator", "--port", "0"]
        self._process = subprocess.Popen(
            [*command, *self.extra_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=env,
        )
        threading.Thread(target=self._pump, args=(self._process,), daemon=True).start()
        try:
            first = self._lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            first = None
        match = _LISTENING.search(first or "")
        if match is None:
            returncode = self._process.poll()
            self.stop()
            stderr = self.stderr()
            self._stderr.close()
            state = "still running" if returncode is None else f"exit code {returncode}"
            raise RuntimeError(
                f"the emulator did not report its URL within {self.startup_timeout:g}s "
                f"({state}); first line: {first!r}; stderr:\n{stderr}"
            )
        self._url = match.group(1)
        self._admin = EmulatorAdmin(self._url)
        return self

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def next_line(self, timeout: float = 5.0) -> str | None:
        """The next stdout line after the first; None once stdout is closed."""
        return self._lines.get(timeout=timeout)

    def stderr(self) -> str:
        if self._stderr is None or self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator process is not running; call start() first")
        return self._url

    @property
    def admin(self) -> EmulatorAdmin:
        if self._admin is None:
            raise RuntimeError("the emulator process is not running; call start() first")
        return self._admin

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate (SIGTERM) and wait; kill if it does not go. Returns the exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._admin is not None:
            self._admin.close()
        return process.returncode

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self._stderr is not None:
            self._stderr.close()
