"""Shared fixtures: one emulator process per session, a fresh agent per test.

The emulator, the plugin host and the test are three processes talking over
loopback sockets, as Quickchat, the provider and the Pulumi engine do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping

import pytest

from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess, Scope

from support.checks import assert_provider_holds_no_secret, assert_token_only_under_api_token
from support.plugin_host import Engine, PluginHost, secret

# Faults are retried with the real policy, only with shorter waits, so a
# suite of fault tests stays quick. The README documents these knobs.
FAST_RETRY_ENV = {"QUICKCHAT_RETRY_BACKOFF": "0.05", "QUICKCHAT_READ_TIMEOUT": "2"}


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess() as process:
        yield process


class RecordingAdmin(EmulatorAdmin):
    """The emulator's admin client, remembering every token it was handed."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.tokens: list[str] = []

    def create_agent(
        self, scenario_id: str | None = None, configuration: Mapping[str, object] | None = None
    ) -> AgentJson:
        agent = super().create_agent(scenario_id, configuration)
        self.tokens.extend(agent["tokens"].values())
        return agent

    def issue_token(
        self, scenario_id: str, scope: Scope = "write_all", expires_in: float | None = None
    ) -> str:
        token = super().issue_token(scenario_id, scope, expires_in)
        self.tokens.append(token)
        return token


@pytest.fixture
def admin(emulator: EmulatorProcess) -> Iterator[RecordingAdmin]:
    recording = RecordingAdmin(emulator.url)
    recording.reset()
    yield recording
    recording.close()


@pytest.fixture
def agent(admin: RecordingAdmin) -> AgentJson:
    return admin.create_agent()


@pytest.fixture
def token(agent: AgentJson) -> str:
    return agent["tokens"]["write_all"]


@pytest.fixture
def start_host(admin: RecordingAdmin) -> Iterator[Callable[..., PluginHost]]:
    hosts: list[PluginHost] = []

    def start(env: dict[str, str] | None = None) -> PluginHost:
        host = PluginHost({**FAST_RETRY_ENV, **(env or {})})
        hosts.append(host)
        return host

    yield start
    try:
        _no_token_leaked(hosts, admin)
    finally:
        for host in hosts:
            host.close()


def _no_token_leaked(hosts: list[PluginHost], admin: RecordingAdmin) -> None:
    """Every test that drives a plugin host also proves no token leaked from it.

    Checked after the test: each plugin response (tokens only as the value of
    the secret `api_token`), the plugin's stderr (its log), and every request
    the emulator saw (the token only in Authorization, which it redacts).
    """
    log = json.dumps(admin.request_log())
    for token in admin.tokens:
        assert token not in log, "a token reached Quickchat outside the Authorization header"
        for host in hosts:
            assert_token_only_under_api_token(host.responses, token)
            assert token not in host.stderr(), "a token reached the plugin's log"
            assert_provider_holds_no_secret(host.provider, token)


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
