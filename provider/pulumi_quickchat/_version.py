"""The package's version, the one source of truth, and its semver form for the engine.

`__version__` is PEP 440 (what pip and PyPI read). The Pulumi engine parses the
version every registration and invoke carries, and the plugin's, as strict semver
(pulumi/pulumi `pkg/resource/deploy/source_eval.go`), so the plugin and its schema
send `semver()`, converted the way the generated Python SDK's
`_utilities._get_semver_version` reads it back from the installed distribution
(tests/test_sdk.py holds the two together). scripts/check_release.py refuses a
release whose version has no semver form. This module imports nothing of the
package, so scripts can load it alone.
"""

from __future__ import annotations

import re

__version__ = "0.1.0"

# The PEP 440 versions with a semver form: a release, a pre-release, a dev release. Not a
# pre-release's dev release (0.2.0rc1.dev5): the generated SDKs drop its .devN, so the
# version they carry would not be this one.
_CONVERTIBLE = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+)|\.dev(\d+))?")
_PRE_RELEASE = {"a": "alpha", "b": "beta", "rc": "rc"}


def semver(version: str = __version__) -> str:
    """0.2.0 -> 0.2.0; 0.2.0a1 -> 0.2.0-alpha.1, b -> beta, rc -> rc; 0.2.0.dev3 ->
    0.2.0-dev.3, as the generated SDKs convert them."""
    match = _CONVERTIBLE.fullmatch(version)
    if match is None:
        raise ValueError(
            f"version {version!r} has no semver form for the Pulumi engine: use X.Y.Z, "
            "X.Y.ZaN, X.Y.ZbN, X.Y.ZrcN or X.Y.Z.devN (provider/pulumi_quickchat/_version.py)"
        )
    major, minor, patch, tag, number, dev = match.groups()
    if tag is not None:
        return f"{major}.{minor}.{patch}-{_PRE_RELEASE[tag]}.{number}"
    if dev is not None:
        return f"{major}.{minor}.{patch}-dev.{dev}"
    return f"{major}.{minor}.{patch}"
