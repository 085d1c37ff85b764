"""Run a Pulumi program of this repository end to end without the Pulumi CLI.

The CLI is not installable here, yet the example programs are the product's
front door: they must run. `ProgramStack` runs a program's own `__main__.py`
under the SDK's mocks (`pulumi.runtime.set_mocks`), and its `Mocks` hands each
ConversationRatingConfig the program registers to the *real* dynamic-provider
plugin host (`support.plugin_host`), sequenced by `Engine` as the engine would:
Check and Diff at preview; Create, Update or nothing at up. State is kept
between steps, so one stack walks preview, up, refresh and destroy, each step
in a fresh plugin process, as each CLI command starts one.

What is faithful: the program, the SDK's resource registration and
serialization (the program's own `__provider`, secrets, unknowns at preview),
the plugin host and the provider over gRPC, Quickchat (the emulator) over
HTTP. What is not: the engine's step planning, which `Engine` stands in for.
It is no part of the product.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import runpy
import threading
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc, settings, stack
from pulumi.runtime.sync_await import _sync_await

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.plugin_host import (
    TYPE_TOKEN,
    Engine,
    PluginHost,
    ResourceState,
    secret,
)

PROVIDER_KEY = "__provider"


class _Computed:
    """An output whose value is not known until up (Pulumi shows `output<string>`)."""

    def __repr__(self) -> str:
        return "COMPUTED"


COMPUTED: Any = _Computed()


@dataclass
class Project:
    """What the CLI reads from a Pulumi.yaml: the project's name and where its program is."""

    name: str
    program_dir: Path
    runtime_options: dict[str, Any]

    @classmethod
    def load(cls, pulumi_yaml: Path) -> Project:
        document = yaml.safe_load(pulumi_yaml.read_text(encoding="utf-8"))
        runtime = document["runtime"]
        if isinstance(runtime, str):
            runtime = {"name": runtime}
        if runtime["name"] != "python":
            raise ValueError(f"{pulumi_yaml}: runtime {runtime['name']!r} is not python")
        # `main` is relative to the Pulumi.yaml; without it, the program sits beside it.
        program_dir = (pulumi_yaml.parent / document.get("main", ".")).resolve()
        return cls(document["name"], program_dir, dict(runtime.get("options") or {}))


@dataclass
class ProgramRun:
    """One run of the program: what it exported and what each resource's step was."""

    outputs: dict[str, Any]
    secret_outputs: set[str]
    # Resource name -> "create", "update", "replace", "same" or "delete".
    steps: dict[str, str] = field(default_factory=dict)


def _unknowns_as(value: Any, stand_in: Any, *, unwrap_secrets: bool = False) -> Any:
    """`value` with every unknown (at any depth) replaced by `stand_in`.

    Towards the engine, `unwrap_secrets` also strips secret markers: the
    dynamic provider does not accept secrets, so the engine strips them, and a
    value not known at preview travels as the wire's unknown.
    """
    if unwrap_secrets:
        value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, Unknown):
        return stand_in
    if isinstance(value, list):
        return [_unknowns_as(v, stand_in, unwrap_secrets=unwrap_secrets) for v in value]
    if isinstance(value, dict):
        return {
            k: _unknowns_as(v, stand_in, unwrap_secrets=unwrap_secrets) for k, v in value.items()
        }
    return value


