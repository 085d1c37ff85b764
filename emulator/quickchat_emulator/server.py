"""The emulator's HTTP face: parse, call the model, serialize. No Quickchat rule lives here."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import select
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import unquote, urlsplit

from .admin import EmulatorAdmin
from .answers import ApiFault, ApiResult, code_for_status, parse_json_object
from .rules import Emulator

ADMIN_PREFIX = "/_emulator"


def require_loopback(host: str) -> None:
    """Refuse to listen beyond this machine: the emulator is a test double with fake tokens."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"refusing to listen on {host!r}: the emulator only serves loopback")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5; past it the kernel drops new connections,
    # which clients retry only a second or more later. A fleet connects all at once (a
    # benchmark opens some 500), so leave room; the kernel caps this at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], emulator: Emulator, verbose: bool) -> None:
        self.emulator = emulator
        self.verbose = verbose
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        # Numbers each accepted connection, so the request log shows which
        # requests shared one (a client that reuses connections shows few).
        self.connections_accepted = 0
        super().__init__(address, _Handler)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response carries Content-Length
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms a response).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def version_string(self) -> str:
        return "QuickchatEmulator"

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
            self.server.connections_accepted += 1
            self.connection_number = self.server.connections_accepted

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (bad request line, unknown method) in Quickchat's shape."""
        self.close_connection = True
        try:
            message = message or HTTPStatus(code).phrase
        except ValueError:
            message = message or "Error"
        self._send(ApiResult.from_fault(ApiFault(code, code_for_status(code), message)))

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD>; any method reaches the model, which answers
        # 405 for a method Quickchat does not serve, rather than http.server's 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self) -> None:
        try:
            result = self._result()
        except ApiFault as fault:
            result = ApiResult.from_fault(fault)
        except Exception:
            # An emulator bug: say so loudly, and still answer in Quickchat's shape.
            sys.stderr.write(f"quickchat emulator: internal error\n{traceback.format_exc()}")
            result = ApiResult.from_fault(ApiFault(500, "UNKNOWN", "Internal error"))
        try:
            self._send(result)
        except ConnectionError:
            # The client gave up (a timeout during a delay fault, say); nobody to tell.
            self.close_connection = True

    def _result(self) -> ApiResult:
        try:
            body = self._read_body()
        except ApiFault:
            self.close_connection = True  # the unread body would poison the next request
            raise
        path = urlsplit(self.path).path
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self._admin(path[len(ADMIN_PREFIX) :], body)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        return self.server.emulator.handle_api(
            self.command,
            self.path,
            headers,
            body,
            connection=self.connection_number,
            hold=self._hold,
        )

    def _hold(self, seconds: float) -> None:
        """Wait `seconds`, or until the client hangs up (it timed out): so a fault can be
        far longer than a client's timeout, and a test need not race the two."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
            if not readable:
                continue
            try:
                if not self.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                    return  # an orderly close: nobody is waiting any more
            except OSError:
                return  # reset
            time.sleep(min(left, 0.05))  # bytes of a next request: the client is still there

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiFault(400, "BAD_REQUEST", "Chunked request bodies are not supported")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise ApiFault(400, "BAD_REQUEST", "Invalid Content-Length")
        return self.rfile.read(length) if length else b""

    def _admin(self, path: str, raw: bytes) -> ApiResult:
        emulator = self.server.emulator
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []

        def body() -> dict[str, object]:
            # An empty admin body means "no options", which is handy with curl.
            return parse_json_object(raw) if raw.strip() else {}

        match self.command, parts:
            case "GET", ["health"]:
                return ApiResult(200, {"ok": True})
            case "POST", ["agents"]:
                return ApiResult(201, emulator.create_agent(body()))
            case "DELETE", ["agents", scenario_id]:
                emulator.delete_agent(scenario_id)
                return ApiResult(204)
            case "POST", ["agents", scenario_id, "tokens"]:
                return ApiResult(201, {"token": emulator.issue_token(scenario_id, body())})
            case "GET", ["agents", scenario_id, "configuration"]:
                return ApiResult(200, emulator.configuration(scenario_id))
            case "PUT", ["agents", scenario_id, "configuration"]:
                return ApiResult(200, emulator.edit_configuration(scenario_id, body()))
            case "POST", ["tokens", "revoke"]:
                emulator.revoke_token(body())
                return ApiResult(200, {})
            case "GET", ["requests"]:
                return ApiResult(200, {"requests": emulator.request_log()})
            case "DELETE", ["requests"]:
                emulator.clear_request_log()
                return ApiResult(204)
            case "POST", ["faults"]:
                return ApiResult(201, {"id": emulator.add_fault(body())})
            case "DELETE", ["faults"]:
                emulator.clear_faults()
                return ApiResult(204)
            case "PUT", ["rate_limits"]:
                return ApiResult(200, emulator.set_rate_limits(body()))
            case "PUT", ["latency"]:
                return ApiResult(200, emulator.set_latency(body()))
            case "PUT", ["barrier"]:
                return ApiResult(200, emulator.set_barrier(body()))
            case "POST", ["reset"]:
                emulator.reset()
                return ApiResult(204)
        raise ApiFault(404, "NOT_FOUND", f"No admin endpoint {self.command} {ADMIN_PREFIX}{path}")

    def _send(self, result: ApiResult) -> None:
        if result.transport == "drop":
            self.close_connection = True
            return
        if result.text_body is not None:
            data = result.text_body.encode("utf-8")
        elif result.status == 204:
            data = b""
        else:
            data = json.dumps(result.json_body).encode("utf-8")
        self.send_response(result.status)
        headers = {"Content-Type": "application/json"} if result.status != 204 else {}
        headers.update(result.headers)
        for name, value in headers.items():
            self.send_header(name, value)
        if result.transport == "cut":
            # Promise more than is sent, then hang up: the client sees a truncated body.
            self.send_header("Content-Length", str(len(data) + 64))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return
        if result.transport == "stall":
            # Headers and half the body, then silence: the client's read times out mid-body.
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._hold(result.stall_seconds)
            self.close_connection = True
            return
        if result.status != 204:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class EmulatorServer:
    """The emulator over real HTTP on loopback, served from background threads."""

    def __init__(
        self,
        emulator: Emulator | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
    ) -> None:
        require_loopback(host)
        self.emulator = emulator if emulator is not None else Emulator()
        self._host = host
        self._port = port
        self._verbose = verbose
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        if self._httpd is not None:
            return self
        server_class = _HTTPServer6 if ":" in self._host else _HTTPServer
        self._httpd = server_class((self._host, self._port), self.emulator, self._verbose)
        self._thread = threading.Thread(
            # A short poll keeps stop() quick; the default would make each stop take 0.5 s.
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="quickchat-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        # Keep-alive connections would otherwise outlive the server in their threads.
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def admin(self) -> EmulatorAdmin:
        return EmulatorAdmin(self.url)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
