"""A small pool of native async PostgreSQL connections for the lean endpoints
(``ticketing.lean``), beside Django's own pool of sync connections. Autocommit: each statement
the lean endpoints send is one whole transaction (a SQL function call), so a decision costs one
round trip. Opened on first use on each event loop that sends them: the server's, and the
shared line's own (``ticketing.line``)."""

import asyncio

from django.conf import settings
from django.db import connections
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool

# A pool per event loop (an async connection belongs to the loop it was made on): the server's,
# and the shared line's own (ticketing.line).
_pools: dict[asyncio.AbstractEventLoop, AsyncConnectionPool] = {}
_opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}


def available() -> bool:
    return connections["default"].vendor == "postgresql"


DJANGO_ONLY_OPTIONS = {"pool", "isolation_level", "server_side_binding", "assume_role",
                       "cursor_factory", "context", "prepare_threshold"}


def conninfo() -> str:
    """Django's connection settings, including DATABASE_URL's libpq options (sslmode, …)."""
    db = settings.DATABASES["default"]
    libpq = {key: str(value) for key, value in db.get("OPTIONS", {}).items()
             if key not in DJANGO_ONLY_OPTIONS}
    return make_conninfo(dbname=db["NAME"], user=db.get("USER") or None,
                         password=db.get("PASSWORD") or None, host=db.get("HOST") or None,
                         port=str(db["PORT"]) if db.get("PORT") else None,
                         application_name="reelseats-lean", **libpq)


async def pool() -> AsyncConnectionPool:
    """This event loop's pool, opened on first use."""
    loop = asyncio.get_running_loop()
    made = _pools.get(loop)
    if made is not None:
        return made
    async with _opening.setdefault(loop, asyncio.Lock()):
        if loop not in _pools:
            # One connection opened at startup (an on-sale's first second needs no connect),
            # more as requests wait for one, up to the limit; idle extras close after ten
            # minutes. Every web process keeps a pool per loop: a full pool each would hold
            # connections nobody uses (four web processes of 2 x 8 filled PostgreSQL's 100).
            made = AsyncConnectionPool(
                conninfo(), min_size=1, max_size=settings.LEAN_DB_POOL_SIZE,
                timeout=settings.DATABASES["default"].get("OPTIONS", {}).get(
                    "pool", {}).get("timeout", 10),
                # No check as a connection leaves the pool: it would cost a round trip per
                # request. A connection that broke meanwhile fails its statement (503 with
                # Retry-After) and the pool replaces it.
                kwargs={"autocommit": True}, open=False)
            await made.open()
            _pools[loop] = made
    return _pools[loop]


async def close() -> None:
    """Close this event loop's pool."""
    made = _pools.pop(asyncio.get_running_loop(), None)
    _opening.pop(asyncio.get_running_loop(), None)
    if made is not None:
        await made.close()
