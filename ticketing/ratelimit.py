"""Rate limits on the actions that take inventory or send email: fixed windows in the cache
(Redis in production, so all processes share them), per client (``enforce``) or per anything
else that must not be flooded (``hit``: a booking's emails). A cache outage lets requests
through."""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from ticketing.clients import client_id
from ticketing.errors import RateLimited

log = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """'30/min' -> (30, 60). Units: s, sec, min, h, hour."""
    count, _, unit = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hour": 3600}[unit.strip()]
    return int(count), seconds


def enforce(scope: str, request: HttpRequest) -> None:
    """Raise RateLimited when this client went over the scope's rate in the current window."""
    hit(scope, client_id(request))


def hit(scope: str, identity: str) -> None:
    """Count one more for ``identity`` in the scope; raise RateLimited past its rate."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    limit, seconds = parse_rate(settings.RATE_LIMITS[scope])
    now = time.time()
    window = int(now // seconds)
    key = f"ratelimit:{scope}:{identity}:{window}"
    try:
        cache.add(key, 0, timeout=seconds + 1)
        count = cache.incr(key)
    except Exception:
        log.warning("rate limit for %s not checked: cache unavailable", scope)
        return
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * seconds - now))
        raise RateLimited(f"Too many requests: at most {limit} per {seconds} seconds for this "
                          f"action. Try again in {retry_after} seconds.",
                          retry_after=retry_after)
