"""A visitor's live feed from a waiting room: ``ws://…/ws/room/<public id>/``.

The client's first message is ``{"token": "<room token>"}`` (a browser page may rely on its
session instead); a wrong token closes the socket with 4403. The server sends the visitor's
state (``waitingroom.serializers.VisitorSerializer``, with ``"type": "room"``) at once and
whenever it changes: the draw at the on-sale instant, the line moving (people ahead, the
wait), "your_turn" (hold seats now), "sold_out". A dropped visitor reconnects with the same
token and is told the same place.
"""

import asyncio

from ticketing import fanout
from ticketing.consumers import JsonConsumer, admission, in_db_thread
from ticketing.errors import NotFound
from waitingroom import services
from waitingroom.live import Line, RoomFeed
from waitingroom.notify import room_group, visitor_group
from waitingroom.serializers import visitor_state

WRONG_TOKEN = 4403
SESSION_KEY = "room"  # {public id: token}, as storefront.session keeps it
TOLD_ON_THEIR_OWN = ("before_opening", "waiting", "sold_out")  # states the room's feed updates


class RoomConsumer(JsonConsumer):
    """One visitor's socket. What the whole room hears (the draw, the line moving, sold out)
    reaches it through the process's ``RoomFeed`` (``from_line``); what is for this visitor
    alone (their turn) through their own group (``room_changed``)."""

    async def connect(self) -> None:
        self.token: str | None = None
        self.last: dict | None = None
        self.groups_joined: list[str] = []
        self.feed: str | None = None
        self.line_version = 0  # of the latest line this socket was told from
        self.push_lock = asyncio.Lock()
        self.public_id = self.scope["url_route"]["kwargs"]["public_id"]
        await self.accept()
        session = self.scope.get("session")
        token = session.get(SESSION_KEY, {}).get(self.public_id) if session else None
        if token:
            await self.authenticate(token)

    async def receive_json(self, content, **kwargs) -> None:
        if self.token is not None:
            return
        token = content.get("token") if isinstance(content, dict) else None
        async with admission():
            await self.authenticate(token if isinstance(token, str) else None)

    def read_state(self, token: str | None) -> tuple[dict, int] | None:
        """The visitor's state and the room's version it was read at."""
        try:
            visitor = services.get_visitor(public_id=self.public_id, token=token)
        except NotFound:
            return None
        return visitor_state(services.status(visitor)), visitor.room.version

    async def authenticate(self, token: str | None) -> None:
        started = asyncio.get_running_loop().time()
        read = await in_db_thread(self.read_state)(token)
        if read is None:
            await self.close(code=WRONG_TOKEN)
            return
        state, version = read
        self.token = token
        self.groups_joined = [visitor_group(self.public_id)]
        await self.channel_layer.group_add(self.groups_joined[0], self.channel_name)
        await self.push(state)
        show_id = state["show"]
        self.feed = room_group(show_id)
        feed = await fanout.join(self.feed, self, lambda name: RoomFeed(name, show_id))
        if feed.listening_since > started or feed.version > version:
            await self.push()  # the room may have moved before this socket heard it: read it

    async def push(self, state: dict | None = None) -> None:
        async with self.push_lock:
            if state is None:
                read = await in_db_thread(self.read_state)(self.token)
                state = None if read is None else read[0]
            if state is not None:
                await self._send_if_new(state)

    async def _send_if_new(self, state: dict) -> None:
        if state != self.last:
            self.last = state
            await self.send_json(state)

    async def room_changed(self, event: dict) -> None:
        """This visitor was let in (their own group): read their pass, at once."""
        if self.public_id in event["message"]["admitted"]:
            await self.push()

    def waiting(self) -> bool:
        return self.last is not None and self.last["state"] in TOLD_ON_THEIR_OWN

    async def from_line(self, line: Line | None) -> None:
        """Where the visitor stands, from the process's copy of the line (no read of its own,
        unless the visitor is no longer in it). Judged under the socket's lock, so that what
        it was told meanwhile (their turn, a newer line) is never overwritten by this."""
        if line is None:
            return
        async with self.push_lock:
            if not self.waiting() or line.version <= self.line_version:
                return  # a visitor let in hears of their pass on their own group
            self.line_version = line.version
            place = line.places.get(self.public_id)
            if place is None:  # no longer waiting (let in, sold out, left): read it, aside
                fanout.spawn(self.push())
                return
            if line.sold_out:
                await self._send_if_new({**self.last, "state": "sold_out", "place": place,
                                         "ahead": None, "wait_seconds": None})
                return
            ahead = line.ahead(place)
            wait = 0 if ahead == 0 else (None if line.rate is None else -(-ahead // line.rate))
            await self._send_if_new({**self.last, "state": "waiting", "place": place,
                                     "ahead": ahead,
                                     "wait_seconds": None if wait is None else int(wait)})

    async def disconnect(self, code: int) -> None:
        if self.feed is not None:
            await fanout.leave(self.feed, self)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
