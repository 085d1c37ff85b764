"""Cancel means stop: an operation waiting to retry ends at once, and nothing is sent after.

Quickchat answers 429 with `Retry-After: 6`; the operation is cancelled while
it waits (by the engine's Cancel RPC, by the caller dropping the gRPC call, by
SIGINT), and must answer well before those 6 s are up, saying it was
cancelled, with no request reaching the emulator after it. A request already
on the wire is awaited and its result reported. Both front ends: the native
plugin handles each case; the dynamic provider's host (the SDK's) lets a
provider reach only SIGINT (`_cancel.py` says why).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import proto

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of
from support.plugins import NativePlugin, Plugin, PluginHost
from support.sdk import secret

RETRY_AFTER = 6.0
WANTED = {
    "conv_rating_active": True,
    "conv_rating_popup_active": True,
    "conv_rating_question_codes": ["HELPFUL_THUMBS"],
}
NATIVE_WANTED = {
    "convRatingActive": True,
    "convRatingPopupActive": True,
    "convRatingQuestionCodes": ["HELPFUL_THUMBS"],
}


def start_create(plugin: Plugin) -> grpc.Future:
    """A Create sent as the engine sends it, its answer not awaited."""
    props = NATIVE_WANTED if isinstance(plugin, NativePlugin) else WANTED
    request = proto.CreateRequest(urn=plugin.urn("ratings"), properties=plugin._props(props))
    return plugin.stub.Create.future(request, timeout=60)


def start_delete(plugin: Plugin, scenario_id: str) -> grpc.Future:
    outputs = {**(NATIVE_WANTED if isinstance(plugin, NativePlugin) else WANTED)}
    outputs["scenarioId" if isinstance(plugin, NativePlugin) else "scenario_id"] = scenario_id
    request = proto.DeleteRequest(
        id=scenario_id, urn=plugin.urn("ratings"), properties=plugin._props(outputs)
    )
    return plugin.stub.Delete.future(request, timeout=60)


def wait_for_the_first_429(admin: EmulatorAdmin) -> float:
    """When the rate-limited attempt was answered, so the retry is due RETRY_AFTER later."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(entry["status"] == 429 for entry in admin.request_log()):
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError("the first attempt never reached the emulator")


def answer_of(call: grpc.Future) -> tuple[grpc.StatusCode | None, str]:
    try:
        call.result()
    except grpc.FutureCancelledError:
        return grpc.StatusCode.CANCELLED, "cancelled by the caller"
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return None, ""


def statuses(admin: EmulatorAdmin) -> list[str]:
    return [f"{entry['method']} {entry['status']}" for entry in admin.request_log()]


def rate_limited_for_6_s(admin: EmulatorAdmin) -> None:
    admin.add_fault("status", status=429, retry_after=RETRY_AFTER, times=2, method="PATCH")


def assert_nothing_sent_after(admin: EmulatorAdmin, rate_limited_at: float) -> None:
    """Past the moment the retry was due, the one 429 is still all Quickchat saw."""
    time.sleep(max(0.0, rate_limited_at + RETRY_AFTER + 1.0 - time.monotonic()))
    assert statuses(admin) == ["PATCH 429"]


@pytest.mark.parametrize("operation", ["create", "delete"])
def test_the_engines_cancel_ends_a_waiting_operation_at_once_and_nothing_is_sent_after(
    native: NativePlugin, admin: EmulatorAdmin, agent: AgentJson, operation: str
) -> None:
    before = config_of(admin, agent["scenario_id"])
    rate_limited_for_6_s(admin)
    if operation == "create":
        call = start_create(native)
    else:
        call = start_delete(native, agent["scenario_id"])
    rate_limited_at = wait_for_the_first_429(admin)

    native.stub.Cancel(empty_pb2.Empty(), timeout=5)
    code, details = answer_of(call)
    answered_at = time.monotonic()

    assert answered_at < rate_limited_at + RETRY_AFTER, "answered only after the wait"
    assert code is not None
    assert "cancelled while waiting to retry" in details
    assert "HTTP 429" in details and "No further request was sent" in details
    assert_nothing_sent_after(admin, rate_limited_at)
    assert config_of(admin, agent["scenario_id"]) == before


def test_a_call_the_engine_drops_sends_nothing_after(
    native: NativePlugin, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    before = config_of(admin, agent["scenario_id"])
    rate_limited_for_6_s(admin)
    call = start_create(native)
    rate_limited_at = wait_for_the_first_429(admin)

    call.cancel()

    assert answer_of(call)[0] == grpc.StatusCode.CANCELLED
    assert_nothing_sent_after(admin, rate_limited_at)
    assert config_of(admin, agent["scenario_id"]) == before


def test_later_operations_after_cancel_send_nothing_and_say_so(
    native: NativePlugin, admin: EmulatorAdmin
) -> None:
    native.stub.Cancel(empty_pb2.Empty(), timeout=5)

    code, details = answer_of(start_create(native))

    assert code is not None
    assert "cancelled before it was sent" in details and "Nothing was sent" in details
    assert statuses(admin) == []


def test_a_request_on_the_wire_when_cancelled_is_awaited_and_its_result_reported(
    native: NativePlugin, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # The emulator applies the write, then holds its answer for 1 s.
    admin.add_fault("delay", delay=1, method="PATCH")
    call = start_create(native)
    deadline = time.monotonic() + 10
    while config_of(admin, agent["scenario_id"]) != {**WANTED}:
        assert time.monotonic() < deadline, "the write never reached the emulator"
        time.sleep(0.02)

    native.stub.Cancel(empty_pb2.Empty(), timeout=5)

    assert answer_of(call) == (None, "")
    assert call.result().id == agent["scenario_id"]
    assert statuses(admin) == ["PATCH 200"]


Starter = Callable[..., Any]


@pytest.mark.parametrize("kind", ["native", "dynamic"])
@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_plugin_before_the_retry_and_nothing_is_sent(
    start_plugin: Starter,
    emulator: Any,
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
    kind: str,
    signal_number: signal.Signals,
) -> None:
    plugin = start_plugin(kind)
    secret_token = secret(token)
    if isinstance(plugin, PluginHost):
        plugin.configure({"quickchat:apiToken": secret_token, "quickchat:baseUrl": emulator.url})
    else:
        plugin.configure({"apiToken": secret_token, "baseUrl": emulator.url})
    before = config_of(admin, agent["scenario_id"])
    rate_limited_for_6_s(admin)
    call = start_create(plugin)
    rate_limited_at = wait_for_the_first_429(admin)

    plugin.process.send_signal(signal_number)
    plugin.process.wait(timeout=30)
    exited_at = time.monotonic()

    assert exited_at < rate_limited_at + RETRY_AFTER, "the plugin waited out the retry"
    assert answer_of(call)[0] is not None
    assert statuses(admin) == ["PATCH 429"]
    assert config_of(admin, agent["scenario_id"]) == before
    assert "Event loop is closed" not in plugin.stderr()
    assert "Traceback" not in plugin.stderr()
