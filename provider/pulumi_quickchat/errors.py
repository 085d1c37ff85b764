"""Every way a call to Quickchat can fail, as one exception family.

This is the one place that turns a failure into a sentence a user can act on:
the operation, the HTTP status, Quickchat's own error code and message, and
what to do next. Nothing here ever sees the API token, so no message can carry
it.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi.errors import RunError

# `pulumi config set --secret KEY` with no value prompts for it, so the token
# lands neither in shell history nor in the process list.
SET_TOKEN_COMMAND = "pulumi config set --secret quickchat:apiToken"


# The resource's token argument, for a message worded once for every language (an API
# error's hint, which names no field); a check names the argument as the program does
# (`ProviderConfig.token_argument`).
RESOURCE_TOKEN = "the resource's own token argument"


def token_settings(argument: str = RESOURCE_TOKEN) -> str:
    """Where an API token can be set, first found wins; `argument` names the program's own."""
    return (
        f"{argument}, the stack config `quickchat:apiToken` (`{SET_TOKEN_COMMAND}`, "
        "which prompts for it), or the environment variable QUICKCHAT_API_TOKEN"
    )


TOKEN_PAGE = "the Quickchat Dashboard"

# What to do, by HTTP status. The wording is the README's troubleshooting
# table; tests/test_docs.py keeps the two in step.
HINTS: dict[int, str] = {
    400: "Quickchat rejected the request as malformed; check the values sent, "
    "and report a bug against pulumi-quickchat if they look right.",
    401: "The API token is invalid, expired or revoked. Create a new one in "
    f"{TOKEN_PAGE} and set it in {token_settings()}.",
    402: "The Quickchat plan of this AI Agent does not include this feature or "
    "has lapsed; check billing in the Quickchat Dashboard.",
    403: "The API token's scope lacks write_all. Create a token with the "
    f"write_all scope in {TOKEN_PAGE}; read_all tokens can only read.",
    404: "Quickchat does not know this AI Agent (scenario) or the endpoint; "
    "check that the token belongs to an existing agent and that the base URL "
    "is right (quickchat:baseUrl / QUICKCHAT_API_BASE_URL). If the agent was "
    "deleted, remove it from state with `pulumi state delete <urn>`.",
    409: "Another change to this AI Agent's configuration was in progress; run the command again.",
    422: "Quickchat rejected the values; fix the field it names.",
    # Each agent has its own token and a step sends one request per agent, so
    # only another user of the same token can exhaust it.
    429: "Quickchat's rate limit (120 reads and 60 writes per minute per token) was still "
    "exceeded after retrying: something else is using this agent's token too (another "
    "stack, a script); wait a minute and run the command again.",
    500: "Quickchat failed internally and kept failing after retries; try again later.",
    502: "A gateway in front of Quickchat failed and kept failing after retries; try again later.",
    503: "Quickchat is unavailable and stayed so after retries; try again later.",
    504: "A gateway in front of Quickchat timed out and kept doing so after "
    "retries; try again later.",
}
GENERIC_HINT = "Unexpected answer from Quickchat; try again, and report it if it persists."


class QuickchatError(RunError):
    """Base of every error raised by pulumi-quickchat's client.

    A `pulumi.RunError`, because its message is the whole of what a user needs: a
    Pulumi program that lets one through (the lookup's, or the client's called from
    the program) prints the sentence alone, where any other exception prints "Program
    failed with an unhandled exception:" and a traceback through this package, the
    sentence on its last line (the Python language host's executor,
    sdk/python/cmd/pulumi-language-python-exec, catches RunError and logs `str(e)`).
    Neither plugin host treats a RunError apart from other exceptions.

    `maybe_applied` says whether a change may have reached Quickchat and taken
    effect although the call failed: the native plugin tells the engine so (gRPC
    UNKNOWN, which marks the run `maybeCorrupt`) only then.
    """

    maybe_applied = False


class QuickchatConfigError(QuickchatError):
    """The client cannot be built: no token, or an unusable base URL."""


