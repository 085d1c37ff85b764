"""Nothing in the repository cites a file of its own that does not exist.

Code, docs and tests name each other by path ("tests/test_native.py checks ..."),
and by test-support module (`support.engine`); a file renamed or removed leaves
such a citation pointing nowhere, which a reader then looks for in vain. Paths in
pulumi/pulumi's source (`pkg/...`, `sdk/go/...`), which the code cites as the
engine it follows, are not this repository's and are not checked; nor is the
generated code under sdk/, which cites nothing of ours, nor what a build makes and git
ignores (examples/go/bin), nor this file, whose negative control cites the missing.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This repository's own top-level folders: a path starting with one is ours.
OURS = ("tests", "docs", "provider", "scripts", "examples", "benchmarks", "emulator", ".github")
CITED_PATH = re.compile(
    r"(?<![\w./-])((?:" + "|".join(re.escape(top) for top in OURS) + r")/[\w./-]*[\w/])"
)
CITED_SUPPORT = re.compile(r"(?<![\w.])support\.(\w+)")
# Upstream paths that begin like ours: pulumi/pulumi's own test folders.
UPSTREAM = ("tests/testprovider-py", "tests/integration")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    files = []
    for name in filter(None, listed):
        path = ROOT / name
        if name.startswith("sdk/") or name == "tests/test_citations.py" or not path.is_file():
            continue
        if path.suffix in {".py", ".md", ".yml", ".yaml", ".sh", ".toml", ".go", ".ts", ".in"} or (
            path.name in {"Makefile", "run"}
        ):
            files.append(path)
    return files


def citations() -> list[tuple[str, str]]:
    """(where, what) for every path or support module cited."""
    found = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        where = str(path.relative_to(ROOT))
        for match in CITED_PATH.finditer(text):
            cited = match.group(1).rstrip(".")
            if "*" in cited or cited.startswith(UPSTREAM):
                continue
            found.append((where, cited))
        if path.suffix == ".py" and where.startswith("tests/"):
            found += [(where, f"support.{m.group(1)}") for m in CITED_SUPPORT.finditer(text)]
    return found


def exists(cited: str) -> bool:
    if cited.startswith("support."):
        module = cited.removeprefix("support.")
        return (ROOT / "tests" / "support" / f"{module}.py").is_file()
    return (ROOT / cited).exists() or _built(cited)


def _built(cited: str) -> bool:
    """A build's output, which git ignores: present only once built."""
    # As a file, or as a folder (`bin/` in a .gitignore matches only a path ending in /).
    for path in (cited, f"{cited}/"):
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT)
        if ignored.returncode == 0:
            return True
    return False


def test_every_file_the_repository_cites_exists() -> None:
    missing = sorted({f"{where}: {cited}" for where, cited in citations() if not exists(cited)})
    assert missing == []


def test_the_citation_check_finds_a_missing_file(tmp_path: Path) -> None:
    # The negative control: the patterns do catch each kind of citation.
    text = "see tests/test_native_schema.py and `support.mock_engine`, as docs/reference.md says."
    paths = [m.group(1).rstrip(".") for m in CITED_PATH.finditer(text)]
    modules = [f"support.{m.group(1)}" for m in CITED_SUPPORT.finditer(text)]
    assert paths == ["tests/test_native_schema.py", "docs/reference.md"]
    assert modules == ["support.mock_engine"]
    assert [exists(c) for c in [*paths, *modules]] == [False, True, False]
