"""Provider plugins in processes of their own, spoken to over gRPC as the Pulumi engine does.

Two plugins serve ConversationRatingConfig:

- `PluginHost`: the dynamic provider's host, `python -m pulumi.dynamic` from
  the installed SDK, as the CLI's `pulumi-resource-pulumi-python` starts it;
  every request carries `__provider`, the provider as the program pickled it.
- `NativePlugin`: `pulumi-resource-quickchat`, the executable the wheel
  installs, started as the engine starts a resource plugin: the engine's
  address as its last argument, the port read from the first line of stdout
  (pulumi/pulumi `pkg/resource/plugin/plugin.go`, `newPlugin`).

Both take and give properties as plain dicts, with secrets wrapped as on the
wire; which values they are sent, and what the answers mean, is the engine's
business (`support.engine`). Neither is part of the product.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime import proto
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_quickchat import ConversationRatingConfigProvider

from support.sdk import from_struct, serialized_provider, to_struct

DYNAMIC_TYPE = "pulumi-python:dynamic/quickchat:ConversationRatingConfig"
NATIVE_TYPE = "quickchat:index:ConversationRatingConfig"
NATIVE_FUNCTION = "quickchat:index:getConversationRatingConfig"
PROVIDER_KEY = "__provider"
# The engine's address, which the plugins are given and ignore for custom resources.
ENGINE_ADDRESS = "127.0.0.1:1"


class ProviderError(Exception):
    """The plugin answered a call with an error (the engine shows `details`)."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} failed: {details}")
        self.method = method
        self.code = code
        self.details = details


