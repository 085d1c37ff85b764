"""The fleet program through the real Pulumi CLI: the native provider against the dynamic one.

    make bench-cli        # runs: .venv/bin/python benchmarks/real_engine.py

examples/fleet (dynamic resources, `python -m pulumi.dynamic` through
`pulumi-resource-pulumi-python`) and the same fleet through the native plugin
(benchmarks/fleet_native, one `pulumi-resource-quickchat`), each run as a user
runs it: the real CLI (`make cli` builds it; `pulumi` on PATH first) starts
Pulumi's Python language host, `runtime: python` with the `virtualenv` option,
with a `file://` backend and a passphrase, `--parallel 32`. Each walk takes fresh
agents through create, a no-op up, one field changed for every agent (the data
file's [defaults]), refresh and destroy; each up and refresh skips its preview
(`--skip-preview`), so that a step is the operation alone. For 100 and 450
agents (`--agents`), with the emulator waiting 50 ms before each API request
(`--latency`), as the CLI writes state by default (a checkpoint after each
resource) and with `PULUMI_SKIP_CHECKPOINTS=true` (once per command). And a fleet
too large for one stack (`--split`, 500 agents), as docs/guides/many-agents.md
advises: one project, the fleet in two stacks of its agents each with its data
file, each step's commands for both stacks run side by side.

Per step: wall time, the requests Quickchat saw against the minimum
(docs/design.md), agents not holding what the step should leave, and the CPU
seconds of each process: the CLI itself, the language host (with the toolchain
probes it runs: `pip list` and the like), the program, the plugin (with the
dynamic host's shell wrapper), the emulator, and everything else the machine ran
meanwhile. Per form, the state's bytes per resource after create.

How the CPU is counted: the processes the CLI starts are read from /proc every
20 ms, each as the CPU of its whole subtree, itself, the children it reaped
(cutime, cstime) and the ones still there, zombies included (they keep their
final figures until reaped); so a `pip list` that lives 0.3 s between two
samples is still counted, in its language host's figure. The last reading of
each subtree stands, which can miss its last 20 ms. The CLI's own figure is
what the kernel charges it and the descendants it reaped (RUSAGE_CHILDREN),
less those subtrees.

Prints Markdown; BENCHMARKS.md records a run and the machine it ran on.
Timings are reported, never enforced: the exit status is 1 only if a command
failed, a step sent other than the minimum, or an agent was lost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
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

from support.cli import CLI, NO_CLI, Cli, cli_env
from support.example_stacks import BOTH_CODES, FLEET_POLICY, agents_toml, setting_of
from support.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]
PARALLEL = 32
# The largest round fleet one stack holds here: the language host hands the program all
# of its config in one environment variable, which Linux caps at 128 KiB
# (MAX_ARG_STRLEN), and an emulator token with its key takes about 270 bytes of it, so
# 500 agents do not start (docs/guides/many-agents.md, "How many agents one stack holds").
SIZE_THAT_FITS = 450
# A fleet larger than that, and the stacks it is split into (the guide's advice).
SPLIT_FLEET = 500
STACKS = 2
LATENCY = 0.05
# How often the CLI's children are read: the most CPU a subtree's figure can miss.
SAMPLE_SECONDS = 0.02
TICK = os.sysconf("SC_CLK_TCK")
ENABLED = setting_of(FLEET_POLICY | {"conv_rating_popup_active": True})
CHANGED_POLICY = FLEET_POLICY | {"conv_rating_question_codes": BOTH_CODES[:1]}
CHANGED = setting_of(CHANGED_POLICY | {"conv_rating_popup_active": True})
PROGRAMS = {"native": ROOT / "benchmarks" / "fleet_native", "dynamic": ROOT / "examples" / "fleet"}
MODES: dict[str, dict[str, str]] = {
    "as a user runs it": {},
    "PULUMI_SKIP_CHECKPOINTS=true": {"PULUMI_SKIP_CHECKPOINTS": "true"},
}
# Each token's stack config key set per `pulumi config set-all` (one argument each).
CONFIG_CHUNK = 100
# What the CLI starts, by the executable its command line names.
LANGUAGE_HOST = "pulumi-language-python"
PROGRAM = "pulumi-language-python-exec"  # the host runs the program as `python <it> ...`
PLUGINS = ("pulumi-resource-quickchat", "pulumi-resource-pulumi-python")


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
    host: float = 0.0  # pulumi-language-python and its toolchain probes, not the program
    program: float = 0.0
    plugin: float = 0.0
    emulator: float = 0.0
    others: float = 0.0  # the rest of the machine: other jobs, and this script

    @property
    def ours(self) -> float:
        return self.cli + self.host + self.program + self.plugin + self.emulator


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


def _children(pid: int) -> list[int]:
    """`pid`'s children, zombies included (Linux's /proc/PID/task/TID/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _subtree_seconds(pid: int) -> float:
    """CPU seconds of `pid`, the children it reaped, and its children still there."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = map(int, stat[11:15])
    return (utime + stime + cutime + cstime) / TICK + sum(
        _subtree_seconds(child) for child in _children(pid)
    )


def _kind(pid: int) -> str:
    """Which column a process of the CLI's counts in, from its command line."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    # Python's console scripts and the dynamic host's shell wrapper run as
    # `INTERPRETER SCRIPT ...`, and the wrapper execs `python -m pulumi.dynamic`.
    names = [Path(arg).name for arg in argv[:2]]
    if PROGRAM in names:
        return "program"
    if names[0] == LANGUAGE_HOST:
        return "host"
    if any(name in PLUGINS for name in names) or "pulumi.dynamic" in argv:
        return "plugin"
    return "cli"  # git, and anything else the CLI runs itself


