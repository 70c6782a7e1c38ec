"""The public live seat feed of a show: ``ws://…/ws/shows/<id>/``."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from booking.events import show_group
from booking.inventory import seat_map_state, seat_states
from catalog.models import Show
from ticketing import fanout
from ticketing.consumers import JsonConsumer, in_db_thread


class SeatFeed(fanout.Group):
    """A show's seat changes for this process's sockets: each message encoded once and the same
    frame written to every socket (S4: 10,000 sockets on one process)."""

    async def deliver(self, event: dict) -> None:
        frame = json.dumps(event["message"], cls=DjangoJSONEncoder)
        await self.each(lambda consumer: consumer.change(frame))


class SeatFeedConsumer(JsonConsumer):
    """Sends a full snapshot first, then one ``{"type": "seats", "version", "seats"}`` message
    per committed change. Versions grow by one per change: a client that sees a gap refetches
    (or reconnects for a new snapshot); messages at or below its version are old news."""

    async def connect(self) -> None:
        self.show_id = int(self.scope["url_route"]["kwargs"]["show_id"])
        self.early: list[str] | None = []  # changes heard before the snapshot went out
        # Join before reading the snapshot, so no change can fall between the two.
        self.feed = show_group(self.show_id)
        await fanout.join(self.feed, self, SeatFeed)
        snapshot = await in_db_thread(self.snapshot)()
        if snapshot is None:
            await self.close(code=4404)
            return
        await self.accept()
        await self.send_json(snapshot)
        await self.send_early()

    async def send_early(self) -> None:
        """The changes heard before the snapshot went out, in order (the client drops those
        its snapshot already had, by version), including any heard while they are written;
        after them, changes go straight out."""
        while self.early:
            await self.send(text_data=self.early.pop(0))
        self.early = None

    def snapshot(self) -> dict | None:
        show = Show.objects.filter(pk=self.show_id).first()
        if show is None:
            return None
        version = seat_map_state(show.id)[0]
        seats = [{"id": seat.id, "state": seat.state} for seat in seat_states(show)]
        return {"type": "seats", "version": version, "seats": seats, "snapshot": True}

    async def change(self, frame: str) -> None:
        if self.early is not None:
            self.early.append(frame)
        else:
            await self.send(text_data=frame)

    async def disconnect(self, code: int) -> None:
        await fanout.leave(self.feed, self)
