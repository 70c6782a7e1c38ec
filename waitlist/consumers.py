"""A waiting client's live feed: ``ws://…/ws/waitlist/<id>/``.

The client's first message is ``{"token": "<entry token>"}`` (a browser page may rely on its
session instead). A wrong token closes the socket. The server then sends the entry's state,
and again whenever its state, position or offer changes.
"""

import asyncio
import uuid

from ticketing.consumers import JsonConsumer, admission, in_db_thread
from ticketing.errors import NotFound
from waitlist import services
from waitlist.notify import entry_group, line_group

WRONG_TOKEN = 4403
# A line moving fast (a bulk expiry serving hundreds of offers) changes every waiting client's
# position many times a second; each client re-reads its position at most once a second
# instead of once per offer (which made the work grow with the square of the line's length).
# A client's own offer is never delayed: it comes as an entry change, at once.
LINE_COALESCE_SECONDS = 1.0


def _stage(state: dict | None) -> int:
    """An entry only moves forward: waiting, then offered, then an end. Events from different
    processes can arrive out of order; a carried state behind the one told is not used."""
    if state is None:
        return -1
    return {"waiting": 0, "offered": 1}.get(state.get("state"), 2)


class WaitlistConsumer(JsonConsumer):
    async def connect(self) -> None:
        self.token: str | None = None
        self.last: dict | None = None
        self.groups_joined: list[str] = []
        self.line_refresh: asyncio.Task | None = None
        self.push_lock = asyncio.Lock()  # one read-and-send at a time: states go out in order
        try:
            self.entry_id = uuid.UUID(self.scope["url_route"]["kwargs"]["entry_id"])
        except ValueError:
            await self.close(code=WRONG_TOKEN)
            return
        await self.accept()
        token = await in_db_thread(self.token_from_session)()
        if token:
            await self.authenticate(token)

    def token_from_session(self) -> str | None:
        """A browser page may rely on its session (which holds the entry's token)."""
        session = self.scope.get("session")
        return session.get("waitlist", {}).get(str(self.entry_id)) if session else None

    async def receive_json(self, content, **kwargs) -> None:
        if self.token is not None:
            return  # already authenticated; nothing else is expected from the client
        token = content.get("token") if isinstance(content, dict) else None
        async with admission():
            await self.authenticate(token if isinstance(token, str) else None)

    async def authenticate(self, token: str | None) -> None:
        state = await in_db_thread(self.read_state)(token)
        if state is None:
            await self.close(code=WRONG_TOKEN)
            return
        self.token = token
        self.groups_joined = [entry_group(self.entry_id), line_group(state["show"])]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.push(state)

    def read_state(self, token: str | None) -> dict | None:
        try:
            entry = services.get_entry(entry_id=self.entry_id, token=token)
        except NotFound:
            return None
        return services.client_state(entry, token)

    async def push(self, state: dict | None = None) -> None:
        async with self.push_lock:
            state = state or await in_db_thread(self.read_state)(self.token)
            if state is not None and state != self.last:
                self.last = state
                await self.send_json(state)

    async def entry_changed(self, event: dict) -> None:
        state = event["message"].get("state")
        if state is not None and _stage(state) < _stage(self.last):
            state = None  # sent by another process before the state we told: read it again
        if state is not None and state.get("offer"):
            state = {**state, "offer": {**state["offer"], "token": self.token}}
        await self.push(state)  # carried in the event, or read again

    async def line_changed(self, event: dict) -> None:
        # Only a waiting client's place moves with the line; an offer's changes come as entry
        # changes of its own.
        if self.last is not None and self.last.get("state") != "waiting":
            return
        if self.line_refresh is None or self.line_refresh.done():
            self.line_refresh = asyncio.create_task(self._refresh_after_line_moves())

    async def _refresh_after_line_moves(self) -> None:
        await asyncio.sleep(LINE_COALESCE_SECONDS)
        await self.push()

    async def disconnect(self, code: int) -> None:
        if self.line_refresh is not None:
            self.line_refresh.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
