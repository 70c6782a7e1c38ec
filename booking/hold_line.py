"""Holds decided on an event loop, on PostgreSQL: one call of the SQL hold function
(``booking.holds_sql``, the rule of ``booking.holds``) per batch, on a native async connection,
and the line every web process shares (``ticketing.line``) when there are several.

With Redis, every hold that is decided in a batch goes through the line, whichever path asked
for it (the lean API, or Django's views on their threads): a request never loses to one that
reached another web process later. Without it (zero setup, HOLD_LINE=0, or Redis down), each
process decides its own batches, in arrival order within the process.
"""

import asyncio
import time
from collections.abc import Sequence

import psycopg
from django.conf import settings

from booking import holds_sql
from booking.decisions import HoldRequest, NewHold
from booking.errors import SeatsUnavailable
from booking.events import seats_message, send_seats_from_loop
from booking.seats import TAKEN
from ticketing import async_db, live, metrics
from ticketing.cache import Recent
from ticketing.errors import NotFound
from ticketing.line import (
    UNAVAILABLE,
    LineUnavailable,
    LineUnreachable,
    SharedLine,
)

known_shows: set[int] = set()  # shows this process has decided holds for (they exist)
# show id -> (when read, version, waiting) of its seat map, as last read or made here: a seat
# map read (booking.lean_api) re-reads it at most every SEAT_MAP_RECHECK_MS (a change made
# through another process shows that much later at most, sooner than live updates reach
# anyone); holds decided here update it at once.
versions = Recent(size=4096)
TAKEN_UNDER_LOCK = {"taken": True}


async def decide_entries(show_id: int, entries: Sequence[dict]) -> list[dict | Exception]:
    """Decide these requests (``holds_sql.entry`` each, in arrival order) in one call of the
    SQL function, and send the seat event once it is committed. Each request's answer: its own
    result (``holds_sql.each_result``), TAKEN_UNDER_LOCK, or the exception that failed it."""
    pool = await async_db.pool()
    async with pool.connection() as connection:
        try:
            cursor = await connection.execute(holds_sql.CALL,
                                              holds_sql.call_arguments(show_id, entries))
            [result] = await cursor.fetchone()
        except psycopg.Error as exc:
            if exc.sqlstate == holds_sql.TAKEN_UNDER_LOCK and len(entries) == 1:
                return [TAKEN_UNDER_LOCK]
            if exc.sqlstate is None or len(entries) == 1:
                raise  # the connection failed (whether it committed is unknown), or alone
            # The statement failed (a deadlock, a seat taken under the lock), so it changed
            # nothing: decide each alone.
            return [await _decide_alone(show_id, item) for item in entries]
    results = holds_sql.each_result(result, len(entries))
    if results[0].get("no_show"):
        return results
    known_shows.add(show_id)
    held = [item for item, answer in zip(entries, results, strict=True)
            if "held" in answer["outcomes"][0]]
    if held:  # the statement was its own transaction: it is committed
        version, waiting = results[0]["version"], results[0]["waiting"]
        versions.put(show_id, (time.monotonic(), version, waiting))
        changes = {seat_id: "held" for item in held for seat_id in item["seats"]}
        send_seats_from_loop(show_id, seats_message(changes, version=version, waiting=waiting))
        metrics.inc("ticketing_holds_created", len(held))
    return results


async def _decide_alone(show_id: int, item: dict) -> dict | Exception:
    try:
        [answer] = await decide_entries(show_id, [item])
    except Exception as exc:  # raised in that request alone
        return exc
    return answer


def outcome(show_id: int, request: HoldRequest, token: holds_sql.Token,
            answer: dict | BaseException) -> NewHold | BaseException:
    """A request's hold, or what refuses or failed it, from its answer."""
    if isinstance(answer, BaseException):
        return answer
    if answer == TAKEN_UNDER_LOCK:
        return SeatsUnavailable(TAKEN)
    [decided] = holds_sql.read_result(show_id, [request], [token], answer).outcomes
    if not isinstance(decided, NotFound):
        known_shows.add(show_id)
    return decided


_line: SharedLine | None = None


async def _open_pool() -> None:
    """Connected before the first batch (on the line thread's loop, which has its own)."""
    await (await async_db.pool()).wait(timeout=5)


def shared_line() -> SharedLine | None:
    """The line every web process shares, when there are several: with Redis and PostgreSQL,
    unless HOLD_LINE=0; None while Redis cannot be reached (holds go on, in process order)."""
    global _line
    if not (settings.HOLD_LINE and settings.REDIS_URL and async_db.available()):
        return None
    if _line is None:
        _line = SharedLine("holds", decide_entries, url=settings.REDIS_URL,
                           grace_ms=settings.HOLD_LINE_GRACE_MS, prepare=_open_pool)
    return _line if _line.reachable() else None


async def hold_in_line(line: SharedLine, show_id: int, request: HoldRequest,
                       arrived: float | None) -> NewHold:
    """Decided in the line; raises what refuses it, or LineUnreachable if it never got in."""
    item, token = holds_sql.entry(request)
    decided = outcome(show_id, request, token,
                      await line.submit(show_id, item, arrived=arrived))
    if isinstance(decided, BaseException):
        raise decided
    return decided


def hold_from_thread(*, show_id: int, request: HoldRequest, arrived: float | None
                     ) -> NewHold | None:
    """``hold_in_line`` for a Django view on its thread (the line lives on the server's
    loop); None when there is no line to join (the caller decides in its own batches)."""
    line = shared_line()
    loop = live.server_loop()
    if line is None or loop is None or not loop.is_running():
        return None
    future = asyncio.run_coroutine_threadsafe(hold_in_line(line, show_id, request, arrived),
                                              loop)
    try:
        return future.result(timeout=line.wait_limit + 5)  # the line answers 503 by then
    except LineUnreachable:
        return None
    except UNAVAILABLE as exc:  # this process decided it, and its database connection failed
        raise LineUnavailable("the database is unavailable") from exc
    except TimeoutError as exc:
        future.cancel()
        raise LineUnavailable("no answer from the line in time") from exc


shared_line()  # made at import, so the server connects it at startup (line.start_all)
