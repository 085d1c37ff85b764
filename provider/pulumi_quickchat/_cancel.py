"""Cancellation: one token per operation and one per process, which every retry waits on.

A cancelled operation must stop sending: a write that goes out after the
engine was told the operation ended changes an agent that no state records.
So the client checks the token before each attempt and waits for its next
retry on the token (`Event.wait(timeout)`), never in `time.sleep`; a request
already on the wire is left to finish within its timeout.

Who sets the tokens:

- the native plugin (`_plugin/`): an operation's own token when its gRPC call
  is cancelled, and the process's (which sets every operation's) on the
  engine's `Cancel` RPC, on SIGINT and on SIGTERM;
- the dynamic provider's host, `python -m pulumi.dynamic` from the SDK, gives a
  provider no way in: its `Cancel` RPC does nothing, its handlers never see the
  call's gRPC context, and the process's signals are its own (the provider
  runs on worker threads, where Python cannot install a handler). What is
  reachable is the process's exit: on SIGINT the host stops its server and
  returns from `main`, and Python then waits for the worker threads, so a retry
  waiting there would still send its write. `cancel_at_exit` sets the
  process's token as Python starts to exit. SIGTERM, which the host does not
  handle, ends the process at once: nothing is sent after it either.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_process = threading.Event()
_operations: set[threading.Event] = set()
_lock = threading.Lock()
_current: ContextVar[threading.Event | None] = ContextVar("quickchat_cancel", default=None)
_exit_hooked = False


def cancel_everything() -> None:
    """Stop every operation of this process, and every later one, before its next request."""
    with _lock:
        _process.set()
        for event in _operations:
            event.set()


def start_over() -> None:
    """A new run begins in this process: a plugin started by hand serves one engine after
    another (`PULUMI_DEBUG_PROVIDERS`, each run `Attach`es anew), and the engine sends
    `Cancel` as a run ends, which must not cancel the next run's operations."""
    with _lock:
        _process.clear()


def current() -> threading.Event:
    """The token the running operation waits on: its own, or else the process's."""
    return _current.get() or _process


@contextmanager
def operation(event: threading.Event) -> Iterator[None]:
    """Run the block as one operation, cancelled by `event` or by `cancel_everything`."""
    with _lock:
        if _process.is_set():
            event.set()
        _operations.add(event)
    reset = _current.set(event)
    try:
        yield
    finally:
        _current.reset(reset)
        with _lock:
            _operations.discard(event)


def cancel_at_exit() -> None:
    """Cancel everything as soon as Python starts to exit, before it waits for the worker
    threads, so that none of them sends anything more. Once per process.

    `threading._register_atexit` is the hook for exactly that, run before
    threads are joined (concurrent.futures stops its own workers through it);
    `atexit` runs only after the joins, too late.
    """
    global _exit_hooked
    with _lock:
        if _exit_hooked:
            return
        _exit_hooked = True
    with contextlib.suppress(RuntimeError):  # raised once the interpreter is exiting
        threading._register_atexit(cancel_everything)  # type: ignore[attr-defined]
