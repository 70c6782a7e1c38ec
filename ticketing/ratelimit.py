"""Rate limits on the actions that take inventory or send email, per client (``enforce``) or
per anything else that must not be flooded (``hit``: a booking's emails).

A moving window (the ``limits`` package, as Flask-Limiter and slowapi use it): at most N
requests in any span of the window's length, so a burst at a window's edge cannot get twice
the rate, as it could with fixed windows. Kept in Redis when there is one (every process shares
the counts), else in this process's memory (zero-setup mode is one process). A store outage
lets requests through.
"""

import logging
import math
import time
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from limits import RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ticketing.clients import client_id
from ticketing.errors import RateLimited
from ticketing.i18n import _

log = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/min' -> (30, 60). Units: s, sec, min, h, hour."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600}[unit.strip()]
    return int(count), seconds


@cache
def _storage(redis_url: str | None) -> Storage:
    if redis_url:
        return storage_from_string(redis_url, socket_connect_timeout=1, socket_timeout=1)
    return storage_from_string("memory://")


def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage(settings.REDIS_URL))


def enforce(scope: str, request: HttpRequest) -> None:
    """Raise RateLimited when this client went over the scope's rate."""
    hit(scope, client_id(request))


def hit(scope: str, identity: str) -> None:
    """Count one more for ``identity`` in the scope; raise RateLimited past its rate, with how
    long until the oldest request in the window leaves it."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    limit, seconds = parse_rate(settings.RATE_LIMITS[scope])
    item = RateLimitItemPerSecond(limit, seconds)
    limiter = _limiter()
    try:
        if limiter.hit(item, scope, identity):
            return
        reset_at = limiter.get_window_stats(item, scope, identity).reset_time
    except Exception:
        log.warning("rate limit for %s not checked: its store is unavailable", scope)
        return
    retry_after = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(_("Too many requests: at most {limit} per {seconds} seconds for this "
                        "action. Try again in {retry_after} seconds.", limit=limit,
                        seconds=seconds, retry_after=retry_after), retry_after=retry_after)


def reset() -> None:
    """Forget every count (tests start from nothing)."""
    _limiter().storage.reset()
