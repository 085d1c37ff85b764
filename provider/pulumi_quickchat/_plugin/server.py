"""`pulumi-resource-quickchat`: the native provider plugin, started as the engine starts plugins.

The engine runs the plugin with its own address as the last argument (after
`--logtostderr`, `-v=N` or `--tracing X` when it passes them) and reads the
port from the first line of stdout (pulumi/pulumi `pkg/resource/plugin/
plugin.go`, `newPlugin` and `buildPluginArguments`). pulumi's
`provider.experimental.server.ProviderServicer` translates the gRPC calls;
this module serves it in place of that package's `main` for one reason:
errors. Its handlers turn every exception into gRPC UNKNOWN, and from pulumi
3.261 on append a Python traceback to the message, so a user whose token
expired would read a stack trace, and the engine would take every failure for
one that may have changed something (`maybeCorrupt`). Here a Quickchat error
reaches the engine as its own sentence, naming the fields as this provider's
schema does, with the gRPC code that says whether a change may have been
applied; any other exception is a bug, reported by type and message with its
traceback in the plugin's log. The RPCs this provider does not serve answer
UNIMPLEMENTED in one sentence, and Attach lets an engine use a plugin started
by hand (`PULUMI_DEBUG_PROVIDERS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
import sys
import traceback
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import grpc
import grpc.aio
from google.protobuf import empty_pb2
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from .. import _cancel
from .._version import __version__, semver
from ..client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from ..errors import (
    QuickchatAPIError,
    QuickchatCancelledError,
    QuickchatConfigError,
    QuickchatError,
)
from .provider import RESOURCE_TYPE, QuickchatProvider, _requests

Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]
log = logging.getLogger("pulumi_quickchat")


def _raised(error: BaseException) -> BaseException:
    # pulumi >= 3.261 re-raises a plain Exception from inside `except`; the
    # exception the provider raised is its __context__.
    while type(error) is Exception and error.__context__ is not None:
        error = error.__context__
    return error


# What each refusal from Quickchat is to the engine; any other status is UNAVAILABLE.
_STATUS_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    402: grpc.StatusCode.FAILED_PRECONDITION,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ABORTED,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


def _status_code(error: QuickchatError) -> grpc.StatusCode:
    """UNKNOWN only where a change may have been applied: the engine reads UNKNOWN (and
    INTERNAL, DATA_LOSS) as "resource state unknown" and marks the run `maybeCorrupt`
    (pulumi/pulumi `sdk/go/common/resource/plugin/provider_plugin.go`,
    `resourceStateAndError`; `pkg/engine/update.go`, `OnResourceStepPost`)."""
    if error.maybe_applied:
        return grpc.StatusCode.UNKNOWN
    if isinstance(error, QuickchatCancelledError):
        return grpc.StatusCode.CANCELLED  # and nothing more was sent
    if isinstance(error, QuickchatConfigError):
        return grpc.StatusCode.FAILED_PRECONDITION  # nothing was sent
    if isinstance(error, QuickchatAPIError):
        return _STATUS_CODES.get(error.status, grpc.StatusCode.UNAVAILABLE)
    return grpc.StatusCode.UNAVAILABLE


def _with_plain_errors(handler: Handler) -> Handler:
    async def serve(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await handler(self, request, context)
        except NotImplementedError:
            raise
        except Exception as exc:  # every failure becomes one sentence for the engine
            error = _raised(exc)
            code = grpc.StatusCode.UNKNOWN
            if isinstance(error, QuickchatError):
                message = str(error)  # worded in this provider's names by the core
                code = _status_code(error)
            else:
                # For whoever reads the plugin's log (`pulumi up --debug`); the
                # user sees the one sentence below.
                traceback.print_exception(error, file=sys.stderr)
                message = f"pulumi-resource-quickchat failed: {type(error).__name__}: {error}"
            await context.abort(code, message)

    return serve


# What this provider does not serve, each in one sentence for the engine (the SDK's
# default answers with a Python traceback as gRPC UNKNOWN).
_NOT_SERVED = {
    "Parameterize": "pulumi-resource-quickchat takes no parameters: use the quickchat "
    "package as it is, without arguments.",
    "Construct": "pulumi-resource-quickchat has no component resources: "
    f"{RESOURCE_TYPE} is a custom resource.",
    "Call": "pulumi-resource-quickchat has no resource methods to call.",
}


def _on_a_thread(handler: Handler) -> Handler:
    """Check's whole call on a thread with an event loop of its own: the SDK translates
    every value of a request and of its answer on the loop that serves the call, work in
    proportion to the input, which on the plugin's one loop would hold up every other
    call (GetSchema, the other resources' steps) behind a large input."""

    async def serve(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        async def call() -> Any:
            return await handler(self, request, context)

        return await asyncio.to_thread(asyncio.run, call())

    return serve


class _Servicer(ProviderServicer):
    async def Attach(self, request: Any, context: grpc.aio.ServicerContext) -> empty_pb2.Empty:
        """`PULUMI_DEBUG_PROVIDERS=quickchat:PORT`: the engine dials a plugin started by
        hand and hands it the engine's address here, once per run
        (pulumi/pulumi `sdk/go/common/resource/plugin/provider_plugin.go`, `NewProvider`)."""
        self._engine_address = request.address
        _cancel.start_over()
        _log_to_engine(request.address)
        return empty_pb2.Empty()


async def _diff_config(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
    """The provider's diff_config, answered as the SDK answers Diff. The SDK's own
    DiffConfig (3.272) sends the bool `changes` as the enum, so a change reads as
    DIFF_NONE and none as DIFF_UNKNOWN, and sends each kind unconverted; the
    engine then finds a change it cannot name (pkg/resource/deploy/providers/
    registry.go, Diff). Its Diff translates both rightly."""
    as_diff = SimpleNamespace(_provider=SimpleNamespace(diff=self._provider.diff_config))
    return await ProviderServicer.Diff(as_diff, request, context)


_Servicer.DiffConfig = _with_plain_errors(_diff_config)  # type: ignore[method-assign]


def _not_served(rpc_name: str) -> Handler:
    async def refuse(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, _NOT_SERVED[rpc_name])

    return refuse


for _rpc in _NOT_SERVED:
    setattr(_Servicer, _rpc, _not_served(_rpc))


for _rpc in (
    "CheckConfig",
    "Configure",
    "Check",
    "Diff",
    "Create",
    "Read",
    "Update",
    "Delete",
    "Invoke",
    "GetSchema",
):
    handler = getattr(ProviderServicer, _rpc)
    if _rpc in ("Check", "CheckConfig"):
        handler = _on_a_thread(handler)
    setattr(_Servicer, _rpc, _with_plain_errors(handler))


class _EngineLog(logging.Handler):
    """Sends this package's warnings (each retry, with its wait) to the engine's Log
    service, which shows them to the user as the run goes. The engine keeps a
    plugin's own stderr at debug level (`pkg/resource/plugin/plugin.go`,
    `newPlugin`), where nobody waiting on `pulumi up` would see it; the Log RPC
    is shown (`pkg/host/host_server.go`, `Log`)."""

    def __init__(self, engine_address: str) -> None:
        super().__init__(logging.WARNING)
        self._engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(engine_address))
        self._in_flight: set[grpc.Future] = set()

    def emit(self, record: logging.LogRecord) -> None:
        severity = engine_pb2.ERROR if record.levelno >= logging.ERROR else engine_pb2.WARNING
        # Sent without waiting for the answer: the line is in the plugin's
        # stderr too, and no request waits on a log line, nor fails for one.
        # gRPC cancels a call whose future is dropped, so each is kept until done.
        sent = self._engine.Log.future(
            engine_pb2.LogRequest(severity=severity, message=self.format(record)), timeout=5
        )
        self._in_flight.add(sent)
        sent.add_done_callback(self._in_flight.discard)


def _log_to_engine(engine_address: str) -> None:
    """This package's warnings go to this engine from now on (Attach names a new one
    for each run)."""
    for handler in [h for h in log.handlers if isinstance(h, _EngineLog)]:
        log.removeHandler(handler)
    log.addHandler(_EngineLog(engine_address))


async def _serve(engine_address: str) -> None:
    # No cap on calls in flight: the engine bounds them (`--parallel`), and
    # every request to Quickchat leaves the loop for a thread (provider.py).
    server = grpc.aio.server()
    servicer = _Servicer(sys.argv[1:], semver(), QuickchatProvider(), engine_address)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    # The engine stops a plugin with SIGINT (SIGKILL after a cooldown; sdk/go/common/util/
    # cmdutil/term.go, `TerminateProcessGroup`), a user's Ctrl-C sends it too.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    await server.start()
    # The engine reads exactly this line; nothing may be printed before it.
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    if not engine_address:
        print(
            f"pulumi-resource-quickchat is waiting for the engine: run pulumi with "
            f"PULUMI_DEBUG_PROVIDERS=quickchat:{port}",
            file=sys.stderr,
        )
    await stopping.wait()
    # Operations still waiting end at once and say so; a request on the wire is
    # given its timeout, and its call its answer.
    _cancel.cancel_everything()
    await server.stop(grace=DEFAULT_CONNECT_TIMEOUT + DEFAULT_READ_TIMEOUT)
    # The workers end while the loop still runs, so none answers a closed loop.
    await loop.run_in_executor(None, functools.partial(_requests.shutdown, wait=True))


DOCUMENTATION = "https://pypi.org/project/pulumi-quickchat/"
ABOUT = (
    f"pulumi-resource-quickchat {__version__}: the Pulumi provider plugin for Quickchat AI's "
    "Conversation Rating setting. The Pulumi CLI starts it with the engine's address as "
    "its last argument; started without one, it prints its port and waits for an engine "
    "to attach (PULUMI_DEBUG_PROVIDERS=quickchat:PORT). "
    f"Documentation: {DOCUMENTATION}"
)


def main() -> None:
    """Serve until the engine stops the plugin. The engine passes its address as the
    last argument; without one, as Pulumi's Go providers do, the plugin waits for an
    engine to attach (`PULUMI_DEBUG_PROVIDERS=quickchat:PORT`, docs/native.md)."""
    if sys.argv[1:2] in (["--help"], ["-h"], ["--version"]):
        print(__version__ if sys.argv[1] == "--version" else ABOUT)
        return
    arguments = [a for a in sys.argv[1:] if not a.startswith("-")]
    engine_address = arguments[-1] if arguments else ""
    log.addHandler(logging.StreamHandler())  # stderr, as with no handler at all
    if engine_address:
        _log_to_engine(engine_address)
    with contextlib.suppress(KeyboardInterrupt):  # the engine's way to stop a plugin
        asyncio.run(_serve(engine_address))
