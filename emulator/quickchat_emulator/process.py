"""The emulator as a child process, run as its command runs it."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from types import TracebackType
from typing import IO

from .admin import EmulatorAdmin

_LISTENING = re.compile(r"listening on (http://\S+)")


class EmulatorProcess:
    """`python -m quickchat_emulator --port 0 [extra_args]` as a child process.

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
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # A file, not a pipe: nobody reads stderr until something goes wrong, and a full
        # pipe would stall the child.
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
        command = [sys.executable, "-m", "quickchat_emulator", "--port", "0"]
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
            # Its stdout can close a moment before it exits: give the exit code time to come.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=1)
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
