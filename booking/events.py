"""Seat-change events: recorded inside the transaction that changes seats, sent after commit.

Every change bumps the show's SeatMapVersion in the same transaction, so versions follow commit
order per show (changes to the same show serialise on that row) and grow by one per change. The
message to ``show-<id>`` goes out only once the change is committed (``transaction.on_commit``),
and a broken channel layer never breaks a booking: live updates are best effort, the database is
the truth, and a client that misses a version refetches the map.
"""

import logging
import time
from collections.abc import Mapping

from django.db import connection, transaction

from booking.models import SeatMapState
from ticketing.live import send

log = logging.getLogger(__name__)


def show_group(show_id: int) -> str:
    return f"show-{show_id}"


def seats_changed(show_id: int, changes: Mapping[int, str], *, freed: bool = False,
                  freed_at: float | None = None) -> None:
    """Call inside the transaction that changed these seats of the show, as its last step,
    with each seat's new state (available, held or booked).

    ``freed``: seats went back to nobody, so the show's waiting list may move after commit.
    """
    if not changes:
        return
    # One round trip: bump the version and read it back, with the line's state.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {SeatMapState._meta.db_table} SET version = version + 1 "  # noqa: S608
                       "WHERE show_id = %s RETURNING version, waiting", [show_id])
        version, waiting = cursor.fetchone()
    # While people wait, a free seat is reserved for them: it reads as held.
    seats = [{"id": seat_id,
              "state": "held" if state == "available" and waiting > 0 else state}
             for seat_id, state in sorted(changes.items())]
    message = {"type": "seats", "version": version, "seats": seats}
    transaction.on_commit(lambda: send(show_group(show_id), "seats.changed", message))
    if freed:
        since = freed_at or time.time()
        transaction.on_commit(lambda: line_may_move(show_id, since))


def line_may_move(show_id: int, freed_at: float | None = None) -> None:
    """After commit: let the show's waiting list take the freed seats (a task in production,
    inline in zero-setup mode or when the broker is down). ``freed_at`` (epoch seconds) times
    how long the offer took."""
    from ticketing.tasks import enqueue
    from waitlist.services import line_has_work  # the waiting list is built on bookings
    from waitlist.tasks import serve_line

    if line_has_work(show_id):  # one indexed query saves a task when nobody waits
        enqueue(serve_line, show_id, freed_at)
