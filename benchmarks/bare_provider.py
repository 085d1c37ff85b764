"""The least a provider can do on the wire, to measure pulumi_quickchat against.

`BareProvider` makes the one HTTP request each operation needs with plain
`requests` (a kept-alive session per worker thread of the plugin host), and
checks, retries and explains nothing: a lifecycle step's floor.
`benchmarks/run.py` starts the plugin host with this folder on its path; the
module imports nothing of `pulumi_quickchat`, so dill pickles the provider by
reference to it.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import requests
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

CONFIGURATION_PATH = "/v1/api/conversation_ratings/configuration"
FIELDS = ("conv_rating_active", "conv_rating_popup_active", "conv_rating_question_codes")
DISABLED = {
    "conv_rating_active": False,
    "conv_rating_popup_active": False,
    "conv_rating_question_codes": ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"],
}

_sessions = threading.local()


def _call(method: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    session = getattr(_sessions, "session", None)
    if session is None:
        session = _sessions.session = requests.Session()
    response = session.request(
        method,
        os.environ["QUICKCHAT_API_BASE_URL"] + CONFIGURATION_PATH,
        headers={"Authorization": f"Bearer {token}"},
        json=body,
        timeout=30,
    )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def _patch(props: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    return {**_call("PATCH", props["api_token"], body), "api_token": props["api_token"]}


class BareProvider(ResourceProvider):
    """One bare request per operation; the inputs hold every field and the token."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=any(olds.get(k) != news.get(k) for k in FIELDS))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("agent", _patch(props, {k: props[k] for k in FIELDS}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(
            id_, {**_call("GET", props["api_token"]), "api_token": props["api_token"]}
        )

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_patch(news, {k: news[k] for k in FIELDS}))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        _call("PATCH", props["api_token"], DISABLED)
