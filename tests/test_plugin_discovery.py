"""How the real CLI finds `pulumi-resource-quickchat` for a project that pip-installed us.

Each project here is a user's: a Pulumi.yaml with `runtime: python` naming a virtualenv
(`toolchain: pip`), into which `pulumi-quickchat` (and, for the native resource,
`pulumi-quickchat-native`) were installed from their wheels (`support.venvs`), not
editable, and no `plugins:` section unless the case is that line. The real CLI, its
Python language host and the plugins run against the emulator; the virtualenv's `bin`
is not on the CLI's PATH unless the case activates it.

What the engine does, read from its source at the CLI's version (pkg/v3 and sdk/v3 at
3.274.1; the language host's main.go as shared/vendor holds it, pulumi/pulumi 1b5949891b3c):

- The language host's `GetRequiredPackages` lists the virtualenv's distributions and
  reads each one's pulumi-plugin.json (sdk/python/cmd/pulumi-language-python/main.go,
  `listPulumiPackageInfos`, `packageDependencyFromPluginJSON`): `"resource": false`
  names no plugin; pulumi-quickchat-native's file names `quickchat` at its version.
  `pulumi about` prints that list under `Plugins` (pkg/cmd/pulumi/about/about.go,
  `getPluginsAbout`, through pkg/engine/plugins.go `GetRequiredPlugins`); `pulumi
  plugin ls --project` resolves each entry and leaves out what it cannot find
  (pkg/cmd/pulumi/plugin/plugin.go, `resolvePlugins`).
- The engine finds a plugin in the project's `plugins: providers:` entries, then on
  its own `$PATH` (warning "using ... from $PATH"), then in the plugin cache under
  PULUMI_HOME, else it tries to download it (sdk/go/common/workspace/plugins.go,
  `getPluginInfoAndPath`; pkg/engine/plugins.go, `ensurePluginsAreInstalled`). The
  language host activates the virtualenv for the processes it starts alone, the program's
  among them (sdk/python/toolchain/pip.go, `Command`, with toolchain.go's
  `ActivateVirtualEnv`), not for the engine's lookup in the `pulumi` process.

No network beyond loopback: the download the engine attempts goes through
`HTTPS_PROXY`, a loopback port the test holds bound and not listening, so it is
refused as an offline machine's would be. `pulumi install --no-dependencies` runs
the plugin step alone: plain `pulumi install` first runs `python -m venv` over the
virtualenv, with the `python3` on PATH, then `pip install --upgrade pip setuptools
wheel` in it (sdk/python/toolchain/pip.go, `InstallDependencies`), which needs a package
index.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_quickchat import __version__
from pulumi_quickchat._version import semver
from quickchat_emulator import EmulatorAdmin

from support.checks import requests_sent
from support.cli import Cli, cli_env, requires_cli
from support.venvs import Wheels, build_wheels, installed_venv, plugin_json_of

pytestmark = requires_cli()

PLUGIN = "pulumi-resource-quickchat"
VERSION = semver(__version__)
DYNAMIC_PROGRAM = """\
import pulumi
import pulumi_quickchat as quickchat

