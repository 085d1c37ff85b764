"""The fleet program through the real Pulumi CLI: the native provider against the dynamic one.

    make bench-cli        # runs: .venv/bin/python benchmarks/real_engine.py

examples/fleet (dynamic resources, `python -m pulumi.dynamic` through
`pulumi-resource-pulumi-python`) and the same fleet through the native plugin
(benchmarks/fleet_native, one `pulumi-resource-quickchat`), each walked by the
real CLI (`make cli` builds it; `pulumi` on PATH first) with a `file://`
backend and a passphrase, `--parallel 32`: create, a no-op up, one field
changed for every agent (the data file's [defaults]), refresh, destroy. Each
up and refresh skips its preview (`--skip-preview`), so that a step is the
operation alone. For 100 and 500 agents (`--agents`), with the emulator waiting
50 ms before each API request, and again with 0 ms: the CLI's own floor.

The Python language host cannot be built here, so the program is served by
scripts/program_server.py (the SDK's LanguageServer) and the CLI reaches it
with `--client` (tests/support/cli.py). One program server serves every up of
a walk, so only the first pays for importing the SDK; the real host starts a
Python per command.

Per step: wall time, the requests Quickchat saw against the minimum
(docs/design.md), agents not holding what the step should leave, and the CPU
seconds of each process: the CLI itself, the program server, the plugin (with
the dynamic host's shell wrapper), the emulator, and everything else the
machine ran meanwhile. The CLI's plugins are sampled from /proc every 20 ms;
the CLI's own figure is what the kernel charges it and the descendants it
reaped (RUSAGE_CHILDREN), less the plugins' samples.

Prints Markdown; BENCHMARKS.md records a run and the machine it ran on.
Timings are reported, never enforced: the exit status is 1 only if a command
failed, a step sent other than the minimum, or an agent was lost.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# walks puts tests/ on sys.path, for support.*.
from walks import (
    DISABLED,
    _emulator_pid,
    busy_seconds,
    cpu_seconds,
    duration,
    emulator_for_benchmarks,
    load,
    requests_text,
    verdict,
)

from quickchat_emulator import EmulatorAdmin

from support.cli import CLI, NO_CLI, Cli, ProgramServer, cli_env
from support.example_stacks import BOTH_CODES, FLEET_POLICY, agents_toml, setting_of
from support.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
PARALLEL = 32
LATENCY = 0.05
# How often the CLI's plugins are sampled: the most CPU a plugin's figure can miss.
SAMPLE_SECONDS = 0.02
ENABLED = setting_of(FLEET_POLICY | {"conv_rating_popup_active": True})
CHANGED_POLICY = FLEET_POLICY | {"conv_rating_question_codes": BOTH_CODES[:1]}
CHANGED = setting_of(CHANGED_POLICY | {"conv_rating_popup_active": True})
PROGRAMS = {"native": ROOT / "benchmarks" / "fleet_native", "dynamic": ROOT / "examples" / "fleet"}
# Each token's stack config key set per `pulumi config set-all` (one argument each).
CONFIG_CHUNK = 100


@dataclass(frozen=True)
class Step:
    name: str
    command: tuple[str, ...]
    # The one request per agent docs/design.md gives the step, if any.
    method: str | None
    # What every agent holds after it.
    holds: dict[str, Any]
    # The data file's [defaults] for the step, where the program runs.
    policy: dict[str, Any] | None = None


STEPS = [
    Step("up (create)", ("up", "--skip-preview"), "PATCH", ENABLED, FLEET_POLICY),
    Step("up, nothing changed", ("up", "--skip-preview"), None, ENABLED, FLEET_POLICY),
    Step("up, a field changed", ("up", "--skip-preview"), "PATCH", CHANGED, CHANGED_POLICY),
    Step("refresh", ("refresh", "--skip-preview"), "GET", CHANGED),
    Step("destroy", ("destroy", "--skip-preview"), "PATCH", DISABLED),
]


@dataclass
class Cpu:
    """CPU seconds one step cost each process."""

    cli: float = 0.0
    program: float = 0.0  # scripts/program_server.py: the language runtime and the program
    plugin: float = 0.0
    emulator: float = 0.0
    others: float = 0.0  # the rest of the machine: other jobs, and this script

    @property
    def ours(self) -> float:
        return self.cli + self.program + self.plugin + self.emulator


@dataclass
class Result:
    step: Step
    seconds: float
    cpu: Cpu
    sent: Counter[str]
    lost: int
    failed: bool
    agents: int

    @property
    def minimum(self) -> Counter[str]:
        return Counter({self.step.method: self.agents}) if self.step.method else Counter()

    @property
    def sound(self) -> bool:
        return not self.failed and not self.lost and self.sent == self.minimum


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        parent = pending.pop()
        try:
            for task in Path(f"/proc/{parent}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                pending += children
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


@dataclass
class PluginSampler:
    """The CPU time of every process the CLI starts, sampled until the CLI ends."""

    cli: int
    seconds: dict[int, float] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        self.cli_name = Path(f"/proc/{self.cli}/cmdline").read_bytes().decode()
        while not self.done.wait(SAMPLE_SECONDS):
            for pid in _descendants(self.cli):
                try:
                    self.seconds[pid] = cpu_seconds(pid)
                    if pid not in self.names:
                        name = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
                        # Forked but not yet exec'd, a child still carries the CLI's name;
                        # an ended one, not yet reaped, has none.
                        if name not in (self.cli_name, ""):
                            self.names[pid] = name
                except (FileNotFoundError, ProcessLookupError):
                    continue

    def unexpected(self) -> set[str]:
        """Processes the CLI started other than the plugin (the language host, say)."""
        plugins = ("pulumi-resource-quickchat", "pulumi-resource-pulumi-python", "pulumi.dynamic")
        return {
            name.replace("\0", " ").strip()
            for name in self.names.values()
            if not any(p in name for p in plugins)
        }


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cli: Cli, args: Sequence[str], emulator_pid: int) -> tuple[float, Cpu, str | None]:
    """One CLI command: wall time, CPU per process, and what it printed if it failed."""
    command = [str(CLI), *args]
    if args[0] == "up":
        assert cli.program is not None
        command.append(f"--client={cli.program.address}")
    program_pid = cli.program.process.pid if cli.program else None
    before = (
        _children_seconds(),
        cpu_seconds(program_pid) if program_pid else 0.0,
        cpu_seconds(emulator_pid),
        busy_seconds(),
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cli.project,
        env=cli.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sampler = PluginSampler(process.pid)
    thread = threading.Thread(target=sampler.run)
    thread.start()
    printed, _ = process.communicate()
    seconds = time.perf_counter() - started
    sampler.done.set()
    thread.join()
    plugin = sum(sampler.seconds.values())
    tree = _children_seconds() - before[0]
    cpu = Cpu(
        cli=tree - plugin,
        program=(cpu_seconds(program_pid) - before[1]) if program_pid else 0.0,
        plugin=plugin,
        emulator=cpu_seconds(emulator_pid) - before[2],
    )
    cpu.others = max(busy_seconds() - before[3] - cpu.ours, 0.0)
    if extra := sampler.unexpected():
        print(f"  the CLI also started: {sorted(extra)}", file=sys.stderr)
    return seconds, cpu, None if process.returncode == 0 else printed


def walk(
    admin: EmulatorAdmin,
    emulator_pid: int,
    form: str,
    agents: int,
    workdir: Path,
    extra_env: dict[str, str] | None = None,
) -> list[Result]:
    """`agents` fresh agents through every step of STEPS, by the CLI, through `form`'s program."""
    project = workdir / "project"
    prepared = load_script("quickstart").prepare_project(PROGRAMS[form], project)
    env = cli_env(workdir, {**prepared, **(extra_env or {})})
    if form == "native":  # the fleet's data file reader, beside the program
        shutil.copy(PROGRAMS["dynamic"] / "agents_file.py", project)
    cli = Cli(project, env)
    name = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    created = [admin.create_agent() for _ in range(agents)]
    entries = [{"name": f"agent-{i}", "token_config": f"agent{i}Token"} for i in range(agents)]
    data_file = workdir / "agents.toml"
    try:
        cli("login", env["PULUMI_BACKEND_URL"])
        cli("stack", "init", "dev", "--secrets-provider", "passphrase")
        cli("config", "set", "quickchat:baseUrl", admin.url)
        cli("config", "set", "agentsFile", str(data_file))
        # Emulator tokens, on the command line in chunks: one `config set --secret` each,
        # on stdin as the tests do, would take a CLI start per agent.
        pairs = [
            f"{name}:{e['token_config']}={a['tokens']['write_all']}"
            for e, a in zip(entries, created, strict=True)
        ]
        for start in range(0, len(pairs), CONFIG_CHUNK):
            secrets = [arg for p in pairs[start : start + CONFIG_CHUNK] for arg in ("--secret", p)]
            cli("config", "set-all", *secrets)
        # The program server starts before the first step, as a language host is running
        # by the time the CLI asks it to run the program.
        cli.program = ProgramServer(project, env)
        results = []
        for step in STEPS:
            if step.policy is not None:
                data_file.write_text(agents_toml(step.policy, entries), encoding="utf-8")
            admin.clear_request_log()
            flags = ("--yes", "--non-interactive", f"--parallel={PARALLEL}")
            seconds, cpu, failure = timed(cli, (*step.command, *flags), emulator_pid)
            if failure:
                print(f"  {form}, {agents} agents, {step.name} failed:\n{failure}", file=sys.stderr)
            sent = Counter(entry["method"] for entry in admin.request_log())
            lost = sum(
                setting_of(admin.get_configuration(a["scenario_id"])) != step.holds for a in created
            )
            results.append(Result(step, seconds, cpu, sent, lost, bool(failure), agents))
        return results
    finally:
        cli.close()


