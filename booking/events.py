"""Seat-change events: recorded inside the transaction that changes seats, sent after commit.

Every change bumps the show's SeatMapVersion in the same transaction, so versions follow commit
order per show (changes to the same show serialise on that row) and grow by one per change. The
message to ``show-<id>`` goes out only once the change is committed (``transaction.on_commit``),
and a broken channel layer never breaks a booking: live updates are best effort, the database is
the truth, and a client that misses a version refetches the map.
"""

import asyncio
import logging
import os
import queue
import threading
import time
from collections.abc import Mapping

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import connection, transaction

from booking.models import SeatMapState
from ticketing import lifespan

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


def send(group: str, handler: str, message: dict) -> None:
    """Send to a channel-layer group, after commit; failures are logged, never raised.

    With Redis, one publisher thread per process sends in order from its own event loop, so
    the request that made the change does not wait for it. The in-memory layer of zero-setup
    mode lives on the server's own loop, so there the message goes straight onto it (outside a
    server, e.g. in a management command or a test, onto a loop of the caller's).
    """
    layer = get_channel_layer()
    if layer is None:
        return
    event = {"type": handler, "message": message}
    if isinstance(layer, InMemoryChannelLayer):
        loop = lifespan.server_loop
        try:
            if loop is not None and loop.is_running():
                asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop).result(5)
            else:
                async_to_sync(layer.group_send)(group, event)
        except Exception:
            log.warning("live update to %s not sent", group, exc_info=True)
        return
    _publisher.submit(layer, group, event)


STALE_AFTER_SECONDS = 5.0


class _Publisher:
    """Sends channel-layer messages, in the order given, from one background thread."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.pid: int | None = None
        self.lock = threading.Lock()

    def submit(self, layer, group: str, event: dict) -> None:
        if self.pid != os.getpid():  # one thread per process (Celery workers fork)
            with self.lock:
                if self.pid != os.getpid():
                    self.pid = os.getpid()
                    threading.Thread(target=self._run, args=(layer,), name="live-updates",
                                     daemon=True).start()
        self.queue.put((time.monotonic(), group, event))

    def _run(self, layer) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            queued_at, group, event = self.queue.get()
            if time.monotonic() - queued_at > STALE_AFTER_SECONDS:
                continue  # Redis was away: late news is no news; clients resync on the gap
            try:
                loop.run_until_complete(layer.group_send(group, event))
            except Exception:
                log.warning("live update to %s not sent (channel layer unavailable)", group,
                            exc_info=True)


_publisher = _Publisher()
