"""Database connection housekeeping."""

import logging

from django.db import connection

log = logging.getLogger(__name__)


def discard_dead_connections() -> None:
    """After an outage, test every idle pooled connection now and replace the dead ones.

    psycopg_pool re-checks dead connections one at a time with a growing back-off, so a pool
    full of connections killed by a database restart would take longer to recover than a
    request may wait. Checking them all at once makes recovery a matter of reconnecting.
    """
    pool = getattr(connection, "pool", None)
    if pool is None:
        return
    try:
        pool.check()
    except Exception:
        log.warning("could not check the connection pool", exc_info=True)
