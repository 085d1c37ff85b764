"""The README's code blocks are run, so they cannot rot.

Each Python block is a program of its own: written into a fresh project and
run by `support.mock_engine` (its resources go through the real plugin host
to the emulator), then destroyed. Shell blocks name make targets and paths
that must exist; YAML blocks must parse into what they claim.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of
from support.plugins import Plugin
from support.program import ProgramStack

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README) if lang == language]


def python_block_id(body: str) -> str:
    first = next(line for line in body.splitlines() if "quickchat" in line and "import" not in line)
    return first.strip()[:50]


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    assert len(blocks("python")) >= 5
    assert blocks("sh") and blocks("yaml")


@pytest.mark.parametrize("body", blocks("python"), ids=python_block_id)
def test_each_python_block_runs_against_the_emulator(
    body: str,
    tmp_path: Path,
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
    start_plugin: Callable[..., Plugin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the blocks take from their stack config and environment.
    support, sales = admin.create_agent(), admin.create_agent()
    monkeypatch.setenv("QUICKCHAT_API_TOKEN", token)
    monkeypatch.setenv("QUICKCHAT_API_BASE_URL", admin.url)
    project = tmp_path / "readme"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: readme\nruntime: python\n")
    (project / "__main__.py").write_text(body)
    stack = ProgramStack(
        project / "Pulumi.yaml",
        start_plugin=start_plugin,
        config={
            "quickchat:apiToken": token,
            "quickchat:baseUrl": admin.url,
            "readme:supportToken": support["tokens"]["write_all"],
            "readme:salesToken": sales["tokens"]["write_all"],
            "readme:reportingToken": agent["tokens"]["read_all"],
        },
        secret_keys={
            "quickchat:apiToken",
            "readme:supportToken",
            "readme:salesToken",
            "readme:reportingToken",
        },
    )

    run = stack.up()

    for name, state in stack.state.items():
        assert config_of(admin, state.id)["conv_rating_active"] is True, name
    if "update_configuration(" in body:
        assert config_of(admin, agent["scenario_id"])["conv_rating_active"] is True
    if "rating_on" in body:
        assert run.outputs["rating_on"] is False  # the agent as it is: untouched
    stack.destroy()
    assert stack.state == {}


def test_each_shell_block_names_make_targets_and_paths_that_exist() -> None:
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    for body in blocks("sh"):
        for line in body.splitlines():
            command = line.split("#", 1)[0].strip()
            if not command:
                continue
            words = shlex.split(command)
            if words[0] == "make":
                assert set(words[1:]) <= targets, line
            if words[0] == "cd":
                assert (ROOT / words[1]).is_dir(), line
            for word in words:
                if word.startswith(("tests/", "examples/", "scripts/", "benchmarks/")):
                    assert (ROOT / word).exists(), line


def test_each_yaml_block_is_the_pulumi_option_it_claims() -> None:
    for body in blocks("yaml"):
        assert yaml.safe_load(body) == {"options": {"refresh": "always"}}
