"""Append-only, hash-chained logs: what happened, in order, so that a rewritten history shows.

Each record is canonical JSON ``{"seq", "at", "kind", "data"}`` (keys sorted, no spaces) and
carries the hash of the one before: ``hash = SHA-256(prev + body)``, the first record's prev
being 64 zeros. Anyone holding the published records can recompute every hash (``check``);
changing, dropping or reordering one breaks every hash after it, and the head hash, once
published, pins the whole history.

Appending locks the stream's head row (``ChainHead``) until the transaction ends, so records
are numbered in the order their transactions commit: take it last, after any other lock.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from ticketing.models import ChainHead, ChainRecord

GENESIS = "0" * 64


def canonical(seq: int, at: str, kind: str, data: dict) -> str:
    return json.dumps({"seq": seq, "at": at, "kind": kind, "data": data}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True)


def link(prev: str, body: str) -> str:
    return hashlib.sha256((prev + body).encode()).hexdigest()


def stamp(at: datetime) -> str:
    """How a record writes an instant: UTC, to the microsecond."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def append(stream: str, entries: Iterable[tuple[str, dict]], *, at: datetime | None = None
           ) -> int:
    """Append (kind, data) records to the stream, in order, inside the caller's transaction
    (which must be one: the head stays locked until it ends); returns the head's number.
    ``data`` must be JSON of strings, integers and booleans."""
    entries = list(entries)
    if not entries:
        return 0
    at_text = stamp(at or timezone.now())
    rows = []
    with connection.cursor() as cursor:
        # The head, made if new and locked either way, in one statement (an upsert locks the
        # row it finds). Plain SQL: this runs inside every join of a waiting room.
        cursor.execute("INSERT INTO ticketing_chainhead (stream, seq, hash) VALUES (%s, 0, %s) "
                       "ON CONFLICT (stream) DO UPDATE SET stream = EXCLUDED.stream "
                       "RETURNING seq, hash", [stream, GENESIS])
        seq, prev = cursor.fetchone()
        for kind, data in entries:
            seq += 1
            body = canonical(seq, at_text, kind, data)
            digest = link(prev, body)
            rows.append((stream, seq, kind, body, prev, digest))
            prev = digest
        cursor.executemany("INSERT INTO ticketing_chainrecord (stream, seq, kind, body, "
                           "prev, hash) VALUES (%s, %s, %s, %s, %s, %s)", rows)
        cursor.execute("UPDATE ticketing_chainhead SET seq = %s, hash = %s WHERE stream = %s",
                       [seq, prev, stream])
    return seq


def published(stream: str, *, after: int = 0, limit: int | None = None,
              upto: int | None = None) -> list[dict]:
    """The stream's records as published: {seq, at, kind, data, prev, hash}, after ``after``
    (and up to ``upto``)."""
    rows = ChainRecord.objects.filter(stream=stream, seq__gt=after).order_by("seq")
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    if limit is not None:
        rows = rows[:limit]
    return [{**json.loads(body), "prev": prev, "hash": digest}
            for body, prev, digest in rows.values_list("body", "prev", "hash")]


def head(stream: str) -> tuple[int, str]:
    """(number, hash) of the stream's last record; (0, GENESIS) for an empty one."""
    row = ChainHead.objects.filter(stream=stream).values_list("seq", "hash").first()
    return row or (0, GENESIS)


@dataclass(frozen=True)
class Checked:
    problems: list[str]
    head: str  # the hash of the last record that checked out

    @property
    def ok(self) -> bool:
        return not self.problems


def check(records: Sequence[dict], *, expected_head: str | None = None) -> Checked:
    """Recompute every link of published records (from the first); the problems found."""
    problems: list[str] = []
    prev = GENESIS
    for number, record in enumerate(records, start=1):
        try:
            body = canonical(record["seq"], record["at"], record["kind"], record["data"])
        except (KeyError, TypeError, ValueError):
            problems.append(f"record {number} is not a record")
            break
        if record["seq"] != number:
            problems.append(f"record {number} says it is number {record['seq']}")
        if record.get("prev") != prev:
            problems.append(f"record {number} does not follow the one before it")
        digest = link(prev, body)
        if record.get("hash") != digest:
            problems.append(f"record {number}'s hash is not the hash of what it says")
            break
        prev = digest
    if expected_head is not None and not problems and prev != expected_head:
        problems.append("the last record is not the published head")
    return Checked(problems, prev)


def show_stream(show_id: int) -> str:
    """The stream of one show's fairness log (its waiting room and its waiting list)."""
    return f"show-{show_id}"
