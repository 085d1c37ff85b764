"""Every code block in the documentation runs, or names what exists, so none can rot.

The documents: the README, CONTRIBUTING.md, everything under docs/, and the
emulator's README. Each Python block is a program of its own, written into a
fresh project and run by `support.program` (its resources go through the real
plugins to the emulator), then destroyed; a block that sets up Pulumi's mocks
itself is a unit test, and runs as a script. Shell blocks name make targets and
paths that exist; YAML blocks are the Pulumi option, plugin line, Pulumi YAML
program or GitHub workflow they claim to be, and the workflows pass actionlint
and zizmor; TOML blocks are the file they show.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_quickchat._plugin.schema import SCHEMA
from quickchat_emulator import AgentJson, EmulatorAdmin

from support.checks import config_of
from support.plugins import Plugin
from support.program import ProgramStack

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    ROOT / "emulator" / "README.md",
]
BLOCK = re.compile(r"^ *```(\w+)\n(.*?)^ *```", re.MULTILINE | re.DOTALL)
BIN = Path(sys.executable).parent


def _dedent(body: str) -> str:
    """A block inside a list item is indented with it."""
    lines = body.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines) + "\n"


def blocks(language: str) -> list[tuple[Path, str]]:
    return [
        (document, _dedent(body))
        for document in DOCUMENTS
        for lang, body in BLOCK.findall(document.read_text(encoding="utf-8"))
        if lang == language
    ]


def block_id(block: tuple[Path, str]) -> str:
    document, body = block
    first = next(
        (
            line
            for line in body.splitlines()
            if line.strip() and not line.startswith(("import", "from", "#"))
        ),
        body.splitlines()[0],
    )
    return f"{document.relative_to(ROOT)}: {first.strip()[:40]}"


def test_the_documents_have_the_blocks_this_test_runs() -> None:
    assert len(blocks("python")) >= 8
    assert blocks("sh") and blocks("yaml") and blocks("toml")


@pytest.mark.parametrize("block", blocks("python"), ids=block_id)
def test_each_python_block_runs_against_the_emulator(
    block: tuple[Path, str],
    tmp_path: Path,
    admin: EmulatorAdmin,
    agent: AgentJson,
    token: str,
    start_plugin: Callable[..., Plugin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, body = block
    if "set_mocks" in body:
        # A unit test with Pulumi's mocks: no engine, no plugin, no network.
        script = tmp_path / "unit_test.py"
        script.write_text(body)
        result = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert admin.request_log() == []
        return
    # What the blocks take from their stack config and environment, as a user
    # would give them to `pulumi up`.
    support, sales = admin.create_agent(), admin.create_agent()
    environment = {"QUICKCHAT_API_TOKEN": token, "QUICKCHAT_API_BASE_URL": admin.url}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    project = tmp_path / "docs"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: docs\nruntime: python\n")
    (project / "__main__.py").write_text(body)
    secrets = {
        "quickchat:apiToken": token,
        "docs:supportToken": support["tokens"]["write_all"],
        "docs:salesToken": sales["tokens"]["write_all"],
        "docs:reportingToken": agent["tokens"]["read_all"],
    }
    stack = ProgramStack(
        project / "Pulumi.yaml",
        start_plugin=lambda kind: start_plugin(kind, environment),
        config={**secrets, "quickchat:baseUrl": admin.url},
        secret_keys=set(secrets),
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


MAKE_TARGETS = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
REPOSITORY_PATHS = (
    "tests/",
    "examples/",
    "scripts/",
    "benchmarks/",
    "emulator/",
    "docs/",
    ".venv/",
)


@pytest.mark.parametrize("block", blocks("sh"), ids=block_id)
def test_each_shell_block_names_make_targets_and_paths_that_exist(
    block: tuple[Path, str],
) -> None:
    document, body = block
    for line in body.splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command or command.startswith("#"):
            continue
        words = shlex.split(command)
        if words[0] == "make":
            assert set(words[1:]) <= MAKE_TARGETS, line
        if words[0] == "cd":
            assert (ROOT / words[1]).is_dir(), line
        for word in words:
            if word.startswith(REPOSITORY_PATHS) and document.parent == ROOT:
                assert (ROOT / word).exists(), line


def _plugin_line(document: dict[str, object]) -> None:
    plugins = document["plugins"]
    assert isinstance(plugins, dict)
    (entry,) = plugins["providers"]
    assert entry["name"] == "quickchat" and str(entry["path"]).endswith("bin")


def _yaml_program(document: dict[str, object]) -> None:
    resources = document["resources"]
    assert isinstance(resources, dict)
    for resource in resources.values():
        schema = SCHEMA["resources"][resource["type"]]
        assert set(resource["properties"]) <= set(schema["inputProperties"])
    for expression in dict(document.get("outputs") or {}).values():
        name, output = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", str(expression)).groups()  # type: ignore[union-attr]
        assert output in SCHEMA["resources"][resources[name]["type"]]["properties"]


def _workflow(body: str, tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "docs.yml").write_text(body)
    for command in (
        [str(BIN / "actionlint"), str(workflows / "docs.yml")],
        [str(BIN / "zizmor"), "--offline", "--quiet", str(workflows)],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("block", blocks("yaml"), ids=block_id)
def test_each_yaml_block_is_what_it_claims(block: tuple[Path, str], tmp_path: Path) -> None:
    _, body = block
    document = yaml.safe_load(body)
    if "options" in document:
        assert document == {"options": {"refresh": "always"}}
    elif "plugins" in document:
        _plugin_line(document)
    elif "resources" in document:
        _yaml_program(document)
    else:
        assert "jobs" in document, "a YAML block this test does not know"
        _workflow(body, tmp_path)


@pytest.mark.parametrize("block", blocks("toml"), ids=block_id)
def test_each_toml_block_is_the_shipped_file_it_shows(block: tuple[Path, str]) -> None:
    # The file's own opening comment aside, the block is the file.
    _, body = block
    shipped = (ROOT / "examples" / "fleet" / "agents.toml").read_text(encoding="utf-8")
    assert shipped.endswith(body)


def test_the_pypi_pages_hold_no_relative_links_and_no_checkout_commands() -> None:
    # What PyPI shows: it could follow neither a relative link nor a `make`.
    for page in (ROOT / "docs" / "pypi.md", ROOT / "emulator" / "README.md"):
        text = page.read_text(encoding="utf-8")
        links = re.findall(r"\]\(([^)]+)\)", text)
        assert [link for link in links if not link.startswith("https://")] == [], page
        for checkout_only in ("make ", ".venv", "examples/", "./emulator", "-e ."):
            assert checkout_only not in text, (page, checkout_only)
