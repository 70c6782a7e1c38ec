"""Telling the room's visitors what changed, after commit, over the channel layer.

Every change goes to the room's group, which each web process hears once and hands to its
own sockets (``waitingroom.live.RoomFeed``: the draw and sold out at once, a moving line at
most every few seconds); a visitor let in is also told on their own group, at once."""

from django.db import transaction

from ticketing.live import send
from waitingroom.models import Room


def room_group(show_id: int) -> str:
    return f"room-{show_id}"


def visitor_group(public_id: str) -> str:
    return f"room-visitor-{public_id}"


def room_changed(room: Room, *, revealed: bool = False, admitted: list[str] | None = None,
                 sold_out: bool = False, everyone: bool = False) -> None:
    """``everyone``: the whole room must hear it now (as for the draw, sold out and the line
    moving again after it)."""
    message = {"show": room.pk, "version": room.version, "revealed": revealed,
               "admitted": [], "sold_out": sold_out, "everyone": everyone}

    def publish() -> None:
        for public_id in admitted or ():
            send(visitor_group(public_id), "room.changed", {**message, "admitted": [public_id]})
        send(room_group(room.pk), "room.changed", message)

    transaction.on_commit(publish)
