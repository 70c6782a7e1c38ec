"""Telling the room's visitors what changed, after commit, over the channel layer: one message
to the room's group, whatever its size (each socket works out its own news: waitingroom.live)."""

from django.db import transaction

from ticketing.live import send
from waitingroom.models import Room


def room_group(show_id: int) -> str:
    return f"room-{show_id}"


def room_changed(room: Room, *, revealed: bool = False, admitted: list[str] | None = None,
                 sold_out: bool = False) -> None:
    message = {"show": room.pk, "version": room.version, "revealed": revealed,
               "admitted": admitted or [], "sold_out": sold_out}
    transaction.on_commit(lambda: send(room_group(room.pk), "room.changed", message))
