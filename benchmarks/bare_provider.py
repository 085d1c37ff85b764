"""The least a provider can do on the wire, to measure pulumi_quickchat against.

`BareProvider` makes the one HTTP request each operation needs with plain
`requests` (a kept-alive session per worker thread of the plugin host, not
consulting the environment per request) and records the same outputs as
pulumi_quickchat (a refresh returning inputs too, as docs/design.md asks), but
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
        # Else requests looks for proxies and ~/.netrc on every request.
        session.trust_env = False
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


def _state(props: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    # The same outputs as pulumi_quickchat records, so that both hand the
    # engine state of one size: only the work behind it differs.
    return {
        **answer,
        "scenario_id": "agent",
        "base_url": os.environ["QUICKCHAT_API_BASE_URL"],
        "api_token": props["api_token"],
    }


class BareProvider(ResourceProvider):
    """One bare request per operation; the inputs hold every field and the token."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=any(olds.get(k) != news.get(k) for k in FIELDS))

    def create(self, props: dict[str, Any]) -> CreateResult:
        body = {k: props[k] for k in FIELDS}
        return CreateResult("agent", _state(props, _call("PATCH", props["api_token"], body)))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        outs = _state(props, _call("GET", props["api_token"]))
        # As docs/design.md asks of a refresh: the inputs follow what Quickchat has.
        inputs = {k: outs[k] for k in (*FIELDS, "api_token")}
        return ReadResult(id_, outs, inputs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        body = {k: news[k] for k in FIELDS}
        return UpdateResult(_state(news, _call("PATCH", news["api_token"], body)))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        _call("PATCH", props["api_token"], DISABLED)
