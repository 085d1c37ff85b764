"""What Pulumi's Python language host concludes about the installed packages.

The engine asks the language host which resource plugins a program needs
(`GetRequiredPackages`), then looks for each and tries to download the ones
it cannot find. This module repeats that decision in Python, from the host's
Go source at pulumi/pulumi 3.260.0-dev (commit 1b5949891b3c, 2026-08-21; the
`importlib` lookup is the same since CLI 3.226.0),
`sdk/python/cmd/pulumi-language-python/main.go`:

- `listPulumiPackageInfos`: every installed distribution (`pip list --format
  json`, names normalized as `normalizePythonPackageName` does) counts if it
  ships a `pulumi-plugin.json` or its name starts with `pulumi-`, except
  `pulumi-policy` and `pulumi-esc-sdk`;
- `pulumiPluginJSONPathsScript`, copied verbatim below, finds each one's
  `pulumi-plugin.json` beside its top package's `__init__.py`;
- `packageDependencyFromPluginJSON`: a file whose `resource` is false (or
  absent) needs no plugin; otherwise the plugin is the file's `name` and
  `version`, defaulting to the distribution's name without `pulumi-` and its
  version.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# sdk/python/cmd/pulumi-language-python/main.go, `packagesWithoutPlugins`.
PACKAGES_WITHOUT_PLUGINS = {"pulumi-policy", "pulumi-esc-sdk"}

# sdk/python/cmd/pulumi-language-python/main.go, `pulumiPluginJSONPathsScript`
# (run as `python -c SCRIPT NAME...` with the program's Python), verbatim.
PULUMI_PLUGIN_JSON_PATHS_SCRIPT = """import importlib.metadata, importlib.util, os, sys, json
result = {}
for pkg_name in sys.argv[1:]:
\ttry:
\t\tdist = importlib.metadata.distribution(pkg_name)
\t\tmodule = dist.metadata['Name'].replace('-', '_')
\t\tspec = importlib.util.find_spec(module)
\t\tlocs = list(spec.submodule_search_locations or []) if spec else []
\t\tfound = [p for l in locs for p in [os.path.join(str(l), 'pulumi-plugin.json')] if os.path.isfile(p)]
\t\tresult[pkg_name] = found[0] if found else ''
\texcept Exception:
\t\tresult[pkg_name] = ''
print(json.dumps(result))"""


@dataclass(frozen=True)
class RequiredPlugin:
    """A resource plugin the engine would look for, and download if it cannot find it."""

    package: str
    name: str
    version: str


def _normalize(name: str) -> str:
    # sdk/python/toolchain/toolchain.go, `normalizePythonPackageName`.
    return re.sub(r"[-_.]+", "-", name.lower())


def _semver(version: str) -> str:
    # main.go `determinePluginVersion`, for the plain releases this project makes.
    parts = version.split(".")
    return "v" + ".".join(parts + ["0"] * (3 - len(parts)))


def required_plugins(python: Path) -> list[RequiredPlugin]:
    """The resource plugins the language host reports for the environment of `python`."""
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    packages = {_normalize(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    found = subprocess.run(
        [str(python), "-c", PULUMI_PLUGIN_JSON_PATHS_SCRIPT, *packages],
        capture_output=True,
        text=True,
        check=True,
    )
    plugin_json_paths: dict[str, str] = json.loads(found.stdout)
    plugins = []
    for name, version in packages.items():
        if name in PACKAGES_WITHOUT_PLUGINS:
            continue
        path = plugin_json_paths.get(name, "")
        plugin_json = json.loads(Path(path).read_text(encoding="utf-8")) if path else None
        if plugin_json is None and not name.startswith("pulumi-"):
            continue
        if plugin_json is not None and not plugin_json.get("resource", False):
            continue
        plugin_json = plugin_json or {}
        plugin_name = plugin_json.get("name") or name.removeprefix("pulumi-")
        plugin_version = plugin_json.get("version") or _semver(version)
        if not plugin_version.startswith("v"):
            plugin_version = "v" + plugin_version
        plugins.append(RequiredPlugin(name, plugin_name, plugin_version))
    return plugins
