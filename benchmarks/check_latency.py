"""How long the native plugin keeps other calls waiting while it checks a huge input.

    .venv/bin/python benchmarks/check_latency.py [--codes 40000] [--repeats 5]

Starts `pulumi-resource-quickchat` as the engine does, sends it a Check of one
resource with `--codes` question codes (all HELPFUL_THUMBS, so every code is
known and only the duplicate rule and the bound apply), and, while that Check
is in flight, sends GetSchema over and over on another connection, timing each
answer. Prints Markdown: the Check's own time, and the median and slowest
GetSchema during it. Nothing is sent to Quickchat (check sends nothing), so no
emulator runs. Figures are reported, not enforced.

To measure an older version, point the plugin at its source:
`PYTHONPATH=/path/to/old/provider .venv/bin/python benchmarks/check_latency.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pulumi.runtime import proto
from walks import load, machine

from support.plugins import NativePlugin
from support.sdk import secret, to_struct


def measure(codes: int) -> tuple[float, list[float]]:
    """The Check's time, and each GetSchema's time while it ran, in seconds."""
    with NativePlugin() as plugin:
        plugin.configure({"apiToken": secret("a-token")})
        # One channel, as the engine's: gRPC multiplexes the calls over it.
        plugin.stub.GetSchema(proto.GetSchemaRequest(), timeout=60)  # warm
        news = {"convRatingActive": True, "convRatingQuestionCodes": ["HELPFUL_THUMBS"] * codes}
        request = proto.CheckRequest(urn=plugin.urn("ratings"), news=to_struct(news))
        started = time.perf_counter()
        check = plugin.stub.Check.future(request, timeout=600)
        latencies: list[float] = []
        while not check.done() or not latencies:
            sent = time.perf_counter()
            plugin.stub.GetSchema(proto.GetSchemaRequest(), timeout=600)
            latencies.append(time.perf_counter() - sent)
        failures = check.result().failures
        took = time.perf_counter() - started
        assert len(failures) == 1, failures
    return took, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    runs = [measure(args.codes) for _ in range(args.repeats)]
    print(f"Machine: {machine()}; {load()}\n")
    print(f"| run | Check of {args.codes} codes | GetSchema answers | median | slowest |")
    print("|---|---|---|---|---|")
    for number, (took, latencies) in enumerate(runs, 1):
        print(
            f"| {number} | {took * 1000:.0f} ms | {len(latencies)} | "
            f"{statistics.median(latencies) * 1000:.1f} ms | {max(latencies) * 1000:.1f} ms |"
        )


if __name__ == "__main__":
    main()
