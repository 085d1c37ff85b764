"""Virtualenvs with this repository's distributions installed as `pip install` installs them.

No package index is reachable in the tests, so the wheels are built offline from a copy
of the source (`build_wheel`) and installed with `pip install --no-index`; their
dependencies (pulumi, requests, semver and theirs) come from the test environment, each
linked into a folder of its own that a path file puts on the new virtualenv's
`sys.path`. Only those distributions are linked, the transitive closure of what the
wheels require, so `pip list` in the new virtualenv shows what a user's shows after
`pip install pulumi-quickchat`: not this repository's editable installs, nor the test
tools.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def build_wheel(project: Path, files: tuple[str, ...], package_dir: str, out: Path) -> Path:
    """Build `project`'s wheel offline from a copy of `files` and `package_dir`."""
    source = out / "source"
    source.mkdir(parents=True)
    for name in files:
        shutil.copy(project / name, source / name)
    shutil.copytree(
        project / package_dir,
        source / package_dir,
        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out / "dist"),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = (out / "dist").glob("*.whl")
    return wheel


@dataclass(frozen=True)
class Wheels:
    """The wheels of `pulumi-quickchat` (provider) and `pulumi-quickchat-native` (sdk)."""

    provider: Path
    sdk: Path


def build_wheels(out: Path) -> Wheels:
    provider = build_wheel(ROOT, ("pyproject.toml", "README.md", "LICENSE"), "provider", out)
    sdk = build_wheel(
        ROOT / "sdk" / "python", ("pyproject.toml",), "pulumi_quickchat_native", out / "sdk"
    )
    return Wheels(provider, sdk)


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.lower())


def _requires(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist lines."""
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
    return re.findall(r"^Requires-Dist: (.+)$", metadata, re.MULTILINE)


def _dependencies(wheels: list[Path]) -> dict[str, Distribution]:
    """Every distribution of the test environment the wheels need, directly or not,
    leaving out the wheels' own."""
    ours: set[str] = set()
    wanted: list[str] = []
    for wheel in wheels:
        ours.add(_normalize(wheel.name.split("-", 1)[0]))
        wanted += _requires(wheel)
    found: dict[str, Distribution] = {}
    while wanted:
        requirement = Requirement(wanted.pop())
        name = _normalize(requirement.name)
        if name in ours or name in found:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        try:
            found[name] = distribution(requirement.name)
        except PackageNotFoundError:
            raise AssertionError(f"the test environment lacks {requirement}") from None
        wanted += found[name].requires or []
    return found


def _link_dependencies(wheels: list[Path], folder: Path) -> None:
    """Link each dependency's files (its packages, modules and .dist-info) into `folder`."""
    folder.mkdir()
    for dist in _dependencies(wheels).values():
        site = Path(str(dist.locate_file("")))
        for file in dist.files or []:
            top = file.parts[0]
            target = folder / top
            if top == ".." or top == "__pycache__" or target.exists():
                continue
            if (site / top).exists():
                target.symlink_to(site / top)


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def installed_venv(venv: Path, wheels: Wheels, *, sdk: bool) -> Path:
    """A fresh virtualenv at `venv` with the provider's wheel installed and, with `sdk`, the
    native SDK's wheel beside it, as a user's `pip install pulumi-quickchat-native` does:
    dependencies resolved, so its pin on pulumi-quickchat must be met by the provider's
    wheel, or pip refuses."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = python_of(venv)
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    installing = [wheels.provider, wheels.sdk] if sdk else [wheels.provider]
    dependencies = venv.parent / f"{venv.name}-dependencies"
    _link_dependencies(installing, dependencies)
    (Path(site_packages) / "dependencies.pth").write_text(f"{dependencies}\n")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-index"]
    subprocess.run([*pip, "--no-deps", str(wheels.provider)], check=True, timeout=300)
    if sdk:
        subprocess.run([*pip, str(wheels.sdk)], check=True, timeout=300)
    return venv


def plugin_json_of(venv: Path, package: str) -> Path:
    """The pulumi-plugin.json beside `package`'s `__init__.py`, as installed in `venv`."""
    location = subprocess.run(
        [
            str(python_of(venv)),
            "-c",
            f"import {package}, os; print(os.path.dirname({package}.__file__))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(location) / "pulumi-plugin.json"
