"""Walks of a fleet through the lifecycle, as `pulumi` commands step it: shared by the benchmarks.

A walk takes fresh agents through every step (preview, up, a no-op up, a
change, refresh, destroy), each step in a plugin process of its own, as each
`pulumi` command starts one, and each agent stepped by a stand-in engine of
its own (tests/support/engine.py), `Fleet.parallel` agents at once. It
records, per step: wall time, the CPU time of each process, the requests
Quickchat saw, the connections they opened, the 429s, and the agents that
failed or were lost.

`run.py` walks the dynamic resource against BareProvider;
`native_vs_dynamic.py` the native plugin against the dynamic plugin host;
`compare_provider.py` another version of the provider against this one.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from pulumi_quickchat._core import DISABLED_DEFAULTS
from pulumi_quickchat._declaration import OUTPUTS
from quickchat_emulator import EmulatorAdmin, EmulatorProcess

from support.engine import Engine
from support.plugins import NativePlugin, Plugin, PluginHost
from support.sdk import secret

ENABLED = {
    "conv_rating_active": True,
    "conv_rating_popup_active": True,
    "conv_rating_question_codes": ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"],
}
CHANGED = {**ENABLED, "conv_rating_question_codes": ["HELPFUL_THUMBS"]}
DISABLED = DISABLED_DEFAULTS.to_api()


def machine() -> str:
    return (
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"pulumi {version('pulumi')}, requests {version('requests')}, "
        f"urllib3 {version('urllib3')}, grpcio {version('grpcio')}"
    )


def load() -> str:
    """The machine's load averages: above the benchmark's own, something else ran too."""
    one, five, fifteen = os.getloadavg()
    return f"Load average: {one:.2f} (1 min), {five:.2f} (5 min), {fifteen:.2f} (15 min)"


@contextlib.contextmanager
def emulator_for_benchmarks(latency: float = 0.0) -> Iterator[EmulatorProcess]:
    """The emulator in its own process, with Quickchat's real rate limits and `latency`
    seconds before each API request; the machine and its load printed before and after."""
    print(f"Machine: {machine()}\n{load()} at the start")
    with EmulatorProcess() as emulator:
        limits = emulator.admin.set_rate_limits(enabled=True)
        emulator.admin.set_latency(latency)
        print(
            f"Emulator: rate limits per token of {limits['reads_per_minute']} reads and "
            f"{limits['writes_per_minute']} writes a minute; {1000 * latency:g} ms before "
            "each API request"
        )
        yield emulator
    print(f"\n{load()} at the end")


def verdict(sound: bool) -> int:
    """The exit status: requests and outcomes only, never timings."""
    print("\nAll steps at the minimum, none failed, none lost." if sound else "\nFAILED: above.")
    return 0 if sound else 1


def duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{1000 * seconds:.1f} ms"


def requests_text(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {method}" for method, n in sorted(counts.items())) or "0"


@dataclass(frozen=True)
class Step:
    """One lifecycle step: what the engine does per resource, and its minimum on the wire."""

    name: str
    # The engine's step, given the program's inputs for it.
    run: Callable[[Engine, dict[str, Any]], object]
    # The fields the program asks for at this step (refresh and destroy take none).
    fields: dict[str, Any]
    # docs/design.md's table: the one request per resource, if any.
    method: str | None
    # The configuration each agent must hold after the step.
    holds: dict[str, Any]


STEPS = [
    Step("preview", lambda e, p: e.plan("r", p), ENABLED, None, DISABLED),
    Step("up (create)", lambda e, p: e.up("r", p), ENABLED, "PATCH", ENABLED),
    Step("up, nothing changed", lambda e, p: e.up("r", p), ENABLED, None, ENABLED),
    Step("up, a field changed", lambda e, p: e.up("r", p), CHANGED, "PATCH", CHANGED),
    Step("refresh", lambda e, p: e.refresh("r"), {}, "GET", CHANGED),
    Step("destroy", lambda e, p: e.destroy("r"), {}, "PATCH", DISABLED),
]


@dataclass(frozen=True)
class Fleet:
    """Which plugin a walk steps its agents through, and how many at once."""

    # A new plugin process, configured, as each `pulumi` command starts one.
    start: Callable[[], Plugin]
    # Calls in flight from the engine's side, as `pulumi up --parallel N`.
    parallel: int
    # The plugin's name for each field, where it is not Quickchat's (the native schema's).
    names: Mapping[str, str] = field(default_factory=dict)
    # False for BareProvider, which records no real id.
    expect_ids: bool = True

    def program(self, token: str, wanted: Mapping[str, Any]) -> dict[str, Any]:
        """One agent's inputs, as a program gives them: the token per resource, secret."""
        inputs = {"api_token": secret(token), **wanted}
        return {self.names.get(name, name): value for name, value in inputs.items()}

    def recorded(self, outputs: Mapping[str, Any], name: str) -> Any:
        return outputs.get(self.names.get(name, name))


