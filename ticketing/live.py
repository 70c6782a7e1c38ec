"""Live updates: messages to channel-layer groups (websocket consumers listen in groups).

Callers send after their change is committed; this module knows none of them. A failure is
logged, never raised: live updates are best effort, the database is the truth, and clients
that miss a message catch up (seat maps carry versions).

With Redis, one publisher thread per process sends in order from its own event loop, so the
request that made the change does not wait for it. The in-memory layer of zero-setup mode
lives on the server's event loop, which the ASGI lifespan hands over at startup
(``use_server_loop``): there the message goes straight onto it (outside a server, e.g. in a
management command or a test, onto a loop of the caller's).
"""

import asyncio
import logging
import os
import queue
import threading
import time

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)
STALE_AFTER_SECONDS = 5.0
_server_loop: asyncio.AbstractEventLoop | None = None


def use_server_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """The server's event loop (the in-memory channel layer lives on it); None when it ends."""
    global _server_loop
    _server_loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The server's event loop, for threads that must run something on it."""
    return _server_loop


def send(group: str, handler: str, message: dict) -> None:
    """Send ``{"type": handler, "message": message}`` to every consumer in the group."""
    _dispatch(group, {"type": handler, "message": message}, in_memory=_send_on_server_loop)


def send_from_loop(group: str, handler: str, message: dict) -> None:
    """``send``, from a coroutine on the server's event loop (which must never wait on itself)."""
    _dispatch(group, {"type": handler, "message": message}, in_memory=_schedule_on_this_loop)


def _dispatch(group: str, event: dict, *, in_memory) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        in_memory(layer, group, event)
    else:
        _publisher.submit(layer, group, event)


def _send_on_server_loop(layer: InMemoryChannelLayer, group: str, event: dict) -> None:
    loop = _server_loop
    try:
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop).result(5)
        else:
            async_to_sync(layer.group_send)(group, event)
    except Exception:
        log.warning("live update to %s not sent", group, exc_info=True)


def _schedule_on_this_loop(layer: InMemoryChannelLayer, group: str, event: dict) -> None:
    task = asyncio.get_running_loop().create_task(layer.group_send(group, event))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


_in_flight: set[asyncio.Task] = set()  # keeps the loop's sends referenced until they finish


class _Publisher:
    """Sends channel-layer messages, in the order given, from one background thread."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.pid: int | None = None
        self.lock = threading.Lock()

    def submit(self, layer, group: str, event: dict) -> None:
        if self.pid != os.getpid():  # one thread per process (Celery workers fork)
            with self.lock:
                if self.pid != os.getpid():
                    self.pid = os.getpid()
                    threading.Thread(target=self._run, args=(layer,), name="live-updates",
                                     daemon=True).start()
        self.queue.put((time.monotonic(), group, event))

    def _run(self, layer) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            queued_at, group, event = self.queue.get()
            if time.monotonic() - queued_at > STALE_AFTER_SECONDS:
                continue  # Redis was away: late news is no news; clients resync on the gap
            try:
                loop.run_until_complete(layer.group_send(group, event))
            except Exception:
                log.warning("live update to %s not sent (channel layer unavailable)", group,
                            exc_info=True)


_publisher = _Publisher()
