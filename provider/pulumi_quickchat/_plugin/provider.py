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
import functools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pulumi.output import Unknown
from pulumi.provider.experimental import provider as rpc
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from .. import _core, _settings
from .._api import base_url_problem, display_url, token_problem
from ..client import POOL_CONNECTIONS
from .schema import CAMEL, FUNCTION_TOKEN, RESOURCE_TYPE, SCHEMA_JSON, SNAKE

Result = TypeVar("Result")

# Requests to Quickchat in flight at once: as many as the client keeps
# connections. The engine sends at most `--parallel` operations (4 x cores by
# default), so this is no cap a deployment reaches before Quickchat's own limits.
_requests = ThreadPoolExecutor(max_workers=POOL_CONNECTIONS, thread_name_prefix="quickchat")


async def _off_the_loop(call: Callable[..., Result], *args: Any) -> Result:
    """Run a blocking call to Quickchat on the thread pool, so the loop serves other calls."""
    return await asyncio.get_running_loop().run_in_executor(
        _requests, functools.partial(call, *args)
    )


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
    return {SNAKE.get(name, name): _plain(value) for name, value in properties.items()}


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
    hidden = {*secret, "apiToken"}
    return {
        CAMEL.get(name, name): _value(value, CAMEL.get(name, name) in hidden)
        for name, value in values.items()
        if value is not None
    }


def _in_schema_names(text: str) -> str:
    """A core message with each field named as this provider's users write it."""
    for snake, camel in CAMEL.items():
        text = text.replace(snake, camel)
    return text


# --- the provider ---------------------------------------------------------------------------


class QuickchatProvider(rpc.Provider):
    """The native provider: configuration, then the resource's lifecycle, then the function."""

    async def get_schema(self, request: rpc.GetSchemaRequest) -> rpc.GetSchemaResponse:
        return rpc.GetSchemaResponse(schema=SCHEMA_JSON)

    async def check_config(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        config = _to_core(request.new_inputs)
        failures = []
        token, base_url = config.get("api_token"), config.get("base_url")
        if isinstance(token, str) and (problem := token_problem(token)):
            failures.append(rpc.CheckFailure("apiToken", f"the token {problem}"))
        if isinstance(base_url, str) and (problem := base_url_problem(base_url)):
            shown = display_url(base_url)
            failures.append(rpc.CheckFailure("baseUrl", f"{shown!r} {problem}"))
        return rpc.CheckResponse(inputs=dict(request.new_inputs), failures=failures)

    async def configure(self, request: rpc.ConfigureRequest) -> rpc.ConfigureResponse:
        # A native provider receives its own namespace's keys, without the
        # prefix; the settings are looked up under the stack config's names.
        config = _to_core(request.args)
        _settings.configure(
            {
                _settings.TOKEN_CONFIG_KEY: config.get("api_token"),
                _settings.BASE_URL_CONFIG_KEY: config.get("base_url"),
            },
            # The default provider's come from stack config quickchat:*, an
            # explicit one's from its own arguments: both are the provider's.
            described_as={
                _settings.TOKEN_CONFIG_KEY: "the provider's apiToken",
                _settings.BASE_URL_CONFIG_KEY: "the provider's baseUrl",
            },
        )
        return rpc.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: rpc.CheckRequest) -> rpc.CheckResponse:
        inputs, failures = _core.check(_to_core(request.new_inputs))
        return rpc.CheckResponse(
            inputs=_from_core(inputs, _secret_names(request.new_inputs)),
            failures=[
                rpc.CheckFailure(CAMEL[f.field], _in_schema_names(f.reason)) for f in failures
            ],
        )

    async def diff(self, request: rpc.DiffRequest) -> rpc.DiffResponse:
        olds, news = _to_core(request.old_state), _to_core(request.new_inputs)
        found = _core.diff(olds, news)
        detailed = {}
        kinds = rpc.PropertyDiffKind
        for name in found.changed:
            if name in olds and name not in news:
                kind = (kinds.DELETE, kinds.DELETE_REPLACE)
            elif name in news and name not in olds:
                kind = (kinds.ADD, kinds.ADD_REPLACE)
            else:
                kind = (kinds.UPDATE, kinds.UPDATE_REPLACE)
            # input_diff False: the comparison is with the recorded outputs.
            detailed[CAMEL[name]] = rpc.PropertyDiff(kind[name in found.replaces], input_diff=False)
        return rpc.DiffResponse(
            changes=bool(found.changed),
            diffs=[CAMEL[name] for name in found.changed],
            replaces=[CAMEL[name] for name in found.replaces],
            delete_before_replace=found.delete_before_replace,
            detailed_diff=detailed,
        )

    async def create(self, request: rpc.CreateRequest) -> rpc.CreateResponse:
        inputs, secret = _to_core(request.properties), _secret_names(request.properties)
        if request.preview:
            return rpc.CreateResponse(properties=_from_core(_core.planned_outputs(inputs), secret))
        id_, outputs = await _off_the_loop(_core.create, inputs)
        return rpc.CreateResponse(resource_id=id_, properties=_from_core(outputs, secret))

    async def read(self, request: rpc.ReadRequest) -> rpc.ReadResponse:
        # `pulumi import` sends the id alone: the core reads the agent from it.
        secret = _secret_names(request.properties, request.inputs)
        id_, outputs, inputs = await _off_the_loop(
            _core.read, request.resource_id, _to_core(request.properties)
        )
        return rpc.ReadResponse(
            resource_id=id_,
            properties=_from_core(outputs, secret),
            inputs=_from_core(inputs, secret),
        )

    async def update(self, request: rpc.UpdateRequest) -> rpc.UpdateResponse:
        olds, news = _to_core(request.olds), _to_core(request.news)
        secret = _secret_names(request.news)
        if request.preview:
            return rpc.UpdateResponse(properties=_from_core(_core.planned_outputs(news), secret))
        outputs = await _off_the_loop(_core.update, request.resource_id, olds, news)
        return rpc.UpdateResponse(properties=_from_core(outputs, secret))

    async def delete(self, request: rpc.DeleteRequest) -> None:
        await _off_the_loop(_core.delete, request.resource_id, _to_core(request.properties))

    async def invoke(self, request: rpc.InvokeRequest) -> rpc.InvokeResponse:
        if request.tok != FUNCTION_TOKEN:
            raise ValueError(
                f"Unknown function {request.tok!r}: this provider has {FUNCTION_TOKEN}."
            )
        found = await _off_the_loop(
            functools.partial(
                _core.lookup, _to_core(request.args), argument="the function's `apiToken` argument"
            )
        )
        # The result holds no token: nothing in it is secret.
        return rpc.InvokeResponse(return_value={CAMEL[k]: _value(v) for k, v in found.items()})


__all__ = ["RESOURCE_TYPE", "QuickchatProvider"]
