import logging
import time

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from ticketing import metrics
from ticketing.context import new_request_id, request_id
from ticketing.db import discard_dead_connections
from ticketing.line import LineUnavailable
from ticketing.problems import RETRY_AFTER_SECONDS, is_api, unavailable_problem

log = logging.getLogger("ticketing.requests")


class RequestIdMiddleware:
    """Give every request an id (X-Request-ID in and out) that logs and tasks carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_id.set(new_request_id(request.headers.get("X-Request-ID")))
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            return response
        finally:
            request_id.reset(token)


class MetricsMiddleware:
    """Count requests and time them, by route pattern (never by raw path: no ids, no tokens)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "unmatched"
        metrics.observe_request(request.method, route, response.status_code,
                                time.perf_counter() - started)
        return response


class DatabaseUnavailableMiddleware:
    """When the database cannot be reached, answer 503 with Retry-After, never a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError | DatabaseError
                          | LineUnavailable):
            return None
        if not _looks_like_an_outage(exception):
            return None
        log.warning("database unavailable: %s", type(exception).__name__)
        discard_dead_connections()
        if is_api(request):
            return unavailable_problem()
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _looks_like_an_outage(exception: Exception) -> bool:
    """Connection-level failures only; a constraint violation is a bug, not an outage. (The
    shared line of holds, ticketing.line, failing is one too.)"""
    if isinstance(exception, OperationalError | InterfaceError | LineUnavailable):
        return True
    cause = exception.__cause__
    return cause is not None and type(cause).__name__ in {
        "OperationalError", "InterfaceError", "PoolTimeout", "AdminShutdown",
        "ConnectionTimeout"}
