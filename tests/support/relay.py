"""A loopback port the test holds: it passes connections on to a server, until told to
refuse them. Then every connection to it is refused, as to a server that is gone, and
no other process can take the port meanwhile, as one could a port merely closed."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


def _bound_to_a_fixed_port() -> socket.socket:
    """A socket bound to a port named explicitly: Linux then keeps the port bound after
    `shutdown` stops the socket listening (a port picked by binding 0 is let go)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        held = socket.socket()
        try:
            held.bind(("127.0.0.1", port))
        except OSError:  # taken in between: pick another
            held.close()
            continue
        return held


class Relay:
    """`with Relay(target_port) as relay:` serves at `relay.url`; `relay.refuse()`."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._listener = _bound_to_a_fixed_port()
        self._listener.listen()
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # refusing or closed
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def refuse(self) -> None:
        """Stop listening, keeping the port, and cut the connections passed on so far."""
        self._listener.shutdown(socket.SHUT_RDWR)
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Relay:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._listener.close()
        with self._lock:
            for connection in self._open:
                connection.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
