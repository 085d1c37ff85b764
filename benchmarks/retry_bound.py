"""How long a call that keeps failing takes to give up, with the default settings.

    .venv/bin/python benchmarks/retry_bound.py

Measures the client against the emulator's persistent faults and compares each
with the stated ceiling (`worst_case_seconds()`, 155 s). Results are in
BENCHMARKS.md.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from pulumi_quickchat import QuickchatClient, QuickchatError
from pulumi_quickchat.client import worst_case_seconds
from quickchat_emulator import EmulatorAdmin, EmulatorProcess

FAULTS: dict[str, dict[str, Any]] = {
    "503 every time": {"kind": "status", "status": 503},
    "429 with Retry-After: 30 every time": {"kind": "status", "status": 429, "retry_after": 30},
    "connection cut mid-body every time": {"kind": "cut"},
    "silent server (no answer for 30 s) every time": {"kind": "delay", "delay": 30},
}


def _attempts_once_settled(admin: EmulatorAdmin) -> int:
    # The emulator logs a request when it answers; a silent server's last
    # answers come up to 30 s after the client has given up.
    count, quiet_since = len(admin.request_log()), time.monotonic()
    while time.monotonic() - quiet_since < 20:
        time.sleep(1)
        now = len(admin.request_log())
        if now != count:
            count, quiet_since = now, time.monotonic()
    return count


def main() -> None:
    bound = worst_case_seconds()
    print(f"stated ceiling: {bound:g} s per call\n")
    print("| persistent fault | attempts | gave up after |")
    print("|---|---|---|")
    with EmulatorProcess() as emulator:
        admin = emulator.admin
        for name, fault in FAULTS.items():
            admin.reset()
            token = admin.create_agent()["tokens"]["write_all"]
            admin.add_fault(times=1000, **fault)
            client = QuickchatClient(token, emulator.url)
            started = time.perf_counter()
            with contextlib.suppress(QuickchatError):  # giving up is what is measured
                client.get_configuration()
            seconds = time.perf_counter() - started
            assert seconds <= bound, f"{name}: {seconds:.1f} s is over the {bound:g} s ceiling"
            attempts = _attempts_once_settled(admin)
            print(f"| {name} | {attempts} | {seconds:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
