"""`pulumi-resource-quickchat`: the native provider plugin, started as the engine starts plugins.

The engine runs the plugin with its own address as the last argument (after
`--logtostderr`, `-v=N` or `--tracing X` when it passes them) and reads the
port from the first line of stdout (pulumi/pulumi `pkg/resource/plugin/
plugin.go`, `newPlugin` and `buildPluginArguments`). pulumi's
`provider.experimental.server.ProviderServicer` translates the gRPC calls;
this module serves it in place of that package's `main` for one reason:
errors. Its handlers turn every exception into gRPC UNKNOWN, and from pulumi
3.261 on append a Python traceback to the message, so a user whose token
expired would read a stack trace. Here a Quickchat error reaches the engine
as its own sentence, naming the fields as this provider's schema does; any
other exception is a bug, reported by type and message with its traceback in
the plugin's log.
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
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2_grpc

from .. import _cancel
from .._version import __version__
from ..client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from ..errors import QuickchatError
from .provider import QuickchatProvider, _in_schema_names, _requests

Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]
log = logging.getLogger("pulumi_quickchat")


def _raised(error: BaseException) -> BaseException:
    # pulumi >= 3.261 re-raises a plain Exception from inside `except`; the
    # exception the provider raised is its __context__.
    while type(error) is Exception and error.__context__ is not None:
        error = error.__context__
    return error


def _with_plain_errors(handler: Handler) -> Handler:
    async def serve(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await handler(self, request, context)
        except NotImplementedError:
            raise
        except Exception as exc:  # every failure becomes one sentence for the engine
            error = _raised(exc)
            if isinstance(error, QuickchatError):
                message = _in_schema_names(str(error))
            else:
                # For whoever reads the plugin's log (`pulumi up --debug`); the
                # user sees the one sentence below.
                traceback.print_exception(error, file=sys.stderr)
                message = f"pulumi-resource-quickchat failed: {type(error).__name__}: {error}"
            await context.abort(grpc.StatusCode.UNKNOWN, message)

    return serve


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
    pass


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


async def _serve(engine_address: str) -> None:
    # No cap on calls in flight: the engine bounds them (`--parallel`), and
    # every request to Quickchat leaves the loop for a thread (provider.py).
    server = grpc.aio.server()
    servicer = _Servicer(sys.argv[1:], __version__, QuickchatProvider(), engine_address)
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
    "Conversation Rating setting. The Pulumi CLI starts it, with the engine's address; "
    f"it is not run by hand. Documentation: {DOCUMENTATION}"
)


def main() -> None:
    """Serve until the engine stops the plugin. Its address is the last argument."""
    if sys.argv[1:2] in (["--help"], ["-h"], ["--version"]):
        print(__version__ if sys.argv[1] == "--version" else ABOUT)
        return
    arguments = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not arguments:
        sys.exit(ABOUT)
    log.addHandler(logging.StreamHandler())  # stderr, as with no handler at all
    log.addHandler(_EngineLog(arguments[-1]))
    with contextlib.suppress(KeyboardInterrupt):  # the engine's way to stop a plugin
        asyncio.run(_serve(arguments[-1]))
