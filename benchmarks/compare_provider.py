"""Another version of the dynamic provider against this one and BareProvider, walk for walk.

    git worktree add /tmp/before b6d3a2c
    .venv/bin/python benchmarks/compare_provider.py /tmp/before/provider

The lifecycle of benchmarks/run.py's section 1 (500 agents, `pulumi up
--parallel 10`), walked in turns by three plugin hosts: one that imports
pulumi_quickchat from the given provider/ folder, one with this checkout's,
and one with BareProvider, the floor. Taking turns, each meets the same
machine, so a figure that moved between two runs of run.py can be put down to
the code or to the machine. Besides wall time, the plugin host's CPU time per
agent, which other work on the machine disturbs less.

Prints Markdown. Exit status 1 only if this checkout's provider sent other
than the minimum or failed or lost an agent.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from functools import partial

import walks
from bare_provider import BareProvider
from run import ENGINE_PARALLEL
from walks import duration

from support.sdk import serialized_provider


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("provider_path", help="a checkout's provider/ folder")
    parser.add_argument("--agents", type=int, default=500, help="the fleet's size (500)")
    parser.add_argument("--repeats", type=int, default=5, help="walks of each (5)")
    args = parser.parse_args(argv)

    with walks.emulator_for_benchmarks() as emulator:
        url = emulator.url
        fleets = {
            "other": walks.dynamic_fleet(
                url, ENGINE_PARALLEL, env=walks.host_env(url, args.provider_path)
            ),
            "this": walks.dynamic_fleet(url, ENGINE_PARALLEL, env=walks.host_env(url)),
            "BareProvider": walks.dynamic_fleet(
                url, ENGINE_PARALLEL, serialized_provider(BareProvider()), walks.host_env(url)
            ),
        }
        walked = walks.alternated(
            [partial(walks.walk, emulator.admin, f, args.agents) for f in fleets.values()],
            args.repeats,
        )
    other, this, bare = (walks.figures(w, args.agents) for w in walked)

    print(
        f"\n{args.agents} agents, median of {args.repeats} walks each; 'other' is "
        f"pulumi_quickchat from {args.provider_path}.\n"
    )
    print(
        "| step | other | this | BareProvider | other / floor | this / floor "
        "| plugin host's CPU per agent: other, this, BareProvider |"
    )
    print("|---|---|---|---|---|---|---|")
    for o, t, b in zip(other, this, bare, strict=True):
        cpu = ", ".join(f"{1000 * f.cpu.plugin / args.agents:.2f} ms" for f in (o, t, b))
        print(
            f"| {t.step.name} | {duration(o.seconds)} | {duration(t.seconds)} "
            f"| {duration(b.seconds)} | {o.seconds / b.seconds:.2f}x "
            f"| {t.seconds / b.seconds:.2f}x | {cpu} |"
        )
    unsound = [f.step.name for f in other if not f.sound]
    if unsound:
        print(f"\nThe other version sent other than the minimum, or failed, at: {unsound}.")
    return walks.verdict(all(f.sound for f in this))


if __name__ == "__main__":
    sys.exit(main())
