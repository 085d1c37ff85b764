"""Before a release: the tag names the version both distributions carry, and the changelog has it.

    python scripts/check_release.py v0.1.0

Run by .github/workflows/release.yml on the pushed tag; exits 1 naming what is out of step.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

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


def problems(tag: str, root: Path = ROOT) -> list[str]:
    version = tag.removeprefix("v")
    found = []
    for path in VERSION_FILES:
        path = root / path.relative_to(ROOT)
        if (carried := version_in(path)) != version:
            found.append(f"{path.relative_to(root)} says {carried}, the tag {tag}")
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    if not re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M):
        found.append(f"CHANGELOG.md has no heading `## [{version}]`: move [Unreleased] under it")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not re.fullmatch(r"v\d+\.\d+\.\d+", argv[1]):
        print("usage: check_release.py vX.Y.Z", file=sys.stderr)
        return 2
    found = problems(argv[1])
    for problem in found:
        print(f"check_release: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
