"""Quickchat's Conversation Rating API as facts: its endpoint, tokens and addresses (its
fields are declared in `_declaration.py`).

No I/O and no HTTP library: the provider's check and diff, which send
nothing, need only this, so a preview never imports requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

CONFIGURATION_PATH = "/v1/api/conversation_ratings/configuration"

# Bound on any string read, so that checking it stays small whatever arrives: a JWT or a
# URL fits in a few hundred characters.
MAX_TEXT_LENGTH = 4096


def text_problem(value: Any) -> str | None:
    """The one short message for a string past the bound; the value is not repeated."""
    if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
        return f"is {len(value)} characters long, more than the {MAX_TEXT_LENGTH} accepted"
    return None


def scenario_id_from_token(token: str) -> str | None:
    """The `scenario_id` claim of a Quickchat token, read but not verified.

    Quickchat tokens are JWTs naming exactly one AI Agent. Reading the claim
    lets the provider tell which agent a token manages without a request, so
    that a rotated token for the same agent is no replacement.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    scenario = claims.get("scenario_id") if isinstance(claims, dict) else None
    if isinstance(scenario, (str, int)) and not isinstance(scenario, bool) and str(scenario):
        return str(scenario)
    return None


FINGERPRINT_PREFIX = "token-"


def is_fingerprint(agent: object) -> bool:
    """Whether an agent id is a token's fingerprint rather than a scenario_id (state can
    hold anything, so anything can be asked)."""
    return isinstance(agent, str) and agent.startswith(FINGERPRINT_PREFIX)


def same_agent(one: object, other: object) -> bool:
    """Whether two agent ids (`agent_key`s) may name one AI Agent.

    Two fingerprints are taken to: a token that is no JWT names no agent, so a new
    one can only be told from a rotation by a request, and treating a rotation as a
    move to another agent would leave nothing able to reset the old one (its token is
    gone). docs/reference.md says so, and how to move such a resource on purpose.
    """
    return one == other or (is_fingerprint(one) and is_fingerprint(other))


def agent_key(token: str) -> str:
    """The AI Agent a token manages: its `scenario_id` claim (read, not verified), or a
    `token-…` fingerprint where the token is no JWT. Sends nothing.

    Public as `pulumi_quickchat.scenario_id_of`. The fingerprint is a truncated
    SHA-256, enough to tell tokens apart and useless for recovering one.
    """
    scenario = scenario_id_from_token(token)
    if scenario is not None:
        return scenario
    return FINGERPRINT_PREFIX + hashlib.sha256(token.encode()).hexdigest()[:16]


# Any character str.isspace() calls whitespace: `re` tests it with the same Unicode
# table, in C rather than a Python loop over a JWT's 200-odd characters on every check.
_WHITESPACE = re.compile(r"\s")


# A token, pasted by mistake into another field, is never quoted back: a JWT or a long
# run of the characters tokens are made of.
_TOKEN_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}.*|[A-Za-z0-9._~+/=-]{32,}", re.DOTALL)


def quotable(value: str, hidden: bool = False) -> bool:
    """Whether a value may appear in a message: not secret (`hidden`), not a token, not
    long."""
    return not hidden and len(value) <= 64 and not _TOKEN_LIKE.fullmatch(value)


def token_problem(token: str) -> str | None:
    """Why a token cannot be used, or None: the one check of a token, wherever it comes
    from. Never quotes the token."""
    if problem := text_problem(token):
        return problem
    if not token.strip():
        return "is empty"
    if _WHITESPACE.search(token):
        return "contains whitespace (a stray space or newline from copy and paste?)"
    if not token.isascii() or not token.isprintable():
        return "contains characters that cannot be sent in an HTTP header"
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str) -> str:
    """The form recorded in state and compared in diff: no trailing slash."""
    return base_url.rstrip("/")


def display_url(url: str) -> str:
    """The URL with anything before an `@` (credentials) hidden, fit to quote in a message."""
    if "@" not in url:
        return url
    scheme, separator, _ = url.partition("://")
    prefix = scheme + separator if separator and "@" not in scheme else ""
    return prefix + "<redacted>@" + url.rsplit("@", 1)[1]


_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def _host_problem(host: str) -> str | None:
    """Why a host cannot be reached as requests would send to it: an IPv6 address that
    is none, a name with an empty label or characters no host name has, or a non-ASCII
    name without the IDNA form requests gives it (`PreparedRequest.prepare_url`)."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has an IPv6 address that is not valid"
        return None
    if not host.isascii():
        import idna  # requests' own dependency, for what it and urllib3 do with such a name

        try:
            # urllib3's parse_url, label by label, then requests' own encoding.
            for label in host.split("."):
                if not label.isascii():
                    idna.encode(label.lower(), strict=True, std3_rules=True)
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return "has a host name that is not a valid internationalised domain name"
    if not _HOST_NAME.fullmatch(host):
        return (
            "has a host name that cannot be one: use letters, digits, '-' and '.' between "
            "non-empty labels, such as app.quickchat.ai"
        )
    return None


def base_url_problem(base_url: str, *, quote: bool, token_field: str) -> str | None:
    """Why a base URL cannot be used, or None: the one check of a base URL, wherever it
    comes from. `quote` False keeps any part of it out of the answer (for a value that
    arrived secret); `token_field` is where the caller's users put a token.

    Plain http would send the token in clear, so it is allowed only for
    loopback addresses (such as the local emulator). What requests would refuse
    to send is refused here, at check, rather than by every attempt of `up`.
    """
    if problem := text_problem(base_url):
        return problem
    if _WHITESPACE.search(base_url) or not base_url.isprintable():
        # urlsplit strips or keeps them; requests refuses them (InvalidURL).
        return (
            "contains whitespace or control characters (a stray space, tab or newline from "
            "copy and paste?): remove them"
        )
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        # Not urllib's words: they can quote a password from the URL.
        return "is not a valid URL (check the host and that the port is a number up to 65535)"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an absolute https:// URL, such as https://app.quickchat.ai"
    if parts.username or parts.password:
        return f"must not contain credentials; the token goes in {token_field}"
    if parts.query or parts.fragment:
        return "must not contain a query string or fragment"
    if host_problem := _host_problem(host):
        return host_problem
    if parts.path.rstrip("/"):
        # Quickchat's endpoints hang off the host's root; a path here would be
        # prefixed to every request (/v1/api/v1/api/...) and answered 404.
        if not quote:
            return "must be the address alone, without a path (the provider adds the path)"
        return (
            f"must be the address alone, without the path {parts.path!r}: use "
            f"{parts.scheme}://{parts.netloc} (the provider adds {CONFIGURATION_PATH} itself)"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        return (
            "uses plain http, which would send the API token unencrypted; use https "
            "(plain http is allowed only for loopback addresses such as the local emulator)"
        )
    return None
