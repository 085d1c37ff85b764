"""Every part of the Pulumi SDK the tests use that is not its public API, in one place.

Checked against pulumi 3.272.0 (`CHECKED_AGAINST`); the session's header says
which version is installed, and where the two differ, a failure in
tests/support is to be looked for here first. What each is for:

- `serialize_provider` and `_serialize`: `__provider` exactly as
  `pulumi.dynamic.Resource` writes it into state;
- `rpc`: the wire's property encoding (secrets, unknowns), as the engine and
  the plugins speak it;
- `settings.reset_options`, `stack.run_pulumi_func`, `stack.wait_for_rpcs`,
  `settings.get_root_resource`, `_sync_await`: running a program to completion
  under the SDK's mocks, as the language host runs one;
- `set_config`: the program's stack config, as the language host hands it over;
- `Unknown`: the SDK's type of a value not known until `up`;
- `mocks.MockMonitor`: the mocks' resource monitor, which sees each
  registration's options (aliases, protect, ...) that `Mocks.new_resource` is
  not given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from google.protobuf import json_format
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import mocks, rpc, settings, stack
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.config import set_all_config
from pulumi.runtime.sync_await import _sync_await

CHECKED_AGAINST = "3.272.0"

T = TypeVar("T")
UNKNOWN = rpc.UNKNOWN
MockMonitor = mocks.MockMonitor


def serialized_provider(provider: ResourceProvider) -> str:
    """`__provider` exactly as `pulumi.dynamic.Resource` makes it."""
    value, _contains_secrets = _serialize(True, serialize_provider, provider)
    return str(value)


def to_struct(props: dict[str, Any]) -> Any:
    """Properties as a protobuf Struct, encoded as the engine encodes them."""
    # A loop of its own, not asyncio.run: that would unset the calling
    # thread's event loop, which a Pulumi program under mocks relies on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def from_struct(struct: Any) -> dict[str, Any]:
    """A Struct's properties as they travel: secrets wrapped, unknowns as the wire's `UNKNOWN`.

    (The SDK's own decoding would turn an unknown inside a secret into None.)
    """
    result: dict[str, Any] = json_format.MessageToDict(struct)
    return result


def unknowns_as(value: Any, stand_in: Any) -> Any:
    """`value` with every unknown (at any depth) replaced by `stand_in`."""
    if isinstance(value, Unknown):
        return stand_in
    if isinstance(value, list):
        return [unknowns_as(v, stand_in) for v in value]
    if isinstance(value, dict):
        return {k: unknowns_as(v, stand_in) for k, v in value.items()}
    return value


def secret(value: Any) -> Any:
    """A value marked secret on the wire."""
    return rpc.wrap_rpc_secret(value)


def is_secret(value: Any) -> bool:
    return bool(rpc.is_rpc_secret(value))


def unwrap_secret(value: Any) -> Any:
    return rpc.unwrap_rpc_secret(value)


def set_config(config: dict[str, str]) -> None:
    set_all_config(config)


def sync_await(awaitable: Awaitable[T]) -> T:
    return _sync_await(awaitable)


def reset_runtime(
    *, preview: bool, project: str | None = None, stack_name: str | None = None
) -> None:
    """Fresh runtime settings: some of their defaults are shared mutable objects (the set
    of pending outputs), which an earlier run leaves behind."""
    settings.reset_options(project=project, stack=stack_name, preview=preview)


def run_program(program: Callable[[], None]) -> None:
    """Run a program as the language host does: waiting for every registration and output,
    re-raising failures."""
    _sync_await(stack.run_pulumi_func(program))


async def wait_for_rpcs() -> None:
    await stack.wait_for_rpcs()


def root_stack() -> stack.Stack:
    root = settings.get_root_resource()
    assert isinstance(root, stack.Stack)
    return root
