"""Two hot API endpoints on the lean path (``ticketing.lean``): holding chosen seats, and
reading a seat map. Same contract as ``booking.api``'s views (which answer whatever
these hand back: other body shapes, anything invalid, the first request for a show in this
process while rate limits are on, a seat map this process has not drawn at this version).

Holds for one show that arrive together are decided together, in the order they arrived: with
Redis, in the line every web process shares (``booking.hold_line``), so a request never loses
to one that reached another process later; otherwise by this process's own batcher
(``ticketing.batching.AsyncBatcher``). On PostgreSQL a batch is one call of the SQL hold function
(``booking.holds_sql``, the rule of ``booking.holds``) on a native async connection; on SQLite
``holds.decide_holds`` itself, on Django's one sync thread. One seat event per batch: a rush of
thousands is a handful of transactions.
"""

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from booking import hold_line, holds, holds_sql
from booking.api import SeatMapBody, latest_seat_maps, show_for_seats_or_404
from booking.decisions import HoldRequest, NewHold
from booking.holds import validate_seat_ids
from booking.models import SeatMapState
from booking.serializers import NewHoldSerializer
from ticketing import async_db, ratelimit
from ticketing.arrival import arrived_at
from ticketing.batching import AsyncBatcher
from ticketing.clients import client_id
from ticketing.errors import DomainError
from ticketing.lean import json_response
from ticketing.line import LineUnreachable
from ticketing.representation import represent


async def _decide(show_id: int, requests: list[HoldRequest]) -> list[NewHold | Exception]:
    """This process's own batcher's decide (no shared line: zero setup, HOLD_LINE=0, or Redis
    cannot be reached)."""
    if not async_db.available():  # SQLite: the Python rule, on Django's one sync thread
        return await sync_to_async(_decide_in_python)(show_id, requests)
    made = [holds_sql.entry(request) for request in requests]
    answers = await hold_line.decide_entries(show_id, [item for item, _ in made])
    return [hold_line.outcome(show_id, request, token, answer)
            for request, (_, token), answer in zip(requests, made, answers, strict=True)]


def _decide_in_python(show_id: int, requests: list[HoldRequest]
                      ) -> list[NewHold | DomainError]:
    try:
        show = show_for_seats_or_404(show_id)
        outcomes = holds.decide_holds(show=show, requests=requests)
    except DomainError as exc:
        return [exc for _ in requests]
    finally:
        close_old_connections()
    hold_line.known_shows.add(show_id)
    return outcomes


_batches: AsyncBatcher[HoldRequest, NewHold] = AsyncBatcher(_decide)


async def _hold(show_id: int, request: HoldRequest, arrived: float | None) -> NewHold:
    line = hold_line.shared_line()
    if line is not None:
        try:
            return await hold_line.hold_in_line(line, show_id, request, arrived)
        except LineUnreachable:  # never got in: decided here, in this process's order
            pass
    return await _batches.submit(show_id, request, arrived=arrived)


def _json_object(body: bytes) -> dict | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def create_hold(request: HttpRequest, show_id: int) -> HttpResponse | None:
    """POST /api/v1/shows/{id}/holds with ``{"seats": [...]}`` (booking.api.create_hold)."""
    if request.content_type != "application/json" or "authorization" in request.headers:
        return None  # a waiting room's pass is checked by Django's view (booking.passes)
    body = _json_object(request.body)
    if body is None or set(body) != {"seats"}:
        return None
    try:
        seat_ids = validate_seat_ids(body["seats"])
    except DomainError:
        return None  # Django answers it, after its own checks in its own order
    if settings.RATE_LIMIT_ENABLED:
        if show_id not in hold_line.known_shows:
            return None  # Django says 404 before it counts the request against the limit
        await asyncio.to_thread(ratelimit.enforce, "holds", request)
    new = await _hold(show_id, HoldRequest(seat_ids=seat_ids, client=client_id(request)),
                      arrived_at(request))
    return json_response(represent(NewHoldSerializer, new.hold, token=new.token), status=201)


async def current_seat_map(show_id: int) -> SeatMapBody | None:
    """The show's seat map as this process has drawn it, if it is the show's current one: at
    most one small read (shared by every request wanting it meanwhile)."""
    known = latest_seat_maps.get(show_id)
    if known is None:
        return None
    checked = hold_line.versions.get(show_id)
    if checked is not None and time.monotonic() - checked[0] < settings.SEAT_MAP_RECHECK_MS / 1000:
        row = checked[1:]
    elif async_db.available():
        row = await _read_version(show_id)
    else:
        row = await sync_to_async(_seat_map_state)(show_id)
    if row is None or not known.answers(row[0], row[1], timezone.now()):
        hold_line.versions.put(show_id, None)
        return None
    return known


async def seat_map(request: HttpRequest, show_id: int) -> HttpResponse | None:
    """GET /api/v1/shows/{id}/seats (booking.api.ShowSeatMap), when this process has the map
    at the show's current version (``current_seat_map``) instead of Django's whole request."""
    known = await current_seat_map(show_id)
    if known is None:
        return None
    return HttpResponse(known.body, content_type="application/json")


_reading: dict[int, asyncio.Task] = {}  # show id -> its version being read


async def _read_version(show_id: int) -> tuple[int, int] | None:
    """The show's (version, waiting), read once for every seat-map request that wants it
    meanwhile: when the recheck falls due under a thousand reads a second, the first starts
    the read and the rest await it, instead of each sending its own."""
    reading = _reading.get(show_id)
    if reading is None:
        reading = _reading[show_id] = asyncio.get_running_loop().create_task(
            _select_version(show_id))
        reading.add_done_callback(lambda _: _reading.pop(show_id, None))
    return await asyncio.shield(reading)  # one request going away does not cancel the rest


async def _select_version(show_id: int) -> tuple[int, int] | None:
    pool = await async_db.pool()
    async with pool.connection() as connection:
        cursor = await connection.execute(
            "SELECT version, waiting FROM booking_seatmapstate WHERE show_id = %s", [show_id])
        row = await cursor.fetchone()
    current = hold_line.versions.get(show_id)
    if row is not None and (current is None or row[0] >= current[1]):
        hold_line.versions.put(show_id, (time.monotonic(), *row))  # never back to an older one
    return row


def _seat_map_state(show_id: int) -> tuple[int, int] | None:
    try:
        return SeatMapState.objects.filter(show_id=show_id).values_list(
            "version", "waiting").first()
    finally:
        close_old_connections()
