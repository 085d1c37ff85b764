"""The benchmark suite: what pulumi-quickchat costs beyond Quickchat's own API.

    make bench        # runs: .venv/bin/python benchmarks/run.py

Everything runs against the emulator (its own process, loopback HTTP,
Quickchat's real rate limits: 120 reads and 60 writes a minute per token) and
the real plugin host (`python -m pulumi.dynamic`, called over gRPC as the
engine calls it), in one run:

1. Lifecycle: each step (preview, up, no-op up, change, refresh, destroy) for
   1 agent and for `--agents` agents through one plugin host, calls in flight
   as `pulumi up --parallel 10` has them. Requests sent against docs/design.md's
   minimum, connections opened, 429s, resources failed or lost, and wall time
   against a floor: the same step through the same plugin host with
   `BareProvider` (benchmarks/bare_provider.py), which makes the same request
   with plain `requests` and does nothing else.
2. Per operation: the median Read through the plugin host against its floor,
   a Check round trip plus a bare `requests` GET to the same endpoint.
3. Start-up: a fresh plugin host until its first Check and its first Create
   are answered, with a provider that imports nothing
   (benchmarks/null_provider.py), with BareProvider, and with this package's;
   and what `import pulumi_quickchat` costs on its own.

Prints Markdown; BENCHMARKS.md records a run and the machine it ran on.
Timings are reported, never enforced: the exit status is 1 only if a step
sent more than the minimum or a resource failed or was lost. Not part of
`make test`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bare_provider import BareProvider
from null_provider import NullProvider
from pulumi.runtime import proto
from walks import (
    ENABLED,
    Figures,
    alternated,
    duration,
    dynamic_fleet,
    emulator_for_benchmarks,
    figures,
    host_env,
    requests_text,
    verdict,
    walk,
)

from pulumi_quickchat._api import CONFIGURATION_PATH
from quickchat_emulator import EmulatorAdmin

from support.engine import Engine
from support.plugins import PluginHost
from support.sdk import serialized_provider, to_struct

# pulumi/dynamic/__main__.py serves every call on ThreadPoolExecutor(max_workers=4).
PLUGIN_HOST_WORKERS = 4
SINGLE_AGENT_REPEATS = 11
NULL = "NullProvider (no package)"
OURS = "pulumi_quickchat"
# As `pulumi up --parallel 10`: more calls in flight than the plugin host has workers.
ENGINE_PARALLEL = 10


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms"


# ---- 1. lifecycle -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """One step with pulumi_quickchat's provider, and with BareProvider (the floor)."""

    ours: Figures
    floor: Figures

    @property
    def ratio(self) -> float:
        return self.ours.seconds / self.floor.seconds


def lifecycle(admin: EmulatorAdmin, base_url: str, agents: int, repeats: int) -> list[StepResult]:
    """Each step with pulumi_quickchat, against the same step with BareProvider."""
    env = host_env(base_url)
    ours = dynamic_fleet(base_url, ENGINE_PARALLEL, env=env)
    bare = dynamic_fleet(base_url, ENGINE_PARALLEL, serialized_provider(BareProvider()), env)
    our_walks, bare_walks = alternated(
        [lambda: walk(admin, ours, agents), lambda: walk(admin, bare, agents)], repeats
    )
    return [
        StepResult(o, f)
        for o, f in zip(figures(our_walks, agents), figures(bare_walks, agents), strict=True)
    ]