ratings = quickchat.ConversationRatingConfig("ratings", conv_rating_active=True)
pulumi.export("agent", ratings.scenario_id)
"""
NATIVE_PROGRAM = DYNAMIC_PROGRAM.replace("pulumi_quickchat as", "pulumi_quickchat_native as")
# What the engine says where it finds the plugin nowhere and cannot download it
# (pkg/workspace/plugin.go, `InstallPluginError`); the download's own failure follows.
CANNOT_DOWNLOAD = (
    f"error: Could not automatically download and install resource plugin '{PLUGIN}' at "
    f"version v{VERSION}, install the plugin using `pulumi plugin install resource quickchat "
    f"v{VERSION}`: error downloading provider quickchat to file: failed to download plugin: "
    f"quickchat-{VERSION}: failed all 5 attempts"
)
# ... and with automatic downloads turned off (sdk/go/common/workspace/plugins.go,
# `NewMissingError`).
NOT_FOUND = (
    f"error: no resource plugin '{PLUGIN}' found in the workspace at version v{VERSION} "
    "or on your $PATH"
)
# `pulumi install`'s (pkg/cmd/pulumi/project/newcmd/install.go, `InstallRequiredPackages`).
INSTALL_FAILED = (
    f"error: installing packages: failed to download plugin: quickchat-{VERSION}: "
    "failed all 5 attempts"
)
ON_PATH_WARNING = "warning: using pulumi-resource-quickchat from $PATH at {}"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    return build_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="module")
def dynamic_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Wheels) -> Path:
    """`pip install pulumi-quickchat`, nothing else."""
    return installed_venv(tmp_path_factory.mktemp("dynamic") / "venv", wheels, sdk=False)


@pytest.fixture(scope="module")
def native_venv(tmp_path_factory: pytest.TempPathFactory, wheels: Wheels) -> Path:
    """`pip install pulumi-quickchat-native`, which brings pulumi-quickchat."""
    return installed_venv(tmp_path_factory.mktemp("native") / "venv", wheels, sdk=True)


@pytest.fixture
def offline_proxy() -> Iterator[str]:
    """A proxy address that refuses every connection: a loopback port held, bound and not
    listening, for the whole test."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def user_project(
    tmp_path: Path,
    venv: Path,
    program: str,
    admin: EmulatorAdmin,
    token: str,
    proxy: str,
    *,
    activated: bool = False,
    plugins: str = "",
) -> Cli:
    """A project in tmp_path using `venv`, stack `dev` selected, its CLI's PATH without
    any `pulumi-resource-quickchat` (this test environment's own is on the usual one);
    with `activated`, as `source venv/bin/activate` leaves the shell."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: discovery\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        f"    virtualenv: {venv}\n"
        f"{plugins}"
    )
    (project / "__main__.py").write_text(program)
    env = cli_env(
        tmp_path,
        {
            "QUICKCHAT_API_TOKEN": token,
            "QUICKCHAT_API_BASE_URL": admin.url,
            "HTTPS_PROXY": proxy,
            "NO_PROXY": "127.0.0.1,localhost",
        },
    )
    # The engine may try its download here, as for a user: through the dead proxy.
    env.pop("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION")
    path = [d for d in env["PATH"].split(os.pathsep) if d and not (Path(d) / PLUGIN).exists()]
    if activated:
        env["VIRTUAL_ENV"] = str(venv)
        path.insert(0, str(venv / "bin"))
    env["PATH"] = os.pathsep.join(path)
    cli = Cli(project, env)
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    return cli


def about(cli: Cli) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(cli("about", "--json").stdout)
    return result


def required(cli: Cli) -> list[dict[str, str]]:
    """The language host's answer to GetRequiredPackages, as `pulumi about` shows it."""
    return [p for p in about(cli)["plugins"] if p["kind"] != "language"]


def found_for_project(cli: Cli) -> list[dict[str, Any]]:
    """`pulumi plugin ls --project`: what the engine finds of what the project requires."""
    listed: list[dict[str, Any]] = json.loads(cli("plugin", "ls", "--project", "--json").stdout)
    return [p for p in listed if p["kind"] == "resource"]


def everything(result: subprocess.CompletedProcess[str]) -> str:
    return f"{result.stdout}\n{result.stderr}"


def verbose_preview(cli: Cli, ok: bool = True) -> subprocess.CompletedProcess[str]:
    return cli("preview", "--non-interactive", "--logtostderr", "--logflow", "-v=9", ok=ok)


def launched_from(log: str) -> str:
    """Where the engine started the quickchat plugin (pkg/resource/plugin/plugin.go,
    `newPlugin`)."""
    launched = re.search(r"Launching plugin 'quickchat[^']*' from '([^']+)'", log)
    assert launched, "the engine started no quickchat plugin"
    return launched.group(1)


# (a) pulumi-quickchat alone: the dynamic resource needs no plugin.


def test_a_dynamic_program_makes_the_engine_look_up_no_plugin_and_runs(
    tmp_path: Path, dynamic_venv: Path, admin: EmulatorAdmin, token: str, offline_proxy: str
) -> None:
    cli = user_project(tmp_path, dynamic_venv, DYNAMIC_PROGRAM, admin, token, offline_proxy)
    shown = about(cli)
    # The language host, and no resource plugin.
    assert [(p["kind"], p["name"]) for p in shown["plugins"]] == [("language", "python")]
    assert {"name": "pulumi-quickchat", "version": __version__} in shown["dependencies"]
    assert found_for_project(cli) == []
    assert json.loads(cli("plugin", "ls", "--json").stdout) == []  # nothing in the cache
    requests_sent(admin)
    preview = verbose_preview(cli)
    log = preview.stderr
    assert "GetPluginPath(language, python" in log  # the log does show each lookup ...
    assert "GetPluginPath(resource, quickchat" not in log  # ... and there is none of ours
    assert "installPlugin(quickchat" not in log
    assert "error downloading" not in everything(preview)
    assert requests_sent(admin) == []
    up = cli("up", "--yes", "--non-interactive")
    assert "warning" not in everything(up)
    assert requests_sent(admin) == ["PATCH 200"]
    assert token not in "".join(cli.transcript)


