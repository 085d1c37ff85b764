"""What every resource and function of this SDK shares, as a generated SDK's `_utilities.py`.

The version travels with every registration and invoke, so the engine asks
for this package's own plugin (pulumi-resource-quickchat, installed beside
this SDK), as generated SDKs do: as semver, which the engine requires.
"""

from __future__ import annotations

import pulumi

from .._version import semver


def resource_opts_defaults() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(version=semver())


def invoke_opts_defaults() -> pulumi.InvokeOptions:
    return pulumi.InvokeOptions(version=semver())


def invoke_output_opts_defaults() -> pulumi.InvokeOutputOptions:
    return pulumi.InvokeOutputOptions(version=semver())
