"""The lean path: the hottest JSON endpoints answered on the event loop, without Django's
request stack and thread pool.

Under an on-sale rush Django's stack cost more per request than the database did
(docs/performance.md). A lean handler gets a real Django request built from the ASGI scope (so
the same host check, client address, headers and tokens) and returns an HttpResponse, or None
to let Django answer instead: each handles only the requests it answers exactly as the Django
view would, and calls the same rules. What the middleware adds to an API answer is added here
from the same code (request id, Django's security and frame-options headers, the request
metrics, problem details for errors, 503 when the database is down), and the tests compare
the two paths' answers. Anything else (another body shape, an ``Idempotency-Key``, a plain-HTTP
request that must be redirected to HTTPS) takes the Django path.
"""

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from io import BytesIO

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from psycopg import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout
from rest_framework.renderers import JSONRenderer

from ticketing import metrics
from ticketing.cache import Recent
from ticketing.context import new_request_id, request_id
from ticketing.errors import DomainError
from ticketing.i18n import language_of, say_language
from ticketing.line import LineUnavailable
from ticketing.problems import (
    CONTENT_TYPE,
    domain_problem,
    domain_problem_headers,
    server_error_problem,
    unavailable_problem,
)

log = logging.getLogger("ticketing.requests")
Handler = Callable[..., Awaitable[HttpResponse | None]]
_render = JSONRenderer().render
_security = SecurityMiddleware(lambda request: None)
_frames = XFrameOptionsMiddleware(lambda request: None)


@dataclass(frozen=True)
class Route:
    method: str
    path: re.Pattern[str]
    name: str  # the Django URL pattern's route, for the request metrics
    allow: str  # the Allow header the Django view sends
    handler: Handler
    # For a read whose answer is the same for everyone until what it shows changes: the
    # current version of what the handler would answer (an object kept while it is current),
    # or None. Then a request that matches one already answered at that version, in all that
    # decides its headers, is answered with that answer's bytes (ticketing.lean._replayed).
    current: Callable[..., Awaitable[object | None]] | None = None


def json_response(data: object, *, status: int = 200) -> HttpResponse:
    """A JSON answer rendered as DRF renders it (the same bytes as the Django view's)."""
    return HttpResponse(_render(data), status=status, content_type="application/json")


def problem(exc: DomainError) -> HttpResponse:
    response = HttpResponse(_render(domain_problem(exc)), status=exc.status,
                            content_type=CONTENT_TYPE)
    for header, value in domain_problem_headers(exc).items():
        response[header] = value
    return response


def lean_application(routes: list[Route], fallback):
    """Answer the routes' requests on the event loop; everything else goes to ``fallback``."""

    async def application(scope, receive, send) -> None:
        if not settings.LEAN_API:
            return await fallback(scope, receive, send)
        for route in routes:
            match = route.path.fullmatch(scope["path"])
            if match is not None and scope["method"] == route.method:
                break
        else:
            return await fallback(scope, receive, send)
        body, more = await _read_body(receive)
        started = time.perf_counter()
        version = key = None
        if route.current is not None and more is None and not body:
            version = await _current(route, match)
            if version is not None:
                key = _replay_key(route, match, scope)
                if await _replayed(route, key, version, send, started):
                    return
        replay = _replaying(body, more, receive)
        if more is not None:  # larger than the limit: Django refuses it with 413
            return await fallback(scope, replay, send)
        request = ASGIRequest(scope, BytesIO(body))
        if not _lean_enough(request):
            return await fallback(scope, replay, send)
        token = request_id.set(new_request_id(request.META.get("HTTP_X_REQUEST_ID")))
        try:
            response = await _answer(route, request, match)
            if response is None:
                return await fallback(scope, replay, send)
            _finish(request, response, route)
            metrics.observe_request(route.method, route.name, response.status_code,
                                    time.perf_counter() - started)
            headers = _headers(response)
            if version is not None and response.status_code == 200 and not response.cookies:
                # (An answer that sets a cookie is that client's own: never given to another.)
                kept = [header for header in headers if header[0].lower() != b"x-request-id"]
                _answers.put(key[:-1], (version, kept, response.content))
            await _send(response.status_code, headers, response.content, send)
        finally:
            request_id.reset(token)

    return application


def _lean_enough(request: HttpRequest) -> bool:
    try:
        request.get_host()  # ALLOWED_HOSTS: Django answers a bad host
    except DisallowedHost:
        return False
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return False  # Django redirects it
    # Its record lives on the Django path. (META, not request.headers: that would build a
    # mapping of every header for one lookup, on every request.)
    return "HTTP_IDEMPOTENCY_KEY" not in request.META


