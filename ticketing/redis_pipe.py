"""A Redis connection that writes each command to the socket the moment it is given.

redis-py's asyncio client writes a command when its coroutine next runs. Under a burst that is a
whole turn of the event loop later: every other request ready in that turn runs first, and on a
busy process that turn lasts hundreds of milliseconds. For the shared line (``ticketing.line``)
the order in which one process's requests reach Redis must be the order they arrived, with as
little delay as the socket allows; here ``send`` writes at once (no await) and returns a future
for the reply. Redis answers a connection's commands in the order it got them, so replies are
matched to futures in order; hiredis (which redis-py uses too) reads them.
"""

import asyncio
import ssl
from collections import deque

import hiredis
from redis.connection import SSLConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError


def encode(*args: object) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else (
            repr(arg) if isinstance(arg, float) else str(arg)).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class CommandPipe(asyncio.Protocol):
    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._reader = hiredis.Reader(replyError=ResponseError)
        self._replies: deque[asyncio.Future] = deque()
        self.closed = False

    @classmethod
    async def connect(cls, url: str, *, timeout: float = 1.0) -> "CommandPipe":
        """Connected (``redis://``, ``rediss://`` with the system's certificates, or
        ``unix://``), authenticated and on the URL's database."""
        options = parse_url(url)
        loop = asyncio.get_running_loop()
        if "path" in options:
            connecting = loop.create_unix_connection(cls, options["path"])
        else:
            secure = options.get("connection_class") is SSLConnection
            connecting = loop.create_connection(
                cls, options.get("host", "localhost"), options.get("port", 6379),
                ssl=ssl.create_default_context() if secure else None)
        _, pipe = await asyncio.wait_for(connecting, timeout)
        try:
            if options.get("password"):
                auth = [options["username"]] if options.get("username") else []
                await asyncio.wait_for(pipe.send("AUTH", *auth, options["password"]), timeout)
            await asyncio.wait_for(pipe.send("SELECT", options.get("db", 0)), timeout)
        except BaseException:
            pipe.close()
            raise
        return pipe

    def connection_made(self, transport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            future = self._replies.popleft()
            if future.done():  # its caller went away
                continue
            if isinstance(reply, ResponseError):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        while self._replies:
            future = self._replies.popleft()
            if not future.done():
                future.set_exception(RedisConnectionError("the connection to Redis was lost"))

    def send(self, *args: object) -> asyncio.Future:
        """Write the command now; the future gets its reply (a ResponseError is raised)."""
        if self.closed or self._transport is None or self._transport.is_closing():
            raise RedisConnectionError("not connected to Redis")
        future = asyncio.get_running_loop().create_future()
        self._replies.append(future)
        self._transport.write(encode(*args))
        return future

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
