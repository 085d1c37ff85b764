"""What `pip install .` and `pip install ./emulator` ship: built offline from a copy of
the source, then inspected."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from pulumi_quickchat import __version__
from pulumi_quickchat._version import semver
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import requests_sent
from support.engine import Engine
from support.plugins import NativePlugin, installed_plugin
from support.sdk import secret
from support.venvs import build_wheel, build_wheels, installed_venv

ROOT = Path(__file__).resolve().parents[1]


def wheel_contents(wheel: Path) -> tuple[set[str], str, str]:
    """The wheel's file names, its METADATA, and its entry_points.txt ("" if none)."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        points = info.replace("METADATA", "entry_points.txt")
        entry_points = archive.read(points).decode() if points in names else ""
    return names, metadata, entry_points


def test_the_provider_wheel_ships_the_typed_package_and_no_emulator(tmp_path: Path) -> None:
    wheel = build_wheel(ROOT, ("pyproject.toml", "README.md", "LICENSE"), "provider", tmp_path)
    assert wheel.name.startswith("pulumi_quickchat-")
    names, metadata, entry_points = wheel_contents(wheel)
    for module in (
        "__init__",
        "_declaration",
        "client",
        "errors",
        "_settings",
        "_core",
        "conversation_rating",
    ):
        assert f"pulumi_quickchat/{module}.py" in names
    assert "pulumi_quickchat/py.typed" in names
    assert not any(name.startswith("pulumi_quickchat/emulator") for name in names)
    assert not any(name.startswith(("tests/", "examples/")) for name in names)
    assert "quickchat-emulator" not in entry_points
    assert "pulumi-resource-quickchat = pulumi_quickchat._plugin.server:main" in entry_points
    assert "pulumi_quickchat/pulumi-plugin.json" in names
    assert "Requires-Python: >=3.11" in metadata
    assert "License-Expression: Apache-2.0" in metadata


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the provider's wheel installed, as `pip install` installs it,
    then the native SDK's wheel beside it (`support.venvs`). What the Python language host
    and the engine make of it: tests/test_plugin_discovery.py."""
    root = tmp_path_factory.mktemp("installed")
    return installed_venv(root / "venv", build_wheels(root / "wheels"), sdk=True)


def test_the_installed_native_sdk_registers_the_version_of_the_plugin_it_pins(
    installed: Path,
) -> None:
    python = installed / "bin" / "python"
    # What the SDK registers each resource with, and what pip installed for its pin.
    imported = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata, pulumi_quickchat_native as sdk\n"
            "print(sdk.__file__)\n"
            "print(sdk._utilities.get_version())\n"
            "print(importlib.metadata.version('pulumi-quickchat'))\n"
            "print(importlib.metadata.requires('pulumi-quickchat-native'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    location, registered, plugin_distribution, requires = imported
    assert location.startswith(str(installed)), location  # the wheel's, not sdk/python
    assert registered == semver(__version__)
    assert plugin_distribution == __version__
    assert f"'pulumi-quickchat=={__version__}'" in requires
    # The plugin pulumi-quickchat installed answers with the version the SDK registers
    # (the engine asks for the one the SDK's pulumi-plugin.json names:
    # tests/test_plugin_discovery.py).
    with NativePlugin(installed_plugin(installed / "bin")) as plugin:
        assert plugin.process.args[0].startswith(str(installed))
        assert plugin.plugin_version() == registered


def test_the_installed_plugin_serves_the_lifecycle_import_and_the_function(
    installed: Path, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    with NativePlugin(installed_plugin(installed / "bin")) as plugin:
        assert plugin.process.args[0].startswith(str(installed))
        plugin.configure({"apiToken": secret(token), "baseUrl": admin.url})
        engine = Engine(plugin)
        requests_sent(admin)
        engine.up("ratings", {"convRatingActive": True})
        engine.refresh("ratings")
        assert plugin.invoke({})["convRatingActive"] is True
        engine.destroy("ratings")
        engine.import_("ratings", agent["scenario_id"])
        assert requests_sent(admin) == ["PATCH 200", "GET 200", "GET 200", "PATCH 200", "GET 200"]
        assert engine.state["ratings"].outputs["convRatingActive"] is False


def test_the_emulator_wheel_ships_its_typed_package_and_command(tmp_path: Path) -> None:
    files = ("pyproject.toml", "README.md", "LICENSE")
    wheel = build_wheel(ROOT / "emulator", files, "quickchat_emulator", tmp_path)
    assert wheel.name.startswith("quickchat_emulator-0.1.0-")
    names, metadata, entry_points = wheel_contents(wheel)
    modules = ("__init__", "__main__", "rules", "tokens", "faults", "server", "admin", "process")
    for module in modules:
        assert f"quickchat_emulator/{module}.py" in names
    assert "quickchat_emulator/py.typed" in names
    assert not any(name.startswith(("tests/", "pulumi_quickchat/")) for name in names)
    assert "quickchat-emulator = quickchat_emulator.__main__:main" in entry_points
    assert "Requires-Dist: requests" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "License-Expression: Apache-2.0" in metadata


def test_a_preview_never_imports_the_http_client() -> None:
    # Check and diff, all a preview runs, send nothing; requests (some 35 ms
    # of start-up in every program and plugin host) waits for the first call.
    preview = """
