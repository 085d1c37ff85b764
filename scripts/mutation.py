"""A mutation run of the provider package: do the tests notice when its code is wrong?

    python scripts/mutation.py [--module _api.py] [--jobs 2] [--sample N] [--seed S]

Each mutant is one small change to one module (`and` for `or`, `<` for `<=`, a
number plus one, `True` for `False`, `min` for `max`, a `raise` or `return` left out),
written into a copy of `provider/` on disk. The tests run with that copy first on
PYTHONPATH, so the plugin processes they start (the SDK's plugin host, the native
plugin) import the mutated code too, which an in-process trampoline would not reach.
A mutant is killed when the tests fail or hang past the timeout; a survivor is printed
with its line, unless it is listed in EQUIVALENT below with why no test can tell.

The tests first run on the code as it is, which must pass; a mutant whose tests take
three times as long is taken to hang ("timed out", counted as killed). Not part of
`make test`: `make mutation` runs it; CONTRIBUTING.md has the last scores and how
long it took. Exits 1 if a mutant survives that is not listed as equivalent.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "provider" / "pulumi_quickchat"
MODULES = ("_api.py", "_declaration.py", "client.py", "_core.py", "_settings.py")

# The tests that exercise these modules, fastest first so a mutant dies early. Left
# out: test_hostile.py's slow matrices (each fault at each step, each bad input through
# a plugin host), whose every path test_client.py and test_lifecycle.py also take, and
# the property tests (a minute of hypothesis per mutant).
TESTS = [
    "tests/test_client.py",
    "tests/test_declaration.py",
    "tests/test_settings.py",
    "tests/test_compatibility.py",
    "tests/test_docs.py",
    "tests/test_lifecycle.py",
    "tests/test_lookup.py",
    "tests/test_native.py",
    "tests/test_hostile.py",
]
DESELECT = (
    "not (test_hostile and (transient_faults or persistent_faults or bad_input_is_rejected))"
    " and not many_agents and not fleet_of_hundreds"
)
# A mutant whose tests run this many times longer than the unmutated code's hangs.
TIMEOUT_FACTOR = 3

# Survivors no test can kill, because the mutant behaves as the original does:
# (module, the mutated line as written, the mutation) -> why.
FROZEN = "frozen only forbids assigning to a field, which no code does"
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("_declaration.py", "@dataclass(frozen=True)", "True -> False"): FROZEN,
    ("_settings.py", "@dataclass(frozen=True)", "True -> False"): FROZEN,
    ("_declaration.py", "return None", "return removed"): "the function returns None anyway",
    ("client.py", "@dataclass(frozen=True)", "True -> False"): FROZEN,
    ("_core.py", "@dataclass(frozen=True)", "True -> False"): FROZEN,
    (
        "_core.py",
        "nearest = difflib.get_close_matches(code.upper(), QUESTION_CODES, n=1, cutoff=0.5)",
        "1 -> 2",
    ): "only the first match is used, and get_close_matches puts the closest first",
    ("client.py", "pool_connections=1, pool_maxsize=POOL_CONNECTIONS, max_retries=0", "1 -> 2"): (
        "how many hosts' pools a session keeps: a client and its siblings talk to one host"
    ),
}

SWAPS: dict[type, type] = {
    ast.And: ast.Or,
    ast.Or: ast.And,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
}
NAME_SWAPS = {"min": "max", "max": "min", "any": "all", "all": "any"}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # the mutation point's place in a walk of the module
    line: int
    description: str

    def key(self, source_lines: list[str]) -> tuple[str, str, str]:
        return (self.module, source_lines[self.line - 1].strip(), self.description)


def _op_name(op: ast.AST) -> str:
    names = {
        ast.And: "and",
        ast.Or: "or",
        ast.Eq: "==",
        ast.NotEq: "!=",
        ast.Lt: "<",
        ast.LtE: "<=",
        ast.Gt: ">",
        ast.GtE: ">=",
        ast.In: "in",
        ast.NotIn: "not in",
        ast.Is: "is",
        ast.IsNot: "is not",
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.Pow: "**",
    }
    return names[type(op)]


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, `__all__`, logging calls' text."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and _is_text(first.value):
            mark(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for arg in (*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs):
                mark(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            mark(node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mark(node)
    return skip


def _points(tree: ast.Module) -> Iterator[tuple[ast.AST, str, int]]:
    """Each mutation point: the node, what the mutation does, its line."""
    skip = _skipped(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.BoolOp, ast.BinOp)) and type(node.op) in SWAPS:
            yield node, f"{_op_name(node.op)} -> {_op_name(SWAPS[type(node.op)]())}", node.lineno
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAPS:
                    new = _op_name(SWAPS[type(op)]())
                    yield node, f"compare {i}: {_op_name(op)} -> {new}", node.lineno
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not x -> x", node.lineno
        elif isinstance(node, ast.Constant) and not isinstance(node.value, str):
            if isinstance(node.value, bool):
                yield node, f"{node.value} -> {not node.value}", node.lineno
            elif isinstance(node.value, (int, float)):
                yield node, f"{node.value} -> {node.value + 1}", node.lineno
        elif isinstance(node, ast.Name) and node.id in NAME_SWAPS:
            yield node, f"{node.id} -> {NAME_SWAPS[node.id]}", node.lineno
        elif isinstance(node, (ast.Raise, ast.Return)):
            yield node, f"{type(node).__name__.lower()} removed", node.lineno


def mutants(module: str) -> list[Mutant]:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    return [
        Mutant(module, index, line, description)
        for index, (_, description, line) in enumerate(_points(tree))
    ]


def mutated_source(mutant: Mutant) -> str:
    tree = ast.parse((PACKAGE / mutant.module).read_text(encoding="utf-8"))
    node, description, _ = list(_points(tree))[mutant.index]
    if isinstance(node, (ast.BoolOp, ast.BinOp)):
        node.op = SWAPS[type(node.op)]()
    elif isinstance(node, ast.Compare):
        i = int(description.split(":")[0].split()[1])
        node.ops[i] = SWAPS[type(node.ops[i])]()
    elif isinstance(node, ast.UnaryOp):
        _replace(tree, node, node.operand)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            node.value = not value
        elif isinstance(value, (int, float)):
            node.value = value + 1
    elif isinstance(node, ast.Name):
        node.id = NAME_SWAPS[node.id]
    else:  # a raise or return left out
        _replace(tree, node, ast.Pass())
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[next(i for i, item in enumerate(value) if item is old)] = new
                return
    raise AssertionError("node not found")


def run_tests(mutant: Mutant | None, workdir: Path, timeout: float | None) -> str:
    """ "killed", "timed out" or "survived": what the tests make of `mutant` (None: of
    the code as it is)."""
    package = workdir / "provider" / "pulumi_quickchat"
    if mutant is not None:
        (package / mutant.module).write_text(mutated_source(mutant), encoding="utf-8")
    env = {
        **os.environ,
        # The emulator from this checkout too, so editing it meanwhile changes nothing.
        "PYTHONPATH": os.pathsep.join([str(workdir / "provider"), str(ROOT / "emulator")]),
        "PYTHONDONTWRITEBYTECODE": "1",  # a stale .pyc of another mutant must not be loaded
    }
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    command += ["-p", "no:randomly", "-k", DESELECT, *TESTS]
    # A session of its own, so that a hung run is ended with the emulator and plugin
    # processes it started, not just pytest.
    tests = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        returncode = tests.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(tests.pid, signal.SIGKILL)
        tests.wait()
        return "timed out"
    finally:
        if mutant is not None:
            shutil.copy(PACKAGE / mutant.module, package / mutant.module)
    return "killed" if returncode != 0 else "survived"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=MODULES, help="default: every one")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, help="run only N mutants, drawn at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--at", action="append", metavar="MODULE:LINE", help="only the mutants on this line"
    )
    args = parser.parse_args()

    every = [m for module in args.module or MODULES for m in mutants(module)]
    if args.at:
        every = [m for m in every if f"{m.module}:{m.line}" in args.at]
    chosen = every
    if args.sample is not None and args.sample < len(every):
        chosen = sorted(random.Random(args.seed).sample(every, args.sample), key=every.index)
    print(f"{len(chosen)} of {len(every)} mutants; tests: {' '.join(TESTS)} -k {DESELECT!r}")
    lines = {m: (PACKAGE / m).read_text(encoding="utf-8").splitlines() for m in MODULES}

    with tempfile.TemporaryDirectory(prefix="mutation-") as scratch:
        workdirs = []
        for job in range(args.jobs):
            workdir = Path(scratch) / str(job)
            shutil.copytree(ROOT / "provider", workdir / "provider")
            workdirs.append(workdir)
        free = list(workdirs)

        started = time.monotonic()
        if run_tests(None, workdirs[0], None) != "survived":
            print("the tests fail on the code as it is: fix that first")
            return 2
        timeout = TIMEOUT_FACTOR * (time.monotonic() - started)
        print(f"the tests pass unmutated in {timeout / TIMEOUT_FACTOR:.0f} s", flush=True)

        def one(mutant: Mutant) -> tuple[Mutant, bool]:
            workdir = free.pop()
            started = time.monotonic()
            try:
                verdict = run_tests(mutant, workdir, timeout)
            finally:
                free.append(workdir)
            took = time.monotonic() - started
            where = f"{mutant.module}:{mutant.line} {mutant.description}"
            print(f"{verdict:9} {where} ({took:.0f} s)", flush=True)
            return mutant, verdict != "survived"

        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(one, chosen))

    failing = 0
    print()
    for module in args.module or MODULES:
        mine = [(m, k) for m, k in results if m.module == module]
        if not mine:
            continue
        killed = sum(k for _, k in mine)
        equivalent = [m for m, k in mine if not k and m.key(lines[module]) in EQUIVALENT]
        score = killed / (len(mine) - len(equivalent)) if len(mine) > len(equivalent) else 1.0
        print(
            f"{module}: {killed} of {len(mine)} killed, {len(equivalent)} equivalent: "
            f"score {score:.0%}"
        )
        for mutant, was_killed in mine:
            if was_killed:
                continue
            source = lines[module][mutant.line - 1].strip()
            why = EQUIVALENT.get(mutant.key(lines[module]))
            if why is None:
                failing += 1
                print(f"  survived  line {mutant.line}: {mutant.description}  | {source}")
            else:
                print(f"  equivalent line {mutant.line}: {mutant.description}  ({why})")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
