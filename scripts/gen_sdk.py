"""Generate the SDKs under sdk/ from the native plugin's schema, as real providers do.

    python scripts/gen_sdk.py           # rewrite sdk/python, sdk/nodejs, sdk/go
    python scripts/gen_sdk.py --check   # generate into a temporary folder; exit 1 on any difference

`pulumi package gen-sdk` of the real CLI (scripts/build_cli.sh) asks the plugin
`pulumi-resource-quickchat` beside this interpreter for its schema (GetSchema), and each
language host for the package (GeneratePackage). The hosts are those of the codegen-bin
folder build_cli.sh makes: Python's real one, and scripts/codegen_host for Node.js and Go
(CONTRIBUTING.md says why). Everything under
sdk/python, sdk/nodejs and sdk/go is generated; sdk/go.mod is not (the Go module holding
sdk/go/quickchat, as pulumi-random keeps sdk/go.mod).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDK = ROOT / "sdk"
LANGUAGES = ("python", "nodejs", "go")
PLUGIN = Path(sys.executable).parent / "pulumi-resource-quickchat"


def codegen_bin() -> Path:
    """build_cli.sh's codegen-bin folder: `pulumi` and a host for each of the three languages."""
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_cli.sh")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return Path(built.stdout.strip()).parent / "codegen-bin"


def generate(out: Path) -> None:
    """Each SDK into out/<language>, from the plugin's schema."""
    folder = codegen_bin()
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "PATH": os.pathsep.join([str(folder), os.environ.get("PATH", "")]),
            "PULUMI_HOME": home,  # no plugin cache or login of the machine's own
            "PULUMI_SKIP_UPDATE_CHECK": "1",
        }
        for language in LANGUAGES:
            subprocess.run(
                [
                    folder / "pulumi",
                    "package",
                    "gen-sdk",
                    PLUGIN,
                    "--language",
                    language,
                    "--out",
                    out,
                ],
                check=True,
                env=env,
                cwd=out,
                stdout=subprocess.DEVNULL,
            )
    # What gen-sdk leaves to the provider's build, which Pulumi's provider Makefiles copy
    # in: the Python SDK's PyPI page (its pyproject.toml reads README.md) and licence.
    shutil.copy(ROOT / "docs" / "pypi.md", out / "python" / "README.md")
    shutil.copy(ROOT / "LICENSE", out / "python" / "LICENSE")


def checked_in(language: str) -> set[str]:
    """sdk/<language>'s files as git sees them: an editable install's egg-info and
    node_modules are ignored by the generated .gitignore files."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", f"sdk/{language}"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout.splitlines()
    return {name for name in listed if (ROOT / name).is_file()}


def differences(fresh: Path) -> list[str]:
    """Every file in sdk/ or in fresh alone, or in both with other bytes."""
    found: list[str] = []
    for language in LANGUAGES:
        held = checked_in(language)
        made = {
            str(path.relative_to(fresh.parent))
            for path in (fresh / language).rglob("*")
            if path.is_file()
        }
        found += [f"not generated: {name}" for name in sorted(held - made)]
        found += [f"generated, not in sdk/: {name}" for name in sorted(made - held)]
        found += [
            f"differs: {name}"
            for name in sorted(held & made)
            if (ROOT / name).read_bytes() != (fresh.parent / name).read_bytes()
        ]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with sdk/; write nothing")
    args = parser.parse_args()
    if not args.check:
        generate(SDK)
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "sdk"
        generate(fresh)
        found = differences(fresh)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(
            "sdk/ is not what the schema generates: run `make sdk` and commit the result",
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
