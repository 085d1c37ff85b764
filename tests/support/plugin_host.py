"""The Pulumi engine's side of a dynamic provider, for tests without the Pulumi CLI.

`PluginHost` starts the real plugin host (`python -m pulumi.dynamic`, from the
installed SDK) as its own process, reads the port it prints, and calls the
`pulumirpc.ResourceProvider` gRPC service as the engine does, with requests
built by the SDK's own serialization.

`Engine` keeps a stack's state between steps and sequences the calls the way
the engine does for preview, up, refresh and destroy. It is no part of the
product.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import json_format
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime._serialization import _serialize
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_quickchat import ConversationRatingConfigProvider

TYPE_TOKEN = "pulumi-python:dynamic/quickchat:ConversationRatingConfig"
UNKNOWN = rpc.UNKNOWN


def serialized_provider() -> str:
    """`__provider` exactly as `pulumi.dynamic.Resource` makes it."""
    value, _contains_secrets = _serialize(
        True, serialize_provider, ConversationRatingConfigProvider()
    )
    return value


def to_struct(props: dict[str, Any]) -> Any:
    # A loop of its own, not asyncio.run: that would unset the calling
    # thread's event loop, which a Pulumi program under mocks relies on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def from_struct(struct: Any, keep_unknowns: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = rpc.deserialize_properties(struct, keep_unknowns)
    return result


def secret(value: Any) -> Any:
    """A value marked secret on the wire, as the engine sends secret config."""
    return rpc.wrap_rpc_secret(value)


class ProviderError(Exception):
    """The plugin host answered a call with an error (the engine shows `details`)."""

    def __init__(self, method: str, details: str) -> None:
        super().__init__(f"{method} failed: {details}")
        self.method = method
        self.details = details


def _env_without_quickchat(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCHAT_")}
    env.update(extra or {})
    return env


class PluginHost:
    """The real dynamic-provider plugin host, in its own process, spoken to over gRPC."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the host
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=_env_without_quickchat(env),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"plugin host did not print a port: {line!r} {self.stderr()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.provider = serialized_provider()
        # Every response the host gave, as JSON text, for leak checks.
        self.responses: list[str] = []

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> PluginHost:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _call(self, method: str, request: Any) -> Any:
        try:
            response = getattr(self.stub, method)(request, timeout=300)
        except grpc.RpcError as error:
            details = error.details() or ""
            self.responses.append(details)
            raise ProviderError(method, details) from None
        self.responses.append(json_format.MessageToJson(response))
        return response

    def _props(self, props: dict[str, Any]) -> Any:
        return to_struct({**props, "__provider": self.provider})

    # One method per RPC the engine calls on a dynamic provider.

    def configure(self, config: dict[str, Any]) -> None:
        self._call("Configure", proto.ConfigureRequest(args=to_struct(config)))

    def check(
        self, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._call(
            "Check",
            proto.CheckRequest(
                urn=self.urn("r"),
                olds=self._props(olds) if olds else to_struct({}),
                news=self._props(news),
            ),
        )
        inputs = from_struct(response.inputs, keep_unknowns=True)
        return inputs, [(f.property, f.reason) for f in response.failures]

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self._call(
            "Diff",
            proto.DiffRequest(
                id=id_, urn=self.urn("r"), olds=self._props(olds), news=self._props(news)
            ),
        )

    def create(self, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Create", proto.CreateRequest(urn=self.urn("r"), properties=self._props(news))
        )
        return response.id, from_struct(response.properties)

    def read(
        self, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        response = self._call(
            "Read",
            proto.ReadRequest(
                id=id_,
                urn=self.urn("r"),
                properties=self._props(outputs),
                inputs=self._props(inputs),
            ),
        )
        return response.id, from_struct(response.properties), from_struct(response.inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        response = self._call(
            "Update",
            proto.UpdateRequest(
                id=id_, urn=self.urn("r"), olds=self._props(olds), news=self._props(news)
            ),
        )
        return from_struct(response.properties)

    def delete(self, id_: str, outputs: dict[str, Any]) -> None:
        self._call(
            "Delete",
            proto.DeleteRequest(id=id_, urn=self.urn("r"), properties=self._props(outputs)),
        )

    @staticmethod
    def urn(name: str) -> str:
        return f"urn:pulumi:test::quickchat::{TYPE_TOKEN}::{name}"


def strip_provider(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != "__provider"}


@dataclass
class ResourceState:
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Plan:
    """What a preview decided for one resource."""

    action: str  # "create", "update", "replace", "same"
    inputs: dict[str, Any]
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False


class Engine:
    """A stack of ConversationRatingConfig resources, stepped as the Pulumi engine steps it."""

    def __init__(self, host: PluginHost) -> None:
        self.host = host
        self.state: dict[str, ResourceState] = {}
        # Replaced resources whose delete has not succeeded yet.
        self.pending_delete: list[ResourceState] = []

    def _recorded(self, name: str, aliases: Collection[str]) -> ResourceState | None:
        """The resource in state under its name, or else under one of its aliases."""
        if name in self.state:
            return self.state[name]
        return next((self.state[alias] for alias in aliases if alias in self.state), None)

    def plan(self, name: str, program: dict[str, Any], aliases: Collection[str] = ()) -> Plan:
        """preview: Check, then Diff against the recorded outputs; nothing else."""
        old = self._recorded(name, aliases)
        inputs, failures = self.host.check(old.inputs if old else {}, program)
        if failures:
            raise CheckFailed(failures)
        inputs = strip_provider(inputs)
        if old is None:
            return Plan("create", inputs)
        diff = self.host.diff(old.id, old.outputs, inputs)
        if diff.changes != proto.DiffResponse.DIFF_SOME:
            return Plan("same", inputs)
        if diff.replaces:
            return Plan("replace", inputs, list(diff.replaces), diff.deleteBeforeReplace)
        return Plan("update", inputs)

    def up(self, name: str, program: dict[str, Any], aliases: Collection[str] = ()) -> Plan:
        # A resource found under an alias is the same resource, renamed: the
        # engine moves it to its new name, then steps it as usual. (This moves it
        # before Check; the engine would keep the old name if Check failed.)
        if name not in self.state:
            for alias in aliases:
                if alias in self.state:
                    self.state[name] = self.state.pop(alias)
                    break
        plan = self.plan(name, program)
        old = self.state.get(name)
        if plan.action == "create":
            self._create(name, plan.inputs)
        elif plan.action == "update":
            assert old is not None
            outputs = self.host.update(old.id, old.outputs, plan.inputs)
            self.state[name] = ResourceState(old.id, plan.inputs, strip_provider(outputs))
        elif plan.action == "replace" and plan.delete_before_replace:
            assert old is not None
            self.host.delete(old.id, old.outputs)
            del self.state[name]
            self._create(name, plan.inputs)
        elif plan.action == "replace":
            assert old is not None
            # Create first; the old resource is deleted only once the new one
            # exists, and stays in state (pending deletion) if that fails.
            self._create(name, plan.inputs)
            self.pending_delete.append(old)
            self.host.delete(old.id, old.outputs)
            self.pending_delete.remove(old)
        else:
            assert old is not None
            self.state[name] = ResourceState(old.id, plan.inputs, old.outputs)
        return plan

    def _create(self, name: str, inputs: dict[str, Any]) -> None:
        id_, outputs = self.host.create(inputs)
        self.state[name] = ResourceState(id_, inputs, strip_provider(outputs))

    def refresh(self, name: str) -> ResourceState | None:
        old = self.state[name]
        id_, outputs, inputs = self.host.read(old.id, old.outputs, old.inputs)
        if not id_:
            del self.state[name]
            return None
        self.state[name] = ResourceState(
            id_, strip_provider(inputs) or old.inputs, strip_provider(outputs)
        )
        return self.state[name]

    def destroy(self, name: str) -> None:
        old = self.state[name]
        self.host.delete(old.id, old.outputs)
        del self.state[name]


class CheckFailed(Exception):
    def __init__(self, failures: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(reason for _, reason in failures))
        self.failures = failures
        self.properties = [prop for prop, _ in failures]
