"""A visitor's live feed from a waiting room: ``ws://…/ws/room/<public id>/``.

The client's first message is ``{"token": "<room token>"}`` (a browser page may rely on its
session instead); a wrong token closes the socket with 4403. The server sends the visitor's
state (``waitingroom.serializers.VisitorSerializer``, with ``"type": "room"``) at once and
whenever it changes: the draw at the on-sale instant, the line moving (people ahead, the
wait), "your_turn" (hold seats now), "sold_out". A dropped visitor reconnects with the same
token and is told the same place.
"""

import asyncio

from ticketing.consumers import JsonConsumer, admission, in_db_thread
from ticketing.errors import NotFound
from waitingroom import services
from waitingroom.live import line_of
from waitingroom.notify import room_group, visitor_group
from waitingroom.serializers import visitor_state

WRONG_TOKEN = 4403
SESSION_KEY = "room"  # {public id: token}, as storefront.session keeps it
LINE_COALESCE_SECONDS = 1.0  # a moving line is told to each socket at most once a second


class RoomConsumer(JsonConsumer):
    async def connect(self) -> None:
        self.token: str | None = None
        self.last: dict | None = None
        self.groups_joined: list[str] = []
        self.refresh: asyncio.Task | None = None
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

    def read_state(self, token: str | None) -> dict | None:
        try:
            visitor = services.get_visitor(public_id=self.public_id, token=token)
        except NotFound:
            return None
        return visitor_state(services.status(visitor))

    async def authenticate(self, token: str | None) -> None:
        state = await in_db_thread(self.read_state)(token)
        if state is None:
            await self.close(code=WRONG_TOKEN)
            return
        self.token = token
        self.groups_joined = [room_group(state["show"]), visitor_group(self.public_id)]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.push(state)

    async def push(self, state: dict | None = None) -> None:
        async with self.push_lock:
            state = state or await in_db_thread(self.read_state)(self.token)
            if state is not None and state != self.last:
                self.last = state
                await self.send_json(state)

    async def room_changed(self, event: dict) -> None:
        message = event["message"]
        if self.last is None or self.last["state"] not in ("before_opening", "waiting",
                                                           "sold_out"):
            if self.public_id in message["admitted"]:
                await self.push()
            return  # a visitor let in hears of their pass on its own
        if self.public_id in message["admitted"]:
            await self.push()  # it is their turn: at once, never coalesced
        elif message["revealed"] or message["sold_out"]:
            await self.from_line(message["version"])  # their place, at once
        elif self.refresh is None or self.refresh.done():
            self.refresh = asyncio.create_task(self._later(message["version"]))

    async def _later(self, version: int) -> None:
        await asyncio.sleep(LINE_COALESCE_SECONDS)
        await self.from_line(version)

    async def from_line(self, version: int) -> None:
        """Where the visitor stands, from the process's copy of the line."""
        line = await line_of(self.last["show"], version)
        place = None if line is None else line.places.get(self.public_id)
        if place is None:  # no longer waiting (let in, sold out, left): read it
            await self.push()
            return
        if line.sold_out:
            await self.push({**self.last, "state": "sold_out", "place": place, "ahead": None,
                             "wait_seconds": None})
            return
        ahead = line.ahead(place)
        wait = 0 if ahead == 0 else (None if line.rate is None else -(-ahead // line.rate))
        await self.push({**self.last, "state": "waiting", "place": place, "ahead": ahead,
                         "wait_seconds": None if wait is None else int(wait)})

    async def disconnect(self, code: int) -> None:
        if self.refresh is not None:
            self.refresh.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)


