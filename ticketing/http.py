"""Plain HTTP for the ASGI server: Django's WSGI handler on fixed pools of threads (a2wsgi).

Django's own ASGI handler hops between the event loop and a fresh thread for every sync
middleware and view, and lets every request in at once: under a burst, hundreds of threads fight
over the GIL while the few holding row locks crawl (profiled in docs/performance.md). A pool runs
each request start to finish on one thread, and a burst waits its turn in arrival order.

Requests that wait on the payment gateway (checkout, pay, cancel with refund, Stripe's returns
and webhooks) get a pool of their own, so a slow gateway can never leave seat holds and page
views queued behind it.

Each request is stamped with its arrival (``ticketing.arrival``) once all of it has been
received, before it waits for a thread.
"""

import re
from collections.abc import Sequence

from a2wsgi import WSGIMiddleware
from django.conf import settings

from ticketing.arrival import SCOPE_KEY, server_timing, stamp
from ticketing.lean import Route, lean_application

GATEWAY_PATHS = re.compile(r"/(checkout|complete|pay|return|cancel|webhook)/?$")


def http_application(wsgi_app, lean_routes: Sequence[Route] = ()):
    """Plain HTTP: the lean routes on the event loop (``ticketing.lean``), the rest on the
    pools."""
    quick = WSGIMiddleware(wsgi_app, workers=settings.WEB_THREADS)
    gateway = WSGIMiddleware(wsgi_app, workers=settings.WEB_GATEWAY_THREADS)

    async def pools(scope, receive, send) -> None:
        waits_on_gateway = scope["method"] == "POST" and GATEWAY_PATHS.search(scope["path"])
        await (gateway if waits_on_gateway else quick)(scope, receive, send)

    answer = lean_application(list(lean_routes), pools) if lean_routes else pools

    async def application(scope, receive, send) -> None:
        scope = dict(scope)
        stamp(scope)  # the headers are in

        async def receive_stamped():
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                stamp(scope)  # and now the whole request: a slow body does not queue early
            return message

        async def send_stamped(message) -> None:
            if message["type"] == "http.response.start":
                header = server_timing(scope[SCOPE_KEY])
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await answer(scope, receive_stamped, send_stamped)

    return application
