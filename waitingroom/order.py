"""The room's order, from published data alone (the README's "Checking the order").

Before the room opens the show publishes ``commitment = SHA-256(seed)`` (the seed as its 64
hexadecimal characters); at the on-sale instant it publishes the seed. Everyone who joined
before then is placed by ``draw = HMAC-SHA256(key=seed, message=public id)``, smallest first
(so nobody, the site included, could choose a place once the commitment was out); everyone
who joins later is placed after them, in the order they arrived.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def draw(seed: str, public_id: str) -> str:
    return hmac.digest(seed.encode(), public_id.encode(), "sha256").hex()


def drawn_order(seed: str, public_ids: Iterable[str]) -> list[str]:
    """The public ids of those who joined before the reveal, in the order of their places."""
    return sorted(public_ids, key=lambda public_id: (draw(seed, public_id), public_id))