async def _answer(route: Route, request: HttpRequest, match: re.Match) -> HttpResponse | None:
    try:
        return await route.handler(request, **{k: int(v) for k, v in match.groupdict().items()})
    except DomainError as exc:
        return _worded(request, partial(problem, exc))
    except (OperationalError, InterfaceError, PoolTimeout, LineUnavailable) as exc:
        log.warning("unavailable: %s", type(exc).__name__)
        return _worded(request, unavailable_problem)  # as DatabaseUnavailableMiddleware answers
    except Exception:
        log.exception("lean %s %s failed", route.method, route.name)
        return _worded(request, server_error_problem)  # as the site's 500 handler answers


def _worded(request: HttpRequest, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """An error answer, in the asker's language (there is no LocaleMiddleware on this path)."""
    language = language_of(request)
    if language == translation.get_language():  # most often: nothing to switch
        return say_language(answer(), language)
    with translation.override(language):
        return say_language(answer(), language)


def _finish(request: HttpRequest, response: HttpResponse, route: Route) -> None:
    """What Django's middleware and DRF add to the same answer."""
    response["Allow"] = route.allow
    _frames.process_response(request, response)
    _security.process_response(request, response)
    response["X-Request-ID"] = request_id.get()


async def _read_body(receive) -> tuple[bytes, list | None]:
    """The body, or (what was read, the messages so far) once it passes the size limit."""
    limit = settings.MAX_REQUEST_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return b"", messages  # the client went away: let Django see it
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"", messages
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replaying(body: bytes, messages: list | None, receive):
    """A receive that hands Django what was already read, then the rest."""
    pending = list(messages) if messages is not None else [
        {"type": "http.request", "body": body, "more_body": False}]

    async def replay():
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _headers(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    headers = [(name.encode("latin-1"), str(value).encode("latin-1"))
               for name, value in response.items()]
    if not response.has_header("Content-Length"):
        headers.append((b"content-length", str(len(response.content)).encode()))
    headers.extend((b"set-cookie", cookie.output(header="").strip().encode("latin-1"))
                   for cookie in response.cookies.values())  # as Django's ASGI handler does
    return headers


async def _send(status: int, headers: list[tuple[bytes, bytes]], body: bytes, send) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# What decides an answer's headers besides the route: the host (ALLOWED_HOSTS; the full path
# answered only hosts it allows) and whether the request is secure (HSTS; a plain request
# that must be redirected was never answered here): the headers our settings let Django read
# for them (X-Forwarded-Proto with TRUST_X_FORWARDED_PROTO).
_DECIDING = (b"host", b"x-forwarded-host", b"x-forwarded-proto")
# (route, its arguments, those headers, scheme) -> (version, headers, body) last answered.
_answers = Recent(size=4096)


async def _current(route: Route, match: re.Match) -> object | None:
    try:
        return await route.current(**{k: int(v) for k, v in match.groupdict().items()})
    except Exception:  # the full path answers it (a database down is its 503)
        return None


def _replay_key(route: Route, match: re.Match, scope: dict) -> tuple:
    """What decides the answer's headers, and the request's own id (or None): one pass over
    the headers. A request with an Idempotency-Key is never replayed (its key says so)."""
    deciding = []
    incoming = None
    for name, value in scope["headers"]:
        if name in _DECIDING:
            deciding.append((name, value))
        elif name == b"x-request-id":
            incoming = value
        elif name == b"idempotency-key":
            deciding.append((name, None))  # a kind of request the full path never answers
    return route.name, match.group(0), tuple(deciding), scope.get("scheme"), incoming


async def _replayed(route: Route, key: tuple, version: object, send, started: float) -> bool:
    """Answer with the bytes of the last answer to a request like this one, if that was at
    this version: the same headers (only the request id is each request's own) and body.
    Building a Django request and response for it cost more than the rest of the read."""
    answered = _answers.get(key[:-1])
    if answered is None or answered[0] is not version:
        return False
    incoming = key[-1]
    request_id = new_request_id(incoming.decode("latin-1") if incoming else None)
    headers = [*answered[1], (b"X-Request-ID", request_id.encode())]
    metrics.observe_request(route.method, route.name, 200, time.perf_counter() - started)
    await _send(200, headers, answered[2], send)
    return True
