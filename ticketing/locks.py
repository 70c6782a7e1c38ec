"""Locks on things that have no row of their own, held until the transaction ends."""

import hashlib

from django.db import connection


def client_lock_key(client: str) -> int:
    """The advisory-lock key of a client (the SQL hold function takes the same locks)."""
    return int.from_bytes(hashlib.blake2b(f"client:{client}".encode(), digest_size=8).digest(),
                          "big", signed=True)


def lock_client(client: str) -> None:
    """Serialise one client's transactions from here to their end (its caps are counted under
    this lock). PostgreSQL: a transaction-scoped advisory lock on the client's name; SQLite
    needs none, as its IMMEDIATE transactions already run one writer at a time."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [client_lock_key(client)])
