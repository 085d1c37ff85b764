"""`make cli` (scripts/build_cli.sh): the real Python language host beside `pulumi`.

The host is built from the source kept in ../shared/vendor/pulumi-language-python,
beside this repository in its CI; a checkout elsewhere has none, and then `make cli`
says so in one line (keeping a host an earlier build left in the cache) and builds the
rest. Both runs reuse the CLI's cache: the build
itself is measured in CONTRIBUTING.md, not here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.cli import BUILD_CLI, CLI, Cli, cli_env, pinned_bin, requires_cli

ROOT = Path(__file__).resolve().parents[1]
VENDORED = ROOT.parent / "shared" / "vendor" / "pulumi-language-python"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true")


def build(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=1800, check=True
    )


@pytest.mark.skipif(
    not VENDORED.is_dir() and not IN_CI,
    reason=f"no Python language host source at {VENDORED} (this project's CI keeps it there)",
)
def test_make_cli_puts_the_real_python_host_beside_pulumi_at_the_clis_version() -> None:
    bin_dir = Path(build(BUILD_CLI).stdout.strip())
    assert bin_dir == pinned_bin()
    host = bin_dir / "pulumi-language-python"
    # The host finds its executor beside itself (its main.go, `main`).
    assert (bin_dir / "pulumi-language-python-exec").is_file()
    printed = subprocess.run([host, "--version"], capture_output=True, text=True, check=True)
    cli = subprocess.run([bin_dir / "pulumi", "version"], capture_output=True, text=True)
    assert printed.stdout.strip() == cli.stdout.strip()


@requires_cli()
def test_the_cli_takes_the_python_host_beside_it_without_a_warning(tmp_path: Path) -> None:
    assert CLI is not None
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {"name": "host", "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}}}
        )
    )
    (project / "__main__.py").write_text("import pulumi\npulumi.export('ran', True)\n")
    cli = Cli(project, cli_env(tmp_path))
    cli("login", cli.env["PULUMI_BACKEND_URL"])
    cli("stack", "init", "dev", "--secrets-provider", "passphrase")
    up = cli("up", "--yes", "--non-interactive", "--skip-preview")
    assert "ran: true" in up.stdout
    about = cli("about")
    assert "using pulumi-language-python from $PATH" not in up.stdout + up.stderr + about.stderr
    assert f"executable='{sys.prefix}/bin/python'" in about.stdout


@pytest.mark.parametrize("host_built_earlier", [False, True], ids=["no-host", "host-in-cache"])
def test_make_cli_without_the_host_source_says_so_in_one_line(
    tmp_path: Path, host_built_earlier: bool
) -> None:
    built = pinned_bin()
    if not built.joinpath("pulumi").is_file():
        pytest.skip("the CLI is not built yet: this reuses its cache, it does not build it")
    # A checkout with nothing beside it: the script and the codegen host it builds.
    scripts = tmp_path / "checkout" / "scripts"
    shutil.copytree(ROOT / "scripts" / "codegen_host", scripts / "codegen_host")
    shutil.copy(BUILD_CLI, scripts / "build_cli.sh")
    # A cache of its own, hard links to the built CLI, with or without an earlier host.
    cache = tmp_path / "cache"
    bin_dir = cache / built.parent.name / "bin"
    bin_dir.mkdir(parents=True)
    wanted = ["pulumi", "pulumi-language-yaml", "pulumi-resource-pulumi-python"]
    wanted += ["pulumi-language-python-exec"]
    if host_built_earlier:
        wanted.append("pulumi-language-python")
    for name in wanted:
        os.link(built / name, bin_dir / name)
    result = subprocess.run(
        ["bash", str(scripts / "build_cli.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        env={**os.environ, "PULUMI_QUICKCHAT_CLI_CACHE": str(cache)},
    )
    assert result.stdout.strip() == str(bin_dir)
    about_the_host = [line for line in result.stderr.splitlines() if "Python language host" in line]
    source = f"{tmp_path}/shared/vendor/pulumi-language-python"
    if host_built_earlier:
        expected = (
            f"make cli: no Python language host source at {source} to rebuild it from; "
            f"keeping the one built earlier in {bin_dir}"
        )
    else:
        expected = (
            f"make cli: no Python language host built (no source at {source}); for Python "
            "programs install the Pulumi CLI the official way: https://www.pulumi.com/docs/install/"
        )
    assert about_the_host == [expected]
    # The codegen folder carries the real host exactly where the cache holds one.
    codegen_host = cache / built.parent.name / "codegen-bin" / "pulumi-language-python"
    assert codegen_host.exists() == host_built_earlier