def _env_without_quickchat(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKCHAT_")}
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Read:
    """A Read's answer; `outputs` and `inputs` are None where the plugin sent none."""

    id: str
    outputs: dict[str, Any] | None
    inputs: dict[str, Any] | None


class Plugin:
    """A resource provider plugin process and its gRPC client."""

    type_token: str
    # What the plugin's Configure answered; the engine adapts to both
    # (pkg/resource/plugin/provider_plugin.go, `Configure`).
    accept_secrets = False
    supports_preview = False

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the plugin
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, env=_env_without_quickchat(env)
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"{command[0]} did not print a port: {line!r} {self.stderr()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        # Every answer the plugin gave, as JSON text, for leak checks.
        self.responses: list[str] = []

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> Plugin:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def stderr(self) -> str:
        """What the plugin logged, which the engine shows the user (plugin.go, `newPlugin`)."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def _call(self, method: str, request: Any) -> Any:
        try:
            response = getattr(self.stub, method)(request, timeout=300)
        except grpc.RpcError as error:
            details = error.details() or ""
            self.responses.append(details)
            raise ProviderError(method, error.code(), details) from None
        self.responses.append(json_format.MessageToJson(response))
        return response

    def _props(self, props: dict[str, Any]) -> Any:
        return to_struct(props)

    def _result(self, struct: Any) -> dict[str, Any]:
        return from_struct(struct)

    def urn(self, name: str) -> str:
        return f"urn:pulumi:test::quickchat::{self.type_token}::{name}"

    # One method per RPC the engine sends a resource provider.

    def plugin_version(self) -> str:
        return str(self._call("GetPluginInfo", empty_pb2.Empty()).version)

    def configure(self, config: dict[str, Any]) -> None:
        response = self._call(
            "Configure", proto.ConfigureRequest(args=to_struct(config), acceptSecrets=True)
        )
        self.accept_secrets = response.acceptSecrets
        self.supports_preview = response.supportsPreview

    def check(
        self, name: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._call(
            "Check",
            proto.CheckRequest(
                urn=self.urn(name),
                olds=self._props(olds) if olds else to_struct({}),
                news=self._props(news),
            ),
        )
        inputs = self._result(response.inputs)
        return inputs, [(f.property, f.reason) for f in response.failures]

    def diff(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        old_inputs: dict[str, Any],
    ) -> Any:
        return self._call(
            "Diff",
            proto.DiffRequest(
                id=id_,
                urn=self.urn(name),
                olds=self._props(olds),
                news=self._props(news),
                old_inputs=self._props(old_inputs),
            ),
        )

    def create(
        self, name: str, news: dict[str, Any], preview: bool = False
    ) -> tuple[str, dict[str, Any]]:
        response = self._call(
            "Create",
            proto.CreateRequest(urn=self.urn(name), properties=self._props(news), preview=preview),
        )
        return response.id, self._result(response.properties)

    def read(self, name: str, id_: str, outputs: dict[str, Any], inputs: dict[str, Any]) -> Read:
        response = self._call(
            "Read",
            proto.ReadRequest(
                id=id_,
                urn=self.urn(name),
                properties=self._props(outputs) if outputs else to_struct({}),
                inputs=self._props(inputs) if inputs else to_struct({}),
            ),
        )
        return Read(
            response.id,
            self._result(response.properties) if response.HasField("properties") else None,
            self._result(response.inputs) if response.HasField("inputs") else None,
        )

    def update(
        self,
        name: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        old_inputs: dict[str, Any],
        preview: bool = False,
    ) -> dict[str, Any]:
        response = self._call(
            "Update",
            proto.UpdateRequest(
                id=id_,
                urn=self.urn(name),
                olds=self._props(olds),
                news=self._props(news),
                old_inputs=self._props(old_inputs),
                preview=preview,
            ),
        )
        return self._result(response.properties)

    def delete(
        self, name: str, id_: str, outputs: dict[str, Any], old_inputs: dict[str, Any]
    ) -> None:
        self._call(
            "Delete",
            proto.DeleteRequest(
                id=id_,
                urn=self.urn(name),
                properties=self._props(outputs),
                old_inputs=self._props(old_inputs),
            ),
        )


class PluginHost(Plugin):
    """The real dynamic-provider plugin host, `python -m pulumi.dynamic`."""

    type_token = DYNAMIC_TYPE

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__([sys.executable, "-m", "pulumi.dynamic", ENGINE_ADDRESS], env)
        # The provider as a program serializes it; ProgramStack swaps in the
        # program's own.
        self.provider = serialized_provider(ConversationRatingConfigProvider())

    def _props(self, props: dict[str, Any]) -> Any:
        return to_struct({**props, PROVIDER_KEY: self.provider})

    def _result(self, struct: Any) -> dict[str, Any]:
        result = from_struct(struct)
        result.pop(PROVIDER_KEY, None)
        return result


def installed_plugin(bin_dir: Path) -> Path:
    """`pulumi-resource-quickchat` in `bin_dir`, as the engine finds a project plugin: the
    directory a Pulumi.yaml's `plugins: providers: - path:` names, joined with the plugin's
    file name (sdk/go/common/workspace/plugins.go, `getPluginInfoAndPath`)."""
    return bin_dir / "pulumi-resource-quickchat"


class NativePlugin(Plugin):
    """`pulumi-resource-quickchat`, the native provider plugin the wheel installs."""

    type_token = NATIVE_TYPE

    def __init__(
        self,
        executable: Path | None = None,
        env: dict[str, str] | None = None,
        flags: Sequence[str] = (),
        engine: str = ENGINE_ADDRESS,
    ) -> None:
        """`flags`: what the engine may pass before its address (plugin.go
        `buildPluginArguments`: `--logtostderr`, `-v=N`, `--tracing ENDPOINT`);
        `engine`: the address of the engine's own service (its Log)."""
        executable = executable or installed_plugin(Path(sys.executable).parent)
        super().__init__([str(executable), *flags, engine], env)

    def schema(self) -> str:
        return str(self._call("GetSchema", proto.GetSchemaRequest()).schema)

    def invoke(self, args: dict[str, Any], token: str = NATIVE_FUNCTION) -> dict[str, Any]:
        response = self._call(
            "Invoke", proto.ResourceInvokeRequest(tok=token, args=to_struct(args))
        )
        failures = [(f.property, f.reason) for f in response.failures]
        assert not failures, failures
        return self._result(getattr(response, "return"))

    def check_config(
        self, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        response = self._call(
            "CheckConfig",
            proto.CheckRequest(
                urn="urn:pulumi:test::quickchat::pulumi:providers:quickchat::default",
                olds=to_struct(olds),
                news=to_struct(news),
            ),
        )
        return self._result(response.inputs), [(f.property, f.reason) for f in response.failures]
