"""What every websocket consumer of the site shares: JSON frames (a frame that is not JSON
closes the socket), database reads on a pool of threads, and admission in bounded numbers."""

import asyncio
import functools
import json
import logging
import weakref

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections

log = logging.getLogger(__name__)


def in_db_thread(function):
    """Run ``function`` on the loop's pool of threads, its database connection given back
    afterwards. Channels' ``database_sync_to_async`` runs every consumer's reads of a process
    one at a time on a single thread: with hundreds of sockets connecting, or a line moving,
    they queued behind each other for seconds."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()  # back to the pool, whatever the connection's age

    return sync_to_async(run, thread_sensitive=False)


_admissions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary())


def admission() -> asyncio.Semaphore:
    """How many sockets may be connecting (or disconnecting) at once in this process. Each one
    joins channel-layer groups and reads the database; a burst of thousands at once would
    exhaust the Redis and database pools and turn sockets away with 500s. Past the limit they
    wait their turn instead."""
    loop = asyncio.get_running_loop()
    if loop not in _admissions:
        _admissions[loop] = asyncio.Semaphore(settings.WS_CONNECT_CONCURRENCY)
    return _admissions[loop]


BAD_FRAME = 4400  # a frame that is not JSON text (or is nested past what we parse)


class JsonConsumer(AsyncJsonWebsocketConsumer):
    @classmethod
    async def encode_json(cls, content) -> str:
        return json.dumps(content, cls=DjangoJSONEncoder)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        """Frames that are not JSON text close the socket with 4400 and one log line, instead
        of an exception (and a traceback in the log) per frame."""
        try:
            if not text_data:
                raise ValueError("not a text frame")
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            log.info("websocket %s closed: a frame that is not JSON text", self.scope["path"])
            await self.close(code=BAD_FRAME)
            return
        await self.receive_json(content, **kwargs)

    async def websocket_connect(self, message) -> None:
        async with admission():
            await super().websocket_connect(message)

    async def websocket_disconnect(self, message) -> None:
        async with admission():
            await super().websocket_disconnect(message)
