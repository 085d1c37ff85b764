"""Serve a Python Pulumi program to the real CLI, without the Python language host.

    python scripts/program_server.py PROJECT_DIR     # prints the port, then serves
    pulumi up --client=127.0.0.1:PORT                # in PROJECT_DIR, as often as needed

The CLI runs a Python program through `pulumi-language-python`, a Go binary whose
module (sdk/python/cmd/pulumi-language-python) has no tags and is not served by the
Go module proxy, so `make cli` cannot build it (scripts/build_cli.sh). The CLI's
`--client` flag names a language runtime that is already running; the Python SDK's
own `LanguageServer` is that runtime for the Automation API's inline programs
(pulumi/automation/_server.py). This serves `__main__.py` of a project directory
through it, so every other part is the real thing: the CLI, its engine, the plugins
it starts (the dynamic provider's host, pulumi-resource-quickchat) and their flags.

The program runs in this process on each `Run`, with the project directory as the
working directory and on sys.path, as the language host would run it. Ends on
SIGTERM or SIGINT, or when standard input closes (so a parent that dies takes it
along). `ProgramServer` starts it so from Python (the quick start, the tests).
"""

from __future__ import annotations

import os
import runpy
import signal
import subprocess
import sys
import threading
from concurrent import futures
from pathlib import Path

import grpc
from pulumi.automation._server import LanguageServer
from pulumi.runtime.proto import language_pb2_grpc

# The CLI sends a Run per preview or up, and About/GetRequiredPackages around them.
_WORKERS = 4
# The CLI's commands that run the program, and so take `--client`.
RUNS_PROGRAM = frozenset({"preview", "up", "update"})


def serve(project: Path) -> tuple[grpc.Server, int]:
    """Start serving the project's `__main__.py`; returns the server and its port."""
    program = project / "__main__.py"
    if not program.is_file():
        raise SystemExit(f"program_server: {program} does not exist")

    def run_program() -> None:
        runpy.run_path(str(program), run_name="__main__")

    os.chdir(project)
    sys.path.insert(0, str(project))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=_WORKERS),
        options=[("grpc.max_receive_message_length", 1 << 30)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(run_program), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    server, port = serve(Path(argv[0]).resolve())
    print(port, flush=True)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    server.stop(grace=1)
    return 0


class ProgramServer:
    """This script serving one project's program, in a process of its own, for
    `pulumi <cmd> --client=ADDRESS` (`address`) until `close()`."""

    def __init__(self, project: Path, env: dict[str, str], python: str = sys.executable) -> None:
        self.process = subprocess.Popen(
            [python, __file__, str(project)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # its errors go to the caller's stderr
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.close()
            raise RuntimeError("program_server did not start; its error is above")
        self.address = f"127.0.0.1:{port}"

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # its signal to stop
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