@dataclass
class Sampler:
    """The CPU of each subtree the CLI starts, read until the CLI ends.

    A language host's figure includes its program's; `program` keeps the program's
    own, which `Cpu.host` then leaves out."""

    cli: int
    subtrees: dict[int, tuple[str, float]] = field(default_factory=dict)
    programs: dict[int, float] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            try:
                children = _children(self.cli)
            except (FileNotFoundError, ProcessLookupError):
                return
            for child in children:
                try:
                    kind = self.subtrees[child][0] if child in self.subtrees else _kind(child)
                    # Forked but not yet exec'd, a child still carries the CLI's command line.
                    if kind == "cli" and child not in self.subtrees and self._unexeced(child):
                        continue
                    self.subtrees[child] = (kind, _subtree_seconds(child))
                    if kind == "host":
                        for grandchild in _children(child):
                            if _kind(grandchild) == "program":
                                self.programs[grandchild] = _subtree_seconds(grandchild)
                except (FileNotFoundError, ProcessLookupError, ValueError):
                    continue  # ended and reaped between two reads

    def _unexeced(self, pid: int) -> bool:
        return Path(f"/proc/{pid}/exe").resolve() == Path(f"/proc/{self.cli}/exe").resolve()

    def seconds(self, kind: str) -> float:
        return sum(s for k, s in self.subtrees.values() if k == kind)


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    cli: Cli, commands: Sequence[Sequence[str]], emulator_pid: int
) -> tuple[float, Cpu, str | None]:
    """CLI commands run side by side: the wall time until the last ends, the CPU per
    process of them all, and what a failed one printed."""
    assert CLI is not None
    before = (_children_seconds(), cpu_seconds(emulator_pid), busy_seconds())
    started = time.perf_counter()
    running = []
    failures = []
    with contextlib.ExitStack() as files:
        for args in commands:
            # To a file, not a pipe: a command blocked on a full pipe would wait on the others.
            printed = files.enter_context(tempfile.TemporaryFile(mode="w+"))
            process = subprocess.Popen(
                [str(CLI), *args],
                cwd=cli.project,
                env=cli.env,
                stdin=subprocess.DEVNULL,
                stdout=printed,
                stderr=subprocess.STDOUT,
                text=True,
            )
            sampler = Sampler(process.pid)
            thread = threading.Thread(target=sampler.run)
            thread.start()
            running.append((process, printed, sampler, thread))
        for process, _, _, _ in running:
            process.wait()
        seconds = time.perf_counter() - started
        for process, printed, sampler, thread in running:
            sampler.done.set()
            thread.join()
            if process.returncode != 0:
                printed.seek(0)
                failures.append(printed.read())
    tree = _children_seconds() - before[0]
    samplers = [sampler for _, _, sampler, _ in running]
    program = sum(sum(sampler.programs.values()) for sampler in samplers)
    cpu = Cpu(
        program=program,
        host=sum(sampler.seconds("host") for sampler in samplers) - program,
        plugin=sum(sampler.seconds("plugin") for sampler in samplers),
        emulator=cpu_seconds(emulator_pid) - before[1],
    )
    cpu.cli = tree - cpu.host - cpu.program - cpu.plugin
    cpu.others = max(busy_seconds() - before[2] - cpu.ours, 0.0)
    return seconds, cpu, "\n".join(failures) or None


