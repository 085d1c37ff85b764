"""Before a release: the tag names the version both distributions carry, the changelog has
it, and the Pulumi engine can read it.

    python scripts/check_release.py v0.1.0      # or a pre-release: v0.2.0rc1

Run by .github/workflows/release.yml on the pushed tag; exits 1 naming what is out of step.
"""

from __future__ import annotations

import importlib.util
import re
import sys
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
