"""ASGI lifespan: hands the server's event loop to the live-update transport, and in
zero-setup mode runs the periodic jobs (``ticketing.jobs``) in the server process, checking
for due ones every shortest interval (``SWEEP_INTERVAL_MS`` by default).

With Redis (production) Celery beat runs the same jobs instead, and the loop stays off.
"""

import asyncio
import contextlib
import gc
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from ticketing import async_db, jobs, line, live

log = logging.getLogger(__name__)


def _tick() -> None:
    close_old_connections()
    try:
        jobs.run_due()
    finally:
        close_old_connections()


async def _run_jobs_forever() -> None:
    while True:
        interval = jobs.shortest_interval()
        await asyncio.sleep(interval)
        try:
            await sync_to_async(_tick, thread_sensitive=False)()
        except Exception:
            log.exception("in-process jobs failed; trying again in %ss", interval)


async def _open_lean_pool() -> None:
    """Connect the lean path's pool before the first request, not during it (an on-sale's
    first second is the one that matters); a database that is down now is retried then."""
    try:
        await (await async_db.pool()).wait(timeout=5)
    except Exception:
        log.warning("the lean path's database pool could not open yet", exc_info=True)


async def lifespan(scope, receive, send) -> None:
    live.use_server_loop(asyncio.get_running_loop())
    task: asyncio.Task | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.IN_PROCESS_SWEEPER:
                task = asyncio.create_task(_run_jobs_forever())
            if settings.LEAN_API and async_db.available():
                await _open_lean_pool()
                await line.start_all()
            # Everything loaded so far (Django, the URL map, templates) lives as long as the
            # process: out of the collector's sight, a full collection no longer walks it all
            # in the middle of someone's request (seat-map p99 at 1,500/s: 114 → 35 ms).
            gc.freeze()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            live.use_server_loop(None)
            await async_db.close()
            await send({"type": "lifespan.shutdown.complete"})
            return