def host_env(base_url: str, provider_path: str | None = None) -> dict[str, str]:
    """A plugin host's environment: benchmarks/ importable (BareProvider, NullProvider), where
    BareProvider calls, and `provider_path` (a checkout's provider/) ahead of the installed
    pulumi_quickchat, to measure another version of it."""
    here = str(Path(__file__).resolve().parent)
    paths = (provider_path, here, os.environ.get("PYTHONPATH"))
    return {
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "QUICKCHAT_API_BASE_URL": base_url,
    }


def dynamic_fleet(
    base_url: str, parallel: int, provider: str | None = None, env: dict[str, str] | None = None
) -> Fleet:
    """The SDK's dynamic plugin host, with this package's provider or another (`provider`,
    as `__provider` carries it)."""

    def start() -> Plugin:
        host = PluginHost(env)
        if provider is not None:
            host.provider = provider
        host.configure({"quickchat:baseUrl": base_url})
        return host

    return Fleet(start, parallel, expect_ids=provider is None)


def native_fleet(base_url: str, parallel: int) -> Fleet:
    """`pulumi-resource-quickchat`, its default provider given only the base URL."""

    def start() -> Plugin:
        plugin = NativePlugin()
        plugin.configure({"baseUrl": base_url})
        return plugin

    return Fleet(start, parallel, names={f.name: f.schema_name for f in OUTPUTS})


def cpu_seconds(pid: int | str) -> float:
    """The CPU time (user and system) a process has used: Linux's /proc/PID/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def _emulator_pid() -> int:
    """The emulator's process: EmulatorProcess starts it as a child of this one."""
    for task in Path("/proc/self/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"quickchat_emulator" in Path(f"/proc/{child}/cmdline").read_bytes():
                return int(child)
    raise LookupError("no emulator process among this process's children")


def busy_seconds() -> float:
    """The CPU time all cores have spent busy, by any process: Linux's /proc/stat."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cpu:
    """CPU seconds a step cost each process: the machine's cores are shared by all three,
    and by whatever else runs on the machine meanwhile (`others`)."""

    engine: float  # this process: the stand-in engine's threads and its gRPC client
    plugin: float
    emulator: float
    others: float

    @classmethod
    def now(cls, plugin: Plugin, emulator_pid: int) -> Cpu:
        ours = cpu_seconds("self"), cpu_seconds(plugin.process.pid), cpu_seconds(emulator_pid)
        return cls(*ours, busy_seconds() - sum(ours))

    def __sub__(self, earlier: Cpu) -> Cpu:
        return Cpu(*(getattr(self, f.name) - getattr(earlier, f.name) for f in fields(Cpu)))

    @property
    def ours(self) -> float:
        return self.engine + self.plugin + self.emulator

    @classmethod
    def median(cls, samples: Sequence[Cpu]) -> Cpu:
        return cls(*(statistics.median(getattr(s, f.name) for s in samples) for f in fields(cls)))


@dataclass
class Walk:
    """Every step walked once, through one kind of plugin, over fresh agents."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[Cpu] = field(default_factory=list)
    sent: list[Counter[str]] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    throttled: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)


def _fresh_plugin(
    admin: EmulatorAdmin, fleet: Fleet, spare: Engine | None
) -> tuple[Plugin, Engine]:
    """A new plugin, as each `pulumi` command starts one, past its one-off costs.

    Its first calls pay for imports and a first connection (run.py's start-up
    section measures those): a spare agent takes them, so that the step is
    timed from there.
    """
    plugin = fleet.start()
    if spare is None:
        spare = Engine(plugin)
        spare.up("r", fleet.program(admin.create_agent()["tokens"]["write_all"], ENABLED))
    else:
        spare.plugin = plugin
        spare.refresh("r")
    return plugin, spare