def print_lifecycle(agents: int, repeats: int, results: list[StepResult]) -> None:
    print(f"\n### {agents} agent{'s' * (agents != 1)}, median of {repeats} walks\n")
    print(
        "| step | requests | minimum | connections opened | 429s | failed | lost "
        "| wall time | floor (BareProvider) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        o = r.ours
        print(
            f"| {o.step.name} | {requests_text(o.sent)} | {requests_text(o.minimum)} "
            f"| {o.opened} | {o.throttled} | {o.failed} | {o.lost} "
            f"| {duration(o.seconds)} | {duration(r.floor.seconds)} | {r.ratio:.2f}x |"
        )
    floor_failed = sum(r.floor.failed for r in results)
    floor_lost = sum(r.floor.lost for r in results)
    print(f"\nBareProvider's walks: {floor_failed} failed, {floor_lost} lost.")


# ---- 2. one Read against its floor --------------------------------------------------------


@dataclass
class ReadResult:
    check: float
    bare_get: float
    read: float
    connections: int

    @property
    def floor(self) -> float:
        return self.check + self.bare_get

    @property
    def ratio(self) -> float:
        return self.read / self.floor


def _bare_get(session: requests.Session, base_url: str, token: str) -> None:
    response = session.get(
        base_url + CONFIGURATION_PATH, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    response.raise_for_status()
    response.json()


def read_overhead(admin: EmulatorAdmin, base_url: str, agents: int) -> ReadResult:
    """Median Read of distinct agents, each read once as a refresh reads them, one at a time.

    Also: how many connections the timed Reads and bare GETs opened, past the first.
    """
    created = [admin.create_agent() for _ in range(agents)]
    tokens = [a["tokens"]["write_all"] for a in created]
    # Kept alive, and not looking for proxies and ~/.netrc per request: the floor's best case.
    bare = requests.Session()
    bare.trust_env = False
    checks: list[float] = []
    gets: list[float] = []
    reads: list[float] = []
    with PluginHost() as host:
        host.configure({"quickchat:baseUrl": base_url})
        engines = [Engine(host) for _ in tokens]
        for engine, token in zip(engines, tokens, strict=True):
            engine.up("r", {"api_token": token, **ENABLED})
    # The Reads in a plugin host of their own, as `pulumi refresh` starts one.
    with PluginHost() as host:
        host.configure({"quickchat:baseUrl": base_url})
        check_requests = [
            proto.CheckRequest(
                urn=host.urn("r"), olds=to_struct({}), news=host._props({"api_token": t, **ENABLED})
            )
            for t in tokens
        ]
        read_requests = [
            proto.ReadRequest(
                id=e.state["r"].id,
                urn=host.urn("r"),
                properties=host._props(e.state["r"].outputs),
                inputs=host._props(e.state["r"].inputs),
            )
            for e in engines
        ]
        # The first agent takes the one-off costs (imports, the first
        # connection) and is left out of the figures.
        host.stub.Check(check_requests[0])
        host.stub.Read(read_requests[0])
        _bare_get(bare, base_url, tokens[0])
        already_open = {e["connection"] for e in admin.request_log()}
        admin.clear_request_log()
        # Interleaved, so that drift in the machine's speed hits all three alike.
        timed = zip(check_requests[1:], read_requests[1:], tokens[1:], strict=True)
        for check, read, token in timed:
            started = time.perf_counter()
            host.stub.Check(check)
            checks.append(time.perf_counter() - started)
            started = time.perf_counter()
            _bare_get(bare, base_url, token)
            gets.append(time.perf_counter() - started)
            started = time.perf_counter()
            host.stub.Read(read)
            reads.append(time.perf_counter() - started)
    log = admin.request_log()
    return ReadResult(
        statistics.median(checks),
        statistics.median(gets),
        statistics.median(reads),
        len({e["connection"] for e in log} - already_open),
    )


# ---- 3. start-up ----------------------------------------------------------------------------


@dataclass
class Startup:
    """From starting the plugin host: its first Check answered, then its first Create."""

    first_check: list[float]
    first_create: list[float]


def startup(admin: EmulatorAdmin, base_url: str, runs: int) -> dict[str, Startup]:
    """A fresh plugin host per run, as every `pulumi` command starts one."""
    from pulumi_quickchat import ConversationRatingConfigProvider

    token = admin.create_agent()["tokens"]["write_all"]
    inputs = {"api_token": token, **ENABLED}
    providers = {
        NULL: (NullProvider(), False),
        "BareProvider (imports requests)": (BareProvider(), True),
        OURS: (ConversationRatingConfigProvider(), True),
    }
    times = {name: Startup([], []) for name in providers}
    for _ in range(runs):
        # One start of each per round, so that each round can be compared on its own.
        for name, (provider, sends) in providers.items():
            started = time.perf_counter()
            with PluginHost(host_env(base_url)) as host:
                host.provider = serialized_provider(provider)
                host.configure({"quickchat:baseUrl": base_url})
                host.stub.Check(
                    proto.CheckRequest(
                        urn=host.urn("r"), olds=to_struct({}), news=host._props(inputs)
                    )
                )
                times[name].first_check.append(time.perf_counter() - started)
                if sends:
                    host.stub.Create(
                        proto.CreateRequest(urn=host.urn("r"), properties=host._props(inputs))
                    )
                    times[name].first_create.append(time.perf_counter() - started)
    return times


def _spread(samples: Sequence[float]) -> str:
    """Median and interquartile range, in ms."""
    low, _, high = statistics.quantiles(samples, n=4)
    return f"{_ms(statistics.median(samples))} ({1000 * low:.1f} to {1000 * high:.1f})"


def _over(samples: Sequence[float], baseline: Sequence[float]) -> str:
    """Paired differences, round by round: median and interquartile range, in ms."""
    return _spread([a - b for a, b in zip(samples, baseline, strict=True)])


def import_cost(runs: int) -> float:
    """Median seconds `import pulumi_quickchat` adds to a process that has pulumi.dynamic."""
    code = (
        "import time, pulumi.dynamic; t = time.perf_counter(); import pulumi_quickchat; "
        "print(time.perf_counter() - t)"
    )
    return statistics.median(
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(runs)
    )


# ---- the run --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500, help="the fleet's size (default 500)")
    parser.add_argument("--repeats", type=int, default=5, help="walks of the fleet's lifecycle")
    parser.add_argument("--read-agents", type=int, default=300, help="agents read, once each")
    parser.add_argument("--startups", type=int, default=15, help="plugin-host starts per provider")
    args = parser.parse_args(argv)

    ok = True
    with emulator_for_benchmarks() as emulator:
        admin = emulator.admin
        print("\n## 1. Lifecycle")
        # One agent's steps take milliseconds: more walks for a steady median.
        for agents, repeats in ((1, SINGLE_AGENT_REPEATS), (args.agents, args.repeats)):
            results = lifecycle(admin, emulator.url, agents, repeats)
            print_lifecycle(agents, repeats, results)
            ok &= all(r.ours.sound for r in results)

        print("\n## 2. One Read against its floor")
        read = read_overhead(admin, emulator.url, args.read_agents)
        print(f"\n{args.read_agents} agents, each read once, one call at a time (medians):\n")
        print("| Check round trip | bare GET | floor | Read | ratio | connections opened |")
        print("|---|---|---|---|---|---|")
        print(
            f"| {_ms(read.check)} | {_ms(read.bare_get)} | {_ms(read.floor)} | {_ms(read.read)} "
            f"| {read.ratio:.2f}x (target 1.10x) | {read.connections} |"
        )

        print("\n## 3. Start-up: a fresh plugin host, its first Check, its first Create")
        starts = startup(admin, emulator.url, args.startups)
        null = starts[NULL].first_check
        print(
            f"\n{args.startups} starts each, from starting the plugin host: median "
            "(interquartile range), in ms; 'over NullProvider' compares each round's starts.\n"
        )
        print("| provider | first Check answered | over NullProvider | first Create answered |")
        print("|---|---|---|---|")
        for name, times in starts.items():
            create = _spread(times.first_create) if times.first_create else "(sends nothing)"
            over = _over(times.first_check, null) if name != NULL else ""
            print(f"| {name} | {_spread(times.first_check)} | {over} | {create} |")
        added = import_cost(args.startups)
        print(f"\n`import pulumi_quickchat` after `import pulumi.dynamic`: {_ms(added)} (median)")

    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