def test_without_its_plugin_json_the_package_would_send_the_engine_to_download_a_plugin(
    tmp_path: Path, dynamic_venv: Path, admin: EmulatorAdmin, token: str, offline_proxy: str
) -> None:
    # The control for the test above: the same venv, the file taken away.
    plugin_json = plugin_json_of(dynamic_venv, "pulumi_quickchat")
    kept = plugin_json.read_text()
    plugin_json.unlink()
    try:
        cli = user_project(tmp_path, dynamic_venv, DYNAMIC_PROGRAM, admin, token, offline_proxy)
        assert required(cli) == [{"name": "quickchat", "version": VERSION, "kind": "resource"}]
        log = verbose_preview(cli).stderr
        # pkg/engine/plugins.go, `ensurePluginsAreInstalled`: it looks, then tries to
        # download, and logs its failure alone (no resource needs the plugin).
        assert f"GetPluginPath(resource, quickchat, {VERSION}" in log
        assert f"plugin quickchat {VERSION} not installed, doing install" in log
    finally:
        plugin_json.write_text(kept)


# (b) pulumi-quickchat-native too, the virtualenv not activated, no `plugins:`.


def test_a_native_program_in_a_venv_not_activated_finds_no_plugin_and_the_engine_tries_a_download(
    tmp_path: Path, native_venv: Path, admin: EmulatorAdmin, token: str, offline_proxy: str
) -> None:
    cli = user_project(tmp_path, native_venv, NATIVE_PROGRAM, admin, token, offline_proxy)
    # The host reports the plugin the SDK's pulumi-plugin.json names, at the version the
    # SDK pins pulumi-quickchat to ...
    assert required(cli) == [{"name": "quickchat", "version": VERSION, "kind": "resource"}]
    assert re.search(rf"^resource +quickchat +{re.escape(VERSION)}$", cli("about").stdout, re.M)
    # ... which the engine finds nowhere: not on its PATH, not in the cache.
    assert found_for_project(cli) == []
    requests_sent(admin)
    for step in (["preview"], ["up", "--yes"]):
        failed = cli(*step, "--non-interactive", ok=False)
        printed = everything(failed)
        assert failed.returncode != 0
        assert CANNOT_DOWNLOAD in printed
        # Each of the five attempts, through the refusing proxy as offline.
        assert (
            printed.count(
                f'warning: error downloading provider: Get "https://get.pulumi.com/releases/plugins/'
                f"{PLUGIN}-v{VERSION}-"
            )
            >= 5
        )
        assert "using pulumi-resource-quickchat from $PATH" not in printed
        assert requests_sent(admin) == []
    install = cli("install", "--no-dependencies", ok=False)
    assert install.returncode != 0
    assert INSTALL_FAILED in everything(install)
    # The command the message suggests asks Pulumi's registry, which has no such package.
    suggested = cli("plugin", "install", "resource", "quickchat", f"v{VERSION}", ok=False)
    assert suggested.returncode != 0
    assert "error: Unable to resolve package from name: registry query error" in everything(
        suggested
    )
    assert "api.pulumi.com/api/registry/packages" in everything(suggested)
    # With downloads turned off, the engine says it looked in the workspace and on PATH.
    cli.env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    failed = cli("preview", "--non-interactive", ok=False)
    assert NOT_FOUND in everything(failed)
    assert "error downloading" not in everything(failed)
    assert requests_sent(admin) == []
    assert token not in "".join(cli.transcript)


# (c) the same virtualenv, activated.


def test_a_native_program_in_an_activated_venv_finds_the_plugin_on_path_with_a_warning(
    tmp_path: Path, native_venv: Path, admin: EmulatorAdmin, token: str, offline_proxy: str
) -> None:
    cli = user_project(
        tmp_path, native_venv, NATIVE_PROGRAM, admin, token, offline_proxy, activated=True
    )
    plugin = native_venv / "bin" / PLUGIN
    listed = cli("plugin", "ls", "--project", "--json")
    # Found on PATH: a plugin with no version (sdk/go/common/workspace/plugins.go).
    assert [
        (p["name"], p["version"]) for p in json.loads(listed.stdout) if p["kind"] == "resource"
    ] == [("quickchat", "")]
    assert ON_PATH_WARNING.format(plugin) in listed.stderr
    requests_sent(admin)
    preview = verbose_preview(cli)
    assert launched_from(preview.stderr) == str(plugin)
    assert ON_PATH_WARNING.format(plugin) in preview.stdout
    assert "error downloading" not in everything(preview)
    assert requests_sent(admin) == []
    up = cli("up", "--yes", "--non-interactive")
    assert ON_PATH_WARNING.format(plugin) in up.stdout
    assert requests_sent(admin) == ["PATCH 200"]
    assert token not in "".join(cli.transcript)


