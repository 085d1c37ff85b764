"""The SDKs under sdk/ are what the plugin's schema generates, and their versions register.

sdk/python, sdk/nodejs and sdk/go come from `pulumi package gen-sdk` of the real CLI
(scripts/gen_sdk.py); regenerating them must change nothing, so the schema and the
SDKs cannot drift. The version is written once, in PEP 440 (`_version.py`); the schema
carries it as semver, and the generated Python SDK converts its installed PEP 440
version back to semver when it registers a resource. A pre-release must survive both
ways, as the engine parses strict semver (pkg/resource/deploy/source_eval.go).
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest
import semver as semver_lib

import pulumi_quickchat_native._utilities as generated
from pulumi_quickchat._version import __version__, semver

from support.cli import requires_cli

ROOT = Path(__file__).resolve().parents[1]


@requires_cli()
def test_regenerating_the_sdks_from_the_plugin_changes_nothing() -> None:
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_sdk.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    "version",
    ["0.1.0", "1.2.3", "0.2.0rc1", "0.2.0a2", "0.2.0b3", "0.2.0.dev4"],
)
def test_a_version_and_its_pre_releases_reach_the_engine_as_the_sdk_registers_them(
    version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the installed SDK would register, were its distribution at `version`.
    monkeypatch.setattr(importlib.metadata, "version", lambda _name: version)
    registered = str(generated._get_semver_version())
    assert semver(version) == registered
    semver_lib.Version.parse(registered)  # strict semver, as the engine parses it


@pytest.mark.parametrize("version", ["0.2.0-rc.1", "0.2.0rc1.dev5"])
def test_a_version_no_release_uses_is_refused_naming_the_forms(version: str) -> None:
    # A pre-release's dev release too: the SDK would register it without its .devN.
    with pytest.raises(ValueError, match=r"X\.Y\.ZrcN.*_version\.py"):
        semver(version)


def test_the_python_sdk_is_installed_at_the_package_version() -> None:
    assert importlib.metadata.version("pulumi-quickchat-native") == __version__
    assert generated.get_version() == semver(__version__)