import sys
import pulumi_quickchat
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_quickchat import ConversationRatingConfigProvider

provider = ConversationRatingConfigProvider()
provider.configure(ConfigureRequest(Config({}, "project")))  # as the plugin host does first
inputs = {"conv_rating_active": True, "api_token": "a-token"}
checked = provider.check({}, inputs)
assert not checked.failures, checked.failures
provider.diff("agent", {**checked.inputs, "scenario_id": "agent"}, checked.inputs)
print(sorted({"requests", "urllib3"} & set(sys.modules)))
print(pulumi_quickchat.QuickchatClient.__name__, "requests" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", preview], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == ["[]", "QuickchatClient True"]


def test_a_type_checker_catches_a_misspelt_name_and_still_knows_the_client(
    tmp_path: Path,
) -> None:
    # The package ships py.typed; the lazy import of the client must not make
    # every attribute of the package look valid to users' type checkers.
    program = tmp_path / "program.py"
    program.write_text(
        "import pulumi_quickchat as quickchat\n"
        "from pulumi_quickchat import QuickchatClient\n"
        'quickchat.ConversationRatingConfg("ratings", conv_rating_active=True)\n'
        'QuickchatClient("token").get_configuration().conv_rating_activ\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stdout
    assert 'has no attribute "ConversationRatingConfg"' in result.stdout
    assert '"RatingConfiguration" has no attribute "conv_rating_activ"' in result.stdout


def _tracked_copy(source: Path, destination: Path) -> Path:
    """The repository's tracked files, as a fresh clone has them."""
    listed = subprocess.run(
        ["git", "-C", str(source), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_file():
            shutil.copy2(source / name, destination / name)
    return destination


@pytest.mark.parametrize("project", [".", "emulator", "sdk/python"])
def test_the_release_builds_pass_twine_check_and_the_sdist_ships_no_tests(
    project: str, tmp_path: Path
) -> None:
    # What .github/workflows/release.yml does: `python -m build`, then `twine check`.
    checkout = _tracked_copy(ROOT, tmp_path / "checkout")
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(checkout / project),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (sdist_path,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist_path), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    with tarfile.open(sdist_path) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    # The sdist ships no tests (they need the repository around them), and the
    # provider's ships its documentation and examples.
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    if project == ".":
        assert {"docs/reference.md", "examples/native/__main__.py", "CHANGELOG.md"} <= names
        assert not any(name.startswith("emulator/") for name in names)
        assert "provider/pulumi_quickchat/pulumi-plugin.json" in names
    wheel_names, metadata, _ = wheel_contents(wheel)
    assert "Description-Content-Type: text/markdown" in metadata
    assert "Project-URL" not in metadata  # none invented
    if project == "sdk/python":
        # What gen-sdk writes: no classifiers; the plugin pinned at this very version.
        assert f"Name: pulumi_quickchat_native\nVersion: {__version__}\n" in metadata
        assert f"Requires-Dist: pulumi-quickchat=={__version__}\n" in metadata
        assert "pulumi_quickchat_native/pulumi-plugin.json" in wheel_names
        assert any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_names)
        assert {"README.md", "LICENSE"} <= names
        return
    assert "Classifier: Typing :: Typed" in metadata
    assert "Classifier: Programming Language :: Python :: 3.13" in metadata


VERSION_FILES = (
    Path("provider/pulumi_quickchat/_version.py"),
    Path("emulator/quickchat_emulator/_version.py"),
)


def test_one_version_for_both_distributions_and_the_plugin(tmp_path: Path) -> None:
    from pulumi_quickchat._plugin.schema import SCHEMA
    from quickchat_emulator import __version__ as emulator_version

    assert __version__ == emulator_version
    # The engine's semver; each generated SDK's version follows it (tests/test_sdk.py).
    assert SCHEMA["version"] == semver(__version__)
    release = [sys.executable, str(ROOT / "scripts" / "check_release.py"), f"v{__version__}"]
    # Until CHANGELOG.md has this version's heading, the release check stops the tag ...
    checked = subprocess.run(release, capture_output=True, text=True)
    assert checked.returncode == 1
    assert f"CHANGELOG.md has no heading `## [{__version__}]`" in checked.stderr
    # ... and passes once it has one (as CONTRIBUTING.md's release steps make it).
    copy = _tracked_copy(ROOT, tmp_path / "checkout")
    changelog = copy / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## [Unreleased]", f"## [Unreleased]\n\n## [{__version__}]")
    )
    release[1] = str(copy / "scripts" / "check_release.py")
    assert subprocess.run(release, capture_output=True, text=True).returncode == 0
    release[2] = "v9.9.9"
    assert (
        "says 0.1.0, the tag v9.9.9"
        in subprocess.run(release, capture_output=True, text=True).stderr
    )


# What `pulumi package gen-sdk` writes the version into as semver (scripts/gen_sdk.py); the
# Python SDK's pyproject.toml carries it as PEP 440.
SDK_SEMVER_FILES = (
    Path("sdk/python/pulumi_quickchat_native/pulumi-plugin.json"),
    Path("sdk/nodejs/package.json"),
    Path("sdk/go/quickchat/pulumi-plugin.json"),
)


def _substitute(file: Path, pattern: str, replacement: str) -> None:
    text, count = re.subn(pattern, replacement, file.read_text(), flags=re.M)
    assert count, f"{pattern} is not in {file}"
    file.write_text(text)


def _release_copy(tmp_path: Path, version: str) -> Path:
    """A tracked copy as the release commit of `version` has it: both _version.py files
    and sdk/ (as scripts/gen_sdk.py writes it) at `version`, and its changelog heading."""
    copy = _tracked_copy(ROOT, tmp_path / "checkout")
    for path in VERSION_FILES:
        _substitute(copy / path, r'__version__ = "[^"]+"', f'__version__ = "{version}"')
    python_sdk = copy / "sdk" / "python" / "pyproject.toml"
    _substitute(python_sdk, r'^(\s*)version = "[^"]+"', rf'\1version = "{version}"')
    _substitute(python_sdk, r'"pulumi-quickchat==[^"]+"', f'"pulumi-quickchat=={version}"')
    try:
        engine = semver(version)
    except ValueError:
        engine = version  # no semver form, which check_release reports first
    for path in SDK_SEMVER_FILES:
        _substitute(copy / path, r'"version": "[^"]+"', f'"version": "{engine}"')
    _substitute(copy / "CHANGELOG.md", r"^## \[Unreleased\]", f"## [Unreleased]\n\n## [{version}]")
    return copy


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("0.2.0rc1", None),
        ("0.2.0.dev3", None),
        ("0.2.0.post1", "version '0.2.0.post1' has no semver form for the Pulumi engine"),
        ("0.2.0rc1.dev5", "version '0.2.0rc1.dev5' has no semver form for the Pulumi engine"),
    ],
)
def test_release_check_takes_a_pre_release_and_refuses_what_the_engine_cannot_read(
    tmp_path: Path, version: str, problem: str | None
) -> None:
    copy = _release_copy(tmp_path, version)
    release = [sys.executable, str(copy / "scripts" / "check_release.py"), f"v{version}"]
    checked = subprocess.run(release, capture_output=True, text=True)
    assert checked.returncode == (0 if problem is None else 1), checked.stderr
    assert (problem or "") in checked.stderr


