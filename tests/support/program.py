"""Run a Pulumi program of this repository end to end without the Pulumi CLI.

The CLI is not installable here, yet the example programs are the product's
front door: they must run. `ProgramStack` runs a program's own `__main__.py`
under the SDK's mocks (`pulumi.runtime.set_mocks`), as the Python language
host runs it, and its mocks hand each resource the program registers to a
real provider plugin (`support.plugins`), stepped by `support.engine` as the
engine would. State is kept between commands, and each command starts its
plugins afresh, as the CLI does.

Which plugin serves a resource, as the engine decides (pulumi/pulumi
`pkg/resource/deploy/providers/registry.go`; `pkg/host/host.go` `Provider`
starts a process for every provider instance):

- a dynamic resource: the default `pulumi-python` provider, the real plugin
  host, configured with the whole stack config, keys namespaced
  (`pkg/resource/deploy/target.go` `GetPackageConfig`);
- a native resource with no `provider` option: the default `quickchat`
  provider, configured with the stack config's `quickchat:` keys without
  their prefix, secrets marked (the same function);
- a native resource with `provider=`: that provider resource's own plugin,
  configured with its inputs.

`refresh` and `destroy` configure each provider as the last `up` recorded it
in state, not from the stack config as it is now: the engine loads them from
state (`pkg/resource/deploy/deployment.go` `EnsureProvider`, then the
registry's `Same`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import copy
import re
import runpy
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import MockCallArgs, MockResourceArgs

from support.engine import Engine, Options, ResourceState
from support.plugins import DYNAMIC_TYPE, NATIVE_FUNCTION, NATIVE_TYPE, NativePlugin, Plugin
from support.sdk import (
    UNKNOWN,
    MockMonitor,
    is_secret,
    reset_runtime,
    root_stack,
    run_program,
    secret,
    sync_await,
    unknowns_as,
    unwrap_secret,
)

PROVIDER_KEY = "__provider"
NATIVE_PROVIDER_TYPE = "pulumi:providers:quickchat"
DYNAMIC_DEFAULT = "default (pulumi-python)"
NATIVE_DEFAULT = "default (quickchat)"

# Starts a plugin of a kind, "dynamic" or "native", for one provider instance.
StartPlugin = Callable[[str], Plugin]


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
    runtime: str
    runtime_options: dict[str, Any]
    document: dict[str, Any]

    @classmethod
    def load(cls, pulumi_yaml: Path) -> Project:
        document = yaml.safe_load(pulumi_yaml.read_text(encoding="utf-8"))
        runtime = document["runtime"]
        if isinstance(runtime, str):
            runtime = {"name": runtime}
        # `main` is relative to the Pulumi.yaml; without it, the program sits beside it.
        program_dir = (pulumi_yaml.parent / document.get("main", ".")).resolve()
        return cls(
            document["name"],
            program_dir,
            runtime["name"],
            dict(runtime.get("options") or {}),
            document,
        )


@dataclass
class ProgramRun:
    """One run of the program: what it exported and what each resource's step was."""

    outputs: dict[str, Any]
    secret_outputs: set[str]
    # Resource name -> "create", "update", "replace", "same", "delete" or "skip".
    steps: dict[str, str] = field(default_factory=dict)


_REFERENCE = re.compile(r"\$\{([A-Za-z][\w-]*)\.(\w+)\}")


def _run_yaml(document: Mapping[str, Any]) -> None:
    """A Pulumi YAML program, as far as the examples use the language: resources with
    literal properties, and outputs that are one `${resource.property}` each (pulumi-yaml
    is the reference for the rest). Each resource registers as the YAML language host
    registers it: its type token, its properties by their schema names."""
    outputs = document.get("outputs") or {}
    referenced: dict[str, set[str]] = {}
    for expression in outputs.values():
        match = _REFERENCE.fullmatch(str(expression))
        assert match, f"this stand-in reads only ${{resource.property}} outputs: {expression!r}"
        referenced.setdefault(match[1], set()).add(match[2])
    resources = {
        name: pulumi.CustomResource(
            spec["type"],
            name,
            {**dict.fromkeys(referenced.get(name, ())), **(spec.get("properties") or {})},
        )
        for name, spec in (document.get("resources") or {}).items()
    }
    for key, expression in outputs.items():
        match = _REFERENCE.fullmatch(str(expression))
        assert match is not None
        pulumi.export(key, getattr(resources[match[1]], match[2]))


