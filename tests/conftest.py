"""Shared fixtures: one emulator process per session, a fresh agent per test.

The emulator, the plugin host and the test are three processes talking over
loopback sockets, as Quickchat, the provider and the Pulumi engine do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pulumi_quickchat.emulator import EmulatorAdmin, EmulatorProcess
from pulumi_quickchat.emulator.models import AgentJson

from support.plugin_host import Engine, PluginHost, secret

# Faults are retried with the real policy, only with shorter waits, so a
# suite of fault tests stays quick. The README documents these knobs.
FAST_RETRY_ENV = {"QUICKCHAT_RETRY_BACKOFF": "0.05", "QUICKCHAT_READ_TIMEOUT": "2"}


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as process:
        yield process


@pytest.fixture
def admin(emulator: EmulatorProcess) -> EmulatorAdmin:
    emulator.admin.reset()
    return emulator.admin


@pytest.fixture
def agent(admin: EmulatorAdmin) -> AgentJson:
    return admin.create_agent()


@pytest.fixture
def token(agent: AgentJson) -> str:
    return agent["tokens"]["write_all"]


@pytest.fixture
def start_host() -> Iterator[Callable[..., PluginHost]]:
    hosts: list[PluginHost] = []

    def start(env: dict[str, str] | None = None) -> PluginHost:
        host = PluginHost({**FAST_RETRY_ENV, **(env or {})})
        hosts.append(host)
        return host

    yield start
    for host in hosts:
        host.close()


@pytest.fixture
def host(
    start_host: Callable[..., PluginHost], emulator: EmulatorProcess, token: str
) -> PluginHost:
    """A plugin host configured as `pulumi config set --secret quickchat:apiToken` would."""
    host = start_host()
    host.configure({"quickchat:apiToken": secret(token), "quickchat:baseUrl": emulator.url})
    return host


@pytest.fixture
def engine(host: PluginHost) -> Engine:
    return Engine(host)
