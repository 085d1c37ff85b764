"""Before a release: the tag names the version pulumi-quickchat and quickchat-emulator carry,
the generated SDKs under sdk/ carry it too (pulumi-quickchat-native pinning the same
pulumi-quickchat), the changelog has it, and the Pulumi engine can read it.

    python scripts/check_release.py v0.1.0      # or a pre-release: v0.2.0rc1

Run by .github/workflows/release.yml on the pushed tag; exits 1 naming what is out of step.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
VERSION_FILES = (
    ROOT / "provider" / "pulumi_quickchat" / "_version.py",
    ROOT / "emulator" / "quickchat_emulator" / "_version.py",
)


def version_in(path: Path) -> str:
    match = re.search(r'^__version__ = "([^"]+)"$', path.read_text(encoding="utf-8"), re.M)
    if match is None:
        raise SystemExit(f"{path.relative_to(ROOT)} sets no __version__")
    return match[1]


def version_module(root: Path) -> ModuleType:
    """The provider's _version.py, loaded alone: it converts the version for the engine."""
    path = root / VERSION_FILES[0].relative_to(ROOT)
    spec = importlib.util.spec_from_file_location("_release_version", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Where `pulumi package gen-sdk` (scripts/gen_sdk.py) writes the schema's version into sdk/:
# PEP 440 in the Python SDK's pyproject.toml, which pip reads, and semver where the engine
# reads it. Each JSON file, and the dotted path to its version.
PYTHON_SDK = "sdk/python/pyproject.toml"
SEMVER_FIELDS = (
    ("sdk/python/pulumi_quickchat_native/pulumi-plugin.json", "version"),
    ("sdk/nodejs/package.json", "version"),
    ("sdk/nodejs/package.json", "pulumi.version"),
    ("sdk/go/quickchat/pulumi-plugin.json", "version"),
)
REGENERATE = "run `make sdk` and commit sdk/"


def json_field(path: Path, dotted: str) -> object:
    value = json.loads(path.read_text(encoding="utf-8"))
    for key in dotted.split("."):
        value = value[key]
    return value


def sdk_problems(root: Path) -> list[str]:
    """Where sdk/ disagrees with _version.py, whose version the schema carries. The Python
    SDK, pulumi-quickchat-native, must also pin the pulumi-quickchat that ships its plugin."""
    version_file = VERSION_FILES[0].relative_to(ROOT)
    version = version_in(root / version_file)
    try:
        engine = version_module(root).semver(version)
    except ValueError:
        return []  # problems() reports it, for the tag's version
    project = tomllib.loads((root / PYTHON_SDK).read_text(encoding="utf-8"))["project"]
    pins = [
        requirement
        for requirement in project["dependencies"]
        if re.match(r"pulumi[-_.]quickchat(?![-_.\w])", requirement)
    ]
    carried = [
        (PYTHON_SDK, "version", project["version"], version),
        (PYTHON_SDK, "requirement", " and ".join(pins) or "none", f"pulumi-quickchat=={version}"),
    ]
    carried += [
        (path, field, json_field(root / path, field), engine) for path, field in SEMVER_FIELDS
    ]
    return [
        f"{path} has {field} {found}, where {version_file} ({version}) wants {wanted}: "
        + REGENERATE
        for path, field, found, wanted in carried
        if found != wanted
    ]


def problems(tag: str, root: Path = ROOT) -> list[str]:
    version = tag.removeprefix("v")
    found = []
    # The native SDK and plugin send this as semver; the engine refuses what is not.
    try:
        version_module(root).semver(version)
    except ValueError as error:
        found.append(str(error))
    for path in VERSION_FILES:
        path = root / path.relative_to(ROOT)
        if (carried := version_in(path)) != version:
            found.append(f"{path.relative_to(root)} says {carried}, the tag {tag}")
    found += sdk_problems(root)
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    if not re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M):
        found.append(f"CHANGELOG.md has no heading `## [{version}]`: move [Unreleased] under it")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not re.fullmatch(r"v\d+\.\d+\.\d+\S*", argv[1]):
        print("usage: check_release.py vX.Y.Z[aN|bN|rcN|.devN]", file=sys.stderr)
        return 2
    found = problems(argv[1])
    for problem in found:
        print(f"check_release: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