# (d) the plugin put in Pulumi's plugin cache, no activation.


def test_a_native_program_finds_the_plugin_installed_into_the_cache_from_the_venv(
    tmp_path: Path, native_venv: Path, admin: EmulatorAdmin, token: str, offline_proxy: str
) -> None:
    cli = user_project(tmp_path, native_venv, NATIVE_PROGRAM, admin, token, offline_proxy)
    plugin = native_venv / "bin" / PLUGIN
    installed = cli("plugin", "install", "resource", "quickchat", VERSION, "--file", str(plugin))
    assert f"[resource plugin quickchat-{VERSION}] installing" in everything(installed)
    cached = Path(cli.env["PULUMI_HOME"]) / "plugins" / f"resource-quickchat-v{VERSION}" / PLUGIN
    # The cache holds a copy of the launcher pip wrote, which runs the venv's Python: it
    # works while that venv stays where it is, at this version.
    assert cached.read_text().splitlines()[0] == f"#!{native_venv / 'bin' / 'python'}"
    assert [
        (p["name"], p["version"]) for p in json.loads(cli("plugin", "ls", "--json").stdout)
    ] == [("quickchat", VERSION)]
    assert [(p["name"], p["version"]) for p in found_for_project(cli)] == [("quickchat", VERSION)]
    requests_sent(admin)
    preview = verbose_preview(cli)
    assert launched_from(preview.stderr) == str(cached)
    assert "warning" not in preview.stdout
    assert requests_sent(admin) == []
    cli("install", "--no-dependencies")  # nothing left to install
    up = cli("up", "--yes", "--non-interactive")
    assert "warning" not in up.stdout
    assert requests_sent(admin) == ["PATCH 200"]
    assert token not in "".join(cli.transcript)


# The `plugins:` line docs/native.md gives, the virtualenv in the project as `.venv`.


def test_a_native_program_finds_the_plugin_the_plugins_line_names_without_a_warning(
    tmp_path: Path, native_venv: Path, admin: EmulatorAdmin, token: str, offline_proxy: str
) -> None:
    plugins = "plugins:\n  providers:\n    - name: quickchat\n      path: .venv/bin\n"
    cli = user_project(
        tmp_path, native_venv, NATIVE_PROGRAM, admin, token, offline_proxy, plugins=plugins
    )
    (cli.project / ".venv").symlink_to(native_venv)
    project_file = cli.project / "Pulumi.yaml"
    project_file.write_text(
        project_file.read_text().replace(f"virtualenv: {native_venv}", "virtualenv: .venv")
    )
    assert [p["name"] for p in found_for_project(cli)] == ["quickchat"]
    requests_sent(admin)
    preview = verbose_preview(cli)
    assert launched_from(preview.stderr) == str(cli.project / ".venv" / "bin" / PLUGIN)
    assert "warning" not in preview.stdout
    assert requests_sent(admin) == []
    up = cli("up", "--yes", "--non-interactive")
    assert "warning" not in up.stdout
    assert requests_sent(admin) == ["PATCH 200"]
    assert token not in "".join(cli.transcript)


def test_the_docs_quote_what_the_cli_printed_in_these_tests() -> None:
    # docs/native.md and docs/troubleshooting.md quote the CLI's words, at some version.
    def quoted(message: str, text: str) -> bool:
        pattern = re.escape(message).replace(re.escape(VERSION), r"\d+\.\d+\.\d+\S*")
        return re.search(pattern, text) is not None

    docs = Path(__file__).resolve().parents[1] / "docs"
    native = (docs / "native.md").read_text(encoding="utf-8")
    troubleshooting = (docs / "troubleshooting.md").read_text(encoding="utf-8")
    for text in (native, troubleshooting):
        assert quoted(CANNOT_DOWNLOAD, text)
        assert quoted(f"resource  quickchat  {VERSION}", text)
        assert ON_PATH_WARNING.format("/…/") in text
    assert quoted(INSTALL_FAILED, native)
    assert quoted(NOT_FOUND, native)
    # The troubleshooting rows, by the words the CLI printed.
    for row in (
        "Could not automatically download and install resource plugin 'pulumi-resource-quickchat'",
        "installing packages: failed to download plugin: quickchat-",
        "no resource plugin 'pulumi-resource-quickchat' found",
        "using pulumi-resource-quickchat from $PATH",
    ):
        assert f"| `{row}` |" in troubleshooting
        assert any(
            row in message
            for message in (CANNOT_DOWNLOAD, INSTALL_FAILED, NOT_FOUND, ON_PATH_WARNING)
        )