# At 0.2.0rc1, whose semver (0.2.0-rc.1) differs from its PEP 440 form: each place gen-sdk
# writes the version, set as it would be had the SDKs not been regenerated (or written in
# the wrong form), and what it then holds.
@pytest.mark.parametrize(
    ("file", "generated", "edited", "found", "wanted"),
    [
        ("sdk/python/pyproject.toml", 'version = "0.2.0rc1"', 'version = "0.1.0"',
         "version 0.1.0", "0.2.0rc1"),
        ("sdk/python/pyproject.toml", '"pulumi-quickchat==0.2.0rc1"', '"pulumi-quickchat==0.1.0"',
         "requirement pulumi-quickchat==0.1.0", "pulumi-quickchat==0.2.0rc1"),
        ("sdk/python/pyproject.toml", '"pulumi-quickchat==0.2.0rc1", ', "",
         "requirement none", "pulumi-quickchat==0.2.0rc1"),
        ("sdk/python/pulumi_quickchat_native/pulumi-plugin.json", '"0.2.0-rc.1"', '"0.2.0rc1"',
         "version 0.2.0rc1", "0.2.0-rc.1"),
        ("sdk/nodejs/package.json", '"version": "0.2.0-rc.1",', '"version": "0.2.0rc1",',
         "version 0.2.0rc1", "0.2.0-rc.1"),
        ("sdk/nodejs/package.json", '"version": "0.2.0-rc.1"\n', '"version": "0.1.0"\n',
         "pulumi.version 0.1.0", "0.2.0-rc.1"),
        ("sdk/go/quickchat/pulumi-plugin.json", '"0.2.0-rc.1"', '"0.1.0"',
         "version 0.1.0", "0.2.0-rc.1"),
    ],
)  # fmt: skip
def test_release_check_refuses_an_sdk_out_of_step_naming_the_file_and_the_fix(
    tmp_path: Path, file: str, generated: str, edited: str, found: str, wanted: str
) -> None:
    copy = _release_copy(tmp_path, "0.2.0rc1")
    release = [sys.executable, str(copy / "scripts" / "check_release.py"), "v0.2.0rc1"]
    passed = subprocess.run(release, capture_output=True, text=True)
    assert passed.returncode == 0, passed.stderr
    _substitute(copy / file, re.escape(generated), edited)
    refused = subprocess.run(release, capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"check_release: {file} has {found}, where provider/pulumi_quickchat/_version.py "
        f"(0.2.0rc1) wants {wanted}: run `make sdk` and commit sdk/"
    ]
