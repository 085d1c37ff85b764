"""A stand-in for the Pulumi engine's resource steps, for tests without the Pulumi CLI.

`Engine` keeps a stack's state between steps and calls a provider plugin
(`support.plugins`) as the engine does for preview, up, refresh, import and
destroy. Each behaviour cites the engine source it follows, read at
pulumi/pulumi 3.260.0-dev (commit 1b5949891b3c, 2026-08-21, a week after
release 3.259.0). Paths are in that repository; "step_generator.go" and
"step.go" are `pkg/resource/deploy/step_generator.go` and `step.go`, and
"provider_plugin.go" is `pkg/resource/plugin/provider_plugin.go`.

What is modelled: the order and arguments of the RPCs; secrets as a
provider that does or does not accept them sees them; previews that call a
provider which supports them; replacements (create first, or delete first);
refresh (Read, the inputs it returns, the Diff that shows drift); import;
and the resource options replaceOnChanges, deleteBeforeReplace,
additionalSecretOutputs and aliases by name. What is not: dependencies
between resources (each step is one resource), parents, component
resources, `--target` and `--target-replace`, `pulumi state delete`, the
options protect, retainOnDelete and ignoreChanges (tests/test_cli.py tests
those through the real CLI alone), and the provider resources' own
Check/Diff (their Configure is `ProgramStack`'s). tests/test_cli.py holds
what is modelled to the real CLI, step by step. It is no part of the product.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi.runtime import proto

from support.plugins import Plugin
from support.sdk import is_secret, secret, unwrap_secret

DIFF_SOME = proto.DiffResponse.DIFF_SOME
DIFF_UNKNOWN = proto.DiffResponse.DIFF_UNKNOWN


@dataclass(frozen=True)
class Options:
    """The resource options the engine acts on, as the program registered them."""

    replace_on_changes: tuple[str, ...] = ()
    delete_before_replace: bool | None = None
    additional_secret_outputs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass
class ResourceState:
    """One resource in state: plain values, with the names of those stored encrypted."""

    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)
    options: Options = field(default_factory=Options)


@dataclass
class Plan:
    """What a preview decided for one resource."""

    action: str  # "create", "update", "replace", "same"
    inputs: dict[str, Any]
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    # What the preview shows as the resource's outputs.
    outputs: dict[str, Any] = field(default_factory=dict)
    # The names the provider's detailed diff reported (a native provider's).
    detailed_diff: dict[str, int] = field(default_factory=dict)


class CheckFailed(Exception):
    def __init__(self, failures: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(reason for _, reason in failures))
        self.failures = failures
        self.properties = [prop for prop, _ in failures]


def _plain(props: Mapping[str, Any]) -> dict[str, Any]:
    return {name: unwrap_secret(value) for name, value in props.items()}


def _secret_names(props: Mapping[str, Any]) -> set[str]:
    return {name for name, value in props.items() if is_secret(value)}


class Engine:
    """A stack of one plugin's resources, stepped as the Pulumi engine steps them."""

    def __init__(self, plugin: Plugin) -> None:
        self.plugin = plugin
        self.state: dict[str, ResourceState] = {}
        # Replaced resources whose delete has not succeeded yet.
        self.pending_delete: list[ResourceState] = []
        # Whether the last refresh of each resource found it changed.
        self.drift: dict[str, bool] = {}

    # --- what a provider is sent, and what its answers mean --------------------------------

    def _send(
        self, props: Mapping[str, Any], secret_names: Collection[str] | None = None
    ) -> dict[str, Any]:
        """Values as this plugin receives them: secrets marked only for a provider that
        accepts them (provider_plugin.go: every resource RPC marshals with
        `KeepSecrets: p.acceptSecrets`)."""
        if secret_names is None:
            secret_names = _secret_names(props)
        if not self.plugin.accept_secrets:
            return _plain(props)
        return {
            name: secret(unwrap_secret(value)) if name in secret_names else value
            for name, value in props.items()
        }

    def _received(
        self, outputs: Mapping[str, Any], inputs: Mapping[str, Any], options: Options
    ) -> tuple[dict[str, Any], set[str]]:
        """An answer's outputs as state records them, and which are stored encrypted.

        A provider that accepts secrets marks them itself; for one that does
        not, the engine marks each output whose input of the same name was
        secret (provider_plugin.go `annotateSecrets`). Either way, the
        resource's additionalSecretOutputs and every output whose input was
        secret are encrypted (pkg/resource/deploy/step_executor.go, after
        each step's Apply).
        """
        secret_inputs = _secret_names(inputs)
        marked = _secret_names(outputs) if self.plugin.accept_secrets else set()
        names = set(outputs)
        marked |= secret_inputs & names
        marked |= set(options.additional_secret_outputs) & names
        return _plain(outputs), marked

    # --- preview ---------------------------------------------------------------------------

    def _recorded(self, name: str, aliases: Collection[str] = ()) -> ResourceState | None:
        """The resource in state under its name, else under the first alias found there
        (step_generator.go `getOldResource`)."""
        if name in self.state:
            return self.state[name]
        return next((self.state[alias] for alias in aliases if alias in self.state), None)

    def _check(self, name: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any]:
        secret_names = _secret_names(olds) | _secret_names(news)
        inputs, failures = self.plugin.check(
            name, self._send(olds, secret_names), self._send(news, secret_names)
        )
        if failures:
            raise CheckFailed(failures)
        return self._annotated(inputs, _secret_names(news))

    def _annotated(
        self, answer: Mapping[str, Any], secret_names: Collection[str]
    ) -> dict[str, Any]:
        """An answer as the engine keeps it: a provider that does not accept secrets
        answers in plain values, and the engine marks again each whose name was secret
        in the request (provider_plugin.go `annotateSecrets`, only `if
        !protocol.acceptSecrets`). One that accepts them must keep them marked itself."""
        if self.plugin.accept_secrets:
            return dict(answer)
        return {k: secret(unwrap_secret(v)) if k in secret_names else v for k, v in answer.items()}

    def plan(
        self,
        name: str,
        program: dict[str, Any],
        options: Options = Options(),
        *,
        preview: bool = True,
    ) -> Plan:
        """Check, then Diff against the recorded state: all a preview sends a resource.

        `program` holds the inputs as the program registered them, secrets
        wrapped. Where the provider supports previews, a preview also calls
        its Create or Update with `preview` set (provider_plugin.go `Create`
        and `Update`: without `supportsPreview` they answer from the inputs
        and call nothing).
        """
        old = self._recorded(name, options.aliases)
        inputs = self._check(name, old.inputs if old else {}, program)
        if old is None:
            outputs = dict(inputs)
            if preview and self.plugin.supports_preview:
                _, outputs = self.plugin.create(name, self._send(inputs), True)
            return Plan("create", inputs, outputs=outputs)

        diff = self.plugin.diff(
            name,
            old.id,
            self._send(old.outputs, old.secret_outputs),
            self._send(inputs),
            self._send(old.inputs),
        )
        changes = diff.changes
        if changes == DIFF_UNKNOWN:
            # step_generator.go `diffResource`: the engine compares old and
            # new inputs itself.
            changes = DIFF_SOME if _plain(old.inputs) != _plain(inputs) else None
        if changes != DIFF_SOME:
            return Plan("same", inputs, outputs=old.outputs)
        replaces = list(diff.replaces)
        detailed = {key: value.kind for key, value in diff.detailedDiff.items()}
        # step_generator.go `applyReplaceOnChanges`: only the keys the provider
        # reports as changed (its diffs and detailed diff) can match.
        changed_keys = set(diff.diffs) | set(detailed)
        replaces += [
            k for k in options.replace_on_changes if k in changed_keys and k not in replaces
        ]
        if replaces:
            # step_generator.go `continueStepsFromDiff`: the option overrides the provider.
            delete_first = (
                options.delete_before_replace
                if options.delete_before_replace is not None
                else diff.deleteBeforeReplace
            )
            return Plan("replace", inputs, replaces, delete_first, dict(inputs), detailed)
        outputs = dict(inputs)
        if preview and self.plugin.supports_preview:
            outputs = self.plugin.update(
                name,
                old.id,
                self._send(old.outputs, old.secret_outputs),
                self._send(inputs),
                self._send(old.inputs),
                preview=True,
            )
        return Plan("update", inputs, outputs=outputs, detailed_diff=detailed)

    # --- up --------------------------------------------------------------------------------

    def up(
        self,
        name: str,
        program: dict[str, Any],
        options: Options = Options(),
    ) -> Plan:
        # A resource found under an alias is the same resource, renamed: the
        # engine moves it to its new name, then steps it as usual.
        if name not in self.state:
            claimed = next((alias for alias in options.aliases if alias in self.state), None)
            if claimed is not None:
                self.state[name] = self.state.pop(claimed)
        plan = self.plan(name, program, options, preview=False)
        old = self.state.get(name)
        if plan.action == "create":
            self._create(name, plan.inputs, options)
        elif plan.action == "update":
            assert old is not None
            outputs = self.plugin.update(
                name,
                old.id,
                self._send(old.outputs, old.secret_outputs),
                self._send(plan.inputs),
                self._send(old.inputs),
            )
            plain, secrets = self._received(outputs, plan.inputs, options)
            self.state[name] = ResourceState(old.id, plan.inputs, plain, secrets, options)
        elif plan.action == "replace":
            assert old is not None
            # step_generator.go `continueStepsFromDiff`: before a replacement
            # the engine checks the new inputs again, without the old ones.
            inputs = self._check(name, {}, program)
            if plan.delete_before_replace:
                self._delete(name, old)
                del self.state[name]
                self._create(name, inputs, options)
            else:
                # Create first; the old resource is deleted only once the new
                # one exists, and stays in state (pending deletion) if that fails.
                self._create(name, inputs, options)
                self.pending_delete.append(old)
                self._delete(name, old)
                self.pending_delete.remove(old)
        else:
            assert old is not None
            # step.go `SameStep.Apply`: the new inputs, the old outputs.
            self.state[name] = replace(old, inputs=plan.inputs, options=options)
        return plan

    def _create(self, name: str, inputs: dict[str, Any], options: Options) -> None:
        id_, outputs = self.plugin.create(name, self._send(inputs))
        plain, secrets = self._received(outputs, inputs, options)
        self.state[name] = ResourceState(id_, inputs, plain, secrets, options)

    # --- refresh and import ----------------------------------------------------------------

    def refresh(self, name: str) -> ResourceState | None:
        """Read the resource and record what it is now (None if it is gone); `drift[name]`
        says whether that differs from its inputs.

        step.go `RefreshStep.Apply`: Read gets the old outputs and inputs; an
        empty id means the resource is gone; inputs the provider returns
        replace the recorded ones. Then the engine diffs, the other way round,
        to show what changed: the refreshed outputs as the old state, the old
        inputs as the new.
        """
        old = self.state[name]
        read = self.plugin.read(
            name,
            old.id,
            self._send(old.outputs, old.secret_outputs),
            self._send(old.inputs),
        )
        if not read.id:
            del self.state[name]
            return None
        if read.inputs is None:
            inputs = old.inputs
        else:
            inputs = self._annotated(read.inputs, _secret_names(old.inputs))
        outputs = self._annotated(
            read.outputs, old.secret_outputs if not self.plugin.accept_secrets else ()
        )
        plain, secrets = self._received(outputs, inputs, old.options)
        self.state[name] = ResourceState(read.id, inputs, plain, secrets, old.options)
        diff = self.plugin.diff(
            name,
            read.id,
            self._send(plain, secrets),
            self._send(old.inputs),
            self._send(inputs),
        )
        self.drift[name] = diff.changes == DIFF_SOME
        return self.state[name]

    def import_(self, name: str, id_: str, options: Options = Options()) -> ResourceState:
        """`pulumi import TYPE NAME ID` (step.go `ImportStep.Apply`): Read with the id alone,
        refused when the provider returns no inputs; then Check on those inputs, whose
        failures are warnings only."""
        read = self.plugin.read(name, id_, {}, {})
        if read.outputs is None:
            raise LookupError(f"resource {id_!r} does not exist")
        if read.inputs is None:
            raise LookupError("provider does not support importing resources")
        # Check's failures are only warnings; what is recorded is what Read said.
        self.plugin.check(name, read.inputs, read.inputs)
        plain, secrets = self._received(read.outputs, read.inputs, options)
        self.state[name] = ResourceState(read.id or id_, read.inputs, plain, secrets, options)
        return self.state[name]

    # --- destroy ---------------------------------------------------------------------------

    def _delete(self, name: str, old: ResourceState) -> None:
        """step.go `DeleteStep.Apply`: Delete gets the old outputs and inputs."""
        self.plugin.delete(
            name,
            old.id,
            self._send(old.outputs, old.secret_outputs),
            self._send(old.inputs),
        )

    def destroy(self, name: str) -> None:
        self._delete(name, self.state[name])
        del self.state[name]
