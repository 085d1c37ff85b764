"""The one version of this package (PEP 440, as PyPI and pip read it), and the engine's.

The Pulumi engine parses plugin and SDK versions as strict semver
(pkg/resource/deploy/source_eval.go), so `semver` writes this version the way the
generated Python SDK's `_utilities._get_semver_version` reads it back from the
installed distribution: 0.2.0rc1 is 0.2.0-rc.1, 0.2.0.dev3 is 0.2.0-dev.3.
"""

from __future__ import annotations

import re

__version__ = "0.1.0"

_PEP440 = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+)|\.dev(\d+))?")
_PRE = {"a": "alpha", "b": "beta", "rc": "rc"}


def semver(version: str = __version__) -> str:
    """`version` (PEP 440: X.Y.Z, X.Y.ZaN, X.Y.ZbN, X.Y.ZrcN or X.Y.Z.devN) as semver."""
    match = _PEP440.fullmatch(version)
    if match is None:
        raise ValueError(
            f"version {version!r} is none of the forms a release uses: X.Y.Z, X.Y.ZaN, "
            "X.Y.ZbN, X.Y.ZrcN or X.Y.Z.devN (provider/pulumi_quickchat/_version.py)"
        )
    major, minor, patch, tag, number, dev = match.groups()
    core = f"{major}.{minor}.{patch}"
    if tag:
        return f"{core}-{_PRE[tag]}.{number}"
    return f"{core}-dev.{dev}" if dev else core
