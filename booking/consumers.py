"""The public live seat feed of a show: ``ws://…/ws/shows/<id>/``."""

from booking.events import show_group
from booking.inventory import seat_map_state, seat_states
from catalog.models import Show
from ticketing.consumers import JsonConsumer, in_db_thread


class SeatFeedConsumer(JsonConsumer):
    """Sends a full snapshot first, then one ``{"type": "seats", "version", "seats"}`` message
    per committed change. Versions grow by one per change: a client that sees a gap refetches
    (or reconnects for a new snapshot); messages at or below its version are old news."""

    async def connect(self) -> None:
        self.show_id = int(self.scope["url_route"]["kwargs"]["show_id"])
        # Join before reading the snapshot, so no change can fall between the two.
        await self.channel_layer.group_add(show_group(self.show_id), self.channel_name)
        snapshot = await in_db_thread(self.snapshot)()
        if snapshot is None:
            await self.close(code=4404)
            return
        await self.accept()
        await self.send_json(snapshot)

    def snapshot(self) -> dict | None:
        show = Show.objects.filter(pk=self.show_id).first()
        if show is None:
            return None
        version = seat_map_state(show.id)[0]
        seats = [{"id": seat.id, "state": seat.state} for seat in seat_states(show)]
        return {"type": "seats", "version": version, "seats": seats, "snapshot": True}

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(show_group(self.show_id), self.channel_name)

    async def seats_changed(self, event: dict) -> None:
        await self.send_json(event["message"])
