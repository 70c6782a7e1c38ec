"""Telling the room's visitors what changed, after commit, over the channel layer.

A message to the whole room reaches every waiting socket, and each one costs the web process
that holds it a little (about 0.3 ms: S4 in docs/performance.md), so with thousands waiting the
room is told only what everyone must hear at once (the draw, sold out, reopened) and, at most
every LINE_EVERY_SECONDS, that the line moved; a visitor let in is told on their own group, at
once, whatever the room hears."""

import time

from django.db import transaction

from ticketing.live import send
from waitingroom.models import Room

LINE_EVERY_SECONDS = 3.0
_line_told: dict[int, float] = {}  # show id -> when this process last told its room


def room_group(show_id: int) -> str:
    return f"room-{show_id}"


def visitor_group(public_id: str) -> str:
    return f"room-visitor-{public_id}"


def room_changed(room: Room, *, revealed: bool = False, admitted: list[str] | None = None,
                 sold_out: bool = False, everyone: bool = False) -> None:
    """``everyone``: the whole room must hear it now (as for the draw and sold out)."""
    message = {"show": room.pk, "version": room.version, "revealed": revealed,
               "admitted": [], "sold_out": sold_out}
    urgent = everyone or revealed or sold_out

    def publish() -> None:
        for public_id in admitted or ():
            send(visitor_group(public_id), "room.changed", {**message, "admitted": [public_id]})
        now = time.monotonic()
        if urgent or now - _line_told.get(room.pk, 0.0) >= LINE_EVERY_SECONDS:
            _line_told[room.pk] = now
            send(room_group(room.pk), "room.changed", message)

    transaction.on_commit(publish)