@dataclass
class Walk:
    results: list[Result]
    # The state file after create, and the resources it holds.
    state_bytes: int
    resources: int


def state_after(workdir: Path) -> tuple[int, int]:
    """The stacks' state files (the file backend's, pkg/backend/diy/state.go): their size,
    and how many resources they hold."""
    size = resources = 0
    for path in (workdir / "state" / ".pulumi" / "stacks").rglob("*.json"):
        # A failed create (its output is printed) may leave a state without resources.
        latest = json.loads(path.read_bytes())["checkpoint"]["latest"]
        size += path.stat().st_size
        resources += len(latest.get("resources", []))
    return size, resources


def walk(
    admin: EmulatorAdmin,
    emulator_pid: int,
    form: str,
    agents: int,
    workdir: Path,
    extra_env: dict[str, str],
    stacks: int = 1,
) -> Walk:
    """`agents` fresh agents through every step of STEPS, by the CLI, through `form`'s
    program: in one stack, or split into `stacks` stacks of one project whose commands
    run side by side, each stack with its own data file."""
    project = workdir / "project"
    prepared = load_script("quickstart").prepare_project(PROGRAMS[form], project)
    env = cli_env(workdir, {**prepared, **extra_env})
    if form == "native":  # the fleet's data file reader, beside the program
        shutil.copy(PROGRAMS["dynamic"] / "agents_file.py", project)
    cli = Cli(project, env)
    name = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]
    created = [admin.create_agent() for _ in range(agents)]
    entries = [{"name": f"agent-{i}", "token_config": f"agent{i}Token"} for i in range(agents)]
    names = ["dev"] if stacks == 1 else [f"part-{n + 1}" for n in range(stacks)]
    # Each stack's share of the fleet: (its data file, its entries, their agents).
    shares = {
        stack: (workdir / f"agents.{stack}.toml", entries[n::stacks], created[n::stacks])
        for n, stack in enumerate(names)
    }
    cli("login", env["PULUMI_BACKEND_URL"])
    for stack, (data_file, share, share_created) in shares.items():
        cli("stack", "init", stack, "--secrets-provider", "passphrase")
        cli("config", "set", "--stack", stack, "quickchat:baseUrl", admin.url)
        cli("config", "set", "--stack", stack, "agentsFile", str(data_file))
        # Emulator tokens, on the command line in chunks: one `config set --secret` each,
        # on stdin as the tests do, would take a CLI start per agent.
        pairs = [
            f"{name}:{e['token_config']}={a['tokens']['write_all']}"
            for e, a in zip(share, share_created, strict=True)
        ]
        for begin in range(0, len(pairs), CONFIG_CHUNK):
            chunk = pairs[begin : begin + CONFIG_CHUNK]
            secrets = [arg for pair in chunk for arg in ("--secret", pair)]
            cli("config", "set-all", "--stack", stack, *secrets)
    results = []
    state = (0, 0)
    for step in STEPS:
        if step.policy is not None:
            for data_file, share, _ in shares.values():
                data_file.write_text(agents_toml(step.policy, share), encoding="utf-8")
        admin.clear_request_log()
        flags = ("--yes", "--non-interactive", f"--parallel={PARALLEL}")
        commands = [(*step.command, "--stack", stack, *flags) for stack in names]
        seconds, cpu, failure = timed(cli, commands, emulator_pid)
        if failure:
            print(f"  {form}, {agents} agents, {step.name} failed:\n{failure}", file=sys.stderr)
        if step is STEPS[0]:
            state = state_after(workdir)
        sent = Counter(entry["method"] for entry in admin.request_log())
        lost = sum(
            setting_of(admin.get_configuration(a["scenario_id"])) != step.holds for a in created
        )
        results.append(Result(step, seconds, cpu, sent, lost, bool(failure), agents))
    return Walk(results, *state)