class QuickchatRequestError(QuickchatError):
    """A request to Quickchat did not succeed; says which request it was.

    `attempts` is how many times it was sent: the client's retry loop sets it
    when it gives up.
    """

    def __init__(self, method: str, path: str, detail: str, hint: str) -> None:
        super().__init__(method, path, detail)
        self.method = method
        self.path = path
        self.detail = detail
        self.hint = hint
        self.attempts = 1
        self.maybe_applied = False

    def __str__(self) -> str:
        tries = f", after {self.attempts} attempts" if self.attempts > 1 else ""
        applied = f" {MAY_HAVE_APPLIED}" if self.maybe_applied else ""
        return f"{self.method} {self.path} failed: {self.detail}{tries}. {self.hint}{applied}"


MAY_HAVE_APPLIED = (
    "The change may already have been applied though no answer said so: read the agent's "
    "configuration (`pulumi refresh`) before relying on it."
)


class QuickchatAPIError(QuickchatRequestError):
    """Quickchat answered with an error status.

    `code` and `message` are Quickchat's own, from its error body
    (`{"errors": {"root": [{"code": ..., "message": ...}]}}`), when it sent one.
    """

    def __init__(
        self, method: str, path: str, status: int, code: str | None, message: str | None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        said = ": ".join(part for part in (code, message) if part) or "no error details"
        super().__init__(method, path, f"HTTP {status} ({said})", HINTS.get(status, GENERIC_HINT))
        # A 4xx refuses the request, and 503 says it was not served; other 5xx
        # (an internal error, a gateway that lost the answer) may follow a change.
        self.maybe_applied = method == "PATCH" and status >= 500 and status != 503


class QuickchatTransportError(QuickchatRequestError):
    """No usable HTTP answer: connection refused or cut, timed out, retries spent."""

    def __init__(self, method: str, path: str, detail: str, *, sent: bool) -> None:
        super().__init__(
            method,
            path,
            detail,
            "Check the network path to Quickchat and the base URL "
            "(quickchat:baseUrl / QUICKCHAT_API_BASE_URL), then run the command again.",
        )
        # `sent`: the connection was made, so the request may have arrived.
        self.maybe_applied = method == "PATCH" and sent


class QuickchatCancelledError(QuickchatRequestError):
    """The operation was cancelled (Ctrl-C, the engine's Cancel) before the request went out."""

    def __init__(self, method: str, path: str, previous: str | None) -> None:
        if previous is None:
            detail, hint = "cancelled before it was sent", "Nothing was sent to Quickchat."
        else:
            detail = f"cancelled while waiting to retry (the last attempt got {previous})"
            hint = "No further request was sent."
        super().__init__(method, path, detail, hint)


class QuickchatResponseError(QuickchatRequestError):
    """Quickchat answered 200 with a body that is not a configuration."""

    def __init__(self, method: str, path: str, detail: str) -> None:
        super().__init__(
            method,
            path,
            f"unexpected response body ({detail})",
            "Quickchat's answer could not be read, even after retrying; run the command "
            "again, and report it if it persists.",
        )
        self.maybe_applied = method == "PATCH"  # answered 200: applied, most likely


class QuickchatMismatchError(QuickchatError):
    """Quickchat accepted a change but, asked again, holds something else."""

    maybe_applied = True  # a change was accepted; what Quickchat holds is not what was asked

    def __init__(self, fields: list[str], command: str = "pulumi up") -> None:
        self.fields = fields
        super().__init__(
            "PATCH /v1/api/conversation_ratings/configuration was accepted, but Quickchat "
            f"then reported different values for {', '.join(fields)}. Another change may "
            "have raced this one (the Dashboard, another stack). Nothing was recorded; run "
            f"`{command}` again."
        )


def parse_error_body(body: Any) -> tuple[str | None, str | None]:
    """Quickchat's first error code and message, or (None, None) if the body has none.

    A `{"detail": "..."}` body (what Django REST framework and FastAPI answer, which
    a layer in front of Quickchat may be) gives its detail as the message.
    """
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return None, _shown(body["detail"])
    try:
        first = body["errors"]["root"][0]
        code, message = first.get("code"), first.get("message")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None, None
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
    )


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def describe_foreign_body(text: str) -> str | None:
    """What an error body that is not JSON says, in a few words: an HTML page's title,
    or None. Such a body comes from something in front of Quickchat, not from it."""
    title = _TITLE.search(text)
    if title is None or not title[1].strip():
        return "a page that is not Quickchat's error body" if text.strip() else None
    return f"a page titled {_shown(title[1])!r}, not from Quickchat itself"


def _shown(text: str, limit: int = 120) -> str:
    """Someone else's words, fit for one line of a message: spaces collapsed, cut short."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"
