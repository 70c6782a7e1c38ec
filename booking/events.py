"""Seat-change events: recorded inside the transaction that changes seats, sent after commit.

Every change bumps the show's seat-map version (``SeatMapState.version``) in the same
transaction, so versions follow commit order per show (changes to the same show serialise on
that row) and grow by one per change. The message to ``show-<id>`` goes out only once the change
is committed (``transaction.on_commit``, through ``ticketing.live``), and a broken channel layer
never breaks a booking: live updates are best effort, the database is the truth, and a client
that misses a version refetches the map.
"""

import logging
import time
from collections.abc import Mapping

from django.db import connection, transaction

from booking.models import SeatMapState
from booking.signals import hold_ended, seats_freed
from ticketing.live import send, send_from_loop

log = logging.getLogger(__name__)


def show_group(show_id: int) -> str:
    return f"show-{show_id}"


def seats_changed(show_id: int, changes: Mapping[int, str], *, freed: bool = False,
                  freed_at: float | None = None) -> None:
    """Call inside the transaction that changed these seats of the show, as its last step,
    with each seat's new state (available, held or booked).

    ``freed``: seats went back to nobody: ``seats_freed`` is sent after commit.
    """
    if not changes:
        return
    # One round trip: bump the version and read it back, with the line's state.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {SeatMapState._meta.db_table} SET version = version + 1 "  # noqa: S608
                       "WHERE show_id = %s RETURNING version, waiting", [show_id])
        version, waiting = cursor.fetchone()
    announce_seats(show_id, changes, version=version, waiting=waiting, freed=freed,
                   freed_at=freed_at)


def announce_seats(show_id: int, changes: Mapping[int, str], *, version: int, waiting: int,
                   freed: bool = False, freed_at: float | None = None) -> None:
    """The rest of ``seats_changed``, for a change that bumped the version itself (the SQL hold
    function does, in its own statement): the message goes out after commit."""
    message = seats_message(changes, version=version, waiting=waiting)
    transaction.on_commit(lambda: send(show_group(show_id), "seats.changed", message))
    if freed:
        since = freed_at or time.time()
        transaction.on_commit(lambda: announce_seats_freed(show_id, since))


def seats_message(changes: Mapping[int, str], *, version: int, waiting: int) -> dict:
    """The live message for these seat changes at this version of the map."""
    # While people wait, a free seat is reserved for them: it reads as held.
    seats = [{"id": seat_id,
              "state": "held" if state == "available" and waiting > 0 else state}
             for seat_id, state in sorted(changes.items())]
    return {"type": "seats", "version": version, "seats": seats}


def send_seats_from_loop(show_id: int, message: dict) -> None:
    """For a change already committed, from a coroutine on the server's event loop (or the
    shared line's, ticketing.line: it exists only with Redis, whose channel layer any thread
    may send through)."""
    send_from_loop(show_group(show_id), "seats.changed", message)


def announce_seats_freed(show_id: int, freed_at: float | None = None) -> None:
    """After commit: tell whoever listens that seats of the show are free again."""
    seats_freed.send(sender=None, show_id=show_id, freed_at=freed_at)


def announce_hold_ended(show_id: int) -> None:
    """After commit: a hold of the show ended without freeing seats."""
    hold_ended.send(sender=None, show_id=show_id)
