"""Shared fixtures: one emulator process per session, a fresh agent per test, plugins.

The emulator, the provider plugins and the test are separate processes
talking over loopback sockets, as Quickchat, the provider and the Pulumi
engine do. Every test that starts a plugin also proves, when it ends, that
no token leaked from it.
"""

from __future__ import annotations

import functools
import json
import signal
from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import version

import pytest

from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess, Scope

from support.checks import assert_provider_holds_no_secret, assert_token_only_under_api_token
from support.engine import Engine
from support.plugins import NativePlugin, Plugin, PluginHost
from support.sdk import CHECKED_AGAINST, reset_runtime, secret

# Faults are retried with the real policy, only with shorter waits, so a
# suite of fault tests stays quick. The README documents these knobs.
FAST_RETRY_ENV = {"QUICKCHAT_RETRY_BACKOFF": "0.05", "QUICKCHAT_READ_TIMEOUT": "2"}


def pytest_configure() -> None:
    """Start plugins with SIGINT at its default, as the Pulumi CLI starts them.

    The CLI handles SIGINT itself (`signal.Notify` in
    pkg/backend/cancellation_scope.go), so the plugins it starts begin with
    SIGINT's default action: a handled signal reverts to it at exec. This process
    stands in for the CLI where a test starts a plugin directly. A run started
    with SIGINT ignored (`nohup make test &`, or any background job of a shell
    without job control) would hand that on to every plugin, and the SDK's dynamic
    host, which stops on Python's KeyboardInterrupt, would then never see Ctrl-C
    (tests/test_cancel.py).
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_report_header() -> str:
    installed = version("pulumi")
    note = "" if installed == CHECKED_AGAINST else " (differs: see tests/support/sdk.py first)"
    return f"pulumi SDK {installed}; tests/support checked against {CHECKED_AGAINST}{note}"


@pytest.fixture(autouse=True)
def no_pulumi_runtime_left_behind() -> Iterator[None]:
    """Each test starts with no Pulumi runtime, whatever ran before it: a mock monitor or
    stack config left by a test of programs under `set_mocks` would reach the next test's
    resources and lookups. Tests run in random order (`make test`)."""
    reset_runtime(preview=False)
    yield
    reset_runtime(preview=False)


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
        self,
        scenario_id: str,
        scope: Scope = "write_all",
        expires_in: float | None = None,
        *,
        opaque: bool = False,
    ) -> str:
        token = super().issue_token(scenario_id, scope, expires_in, opaque=opaque)
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
def start_plugin(admin: RecordingAdmin) -> Iterator[Callable[..., Plugin]]:
    """Starts a plugin, "dynamic" (the SDK's plugin host) or "native"; checks it after."""
    plugins: list[Plugin] = []

    def start(kind: str = "dynamic", env: dict[str, str] | None = None) -> Plugin:
        environment = {**FAST_RETRY_ENV, **(env or {})}
        plugin = PluginHost(environment) if kind == "dynamic" else NativePlugin(env=environment)
        plugins.append(plugin)
        return plugin

    yield start
    try:
        _no_token_leaked(plugins, admin)
    finally:
        for plugin in plugins:
            plugin.close()


@pytest.fixture
def start_host(start_plugin: Callable[..., Plugin]) -> Callable[..., Plugin]:
    """Starts the dynamic plugin host: `start_host(env=None)`."""
    return functools.partial(start_plugin, "dynamic")


@pytest.fixture
def start_native(start_plugin: Callable[..., Plugin]) -> Callable[..., Plugin]:
    """Starts the native plugin: `start_native(env=None)`."""
    return functools.partial(start_plugin, "native")


def _no_token_leaked(plugins: list[Plugin], admin: RecordingAdmin) -> None:
    """Each plugin answer (tokens only as the value of the secret token output), each
    plugin's log, and every request the emulator saw (the token only in Authorization,
    which it redacts) are free of every token the test was handed."""
    log = json.dumps(admin.request_log())
    for token in admin.tokens:
        assert token not in log, "a token reached Quickchat outside the Authorization header"
        for plugin in plugins:
            assert_token_only_under_api_token(plugin.responses, token)
            assert token not in plugin.stderr(), "a token reached the plugin's log"
            if isinstance(plugin, PluginHost):
                assert_provider_holds_no_secret(plugin.provider, token)


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


@pytest.fixture
def native(
    start_native: Callable[..., NativePlugin], emulator: EmulatorProcess, token: str
) -> NativePlugin:
    """The native plugin, its default provider configured from `quickchat:apiToken`."""
    plugin = start_native()
    plugin.configure({"apiToken": secret(token), "baseUrl": emulator.url})
    return plugin


@pytest.fixture
def native_engine(native: NativePlugin) -> Engine:
    return Engine(native)
