"""What `pip install .` ships: built offline from a copy of the source, then inspected."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_the_typed_package_the_emulator_and_its_command(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "provider",
        source / "provider",
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
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("pulumi_quickchat-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(info).decode()
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    for module in ("__init__", "client", "errors", "_settings", "_core", "conversation_rating"):
        assert f"pulumi_quickchat/{module}.py" in names
    assert "pulumi_quickchat/py.typed" in names
    for module in ("__main__", "models", "server", "admin"):
        assert f"pulumi_quickchat/emulator/{module}.py" in names
    assert not any(name.startswith(("tests/", "examples/")) for name in names)
    assert "quickchat-emulator = pulumi_quickchat.emulator.__main__:main" in entry_points
    assert "Requires-Python: >=3.11" in metadata
    assert "License-Expression: Apache-2.0" in metadata


def test_a_preview_never_imports_the_http_client() -> None:
    # Check and diff, all a preview runs, send nothing; requests (some 35 ms
    # of start-up in every program and plugin host) waits for the first call.
    preview = """
import sys
import pulumi_quickchat
from pulumi_quickchat import ConversationRatingConfigProvider

provider = ConversationRatingConfigProvider()
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
