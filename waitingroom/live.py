"""Each web process's copy of a room's line, for its sockets: when the line moves, one read
per process (not one per socket) says where everyone still waiting stands, and the room's
feed (one listener per process, ``ticketing.fanout``) hands it to every socket, which works
out its visitor's place, how many are ahead and the wait from it."""

import asyncio
import bisect
from dataclasses import dataclass

from django.utils import timezone

from ticketing import fanout
from ticketing.cache import Recent
from ticketing.consumers import in_db_thread
from waitingroom.models import Room, Visitor
from waitingroom.services import admission_rate


@dataclass(frozen=True)
class Line:
    version: int
    places: dict[str, int]  # public id -> place, of those waiting with a place
    order: list[int]  # their places, sorted
    rate: float | None  # let in per second, as measured
    sold_out: bool

    def ahead(self, place: int) -> int:
        return bisect.bisect_left(self.order, place)


# A moving line is told to the sockets at most this often: with thousands watching, each
# telling costs the process tens of microseconds a socket.
LINE_EVERY_SECONDS = 3.0
_lines = Recent(size=256)  # show id -> Line
_reading: dict[int, asyncio.Task] = {}


def _read(show_id: int) -> Line | None:
    room = Room.objects.filter(pk=show_id).first()
    if room is None:
        return None
    places = dict(Visitor.objects.filter(room_id=show_id, state=Visitor.State.WAITING,
                                         place__isnull=False).values_list("public_id", "place"))
    return Line(room.version, places, sorted(places.values()),
                admission_rate(room, timezone.now()), room.sold_out_at is not None)


async def line_of(show_id: int, version: int) -> Line | None:
    """The line at ``version`` or later: read once for every socket of the process that asks
    meanwhile."""
    known = _lines.get(show_id)
    while known is None or known.version < version:
        reading = _reading.get(show_id)
        if reading is None:
            reading = _reading[show_id] = asyncio.get_running_loop().create_task(
                in_db_thread(_read)(show_id))
            reading.add_done_callback(lambda _: _reading.pop(show_id, None))
        fresh = await asyncio.shield(reading)
        if fresh is None:
            return None
        if known is None or fresh.version > known.version:
            _lines.put(show_id, fresh)
            known = fresh
        if fresh.version < version:
            await asyncio.sleep(0.05)  # read before that version committed: read again
    return known


class RoomFeed(fanout.Group):
    """A room's messages for this process's sockets (``RoomConsumer``): the draw, sold out and
    the line moving again after it told at once; a moving line at once if it was last told
    LINE_EVERY_SECONDS ago or more, else when that time is up (its latest state, once).
    Tellings run one at a time, so a socket never hears an older line after a newer one."""

    def __init__(self, name: str, show_id: int) -> None:
        super().__init__(name)
        self.show_id = show_id
        self.version = 0  # the latest the room's messages have said
        self.later: asyncio.Task | None = None
        self.told_at = float("-inf")  # the loop's clock
        self.telling = asyncio.Lock()

    async def line(self, version: int) -> Line | None:
        return await line_of(self.show_id, version)

    async def deliver(self, event: dict) -> None:
        message = event["message"]
        self.version = max(self.version, message["version"])
        if message["revealed"] or message["sold_out"] or message.get("everyone"):
            await self.tell(message["version"])
        elif self.later is None or self.later.done():
            self.later = fanout.spawn(self._later())

    async def _later(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(max(0.0, self.told_at + LINE_EVERY_SECONDS - loop.time()))
            version = self.version
            await self.tell(version)
            if self.version == version:
                return  # else the line moved while it was being told: tell that too

    async def tell(self, version: int) -> None:
        async with self.telling:
            self.told_at = asyncio.get_running_loop().time()
            line = await self.line(version)
            await self.each(lambda consumer: consumer.from_line(line))

    def stop(self) -> None:
        super().stop()
        if self.later is not None:
            self.later.cancel()
