"""How long a fleet of agents takes through the real plugin host, against the emulator.

    .venv/bin/python benchmarks/fleet.py [--agents 200] [--parallel 10]

Walks N ConversationRatingConfig resources through preview, up, a no-op up,
refresh and destroy, the calls spread over `--parallel` threads as
`pulumi up --parallel` would, and prints the wall time of each step with the
requests Quickchat saw. Results are in BENCHMARKS.md. Timing lives here, never
in the tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pulumi_quickchat.emulator import EmulatorProcess

from support.plugin_host import Engine, PluginHost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=10)
    args = parser.parse_args()

    with EmulatorProcess() as emulator, PluginHost() as host:
        admin = emulator.admin
        admin.set_rate_limits(enabled=False)
        tokens = [admin.create_agent()["tokens"]["write_all"] for _ in range(args.agents)]
        host.configure({"quickchat:baseUrl": emulator.url})
        engines = [Engine(host) for _ in tokens]
        on = [{"conv_rating_active": True, "api_token": t} for t in tokens]

        def step(name: str, action: Callable[[Engine, dict[str, object]], object]) -> None:
            admin.clear_request_log()
            started = time.perf_counter()
            with ThreadPoolExecutor(args.parallel) as pool:
                list(pool.map(action, engines, on))
            seconds = time.perf_counter() - started
            sent = len(admin.request_log())
            per = 1000 * seconds / args.agents
            print(f"| {name} | {seconds:.2f} s | {per:.1f} ms | {sent} |")

        print(f"{args.agents} agents, {args.parallel} in parallel, one plugin host\n")
        print("| step | wall time | per resource | requests to Quickchat |")
        print("|---|---|---|---|")
        step("preview (check + diff)", lambda e, p: e.plan("ratings", p))
        step("up, create", lambda e, p: e.up("ratings", p))
        step("up, no change", lambda e, p: e.up("ratings", p))
        step("refresh", lambda e, p: e.refresh("ratings"))
        step("destroy", lambda e, p: e.destroy("ratings"))


if __name__ == "__main__":
    main()
