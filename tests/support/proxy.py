"""An egress proxy on loopback, as one a user sits behind: it records each tunnel asked
of it (an https request through a proxy is a CONNECT to the host) and refuses it, as a
proxy's policy may, so nothing leaves the machine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class LoopbackProxy:
    """`with LoopbackProxy() as proxy:` serves at `proxy.url`; `proxy.seen` lists
    (method, target, headers) for each request it got."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.seen.append))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LoopbackProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(
    record: Callable[[tuple[str, str, dict[str, str]]], None],
) -> type[BaseHTTPRequestHandler]:
    class Refuse(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _refuse(self) -> None:
            record((self.command, self.path, dict(self.headers.items())))
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True

        do_CONNECT = do_GET = do_PATCH = _refuse

    return Refuse
