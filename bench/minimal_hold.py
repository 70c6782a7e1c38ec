"""The floor under S1: the least an HTTP endpoint can do to decide our hold.

A bare ASGI application (no Django request, middleware, serializer, batcher, live update or
metrics) that answers ``POST /api/v1/shows/{id}/holds`` with ``{"seats": [...]}`` by one call
of the same SQL hold function the product runs (``booking.holds_sql``: same arguments, same
database, one round trip on a native async connection) and a few bytes of JSON. ``make bench``
runs it under uvicorn with as many workers as the product's web tier and drives it with the
same load generator as S1, so the two rates side by side show what the product's own request
path costs. Not part of the product: nothing imports it.

    uvicorn bench.minimal_hold:application --workers 2
"""

import json
import os
import re

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ticketing.settings")
django.setup()

from psycopg_pool import AsyncConnectionPool  # noqa: E402 - after Django's settings

from booking import holds_sql  # noqa: E402
from booking.decisions import HoldRequest  # noqa: E402
from ticketing import async_db  # noqa: E402

HOLDS = re.compile(r"^/api/v1/shows/(\d+)/holds$")
_pool: AsyncConnectionPool | None = None


async def _answer(send, status: int, body: dict) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


async def application(scope, receive, send) -> None:
    global _pool
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        _pool = AsyncConnectionPool(async_db.conninfo(), min_size=8, max_size=8,
                                    kwargs={"autocommit": True}, open=False)
        await _pool.open()
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await _pool.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/healthz":
        await _answer(send, 200, {"status": "ok"})
        return
    match = HOLDS.match(scope["path"])
    if scope["method"] != "POST" or match is None:
        await _answer(send, 404, {"detail": "not here"})
        return
    show_id = int(match.group(1))
    request = HoldRequest(seat_ids=json.loads(body)["seats"], client=scope["client"][0])
    args, tokens = holds_sql.arguments(show_id, [request])
    async with _pool.connection() as connection:
        cursor = await connection.execute(holds_sql.CALL, args)
        [result] = await cursor.fetchone()
    [outcome] = result["outcomes"]
    if "held" in outcome:
        await _answer(send, 201, {"id": tokens[0][0], "token": tokens[0][1],
                                  "seats": outcome["held"]})
    else:
        await _answer(send, 409, {"refused": outcome["refused"]})