class EngineMocks(pulumi.runtime.Mocks):
    """Forwards each ConversationRatingConfig the program registers to the real plugin host."""

    def __init__(self, engine: Engine, *, preview: bool) -> None:
        self.engine = engine
        self.preview = preview
        self.steps: dict[str, str] = {}
        self.providers: set[str] = set()
        # Registrations arrive on the SDK's executor threads, each of which
        # the SDK gives an event loop of its own; they are closed after the run.
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()
        # Each resource's aliases (the names it had before), which the SDK's
        # MockResourceArgs leaves out; AliasMonitor fills this in.
        self.aliases: dict[str, list[str]] = {}
        # Names in state that a resource of this run claims as an alias.
        self.aliased: set[str] = set()
        self._lock = threading.Lock()

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        raise NotImplementedError(f"the examples call no provider functions, got {args.token}")

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        # The SDK gave this thread an event loop; the plugin host's request
        # building (asyncio.run) unsets it, so it is put back for the SDK.
        loop = asyncio.get_event_loop()
        with self._lock:
            self.thread_loops.add(loop)
        try:
            return self._step(args)
        finally:
            asyncio.set_event_loop(loop)

    def _step(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if not args.custom:
            # A component: the engine records it and calls no provider.
            return None, {}
        if args.typ != TYPE_TOKEN:
            raise NotImplementedError(
                f"this stand-in engine only drives {TYPE_TOKEN}, not {args.typ}"
            )
        inputs = dict(args.inputs)
        provider = inputs.pop(PROVIDER_KEY)
        # The engine re-marks as secret the outputs that share a key with a secret input.
        secret_keys = {k for k, v in inputs.items() if rpc.is_rpc_secret(v)}
        program = {
            k: _unknowns_as(v, rpc.UNKNOWN, unwrap_secrets=True)
            for k, v in inputs.items()
            if v is not None
        }
        with self._lock:
            self.providers.add(provider)
            # The plugin host gets the provider exactly as this program serialized it.
            self.engine.host.provider = provider

        aliases = self.aliases.get(args.name, [])
        if args.name not in self.engine.state:
            # As the engine does: the first alias found in state is this resource.
            claimed = next((alias for alias in aliases if alias in self.engine.state), None)
            if claimed is not None:
                with self._lock:
                    self.aliased.add(claimed)
        if self.preview:
            plan = self.engine.plan(args.name, program, aliases)
            old = self.engine._recorded(args.name, aliases)
            if plan.action == "same":
                assert old is not None
                id_: str | None = old.id
                outputs = old.outputs
            else:
                # The engine previews a change as the checked inputs; the
                # outputs only Quickchat can tell stay unknown, and so does
                # the id of a resource yet to be created.
                id_ = old.id if old is not None and plan.action == "update" else ""
                outputs = plan.inputs
        else:
            plan = self.engine.up(args.name, program, aliases)
            state = self.engine.state[args.name]
            id_, outputs = state.id, state.outputs

        with self._lock:
            self.steps[args.name] = plan.action
        return id_, {
            k: rpc.wrap_rpc_secret(_unknowns_as(v, rpc.UNKNOWN))
            if k in secret_keys
            else _unknowns_as(v, rpc.UNKNOWN)
            for k, v in outputs.items()
        }


class AliasMonitor(mocks.MockMonitor):
    """The SDK's mock monitor, also handing EngineMocks each resource's aliases.

    Only aliases by name are understood: a resource renamed within the same
    project, stack and parent, which is all the examples do. Two resources
    claiming one alias, which the engine rejects, are not looked for (the fleet's
    data-file checks keep them out).
    """

    def __init__(self, engine_mocks: EngineMocks) -> None:
        super().__init__(engine_mocks)
        self.engine_mocks = engine_mocks

    def RegisterResource(self, request: Any) -> Any:
        names = [alias.spec.name for alias in request.aliases if alias.spec.name]
        self.engine_mocks.aliases[request.name] = names
        return super().RegisterResource(request)


class ProgramStack:
    """One stack of a project in this repository, stepped as the CLI steps it.

    `config` holds the stack config with namespaced keys, as `pulumi config
    set` writes it (values as strings; objects as JSON text); `secret_keys`
    are those set with `--secret`.
    """

    def __init__(
        self,
        pulumi_yaml: Path,
        *,
        start_host: Callable[[], PluginHost],
        config: Mapping[str, str],
        secret_keys: Collection[str] = (),
        stack_name: str = "dev",
    ) -> None:
        self.project = Project.load(pulumi_yaml)
        self.stack_name = stack_name
        self.start_host = start_host
        self.config = dict(config)
        self.secret_keys = set(secret_keys)
        self.engine: Engine | None = None
        # Every `__provider` the program serialized, for leak checks.
        self.providers: set[str] = set()

    def set_config(self, key: str, value: str, *, is_secret: bool = False) -> None:
        self.config[key] = value
        if is_secret:
            self.secret_keys.add(key)
        else:
            self.secret_keys.discard(key)

    @property
    def state(self) -> dict[str, ResourceState]:
        return self.engine.state if self.engine is not None else {}

    def _begin_step(self) -> Engine:
        """A fresh plugin process, configured with the whole stack config, as each command does."""
        host = self.start_host()
        host.configure(
            {k: secret(v) if k in self.secret_keys else v for k, v in self.config.items()}
        )
        if self.engine is None:
            self.engine = Engine(host)
        else:
            self.engine.host = host
        return self.engine

    # --- the CLI's commands --------------------------------------------------------------

    def preview(self) -> ProgramRun:
        engine = self._begin_step()
        engine_mocks = EngineMocks(engine, preview=True)
        run = self._run_program(engine_mocks)
        # A resource the program no longer declares is to be deleted, unless a
        # declared one claims it as an alias (a rename).
        for name in engine.state:
            if name not in engine_mocks.aliased:
                run.steps.setdefault(name, "delete")
        return run

    def up(self) -> ProgramRun:
        engine = self._begin_step()
        run = self._run_program(EngineMocks(engine, preview=False))
        # Resources the program no longer declares are deleted.
        for name in [n for n in engine.state if n not in run.steps]:
            engine.destroy(name)
            run.steps[name] = "delete"
        return run

    def refresh(self) -> dict[str, ResourceState]:
        """Read every resource in state; the program does not run."""
        engine = self._begin_step()
        for name in list(engine.state):
            engine.refresh(name)
        return dict(engine.state)

    def destroy(self) -> list[str]:
        """Delete every resource in state, last created first; the program does not run."""
        engine = self._begin_step()
        names = list(reversed(engine.state))
        for name in names:
            engine.destroy(name)
        return names

    # --- running the program ------------------------------------------------------------

    def _run_program(self, engine_mocks: EngineMocks) -> ProgramRun:
        """Run `__main__.py` afresh, wait for every registration, and collect its exports.

        Each run gets an empty context (the SDK keeps its settings, config and
        root stack resource in context variables) and an event loop of its
        own, so no run sees another's stack.
        """
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        failure: list[BaseException] = []

        def on_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            # When a step fails, every output of the failed resource fails with
            # the same error; the run raises it once, which is enough.
            if failure and context.get("exception") is failure[0]:
                return
            # After a failed run, registrations still queued find the executor
            # shut down; that is the failure's echo, not news.
            if failure and "Executor shutdown has been called" in str(context.get("exception")):
                return
            loop.default_exception_handler(context)

        loop.set_exception_handler(on_error)
        try:
            return contextvars.Context().run(self._run_in_context, engine_mocks)
        except BaseException as error:
            failure.append(error)
            raise
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            for thread_loop in engine_mocks.thread_loops - {loop}:
                if not thread_loop.is_running():
                    thread_loop.close()
            loop.close()
            asyncio.set_event_loop(None)
            self.providers |= engine_mocks.providers

    def _run_in_context(self, engine_mocks: EngineMocks) -> ProgramRun:
        # Fresh runtime settings: some of their defaults are shared mutable
        # objects (the set of pending outputs), which a failed run leaves full.
        settings.reset_options(
            project=self.project.name, stack=self.stack_name, preview=engine_mocks.preview
        )
        pulumi.runtime.set_all_config(self.config, sorted(self.secret_keys))
        pulumi.runtime.set_mocks(
            engine_mocks,
            monitor=AliasMonitor(engine_mocks),
            project=self.project.name,
            stack=self.stack_name,
            preview=engine_mocks.preview,
        )
        program_dir = str(self.project.program_dir)

        def program() -> None:
            # As the language host does: the program's directory is on
            # sys.path, and its module is __main__.
            runpy.run_path(program_dir, run_name="__main__")

        # The SDK's own way to run a program to completion: it waits for
        # every outstanding registration and output, and re-raises failures.
        # The program's directory is the working directory throughout, as
        # under the CLI, so callbacks that run late see it too.
        with contextlib.chdir(program_dir):
            _sync_await(stack.run_pulumi_func(program))

        root = settings.get_root_resource()
        assert isinstance(root, stack.Stack)
        outputs: dict[str, Any] = {}
        secret_outputs: set[str] = set()
        for name, value in root.outputs.items():
            output = pulumi.Output.from_input(value)
            outputs[name] = _unknowns_as(_sync_await(output.future(with_unknowns=True)), COMPUTED)
            if _sync_await(output.is_secret()):
                secret_outputs.add(name)
        return ProgramRun(outputs, secret_outputs, dict(engine_mocks.steps))


# --- the examples' stacks -----------------------------------------------------------------
# What each example's stack needs and should do, shared by the walk through
# this stand-in (tests/test_examples.py) and the walk through the real CLI
# (tests/test_cli.py).

BOTH_CODES = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
ENABLED: dict[str, Any] = {
    "conv_rating_active": True,
    "conv_rating_popup_active": True,
    "conv_rating_question_codes": BOTH_CODES,
}
DISABLED: dict[str, Any] = {
    **ENABLED,
    "conv_rating_active": False,
    "conv_rating_popup_active": False,
}


@dataclass
class ExampleStack:
    """A stack of one example: its config, and what it should do to which agents."""

    config: dict[str, str]
    secret_keys: set[str]
    # Resource name -> the agent it manages, and the configuration the program asks for.
    agents: dict[str, str]
    wanted: dict[str, dict[str, Any]]
    exports_at_preview: dict[str, Any]
    exports: dict[str, Any]
    tokens: list[str]
    # Whether each resource records its own token (a secret output) in state.
    tokens_in_state: bool = False


def basic_stack(
    project: Project, admin: EmulatorAdmin, agent: AgentJson, workdir: Path
) -> ExampleStack:
    scenario, token = agent["scenario_id"], agent["tokens"]["write_all"]
    return ExampleStack(
        config={"quickchat:apiToken": token, "quickchat:baseUrl": admin.url},
        secret_keys={"quickchat:apiToken"},
        agents={"ratings": scenario},
        wanted={"ratings": ENABLED},
        # Until up, only Quickchat can tell which agent the token names.
        exports_at_preview={"scenario_id": COMPUTED, **ENABLED},
        exports={"scenario_id": scenario, **ENABLED},
        tokens=[token],
    )


# examples/fleet: the policy its data files set in [defaults].
FLEET_POLICY: dict[str, Any] = {
    "conv_rating_active": True,
    "conv_rating_question_codes": BOTH_CODES,
}


def agents_toml(defaults: Mapping[str, Any], agents: Iterable[Mapping[str, Any]]) -> str:
    """An examples/fleet data file, laid out as a person would write it.

    Each value is written as JSON, which TOML reads alike for the strings,
    booleans and lists of strings a fleet file holds.
    """

    def table(values: Mapping[str, Any]) -> str:
        return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())

    return "[defaults]\n" + table(defaults) + "".join(f"\n[[agents]]\n{table(a)}" for a in agents)