def floor(agents: int, latency: float) -> float:
    """The wait a step of one request per agent cannot avoid: ceil(agents / 32) waves."""
    return math.ceil(agents / PARALLEL) * latency


def print_sizes(agents: int, by: dict[tuple[str, float], list[Result]], latency: float) -> None:
    native, dynamic = by[("native", latency)], by[("dynamic", latency)]
    native_floor, dynamic_floor = by[("native", 0.0)], by[("dynamic", 0.0)]
    waves = floor(agents, latency)
    print(f"\n### {agents} agents\n")
    print(
        f"Target for native: 1.5 x (the same step at 0 ms + ceil({agents}/{PARALLEL}) x "
        f"{1000 * latency:g} ms = {duration(waves)} where the step sends a request per agent).\n"
    )
    ms = f"{1000 * latency:g} ms"
    print(
        f"| step | requests (each) | native, {ms} | dynamic, {ms} | dynamic / native "
        "| native, 0 ms | dynamic, 0 ms | native / target |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n, d, n0, d0 in zip(native, dynamic, native_floor, dynamic_floor, strict=True):
        sent = requests_text(n.sent)
        if d.sent != n.sent:
            sent = f"native {sent}, dynamic {requests_text(d.sent)}"
        target = 1.5 * (n0.seconds + (waves if n.step.method else 0.0))
        print(
            f"| {n.step.name} | {sent} | {duration(n.seconds)} | {duration(d.seconds)} "
            f"| {d.seconds / n.seconds:.1f}x | {duration(n0.seconds)} | {duration(d0.seconds)} "
            f"| {n.seconds / target:.2f}x ({duration(target)}) |"
        )
    print(
        "\nCPU seconds per process in each step; 'ours / 2 cores' is their sum over the "
        "cores, the least wall time the step could take had it nothing to wait for; "
        "'others' is what the rest of the machine used meanwhile.\n"
    )
    print(
        "| step | through | latency | CLI | program server | plugin | emulator "
        "| ours / cores | wall time | others |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    cores = len(os.sched_getaffinity(0))
    for (form, at), results in sorted(by.items(), key=lambda item: (-item[0][1], item[0][0])):
        for r in results:
            c = r.cpu
            print(
                f"| {r.step.name} | {form} | {1000 * at:g} ms | {c.cli:.2f} | {c.program:.2f} "
                f"| {c.plugin:.2f} | {c.emulator:.2f} | {c.ours / cores:.2f} "
                f"| {r.seconds:.2f} | {c.others:.2f} |"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agents", type=int, nargs="+", default=[100, 500], help="fleet sizes (100 500)"
    )
    parser.add_argument(
        "--latency", type=float, default=LATENCY, help="seconds each API request waits (0.05)"
    )
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help="PULUMI_SKIP_CHECKPOINTS=true: the state is written once a command, not after "
        "each resource",
    )
    args = parser.parse_args(argv)
    extra_env = {"PULUMI_SKIP_CHECKPOINTS": "true"} if args.skip_checkpoints else {}
    if CLI is None:
        raise SystemExit(NO_CLI)
    version = subprocess.run([str(CLI), "version"], capture_output=True, text=True).stdout
    print(f"Pulumi CLI {version.strip()} ({CLI}); --parallel {PARALLEL}; {extra_env or ''}")

    ok = True
    with emulator_for_benchmarks(args.latency) as emulator:
        emulator_pid = _emulator_pid()
        for agents in args.agents:
            by: dict[tuple[str, float], list[Result]] = {}
            for latency in (args.latency, 0.0):
                emulator.admin.set_latency(latency)
                for form in ("native", "dynamic"):
                    with tempfile.TemporaryDirectory(prefix=f"bench-{form}-") as workdir:
                        results = walk(
                            emulator.admin, emulator_pid, form, agents, Path(workdir), extra_env
                        )
                    by[(form, latency)] = results
                    ok &= all(r.sound for r in results)
            print_sizes(agents, by, args.latency)
            print(f"\n{load()}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
