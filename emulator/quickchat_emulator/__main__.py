"""`quickchat-emulator`: serve the emulator on loopback until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from .rules import Emulator
from .server import EmulatorServer, require_loopback

DEMO_AGENT = "demo-agent"


class _Stop(Exception):
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _write_private(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        # The creation mode does not apply to a file that already existed.
        if hasattr(os, "fchmod"):
            os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="quickchat-emulator",
        description="A local stand-in for Quickchat's Conversation Rating API (loopback only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=8377, help="0 picks a free port")
    parser.add_argument("--demo", action="store_true", help=f"create the agent {DEMO_AGENT!r}")
    parser.add_argument("--tokens-file", help="with --demo: write its tokens here (mode 0600)")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    if args.tokens_file and not args.demo:
        parser.error("--tokens-file only applies with --demo")
    try:
        require_loopback(args.host)
    except ValueError as exc:
        parser.error(str(exc))

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    emulator = Emulator()
    server = EmulatorServer(emulator, host=args.host, port=args.port, verbose=args.verbose)
    try:
        server.start()
        # Everything is ready before the first line, which callers take as the signal.
        if args.demo:
            agent = emulator.create_agent({"scenario_id": DEMO_AGENT})
            tokens = agent["tokens"]
            if args.tokens_file:
                record = {"scenario_id": DEMO_AGENT, **tokens}
                _write_private(args.tokens_file, json.dumps(record, indent=2) + "\n")
        print(f"Quickchat emulator listening on {server.url}", flush=True)
        if args.demo:
            if args.tokens_file:
                print(
                    f"demo agent {DEMO_AGENT}: write_all and read_all tokens written to "
                    f"{args.tokens_file}",
                    flush=True,
                )
            else:
                print(f"demo agent {DEMO_AGENT}: write_all token {tokens['write_all']}", flush=True)
        while True:
            time.sleep(3600)
    except _Stop:
        pass
    except OSError as exc:
        message = str(exc)
        if exc.errno == errno.EADDRINUSE:
            # The bare "[Errno 98] Address already in use" names neither the port nor a way out.
            message = (
                f"{args.host} port {args.port} is already in use; "
                "use --port 0 for a free port, or another --port"
            )
        print(f"quickchat-emulator: {message}", file=sys.stderr)
        return 1
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
