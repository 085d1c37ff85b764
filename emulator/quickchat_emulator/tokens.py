"""API tokens: issued, signed, verified, revoked and expired.

A token is an HS256 JWT whose claims carry `scenario_id`, `scope`, `iat`, `jti` and,
when it expires, `exp`, as Quickchat documents its tokens. The signing key is new for
each `Tokens`, so a reset emulator knows none of the tokens it gave out before.

An opaque token (`qc_` and random characters, no claims) is issued on request, to try
what a client does with a token it cannot read an agent from; Quickchat is not known
to issue them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .answers import ApiFault, bad_request

Scope = Literal["read_all", "write_all"]
SCOPES: tuple[Scope, ...] = ("write_all", "read_all")


@dataclass(frozen=True)
class Token:
    jti: str
    scenario_id: str
    scope: Scope
    expires_at: float | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Every token signed here, and which are revoked.

    No lock of its own: `Emulator` calls it with its lock held. `clock` (seconds,
    wall time) stamps `iat` and `exp` and decides expiry.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._issued: dict[str, Token] = {}
        self._revoked: set[str] = set()
        self._opaque: dict[str, str] = {}  # opaque token -> its jti

    def issue(
        self, scenario_id: str, scope: Scope, expires_in: float | None, *, opaque: bool = False
    ) -> str:
        now = self._clock()
        jti = secrets.token_hex(16)
        if opaque:
            token = "qc_" + secrets.token_urlsafe(32)
            expires = None if expires_in is None else round(now + expires_in, 3)
            self._issued[jti] = Token(jti, scenario_id, scope, expires)
            self._opaque[token] = jti
            return token
        claims: dict[str, object] = {
            "scenario_id": scenario_id,
            "scope": scope,
            "iat": int(now),
            "jti": jti,
        }
        expires_at = None
        if expires_in is not None:
            # Fractional on purpose (NumericDate allows it): a test's 1-second token must
            # not lose most of its second to rounding.
            expires_at = round(now + expires_in, 3)
            claims["exp"] = expires_at
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        signature = _b64(hmac.new(self._secret, signing_input, hashlib.sha256).digest())
        self._issued[jti] = Token(jti, scenario_id, scope, expires_at)
        return f"{header}.{payload}.{signature}"

    def _verify(self, token: str) -> Token | None:
        """The token's record if this emulator signed it, whatever its state; else None."""
        if token in self._opaque:
            return self._issued[self._opaque[token]]
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            signature = _unb64(parts[2])
            claims = json.loads(_unb64(parts[1]))
        except (binascii.Error, ValueError):
            return None
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", errors="replace")
        expected = hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature) or not isinstance(claims, dict):
            return None
        jti = claims.get("jti")
        return self._issued.get(jti) if isinstance(jti, str) else None

    def revoke(self, token: str | None) -> None:
        known = self._verify(token) if token else None
        if known is None:
            raise bad_request("token is not one this emulator issued")
        self._revoked.add(known.jti)

    def identify(self, authorization: str | None) -> tuple[Token | None, ApiFault | None]:
        """The caller's token, or the 401 to answer if the route and method are right.

        The 401 is returned, not raised: a wrong path or method is answered first.
        """

        def denied(message: str) -> tuple[None, ApiFault]:
            return None, ApiFault(401, "PERMISSION_DENIED", message)

        if not authorization:
            return denied("Authentication credentials were not provided")
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return denied("Authorization header must be 'Bearer <token>'")
        token = self._verify(credentials.strip())
        if token is None:
            return denied("Invalid token")
        if token.jti in self._revoked:
            return denied("Token has been revoked")
        if token.expires_at is not None and self._clock() >= token.expires_at:
            return denied("Token has expired")
        return token, None
