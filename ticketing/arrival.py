"""When a request reached this server, for deciding competing requests in arrival order.

The ASGI entry (``ticketing.http``) stamps each plain HTTP request the moment all of it has
been received (its headers, and its body if it has one: a client cannot queue early by sending
the headers first and the body later), before it waits for a thread or a batch, and says so in
the answer's ``Server-Timing`` header
(``arrival;desc=<Unix time>``), so a client can compare arrival order with the outcome. The
stamp is the host's clock: comparable across the processes of one host, and across hosts only
as far as their clocks agree (NTP keeps them within a millisecond or so).
"""

import time

from django.http import HttpRequest

SCOPE_KEY = "reelseats.arrived"


def stamp(scope: dict) -> float:
    arrived = time.time()
    scope[SCOPE_KEY] = arrived
    return arrived


def server_timing(arrived: float) -> tuple[bytes, bytes]:
    return b"server-timing", f'arrival;desc="{arrived:.6f}"'.encode()


def arrived_at(request: HttpRequest) -> float | None:
    """The request's stamp, or None when it did not come through the ASGI entry (tests).
    Django's own ASGI request keeps the scope as ``request.scope`` (the lean path); a request
    that went through the thread pools has it in ``META["asgi.scope"]`` (a2wsgi)."""
    scope = getattr(request, "scope", None) or request.META.get("asgi.scope")
    return scope.get(SCOPE_KEY) if scope is not None else None