class OptionsMonitor(MockMonitor):
    """The SDK's mock monitor, also keeping each registration's options, which
    `MockResourceArgs` leaves out. Aliases are understood by name only: a
    resource renamed within one project, stack and parent."""

    def __init__(self, engine_mocks: EngineMocks) -> None:
        super().__init__(engine_mocks)
        self.engine_mocks = engine_mocks

    def RegisterResource(self, request: Any) -> Any:
        self.engine_mocks.options[request.name] = Options(
            replace_on_changes=tuple(request.replaceOnChanges),
            delete_before_replace=(
                request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None
            ),
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            aliases=tuple(alias.spec.name for alias in request.aliases if alias.spec.name),
        )
        return super().RegisterResource(request)


class EngineMocks(pulumi.runtime.Mocks):
    """Hands each resource the program registers to its provider's plugin."""

    def __init__(self, stack: ProgramStack, *, preview: bool) -> None:
        self.stack = stack
        self.preview = preview
        self.steps: dict[str, str] = {}
        self.options: dict[str, Options] = {}
        # Names in state that a resource of this run claims as an alias.
        self.aliased: set[str] = set()
        # Registrations arrive on the SDK's executor threads, each of which
        # the SDK gives an event loop of its own; they are closed after the run.
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()
        self._lock = threading.Lock()

    def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
        """A function call goes to its provider's plugin as an Invoke."""
        if args.token != NATIVE_FUNCTION:
            raise NotImplementedError(f"this stand-in engine serves no function {args.token}")
        loop = asyncio.get_event_loop()
        try:
            ref = args.provider.split("::")[-1] if args.provider else NATIVE_DEFAULT
            plugin = self.stack._engine(ref).plugin
            assert isinstance(plugin, NativePlugin)
            return plugin.invoke(dict(args.args)), []
        finally:
            asyncio.set_event_loop(loop)

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        # The SDK gave this thread an event loop; building gRPC requests
        # unsets it, so it is put back for the SDK.
        loop = asyncio.get_event_loop()
        with self._lock:
            self.thread_loops.add(loop)
        try:
            return self._step(args)
        finally:
            asyncio.set_event_loop(loop)

    def _step(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        if not args.custom:
            return None, {}  # a component: the engine records it and calls no provider
        inputs = {k: unknowns_as(v, UNKNOWN) for k, v in dict(args.inputs).items() if v is not None}
        if args.typ == NATIVE_PROVIDER_TYPE:
            return self.stack._register_provider(args.name, inputs, preview=self.preview)
        if args.typ == DYNAMIC_TYPE:
            provider = inputs.pop(PROVIDER_KEY)
            engine = self.stack._engine(DYNAMIC_DEFAULT)
            with self._lock:
                self.stack.providers.add(unwrap_secret(provider))
                # The plugin host gets the provider exactly as this program serialized it.
                engine.plugin.provider = unwrap_secret(provider)  # type: ignore[attr-defined]
        elif args.typ == NATIVE_TYPE:
            engine = self.stack._engine(
                args.provider.split("::")[-1] if args.provider else NATIVE_DEFAULT
            )
        else:
            raise NotImplementedError(f"this stand-in engine does not drive {args.typ}")

        options = self.options.get(args.name, Options())
        if args.name not in self.stack.state:
            # As the engine does: the first alias found in state is this resource.
            claimed = next((a for a in options.aliases if a in self.stack.state), None)
            if claimed is not None:
                with self._lock:
                    self.aliased.add(claimed)
        if self.preview:
            plan = engine.plan(args.name, inputs, options)
            old = engine._recorded(args.name, options.aliases)
            id_ = old.id if old is not None and plan.action in ("same", "update") else ""
            # The engine previews a change as the checked inputs (or what the
            # provider's preview answered); what only Quickchat can tell stays unknown.
            outputs, secrets = plan.outputs, {k for k, v in plan.inputs.items() if is_secret(v)}
        else:
            plan = engine.up(args.name, inputs, options)
            state = engine.state[args.name]
            id_, outputs, secrets = state.id, state.outputs, state.secret_outputs
        with self._lock:
            self.steps[args.name] = plan.action
        return id_, self._outputs(outputs, secrets)

    @staticmethod
    def _outputs(outputs: Mapping[str, Any], secrets: Collection[str]) -> dict[str, Any]:
        plain = {k: unknowns_as(unwrap_secret(v), UNKNOWN) for k, v in outputs.items()}
        return {k: secret(v) if k in secrets else v for k, v in plain.items()}


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
        start_plugin: StartPlugin,
        config: Mapping[str, str],
        secret_keys: Collection[str] = (),
        stack_name: str = "dev",
    ) -> None:
        self.project = Project.load(pulumi_yaml)
        self.stack_name = stack_name
        self.start_plugin = start_plugin
        self.config = dict(config)
        self.secret_keys = set(secret_keys)
        # One engine per provider instance, each with its plugin and its resources.
        self.engines: dict[str, Engine] = {}
        # Each provider's configuration as the last up recorded it in state.
        self.recorded_config: dict[str, dict[str, Any]] = {}
        self._configs: dict[str, dict[str, Any]] = {}
        # Every `__provider` the program serialized, for leak checks.
        self.providers: set[str] = set()
        self._started: set[str] = set()

    def set_config(self, key: str, value: str, *, is_secret: bool = False) -> None:
        self.config[key] = value
        if is_secret:
            self.secret_keys.add(key)
        else:
            self.secret_keys.discard(key)

    @property
    def state(self) -> dict[str, ResourceState]:
        """Every resource in state, whichever provider it belongs to."""
        return {name: s for engine in self.engines.values() for name, s in engine.state.items()}

    # --- providers -----------------------------------------------------------------------

    def _stack_config(self) -> dict[str, Any]:
        return {k: secret(v) if k in self.secret_keys else v for k, v in self.config.items()}

    def _default_config(self, ref: str) -> dict[str, Any]:
        """target.go `GetPackageConfig`: the whole config, namespaced, for a dynamic
        provider; a package's own keys, without the prefix, for any other."""
        if ref == DYNAMIC_DEFAULT:
            return self._stack_config()
        return {
            key.split(":", 1)[1]: value
            for key, value in self._stack_config().items()
            if key.startswith("quickchat:")
        }

    def _engine(self, ref: str) -> Engine:
        """The engine of one provider instance, its plugin started and configured on first use."""
        if ref not in self.engines or ref not in self._started:
            config = self._configs[ref] if ref in self._configs else self._default_config(ref)
            plugin = self.start_plugin("dynamic" if ref == DYNAMIC_DEFAULT else "native")
            plugin.configure(config)
            self._configs[ref] = config
            self._started.add(ref)
            if ref in self.engines:
                self.engines[ref].plugin = plugin
            else:
                self.engines[ref] = Engine(plugin)
        return self.engines[ref]

    def _register_provider(
        self, name: str, inputs: dict[str, Any], *, preview: bool
    ) -> tuple[str, dict[str, Any]]:
        """An explicit provider resource: its id, and its inputs as its outputs. Its
        plugin starts when a resource first uses it."""
        ref = f"{name}-id"
        self._configs[ref] = inputs
        self._started.discard(ref)
        return ref, inputs

    def _begin(self, *, from_state: bool) -> None:
        """Each command starts its plugins afresh; refresh and destroy configure them as the
        last up recorded (`from_state`), up and preview from the program and stack config."""
        self._started: set[str] = set()
        self._configs = dict(self.recorded_config) if from_state else {}

    # --- the CLI's commands --------------------------------------------------------------

    @contextlib.contextmanager
    def _discarded(self) -> Iterator[None]:
        """State as it was before: what a preview did is saved nowhere."""
        saved = {ref: copy.deepcopy(engine.state) for ref, engine in self.engines.items()}
        try:
            yield
        finally:
            for ref, state in saved.items():
                self.engines[ref].state = state

    def preview(self, *, refresh: bool = False) -> ProgramRun:
        """`pulumi preview` (with `--refresh`, or `options: refresh: always`).

        A preview saves nothing, not even what its refresh read: a backend
        makes a snapshot manager only when the operation is no dry run
        (pkg/backend/diy/backend.go `apply`; httpstate's alike).
        """
        if refresh:
            with self._discarded():
                self.refresh()
                return self.preview()
        self._begin(from_state=False)
        engine_mocks = EngineMocks(self, preview=True)
        run = self._run_program(engine_mocks)
        # A resource the program no longer declares is to be deleted, unless a
        # declared one claims it as an alias (a rename).
        for name in self.state:
            if name not in engine_mocks.aliased:
                run.steps.setdefault(name, "delete")
        return run

    def up(self, *, refresh: bool = False, preview_first: bool = False) -> ProgramRun:
        """`pulumi up --yes --skip-preview` (with `--refresh`); `preview_first`:
        `pulumi up --yes`, which previews first.

        pkg/engine/update.go: with refresh, the refresh pass runs first and
        the update steps against what it recorded. pkg/backend/apply.go
        `PreviewThenPromptThenExecute`: without `--skip-preview` the CLI runs the
        whole preview first (the program, and with refresh its reads) and keeps none
        of it (tests/test_cli.py holds this to the real CLI).
        """
        if preview_first:
            self.preview(refresh=refresh)
        if refresh:
            self.refresh()
        self._begin(from_state=False)
        run = self._run_program(EngineMocks(self, preview=False))
        # Resources the program no longer declares are deleted.
        for name in [n for n in self.state if n not in run.steps]:
            self._owner(name).destroy(name)
            run.steps[name] = "delete"
        for ref in self._started:
            self.recorded_config[ref] = self._configs[ref]
        return run

    def refresh(self, *, preview_first: bool = False) -> dict[str, ResourceState]:
        """`pulumi refresh --yes --skip-preview`: read every resource in state; the program
        does not run. Returns the new state. `preview_first`: `pulumi refresh --yes`, whose
        preview reads every resource once more before and records nothing
        (pkg/backend/apply.go `PreviewThenPromptThenExecute`)."""
        if preview_first:
            with self._discarded():
                self.refresh()
        self._begin(from_state=True)
        for ref, engine in list(self.engines.items()):
            for name in list(engine.state):
                self._engine(ref).refresh(name)
        return self.state

    def destroy(self) -> list[str]:
        """`pulumi destroy --yes`: delete every resource in state, last created first; the
        program does not run (its preview calls no provider)."""
        self._begin(from_state=True)
        names = []
        for ref, engine in list(self.engines.items()):
            for name in reversed(list(engine.state)):
                self._engine(ref).destroy(name)
                names.append(name)
        return names

    def import_(self, name: str, id_: str, provider: str = NATIVE_DEFAULT) -> ResourceState:
        """`pulumi import quickchat:index:ConversationRatingConfig NAME ID`."""
        self._begin(from_state=False)
        return self._engine(provider).import_(name, id_)

    def engine_of(self, name: str) -> Engine:
        """The engine (one provider instance) that holds `name` in state."""
        return next(engine for engine in self.engines.values() if name in engine.state)

    def _owner(self, name: str) -> Engine:
        """The engine holding `name`, its plugin started for this command."""
        owner = self.engine_of(name)
        return self._engine(next(ref for ref, e in self.engines.items() if e is owner))

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

    def _run_in_context(self, engine_mocks: EngineMocks) -> ProgramRun:
        reset_runtime(
            preview=engine_mocks.preview, project=self.project.name, stack_name=self.stack_name
        )
        pulumi.runtime.set_all_config(self.config, sorted(self.secret_keys))
        pulumi.runtime.set_mocks(
            engine_mocks,
            monitor=OptionsMonitor(engine_mocks),
            project=self.project.name,
            stack=self.stack_name,
            preview=engine_mocks.preview,
        )
        program_dir = str(self.project.program_dir)

        def program() -> None:
            if self.project.runtime == "yaml":
                _run_yaml(self.project.document)
            else:
                # As the Python language host does: the program's directory is
                # on sys.path, and its module is __main__.
                runpy.run_path(program_dir, run_name="__main__")

        # The program's directory is the working directory throughout, as
        # under the CLI, so callbacks that run late see it too.
        with contextlib.chdir(program_dir):
            run_program(program)

        outputs: dict[str, Any] = {}
        secret_outputs: set[str] = set()
        for name, value in root_stack().outputs.items():
            output = pulumi.Output.from_input(value)
            outputs[name] = unknowns_as(sync_await(output.future(with_unknowns=True)), COMPUTED)
            if sync_await(output.is_secret()):
                secret_outputs.add(name)
        return ProgramRun(outputs, secret_outputs, dict(engine_mocks.steps))
