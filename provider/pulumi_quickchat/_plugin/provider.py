"""ConversationRatingConfig as a native provider: any Pulumi language, import, field-level diffs.

A thin front end, as `conversation_rating.py` is for the dynamic resource: it
translates `pulumi.provider.experimental`'s requests (camelCase names,
`PropertyValue`s, secrets kept marked) into calls of the shared core
(`_core.py`) and the answers back, and decides nothing of its own.

What this SDK (pulumi 3.216 to 3.272, as the tests checked) asks of a provider,
each handled below where it arises:

- Configure's default answer claims `supports_preview`, so the engine calls
  Create and Update during `pulumi preview` with `preview=True`: they answer
  from the inputs and send nothing.
- `accept_secrets` is on, so secrets arrive marked and the engine does not
  re-mark what comes back (pulumi/pulumi `sdk/go/common/resource/plugin/
  provider_plugin.go`, `annotateSecrets` only when secrets are not accepted):
  the token, and every value that arrived secret, leave secret.
- An unknown value arrives as `pulumi.runtime.rpc.UNKNOWN`, a plain string,
  and `PropertyValue.computed()` cannot be sent back: the same string is
  returned for an unknown output, which the engine reads as unknown during a
  preview.
- Methods run on one asyncio loop (grpc.aio): every request to Quickchat runs
  on a thread pool sized for many resources at once, never on the loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pulumi.output import Unknown
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from .. import _cancel, _core
from .._declaration import (
    CONFIGURATION,
    FUNCTION_TOKEN,
    OUTPUTS,
    RESOURCE_TYPE,
    SECRET_NAMES,
    SETTING_NAMES,
    schema_name,
)
from .._settings import ProviderConfig
from ..client import POOL_CONNECTIONS
from .schema import SCHEMA_JSON

Result = TypeVar("Result")

# The provider's own settings (stack config quickchat:*, or an explicit provider's arguments).
_CONFIG_KEYS = tuple(setting.schema_name for setting in CONFIGURATION)
# The properties secret wherever they go, by their names here.
_ALWAYS_SECRET = frozenset(schema_name(name) for name in SECRET_NAMES)
# Every declared field's name in the core, by its name here.
_DECLARED = {field.schema_name: field.name for field in (*OUTPUTS, *CONFIGURATION)}

# Requests to Quickchat in flight at once: as many as the client keeps
# connections. The engine sends at most `--parallel` operations (4 x cores by
# default), so this is no cap a deployment reaches before Quickchat's own limits.
_requests = ThreadPoolExecutor(max_workers=POOL_CONNECTIONS, thread_name_prefix="quickchat")


def _as_operation(cancelled: threading.Event, call: Callable[[], Result]) -> Result:
    with _cancel.operation(cancelled):
        return call()


async def _off_the_loop(call: Callable[..., Result], *args: Any) -> Result:
    """Run a blocking call to Quickchat on the thread pool, so the loop serves other calls.

    It runs as one operation (`_cancel`): if the engine cancels the gRPC call,
    the operation sends nothing more (a request already on the wire finishes
    within its timeout); `cancel` stops every operation.
    """
    cancelled = threading.Event()
    work = functools.partial(_as_operation, cancelled, functools.partial(call, *args))
    try:
        return await asyncio.get_running_loop().run_in_executor(_requests, work)
    except asyncio.CancelledError:
        cancelled.set()
        raise


# --- translation: camelCase PropertyValues <-> the core's snake_case values -----------------


def _plain(value: PropertyValue) -> Any:
    inner = value.value
    if isinstance(inner, tuple):
        return [_plain(item) for item in inner]
    if isinstance(inner, Mapping):
        return {key: _plain(item) for key, item in inner.items()}
    if inner == UNKNOWN:
        return _core.UNKNOWN
    return inner


def _to_core(properties: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Properties as the core takes them: snake_case names, plain values, `Unknown`s."""
    return {_DECLARED.get(name, name): _plain(value) for name, value in properties.items()}


def _value(plain: Any, secret: bool = False) -> PropertyValue:
    if isinstance(plain, Unknown):
        return PropertyValue(UNKNOWN, is_secret=secret)
    if isinstance(plain, list):
        return PropertyValue([_value(item) for item in plain], is_secret=secret)
    if isinstance(plain, dict):
        return PropertyValue({k: _value(v) for k, v in plain.items()}, is_secret=secret)
    if isinstance(plain, int) and not isinstance(plain, bool):
        plain = float(plain)  # PropertyValue holds numbers as floats only
    return PropertyValue(plain, is_secret=secret)