def walk(admin: EmulatorAdmin, fleet: Fleet, agents: int) -> Walk:
    """`agents` fresh agents through every step, `fleet.parallel` at once."""
    created = [admin.create_agent() for _ in range(agents)]
    scenarios = [a["scenario_id"] for a in created]
    tokens = [a["tokens"]["write_all"] for a in created]
    result = Walk()
    emulator_pid = _emulator_pid()
    spare: Engine | None = None
    engines: list[Engine] = []
    for step in STEPS:
        admin.clear_request_log()
        plugin, spare = _fresh_plugin(admin, fleet, spare)
        with plugin:
            engines = engines or [Engine(plugin) for _ in tokens]
            for engine in engines:
                engine.plugin = plugin
            programs = [fleet.program(token, step.fields) for token in tokens]
            already_open = {entry["connection"] for entry in admin.request_log()}
            admin.clear_request_log()

            def attempt(engine: Engine, program: dict[str, Any], step: Step = step) -> bool:
                try:
                    step.run(engine, program)
                except Exception as error:
                    print(f"  {step.name} failed: {error}", file=sys.stderr)
                    return False
                return True

            cpu, started = Cpu.now(plugin, emulator_pid), time.perf_counter()
            with ThreadPoolExecutor(fleet.parallel) as pool:
                succeeded = list(pool.map(attempt, engines, programs))
            result.seconds.append(time.perf_counter() - started)
            result.cpu.append(Cpu.now(plugin, emulator_pid) - cpu)
            log = admin.request_log()
        result.sent.append(Counter(entry["method"] for entry in log))
        result.opened.append(len({entry["connection"] for entry in log} - already_open))
        result.throttled.append(sum(entry["status"] == 429 for entry in log))
        result.failed.append(succeeded.count(False))
        result.lost.append(_lost(admin, fleet, step, engines, scenarios))
    return result


def _lost(
    admin: EmulatorAdmin, fleet: Fleet, step: Step, engines: list[Engine], scenarios: list[str]
) -> int:
    """Agents not holding what the step should leave, or whose state does not say so."""
    lost = 0
    for engine, scenario in zip(engines, scenarios, strict=True):
        held = dict(admin.get_configuration(scenario))
        state = engine.state.get("r")
        if step.name in ("preview", "destroy"):
            recorded_right = state is None
        else:
            recorded_right = (
                state is not None
                and (state.id == scenario or not fleet.expect_ids)
                and {k: fleet.recorded(state.outputs, k) for k in held} == held
            )
        lost += held != step.holds or not recorded_right
    return lost


def alternated(walkers: Sequence[Callable[[], Walk]], repeats: int) -> list[list[Walk]]:
    """`repeats` walks of each, in turns, each going first in turn, so that drift in the
    machine's speed and the order of the walks weigh on all alike."""
    walks: list[list[Walk]] = [[] for _ in walkers]
    for repeat in range(repeats):
        first = repeat % len(walkers)
        for index in [*range(first, len(walkers)), *range(first)]:
            walks[index].append(walkers[index]())
    return walks


@dataclass(frozen=True)
class Figures:
    """One step over several walks."""

    step: Step
    # Medians over the walks.
    seconds: float
    cpu: Cpu
    # The most any walk sent, opened or met.
    sent: Counter[str]
    minimum: Counter[str]
    # Whether every walk sent exactly the minimum.
    exact: bool
    opened: int
    throttled: int
    # Summed over the walks.
    failed: int
    lost: int

    @property
    def sound(self) -> bool:
        return self.exact and not (self.failed or self.lost)


def figures(walks: Sequence[Walk], agents: int) -> list[Figures]:
    """Each step's figures over `walks`, in STEPS' order."""
    results = []
    for index, step in enumerate(STEPS):
        minimum = Counter({step.method: agents} if step.method else {})
        sent: Counter[str] = Counter()
        for w in walks:
            sent |= w.sent[index]
        results.append(
            Figures(
                step,
                seconds=statistics.median(w.seconds[index] for w in walks),
                cpu=Cpu.median([w.cpu[index] for w in walks]),
                sent=sent,
                minimum=minimum,
                exact=all(w.sent[index] == minimum for w in walks),
                opened=max(w.opened[index] for w in walks),
                throttled=max(w.throttled[index] for w in walks),
                failed=sum(w.failed[index] for w in walks),
                lost=sum(w.lost[index] for w in walks),
            )
        )
    return results
