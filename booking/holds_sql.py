"""``booking.holds.decide_holds`` on PostgreSQL: the whole decision in one call of a SQL
function, ``booking_decide_holds`` (``booking/sql/decide_holds.sql``, installed by migration).

It is the same rule as ``holds._check_hold`` in Python (which SQLite runs, and so does a hold
that replaces another): the same checks in the same order with the same answers
(``booking.refusals``), the wanted rows locked at once in key order, the clock read after the
locks, the clients' advisory locks for the caps, the same guarded claim, one seat-map version
for the batch. The tests run the same cases, and the stateful property test, against both.
What it saves is the round trips and the ORM: a batch is one statement instead of eight.
"""

import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from uuid import uuid4

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from booking import refusals
from booking.decisions import HoldRequest, NewHold
from booking.errors import SeatsUnavailable
from booking.events import announce_seats
from booking.models import Hold
from booking.seats import TAKEN
from catalog.models import Show
from ticketing import metrics
from ticketing.errors import DomainError, NotFound
from ticketing.locks import client_lock_key
from ticketing.tokens import new_token

CALL = "SELECT booking_decide_holds(%s, %s, %s, %s, %s, %s)"
TAKEN_UNDER_LOCK = "RS409"  # the function's own error: a claim found a row not free


Token = tuple[str, str, str]  # a request's hold id, its token, the token's hash


def entry(request: HoldRequest) -> tuple[dict, Token]:
    """What the function takes for one request, and the request's (hold id, token, its hash):
    the token is given out once, only its hash is stored (and sent)."""
    token, token_hash = new_token()
    hold_id = str(uuid4())
    item = {"id": hold_id, "token_hash": token_hash, "client": request.client,
            "session_key": request.session_key, "seats": request.seat_ids}
    if request.admitted:
        item["admitted"] = True
    if settings.RATE_LIMIT_ENABLED:  # the caps are counted under the client's lock
        item["lock"] = client_lock_key(request.client)
    return item, (hold_id, token, token_hash)


def call_arguments(show_id: int, entries: Sequence[dict]) -> list:
    """The function's arguments for these requests' entries, in the order they are decided."""
    caps = ([settings.HOLDS_PER_CLIENT_PER_SHOW, settings.HOLDS_PER_CLIENT]
            if settings.RATE_LIMIT_ENABLED else [None, None])
    # The rule's clock is the application's (timezone.now), read by the function after its
    # locks: it is told how far that clock is from real time (nothing, unless a test moved it).
    offset = timezone.now() - datetime.now(UTC)
    return [show_id, json.dumps(list(entries)), settings.HOLD_TTL_SECONDS, *caps,
            offset // timedelta(microseconds=1)]


def arguments(show_id: int, requests: Sequence[HoldRequest]) -> tuple[list, list[Token]]:
    """The function's arguments for these requests (in order), and each request's token."""
    made = [entry(request) for request in requests]
    return call_arguments(show_id, [item for item, _ in made]), [token for _, token in made]


def each_result(result: dict | str, count: int) -> list[dict]:
    """The function's result for a batch, as one result per request (its own outcome alone),
    for ``read_result`` of that request by itself (the shared line sends each its own)."""
    result = json.loads(result) if isinstance(result, str) else result
    if result.get("no_show"):
        return [result] * count  # every request's answer: no such show
    common = {name: value for name, value in result.items() if name != "outcomes"}
    return [{**common, "outcomes": [outcome]} for outcome in result["outcomes"]]


@dataclass(frozen=True)
class Decided:
    """What the function decided: a NewHold or a DomainError per request, and the seat event
    to send once it is committed (``changes`` empty when nothing was held)."""

    outcomes: list[NewHold | DomainError]
    changes: dict[int, str]
    version: int | None = None
    waiting: int = 0

    @property
    def holds_made(self) -> int:
        return sum(1 for outcome in self.outcomes if isinstance(outcome, NewHold))


def read_result(show_id: int, requests: Sequence[HoldRequest], tokens: Sequence[Token],
                result: dict | str) -> Decided:
    result = json.loads(result) if isinstance(result, str) else result
    if result.get("no_show"):
        return Decided([NotFound(f"No show with id {show_id}.") for _ in requests], {})
    now = datetime.fromisoformat(result["now"])
    expires_at = datetime.fromisoformat(result["expires_at"])
    decided: list[NewHold | DomainError] = []
    changes: dict[int, str] = {}
    for request, (hold_id, token, token_hash), outcome in zip(requests, tokens,
                                                               result["outcomes"], strict=True):
        if "held" in outcome:
            hold = Hold(id=hold_id, show_id=show_id, token_hash=token_hash,
                        state=Hold.State.ACTIVE, created_at=now, expires_at=expires_at,
                        seats=outcome["held"], total=Decimal(str(outcome["total"])),
                        currency=result["currency"], session_key=request.session_key,
                        client=request.client)
            hold._state.adding = False  # it is in the database: the function wrote it
            hold._state.db = connection.alias
            decided.append(NewHold(hold=hold, token=token))
            changes.update(dict.fromkeys(request.seat_ids, "held"))
        else:
            decided.append(_refusal(show_id, outcome))
    return Decided(decided, changes, result["version"], result["waiting"])


def _refusal(show_id: int, outcome: dict) -> DomainError:
    why = outcome["refused"]
    if why == "taken":
        metrics.inc("ticketing_hold_conflicts")
        return refusals.seats_unavailable([tuple(seat) for seat in outcome["seats"]])
    if why == "unknown":
        return refusals.no_such_seats(outcome["seats"])
    if why == "waiting":
        return refusals.line_is_waiting()
    if why == "limit":
        return refusals.too_many_holds(outcome["retry_after"])
    if why == "started":
        return refusals.show_started()
    if why == "not_on_sale":
        return refusals.not_on_sale(datetime.fromisoformat(outcome["on_sale_at"]),
                                    outcome["timezone"])
    if why == "queue_required":
        return refusals.queue_required(show_id)
    if why == "companion":
        return refusals.companion_needs_space([tuple(seat) for seat in outcome["seats"]])
    if why == "strands":
        return refusals.strands_seats([tuple(seat) for seat in outcome["seats"]],
                                      [tuple(seat) for seat in outcome["suggestion"]])
    return refusals.show_cancelled()


def decide(show: Show, requests: Sequence[HoldRequest]) -> list[NewHold | DomainError]:
    """Run the function on this thread's connection (its own transaction, or a savepoint of
    the caller's); the seat event and the figures follow the commit."""
    args, tokens = arguments(show.pk, requests)
    # Inside the caller's transaction, a savepoint; outside, one statement is one transaction
    # (no BEGIN and COMMIT round trips).
    within = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with within, connection.cursor() as cursor:
            cursor.execute(CALL, args)
            [result] = cursor.fetchone()
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == TAKEN_UNDER_LOCK:
            raise SeatsUnavailable(TAKEN) from exc
        raise
    decided = read_result(show.pk, requests, tokens, result)
    if decided.changes:
        announce_seats(show.pk, decided.changes, version=decided.version,
                       waiting=decided.waiting)
        transaction.on_commit(partial(metrics.inc, "ticketing_holds_created",
                                      decided.holds_made))
    return decided.outcomes