def _secret_names(*sources: Mapping[str, PropertyValue]) -> set[str]:
    """The properties that are, or hold, a secret: each leaves whole and secret, as the
    engine marks an array that holds one."""
    return {name for source in sources for name, value in source.items() if value.contains_secret()}


def _from_core(values: Mapping[str, Any], secret: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """Core values as properties: camelCase names; the token, and every name in `secret`
    (those that arrived secret), marked secret."""
    hidden = {*secret, *_ALWAYS_SECRET}
    return {
        schema_name(name): _value(value, schema_name(name) in hidden)
        for name, value in values.items()
        if value is not None
    }


def _core_names(properties: Mapping[str, PropertyValue]) -> set[str]:
    """The properties that arrived secret, by the core's names."""
    return {_DECLARED.get(name, name) for name in _secret_names(properties)}


def _settings_of(properties: Mapping[str, PropertyValue]) -> ProviderConfig:
    """The provider's settings as this provider's users know them: its own arguments
    (stack config quickchat:* for the default provider), every field by its schema name."""
    return ProviderConfig.resolve(
        _to_core(properties),
        source=lambda name: f"the provider's {schema_name(name)}",
        name=schema_name,
    )


# --- the provider ---------------------------------------------------------------------------


class QuickchatProvider(rpc.Provider):
    """The native provider: configuration, then the resource's lifecycle, then the function."""

    # Whether the provider's own baseUrl arrived secret (Configure).
    _secret_base_url = False
    # The provider's settings, resolved once by Configure. The engine calls no step before
    # Configure has answered, and none at all while the provider's own inputs are unknown
    # (sdk/go/common/resource/plugin/provider_plugin.go: each method waits on
    # getPluginConfig and returns early when `!pcfg.known`).
    _config: ProviderConfig

    async def cancel(self) -> None:
        # The engine's Cancel (Ctrl-C): operations still waiting end, reporting it.
        _cancel.cancel_everything()

    async def get_schema(self, request: rpc.GetSchemaRequest) -> rpc.GetSchemaResponse:
        return rpc.GetSchemaResponse(schema=SCHEMA_JSON)

    # Check and CheckConfig send nothing, and server.py runs each whole call, the SDK's
    # translation of the values included, on a thread of its own.

    async def check_config(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        given, secret = _to_core(request.new_inputs), _core_names(request.new_inputs)
        failures = _core.check_config(given, secret, _settings_of(request.new_inputs))
        return rpc.CheckResponse(
            inputs=dict(request.new_inputs),
            failures=[rpc.CheckFailure(schema_name(f.field), f.reason) for f in failures],
        )

    async def diff_config(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        """Which settings changed: an update of the provider, never its replacement.

        A new token or address changes nothing at Quickchat by itself; whether it
        moves a resource to another agent or address is each resource's own diff
        (another token of the same agent moves nothing; a resource with its own
        token and address does not move at all). Replacing the provider would
        replace every resource of it, create first, and so reset an agent that
        stays the same (pkg/resource/deploy/step_generator.go, providerChanged)."""
        kinds = rpc.PropertyDiffKind
        detailed = {}
        for name in _CONFIG_KEYS:
            old, new = (
                _plain(side[name]) if name in side else None
                for side in (request.old_state, request.new_inputs)
            )
            if old == new and not _core.is_unknown(new):
                continue
            kind = kinds.ADD if old is None else kinds.DELETE if new is None else kinds.UPDATE
            # input_diff: the engine shows the provider's old argument against the new.
            detailed[name] = rpc.PropertyDiff(kind, input_diff=True)
        return rpc.DiffResponse(
            changes=bool(detailed), diffs=list(detailed), detailed_diff=detailed
        )

    async def configure(self, request: rpc.ConfigureRequest) -> rpc.ConfigureResponse:
        # A native provider receives its own namespace's keys, without the prefix: the
        # default provider's from stack config quickchat:*, an explicit one's from its own
        # arguments; both are the provider's.
        self._config = _settings_of(request.args)
        # A base URL set secret in the provider's config leaves secret wherever it is used.
        self._secret_base_url = "baseUrl" in _secret_names(request.args)
        return rpc.ConfigureResponse(accept_secrets=True, supports_preview=True)

    def _secret(self, *sources: Mapping[str, PropertyValue]) -> set[str]:
        """What leaves secret: each property that arrived secret, and the base URL where
        it is the provider's own, set secret."""
        secret = _secret_names(*sources)
        if self._secret_base_url and not any("baseUrl" in s for s in sources):
            secret.add("baseUrl")
        return secret

    async def check(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        news, secret = _to_core(request.new_inputs), _core_names(request.new_inputs)
        inputs, failures = _core.check(news, secret, self._config)
        return rpc.CheckResponse(
            inputs=_from_core(
                inputs, {schema_name(n) for n in _core.derived_secrets(news, secret)}
            ),
            failures=[rpc.CheckFailure(schema_name(f.field), f.reason) for f in failures],
        )

    async def diff(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        olds, news = _to_core(request.old_state), _to_core(request.new_inputs)
        found = _core.diff(olds, news, self._config)
        detailed = {}
        kinds = rpc.PropertyDiffKind
        for name in found.changed:
            if name not in news and name not in SETTING_NAMES:
                # The provider's token or address changed, not this resource's
                # arguments: the engine would show the recorded value against
                # none, as deleted. `diffs` and `replaces` still name it, and the
                # provider's own step shows the change (diff_config).
                continue
            if name in olds and name not in news:
                kind = (kinds.DELETE, kinds.DELETE_REPLACE)
            elif name in news and name not in olds:
                kind = (kinds.ADD, kinds.ADD_REPLACE)
            else:
                kind = (kinds.UPDATE, kinds.UPDATE_REPLACE)
            # input_diff False: the comparison is with the recorded outputs.
            detailed[schema_name(name)] = rpc.PropertyDiff(
                kind[name in found.replaces], input_diff=False
            )
        return rpc.DiffResponse(
            changes=bool(found.changed),
            diffs=[schema_name(name) for name in found.changed],
            replaces=[schema_name(name) for name in found.replaces],
            delete_before_replace=found.delete_before_replace,
            detailed_diff=detailed,
        )

    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        inputs, secret = _to_core(request.properties), self._secret(request.properties)
        if request.preview:
            planned = _core.planned_outputs(inputs, self._config)
            return rpc.CreateResponse(properties=_from_core(planned, secret))
        id_, outputs = await _off_the_loop(_core.create, inputs, self._config)
        return rpc.CreateResponse(resource_id=id_, properties=_from_core(outputs, secret))

    async def read(self, request: rpc.ReadRequest) -> rpc.ReadResponse:
        # `pulumi import` sends the id alone: the core reads the agent from it.
        secret = self._secret(request.properties, request.inputs)
        id_, outputs, inputs = await _off_the_loop(
            _core.read, request.resource_id, _to_core(request.properties), self._config
        )
        return rpc.ReadResponse(
            resource_id=id_,
            properties=_from_core(outputs, secret),
            inputs=_from_core(inputs, secret),
        )

    async def update(self, request: rpc.UpdateRequest) -> rpc.UpdateResponse:
        olds, news = _to_core(request.olds), _to_core(request.news)
        secret = self._secret(request.news)
        if request.preview:
            planned = _core.planned_outputs(news, self._config)
            return rpc.UpdateResponse(properties=_from_core(planned, secret))
        outputs = await _off_the_loop(_core.update, request.resource_id, olds, news, self._config)
        return rpc.UpdateResponse(properties=_from_core(outputs, secret))

    async def delete(self, request: rpc.DeleteRequest) -> None:
        await _off_the_loop(
            _core.delete, request.resource_id, _to_core(request.properties), self._config
        )

    async def invoke(self, request: rpc.InvokeRequest) -> rpc.InvokeResponse:
        if request.tok != FUNCTION_TOKEN:
            raise ValueError(
                f"Unknown function {request.tok!r}: this provider has {FUNCTION_TOKEN}."
            )
        found = await _off_the_loop(
            functools.partial(
                _core.lookup,
                _to_core(request.args),
                dataclasses.replace(self._config, owner="the function's"),
                argument="the function's `apiToken` argument",
            )
        )
        # The result holds no token; the base URL is secret where it arrived so.
        return rpc.InvokeResponse(return_value=_from_core(found, self._secret(request.args)))


__all__ = ["RESOURCE_TYPE", "QuickchatProvider"]
