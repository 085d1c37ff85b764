"""A dynamic provider that does nothing, to measure the plugin host without pulumi_quickchat.

`benchmarks/run.py` starts the plugin host with this folder on its path and
sends `NullProvider` a Check: the start-up and round trip that any Python
dynamic provider pays. It imports nothing beyond the Pulumi SDK (not even
requests), so dill pickles it by reference to this module.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckResult, ResourceProvider


class NullProvider(ResourceProvider):
    """Accepts any inputs and sends no request."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])
