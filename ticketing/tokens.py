"""Bearer tokens: the only proof of ownership there is (no accounts).

A token is 256 random bits from ``secrets``; only its SHA-256 is stored, and comparisons are
constant-time. Tokens travel in ``Authorization: Bearer`` headers (or a server-side session for
the browser pages), never in URLs, and are never logged.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.http import HttpRequest


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, token_hash: str) -> bool:
    if not token:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def derived_token(purpose: str, parent_token: str) -> str:
    """A token derived from another one (and SECRET_KEY), so that it can be handed out again
    without ever being stored: an idempotent replay gives back the same booking token, and
    only the holder of the hold token (or the server) can recompute it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{parent_token}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
