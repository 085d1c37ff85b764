"""A Pulumi program under the SDK's mocks, for tests that need only the program side."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pulumi

from support.sdk import reset_runtime, wait_for_rpcs


class EchoMocks(pulumi.runtime.Mocks):
    """Every resource is created with its inputs as its outputs; nothing is called."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        return "id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], Any]:
        return {}, None


@contextmanager
def mocked_program(*, preview: bool) -> Iterator[tuple[asyncio.AbstractEventLoop, EchoMocks]]:
    """An event loop of its own with the mocks installed; run outputs on the loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # As support.program does for each run: the SDK keeps its root stack
    # resource across programs, and one left by an earlier test belongs to a
    # closed event loop.
    reset_runtime(preview=preview)
    mocks = EchoMocks()
    pulumi.runtime.set_mocks(mocks, preview=preview)
    try:
        yield loop, mocks
        # Let every registration finish (the root stack's, made by set_mocks,
        # among them): a loop closed with work pending would drop it unseen.
        loop.run_until_complete(wait_for_rpcs())
    finally:
        loop.close()