def print_size(agents: int, stacks: int, mode: str, by: dict[str, Walk], latency: float) -> None:
    native, dynamic = by["native"], by["dynamic"]
    ms = f"{1000 * latency:g} ms"
    where = "" if stacks == 1 else f" in {stacks} stacks side by side"
    print(f"\n### {agents} agents{where}, {mode}, {ms}\n")
    print("| step | requests (each) | native | dynamic | dynamic / native |")
    print("|---|---|---|---|---|")
    for n, d in zip(native.results, dynamic.results, strict=True):
        sent = requests_text(n.sent)
        if d.sent != n.sent:
            sent = f"native {sent}, dynamic {requests_text(d.sent)}"
        print(
            f"| {n.step.name} | {sent} | {duration(n.seconds)} | {duration(d.seconds)} "
            f"| {d.seconds / n.seconds:.1f}x |"
        )
    print(
        "\nCPU seconds per process in each step; 'ours / cores' is their sum over the "
        "cores, the least wall time the step could take had it nothing to wait for; "
        "'others' is what the rest of the machine used meanwhile.\n"
    )
    print(
        "| step | through | CLI | language host | program | plugin | emulator "
        "| ours / cores | wall time | others |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    cores = len(os.sched_getaffinity(0))
    for form, run in by.items():
        for r in run.results:
            c = r.cpu
            print(
                f"| {r.step.name} | {form} | {c.cli:.2f} | {c.host:.2f} | {c.program:.2f} "
                f"| {c.plugin:.2f} | {c.emulator:.2f} | {c.ours / cores:.2f} "
                f"| {r.seconds:.2f} | {c.others:.2f} |"
            )
    print()
    for form, run in by.items():
        print(
            f"- {form}: the state after create is {run.state_bytes:,} bytes for "
            f"{run.resources} resources, {run.state_bytes / max(run.resources, 1):,.0f} bytes each"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--agents", type=int, nargs="*", default=[100, SIZE_THAT_FITS], help="one-stack fleet sizes"
    )
    parser.add_argument(
        "--latency", type=float, default=LATENCY, help="seconds each API request waits (0.05)"
    )
    parser.add_argument(
        "--split",
        type=int,
        default=SPLIT_FLEET,
        help=f"a fleet run as {STACKS} stacks side by side ({SPLIT_FLEET}; 0 for none)",
    )
    args = parser.parse_args(argv)
    sizes = [(agents, 1) for agents in args.agents] + ([(args.split, STACKS)] if args.split else [])
    if CLI is None:
        raise SystemExit(NO_CLI)
    version = subprocess.run([str(CLI), "version"], capture_output=True, text=True).stdout
    print(f"Pulumi CLI {version.strip()} ({CLI}); --parallel {PARALLEL}")

    ok = True
    with emulator_for_benchmarks(args.latency) as emulator:
        emulator_pid = _emulator_pid()
        for agents, stacks in sizes:
            for mode, extra_env in MODES.items():
                by: dict[str, Walk] = {}
                for form in ("native", "dynamic"):
                    with tempfile.TemporaryDirectory(prefix=f"bench-{form}-") as workdir:
                        by[form] = walk(
                            emulator.admin,
                            emulator_pid,
                            form,
                            agents,
                            Path(workdir),
                            extra_env,
                            stacks,
                        )
                    ok &= all(r.sound for r in by[form].results)
                print_size(agents, stacks, mode, by, args.latency)
                print(f"\n{load()}")
    return verdict(ok)


if __name__ == "__main__":
    sys.exit(main())
