"""Taking a place in a waiting room on the lean path (``ticketing.lean``): thousands join in
the minute before a premiere opens, and Django's request stack cost more per join than the
join itself (docs/performance.md, S6). Same contract as ``waitingroom.api.room``'s POST, which
answers everything else (a body, a token to take the same place again, an Idempotency-Key).

Joins that arrive together are decided together (``ticketing.batching``), in the order they
arrived: every join takes the room's lock and the log's head until its commit, so one at a
time they were as many commits in a row, each waiting for the disk; together they are one."""

from collections.abc import Sequence

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import HttpRequest, HttpResponse

from catalog.models import Show
from ticketing.arrival import arrived_at
from ticketing.batching import AsyncBatcher
from ticketing.clients import client_id
from ticketing.errors import NotFound
from ticketing.i18n import _
from ticketing.lean import json_response
from ticketing.line import LineUnavailable
from waitingroom import services
from waitingroom.serializers import VisitorSerializer


def _join(show_id: int, clients: Sequence[str]) -> list[object]:
    try:
        if not Show.objects.filter(pk=show_id).exists():
            raise NotFound(_("No show with id {show_id}.", show_id=show_id))
        return [outcome if isinstance(outcome, Exception) else
                {**VisitorSerializer(services.status(outcome.visitor)).data,
                 "token": outcome.token}
                for outcome in services.join_together(show_id=show_id, clients=clients)]
    except (OperationalError, InterfaceError) as exc:
        raise LineUnavailable("the database is unavailable") from exc  # 503, as Django says
    finally:
        close_old_connections()


_join_in_thread = sync_to_async(_join, thread_sensitive=False)
_join_on_sqlite = sync_to_async(_join)  # SQLite: Django's one sync thread, as every write


async def _decide(show_id: int, clients: Sequence[str]) -> list[object]:
    joining = (_join_on_sqlite if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
               else _join_in_thread)
    return await joining(show_id, clients)


_joins: AsyncBatcher[str, dict] = AsyncBatcher(_decide, max_batch=200)


async def join(request: HttpRequest, show_id: int) -> HttpResponse | None:
    """POST /api/v1/shows/{id}/room with no body and no token: a new place."""
    if request.body or "authorization" in request.headers or (
            "idempotency-key" in request.headers):
        return None
    if settings.RATE_LIMIT_ENABLED:
        return None  # Django counts the request against the limit in its own order
    joined = await _joins.submit(show_id, client_id(request), arrived=arrived_at(request))
    return json_response(joined, status=201)
