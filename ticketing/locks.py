"""Locks on things that have no row of their own, held until the transaction ends."""

import hashlib

from django.db import connection


def lock_client(client: str) -> None:
    """Serialise one client's transactions from here to their end (its caps are counted under
    this lock). PostgreSQL: a transaction-scoped advisory lock on the client's name; SQLite
    needs none, as its IMMEDIATE transactions already run one writer at a time."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(f"client:{client}".encode(), digest_size=8).digest(),
                         "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
