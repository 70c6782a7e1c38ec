"""ASGI lifespan: in zero-setup mode the server process runs the sweeper itself (every
``SWEEP_INTERVAL_MS``).

With Redis (production) the Celery beat does this instead, and the loop stays off. Startup also
records the server's event loop: the in-memory channel layer lives on it, and request threads
hand live updates to it (``booking.events.send``).
"""

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)

server_loop: asyncio.AbstractEventLoop | None = None


def _tick() -> None:
    from booking.maintenance import run_maintenance

    close_old_connections()
    try:
        run_maintenance()
    finally:
        close_old_connections()


async def _sweep_forever(interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await sync_to_async(_tick, thread_sensitive=False)()
        except Exception:
            log.exception("in-process sweep failed; trying again in %ss", interval)


async def lifespan(scope, receive, send) -> None:
    global server_loop
    server_loop = asyncio.get_running_loop()
    task: asyncio.Task | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.IN_PROCESS_SWEEPER:
                task = asyncio.create_task(_sweep_forever(settings.SWEEP_INTERVAL_SECONDS))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await send({"type": "lifespan.shutdown.complete"})
            return