def edit_agents_file(
    setup: ExampleStack, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Rewrite a fleet stack's data file with its [[agents]] entries edited, as a person would."""
    path = Path(setup.config["quickchat-fleet:agentsFile"])
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    path.write_text(agents_toml(document["defaults"], edit(document["agents"])), encoding="utf-8")


def rename_sales(
    previous_names: list[str] | None,
) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """An edit of the fleet's data file: "sales" renamed "sales-eu", keeping these old names."""

    def rename(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for entry in entries:
            if entry["name"] == "sales":
                entry["name"] = "sales-eu"
                if previous_names is not None:
                    entry["previous_names"] = previous_names
        return entries

    return rename


def fleet_stack(
    project: Project, admin: EmulatorAdmin, agent: AgentJson, workdir: Path
) -> ExampleStack:
    """Three agents from a data file of the stack's own, each token a secret config key."""
    agents = {"support": agent, "sales": admin.create_agent(), "archive": admin.create_agent()}
    tokens = {name: a["tokens"]["write_all"] for name, a in agents.items()}
    entries: list[dict[str, Any]] = [
        {"name": "support", "token_config": "supportToken"},
        {
            "name": "sales",
            "token_config": "salesToken",
            "conv_rating_question_codes": ["EXPERIENCE_THUMBS"],
        },
        {"name": "archive", "token_config": "archiveToken", "conv_rating_active": False},
    ]
    # Outside the program's directory, by absolute path, as another stack's fleet may be.
    agents_file = workdir / "agents.toml"
    agents_file.write_text(agents_toml(FLEET_POLICY, entries), encoding="utf-8")
    token_keys = {e["name"]: f"{project.name}:{e['token_config']}" for e in entries}
    return ExampleStack(
        config={
            f"{project.name}:agentsFile": str(agents_file),
            **{token_keys[name]: token for name, token in tokens.items()},
            "quickchat:baseUrl": admin.url,
        },
        secret_keys=set(token_keys.values()),
        agents={name: a["scenario_id"] for name, a in agents.items()},
        wanted={
            "support": ENABLED,
            "sales": {**ENABLED, "conv_rating_question_codes": ["EXPERIENCE_THUMBS"]},
            "archive": DISABLED,
        },
        exports_at_preview={"scenario_ids": dict.fromkeys(agents, COMPUTED)},
        exports={"scenario_ids": {name: a["scenario_id"] for name, a in agents.items()}},
        tokens=list(tokens.values()),
        tokens_in_state=True,
    )


# One stack per example program, by the program's directory name; `workdir` is a
# temporary directory of the stack's own, for any file its config points at.
EXAMPLE_STACKS: dict[str, Callable[[Project, EmulatorAdmin, AgentJson, Path], ExampleStack]] = {
    "basic": basic_stack,
    "fleet": fleet_stack,
}
