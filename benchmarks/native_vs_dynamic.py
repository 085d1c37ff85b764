"""The native plugin against the dynamic plugin host, for a fleet, with Quickchat's latency.

    .venv/bin/python benchmarks/native_vs_dynamic.py

For 100 and 500 agents (`--agents`), each step of the lifecycle
(benchmarks/walks.py) through one plugin process per step: the native plugin
(`pulumi-resource-quickchat`) and the SDK's dynamic plugin host (`python -m
pulumi.dynamic`). Every agent has its own token, given per resource, so one
plugin serves the whole fleet. The engine's side keeps 32 calls in flight, as
`pulumi up --parallel 32` (the CLI's default on 8 cores); the emulator waits
50 ms before serving each API request (`--latency`), with Quickchat's real
rate limits, which never bite: each token sends one request a step.

The floor of a step that sends one request per agent is the latency times the
waves of requests the engine lets through: ceil(agents / parallel) x latency,
as no call can start before one of the 32 in flight has ended. The dynamic
host serves at most 4 calls at once (`ThreadPoolExecutor(max_workers=4)` in
`pulumi/dynamic/__main__.py`), so its own floor is ceil(agents / 4) x latency.

Prints Markdown; BENCHMARKS.md records a run and the machine it ran on.
Timings are reported, never enforced: the exit status is 1 only if a step sent
other than the minimum or a resource failed or was lost.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from functools import partial

import walks
from walks import Figures, duration, requests_text

# The CLI's default --parallel is 4 x the cores; 32 is its default on 8 cores.
PARALLEL = 32
# pulumi/dynamic/__main__.py serves every call on ThreadPoolExecutor(max_workers=4).
DYNAMIC_HOST_WORKERS = 4


def floor(agents: int, in_flight: int, latency: float) -> float:
    """The least a step of one request per agent can take, `in_flight` calls at a time."""
    return math.ceil(agents / in_flight) * latency


def _sent(native: Figures, dynamic: Figures) -> str:
    if native.sent == dynamic.sent:
        return requests_text(native.sent)
    return f"native {requests_text(native.sent)}, dynamic {requests_text(dynamic.sent)}"


def _trouble(f: Figures) -> str:
    return f"{f.failed} / {f.lost}"


def print_fleet(
    agents: int, repeats: int, latency: float, native: list[Figures], dynamic: list[Figures]
) -> None:
    ours = floor(agents, PARALLEL, latency)
    hosts = floor(agents, DYNAMIC_HOST_WORKERS, latency)
    print(f"\n### {agents} agents, median of {repeats} walks each\n")
    print(
        f"Floor of a step that sends a request per agent: ceil({agents}/{PARALLEL}) x "
        f"{1000 * latency:g} ms = {duration(ours)}; the dynamic host's own, "
        f"ceil({agents}/{DYNAMIC_HOST_WORKERS}) x {1000 * latency:g} ms = {duration(hosts)}.\n"
    )
    print(
        "| step | requests (each) | minimum | native | connections | failed / lost "
        "| dynamic | connections | failed / lost | native / floor | dynamic / native |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, d in zip(native, dynamic, strict=True):
        if not n.step.method:
            over_floor = "(sends nothing)"
        else:
            over_floor = f"{n.seconds / ours:.2f}x" if ours else "(no latency, no floor)"
        print(
            f"| {n.step.name} | {_sent(n, d)} | {requests_text(n.minimum)} "
            f"| {duration(n.seconds)} | {n.opened} | {_trouble(n)} "
            f"| {duration(d.seconds)} | {d.opened} | {_trouble(d)} "
            f"| {over_floor} | {d.seconds / n.seconds:.1f}x |"
        )
    throttled = max(f.throttled for f in (*native, *dynamic))
    print(f"\n429s in any step of any walk: {throttled}.")
    cores = os.cpu_count() or 1
    print(
        f"\nCPU seconds each process spent in the step (medians); 'ours / cores' is the "
        f"three processes' sum over the {cores} cores, the least wall time the step could "
        "take on this machine had it nothing else to wait for; 'others' is what other "
        "processes on the machine used meanwhile.\n"
    )
    print("| step | which | engine | plugin | emulator | ours / cores | wall time | others |")
    print("|---|---|---|---|---|---|---|---|")
    for figures in zip(native, dynamic, strict=True):
        for name, f in zip(("native", "dynamic"), figures, strict=True):
            print(
                f"| {f.step.name} | {name} | {f.cpu.engine:.2f} | {f.cpu.plugin:.2f} "
                f"| {f.cpu.emulator:.2f} | {f.cpu.ours / cores:.2f} | {f.seconds:.2f} "
                f"| {max(f.cpu.others, 0):.2f} |"  # the clocks' ticks can make it -0.0x
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agents", type=int, nargs="+", default=[100, 500], help="fleet sizes (100 500)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="walks of each plugin (3)")
    parser.add_argument(
        "--latency", type=float, default=0.05, help="seconds each API request waits (0.05)"
    )
    args = parser.parse_args(argv)

    ok = True
    with walks.emulator_for_benchmarks(args.latency) as emulator:
        print(f"Engine side: {PARALLEL} calls in flight.")
        native = walks.native_fleet(emulator.url, PARALLEL)
        dynamic = walks.dynamic_fleet(emulator.url, PARALLEL)
        for agents in args.agents:
            native_walks, dynamic_walks = walks.alternated(
                [
                    partial(walks.walk, emulator.admin, native, agents),
                    partial(walks.walk, emulator.admin, dynamic, agents),
                ],
                args.repeats,
            )
            by_native = walks.figures(native_walks, agents)
            by_dynamic = walks.figures(dynamic_walks, agents)
            print_fleet(agents, args.repeats, args.latency, by_native, by_dynamic)
            ok &= all(f.sound for f in (*by_native, *by_dynamic))
    return walks.verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
