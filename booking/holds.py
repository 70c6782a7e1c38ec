"""Holding seats: all of them for HOLD_TTL_SECONDS, or none; releasing them; expiry.

The seat rows themselves are locked, claimed and freed by booking.seats (its module doc has the
recipe every change follows); this module decides what may be held, by whom, until when. The
database refuses what Python must never do (see the constraints on ShowSeat and BookingSeat).
"""

import logging
import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from booking import companions, hold_line, holds_sql, passes, refusals, seats, stranding
from booking.best_seats import Place, best_places, hall_centre
from booking.decisions import HoldRequest, NewHold
from booking.errors import SeatsUnavailable
from booking.events import announce_hold_ended, seats_changed
from booking.inventory import seat_map_state
from booking.models import Hold, SeatState, ShowSeat
from catalog.layout import CATEGORIES
from catalog.models import Show
from ticketing import metrics
from ticketing.batching import Batcher
from ticketing.clients import UNKNOWN_CLIENT
from ticketing.errors import Conflict, DomainError, InvalidRequest, NotFound
from ticketing.i18n import _, category_name
from ticketing.locks import lock_client
from ticketing.tokens import new_token, token_matches

log = logging.getLogger(__name__)
LIVE = (Hold.State.ACTIVE, Hold.State.PAYING)
# On PostgreSQL, decide holds in the database (booking.holds_sql); the tests turn it off to
# prove the Python rule against the same cases there too.
IN_DATABASE = True


MAX_ID = 2**63 - 1  # ids are 64-bit; a larger number is no seat (and no database takes it)


def validate_seat_ids(seat_ids: object) -> list[int]:
    if not isinstance(seat_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in seat_ids
    ):
        raise InvalidRequest(_("seats must be a list of seat ids (integers)"), field="seats")
    limit = settings.MAX_SEATS_PER_HOLD
    if not 1 <= len(seat_ids) <= limit:
        raise InvalidRequest(_("choose between 1 and {limit} seats (got {number_of_seat_ids})",
                               limit=limit, number_of_seat_ids=len(seat_ids)),
                             field="seats")
    if len(set(seat_ids)) != len(seat_ids):
        duplicates = sorted({i for i in seat_ids if seat_ids.count(i) > 1})
        raise InvalidRequest(
            _("seat ids appear twice: {duplicates}", duplicates=duplicates), field="seats"
        )
    impossible = [i for i in seat_ids if not 1 <= i <= MAX_ID]
    if impossible:
        raise refusals.no_such_seats(impossible)
    return seat_ids


def hold_seats(
    *,
    show: Show,
    seat_ids: Sequence[int],
    session_key: str = "",
    replacing: Hold | None = None,
    client: str = "",
    arrived_at: float | None = None,
    alone: bool = False,
    room_token: object = None,
    at_counter: bool = False,
) -> NewHold:
    """Hold exactly these seats of the show for HOLD_TTL_SECONDS, or raise and change nothing.

    A show with a waiting room is held only by a visitor it let in (``room_token``: their room
    entry's token, which opens a valid pass; booking.passes), or by staff ``at_counter``.

    ``replacing`` is the caller's current hold for the same show (a browser changing its
    selection): it is released in the same transaction, so if the new seats cannot all be held
    the old hold stays as it was. The replacement expires when the old one would have.

    Requests for the same show that arrive together are decided together, in the order they
    arrived (``arrived_at``, a Unix time; now if not given): one transaction and one seat
    event for the batch, and the earliest request wins by construction. With Redis, in the
    line every web process shares (``booking.hold_line``); otherwise in this process's batches.
    A request made inside the caller's own transaction, replacing a hold, or ``alone`` (best
    available, which chose its seats just before: in a batch, every such request would have
    chosen the same ones) is decided alone.
    """
    room_pass = (passes.admitting(show=show, token=room_token)
                 if show.waiting_room and not at_counter else None)
    request = HoldRequest(
        seat_ids=validate_seat_ids(list(seat_ids)),
        client=client or UNKNOWN_CLIENT,  # offers have none; holds always
        session_key=session_key,
        replacing=replacing,
        admitted=at_counter or room_pass is not None,
    )
    new = _decide_one(show=show, request=request, alone=alone, arrived_at=arrived_at)
    if room_pass is not None:
        passes.note_hold(room_pass, new.hold)
    return new


def _decide_one(*, show: Show, request: HoldRequest, alone: bool, arrived_at: float | None
                ) -> NewHold:
    if request.replacing is None:
        _refuse_seats_already_taken(show, request.seat_ids)
    if request.replacing is not None or alone or connection.in_atomic_block:
        [outcome] = decide_holds(show=show, requests=[request])
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome
    if IN_DATABASE and connection.vendor == "postgresql":
        # With several web processes, the line they share (booking.hold_line).
        new = hold_line.hold_from_thread(show_id=show.pk, request=request, arrived=arrived_at)
        if new is not None:
            return new
    return _batches.submit(show.pk, (show, request), arrived=arrived_at)


def decide_holds(*, show: Show, requests: Sequence[HoldRequest]) -> list[NewHold | DomainError]:
    """Decide requests for seats of one show in one transaction, in the order given: each gets
    its hold, or the error that refuses it, exactly as if it had come alone just after the ones
    before it. The seats of all of them are locked at once (in key order) and the clock is read
    after the locks; a request loses a seat that an earlier one in the batch won. Only a batch
    of one may replace a hold. Raises, changing nothing, if the writes fail."""
    if len(requests) > 1 and any(request.replacing is not None for request in requests):
        raise ValueError("a replacement is decided alone")
    replacing = requests[0].replacing if requests else None
    if IN_DATABASE and connection.vendor == "postgresql" and replacing is None:
        return holds_sql.decide(show, requests)  # the same rule, in one statement
    with transaction.atomic():
        old = _lock_replaceable(replacing, show)
        wanted_ids = sorted({seat_id for request in requests for seat_id in request.seat_ids})
        rows = seats.lock(show_id=show.pk, seat_ids=wanted_ids, hold=old)
        now = timezone.now()  # read after the locks are granted: expiry is judged at this instant
        if old is not None and not old.is_live(now):
            old = None  # it ran out while we waited for the locks: this is a new hold
        if settings.RATE_LIMIT_ENABLED:
            # One client's holds are counted one at a time (see _enforce_hold_caps); every
            # client of the batch is locked up front, in one order, so batches cannot deadlock.
            for client in sorted({request.client for request in requests}):
                lock_client(client)
        by_seat = {row.seat_id: row for row in rows}
        # The cinema's rules, read once for the batch, in one query.
        strict, open_minutes, tz_name = (
            Show.objects.filter(pk=show.pk)
            .values_list("hall__cinema__no_stranded_seats",
                         "hall__cinema__companion_seats_open_minutes",
                         "hall__cinema__timezone")
            .first() or (False, None, "UTC")
        )
        companions_open = companions.companions_open(
            starts_at=show.starts_at, open_minutes=open_minutes, now=now
        )
        won: set[int] = set()  # seats the batch's earlier winners hold
        holds_won: Counter[str] = Counter()  # and how many holds each client got
        outcomes: list[NewHold | DomainError | None] = []
        winners: list[tuple[int, HoldRequest, list[ShowSeat]]] = []
        for index, request in enumerate(requests):
            try:
                wanted = _check_hold(
                    show=show,
                    request=request,
                    by_seat=by_seat,
                    old=old,
                    won=won,
                    holds_won=holds_won[request.client],
                    now=now,
                    strict=strict,
                    companions_open=companions_open,
                    tz_name=tz_name,
                )
            except DomainError as refusal:
                outcomes.append(refusal)
                continue
            outcomes.append(None)
            winners.append((index, request, wanted))
            won.update(request.seat_ids)
            holds_won[request.client] += 1
        for index, new in zip(
            [index for index, _, _ in winners],
            _create_holds(show=show, winners=[(r, w) for _, r, w in winners], old=old, now=now),
            strict=True,
        ):
            outcomes[index] = new
    return outcomes  # type: ignore[return-value]


def _check_hold(
    *,
    show: Show,
    request: HoldRequest,
    by_seat: dict[int, ShowSeat],
    old: Hold | None,
    won: set[int],
    holds_won: int,
    now: datetime,
    strict: bool,
    companions_open: bool = False,
    tz_name: str = "UTC",
) -> list[ShowSeat]:
    """The rows this request may hold (locked, read at ``now``; ``won``: seats the batch's
    earlier winners hold, ``holds_won``: holds they gave this client; ``strict``: the cinema
    refuses stranded seats; ``companions_open``: anyone may hold a companion seat;
    ``tz_name``: the cinema's time zone, to say when a show goes on sale), or the DomainError
    that refuses it."""
    if show.has_started(now):
        raise refusals.show_started()
    if show.cancelled_at is not None:
        raise refusals.show_cancelled()
    if show.sale_opens_later(now):
        raise refusals.not_on_sale(show.on_sale_at, tz_name)
    if show.waiting_room and not request.admitted:
        raise refusals.queue_required(show.pk)
    unknown = [seat_id for seat_id in request.seat_ids if seat_id not in by_seat]
    if unknown:
        raise refusals.no_such_seats(unknown)
    wanted = [by_seat[seat_id] for seat_id in request.seat_ids]
    if any(old is None or row.hold_id != old.pk for row in wanted):
        _refuse_if_people_wait(show)
    taken = [
        (row.seat_id, row.seat.label, SeatState.HELD if row.seat_id in won else row.state(now))
        for row in wanted
        if row.seat_id in won
        or (
            row.state(now) != SeatState.AVAILABLE
            and not (old is not None and row.hold_id == old.pk)
        )
    ]
    if taken:
        metrics.inc("ticketing_hold_conflicts")
        raise refusals.seats_unavailable(taken)
    if not companions_open:
        alone = companions.lonely_companions(
            (row.seat_id, row.seat.label, row.seat.category) for row in wanted
        )
        if alone:
            raise refusals.companion_needs_space(alone)
    if strict:
        _refuse_stranding(show=show, wanted=wanted, old=old, won=won, now=now)
    _enforce_hold_caps(show=show, client=request.client, old=old, now=now, also=holds_won)
    return wanted


def _refuse_stranding(
    *, show: Show, wanted: list[ShowSeat], old: Hold | None, won: set[int], now: datetime
) -> None:
    """Refuse a hold that would leave a single seat on its own (booking.stranding), row by
    row, with the nearest choice that leaves nobody alone; seats the batch's earlier winners
    took count as taken, and the caller's own old hold as free (it is being replaced)."""
    grid_rows = {row.seat.grid_row for row in wanted}
    # Seats beside the hold are read, not locked: one hold of a show at a time passes here
    # (the show's stranding lock, which the SQL rule takes too), so two cannot strand one.
    lock_show_for_stranding(show.pk)
    cells = ShowSeat.objects.filter(show=show, seat__grid_row__in=grid_rows).values_list(
        "seat_id",
        "seat__grid_row",
        "seat__grid_col",
        "seat__row_label",
        "seat__number",
        "seat__category",
        "hold_id",
        "held_until",
        "booking_id",
        "house_reason",
        "seat__blocked",
    )
    free: dict[int, dict[int, tuple[int, str]]] = {r: {} for r in grid_rows}  # row -> col -> seat
    category_of: dict[tuple[int, int], str] = {}
    for (
        seat_id,
        grid_row,
        col,
        label,
        number,
        category,
        hold_id,
        until,
        booking_id,
        house,
        blocked,
    ) in cells:
        mine = old is not None and hold_id == old.pk
        held = hold_id is not None and until is not None and until > now and not mine
        if not (blocked or house or booking_id or held or seat_id in won):
            free[grid_row][col] = (seat_id, f"{label}{number}")
            category_of[grid_row, col] = category
    kinds = {seat.seat.category for seat in wanted}
    for grid_row in sorted(free):
        row = free[grid_row]
        taking = [seat.seat.grid_col for seat in wanted if seat.seat.grid_row == grid_row]
        allowed = {col for col in row if category_of[grid_row, col] in kinds}
        instead = stranding.better_choice(set(row), taking, allowed)
        if instead is not None:
            alone = stranding.stranded(set(row), taking)
            raise refusals.strands_seats([row[col] for col in alone], [row[col] for col in instead])


def _enforce_hold_caps(
    *, show: Show, client: str, old: Hold | None, now: datetime, also: int = 0
) -> None:
    """Holding inventory without buying must stay expensive: a client may have only so many
    live holds, for one show and overall (a replaced hold does not count; ``also``: holds of
    this show given to the client earlier in the same batch, not yet written). Every request
    names its client (an unknown address is the client "unknown"), so none goes uncounted. The
    caller holds the client's lock (``lock_client``): otherwise requests for different seats,
    which lock different rows, would all count the same few holds at once and all pass."""
    if not settings.RATE_LIMIT_ENABLED:
        return
    live = Hold.objects.filter(client=client, state__in=LIVE, expires_at__gt=now)
    if old is not None:
        live = live.exclude(pk=old.pk)
    per_show = settings.HOLDS_PER_CLIENT_PER_SHOW
    overall = settings.HOLDS_PER_CLIENT
    if live.filter(show=show).count() + also >= per_show or live.count() + also >= overall:
        soonest = live.order_by("expires_at").values_list("expires_at", flat=True).first()
        retry_after = (
            settings.HOLD_TTL_SECONDS
            if soonest is None
            else max(1, math.ceil((soonest - now).total_seconds()))
        )
        raise refusals.too_many_holds(retry_after)


def _decide_batch(
    show_id: int, items: Sequence[tuple[Show, HoldRequest]]
) -> list[NewHold | DomainError]:
    """The batcher's decide: one transaction for the lot; if it failed and was rolled back,
    each alone."""
    show = items[0][0]
    requests = [request for _, request in items]
    try:
        return decide_holds(show=show, requests=requests)
    except (OperationalError, InterfaceError):
        raise  # the connection failed: whether it committed is unknown, so never decide again
    except Exception:
        if len(requests) == 1:
            raise
        # Anything else was rolled back (the rule runs in one transaction, or one statement).
        log.warning(
            "a batch of %d holds for show %s failed; deciding each alone",
            len(requests),
            show_id,
            exc_info=True,
        )
    outcomes: list[NewHold | DomainError] = []
    for request in requests:
        try:
            [outcome] = decide_holds(show=show, requests=[request])
        except Exception as exc:  # raised in the request's own thread
            outcome = exc
        outcomes.append(outcome)
    return outcomes


_batches: Batcher[tuple[Show, HoldRequest], NewHold] = Batcher(_decide_batch)


def _refuse_if_people_wait(show: Show) -> None:
    """While anyone is waiting for the show, seats that are or become free go to the line."""
    waiting = getattr(show, "map_waiting", None)  # read with the show (with_map_state)
    if waiting is None:
        waiting = seat_map_state(show.id)[1]
    if waiting > 0:
        raise refusals.line_is_waiting()


def offer_seats(*, show: Show, offers: Sequence[tuple[Sequence[int], str]]) -> list[Hold]:
    """Hold seats for entries at the head of the waiting list, each owned by its entry's token:
    (seat ids, entry token hash) each, in line order. Called by the waiting list inside its own
    transaction, holding the line's lock; the seats are locked, re-checked and claimed as for
    any hold. One lock of every seat, one insert of the holds, one claim, one seat event. All
    or nothing: if any seat was taken under the line, SeatsUnavailable and nothing is written.
    A bulk expiry offers hundreds at once; one by one that took seconds."""
    with transaction.atomic():  # a savepoint: a failed claim leaves no hold behind
        wanted = [seat_id for seat_ids, _ in offers for seat_id in seat_ids]
        rows = seats.lock(show_id=show.pk, seat_ids=wanted)
        now = timezone.now()
        by_seat = {row.seat_id: row for row in rows}
        if (
            len(by_seat) != len(set(wanted))
            or len(set(wanted)) != len(wanted)
            or not all(row.is_free(now) for row in rows)
        ):
            raise SeatsUnavailable(seats.TAKEN)
        expires_at = now + timedelta(seconds=settings.HOLD_TTL_SECONDS)
        holds = [
            _new_hold(
                show=show,
                rows=[by_seat[seat_id] for seat_id in seat_ids],
                token_hash=token_hash,
                now=now,
                expires_at=expires_at,
            )
            for seat_ids, token_hash in offers
        ]
        Hold.objects.bulk_create(holds)
        seats.claim(
            rows,
            owner={
                seat_id: hold.pk
                for hold, (seat_ids, _) in zip(holds, offers, strict=True)
                for seat_id in seat_ids
            },
            until=expires_at,
            now=now,
        )
        seats_changed(show.id, dict.fromkeys(wanted, "held"))
        transaction.on_commit(lambda: metrics.inc("ticketing_holds_created", len(holds)))
        return holds


def _lock_replaceable(replacing: Hold | None, show: Show) -> Hold | None:
    if replacing is None:
        return None
    old = Hold.objects.select_for_update().filter(pk=replacing.pk, show=show).first()
    if old is None or old.state != Hold.State.ACTIVE or not old.is_live():
        return None
    return old


def _refuse_seats_already_taken(show: Show, seat_ids: list[int]) -> None:
    """Under a rush most requests ask for seats that are already gone. One read without locks
    says so: refuse those here and leave the row locks to requests that can succeed, instead
    of queueing them behind every lock holder only to lose. A seat seen taken was taken at the
    instant of the read, so the answer is the one the locked path gives a request arriving a
    moment earlier; seats seen free still go through the locked path. Closed shows, and shows
    whose free seats are reserved for the waiting list, are left to the locked path."""
    if getattr(show, "map_waiting", None) != 0:  # not read with the show, or people wait
        return
    now = timezone.now()
    if not show.on_sale(now):
        return
    rows = list(
        ShowSeat.objects.filter(show=show, seat_id__in=seat_ids)
        .select_related("seat")
        .only(
            "hold_id",
            "held_until",
            "booking_id",
            "house_reason",
            "seat__row_label",
            "seat__number",
            "seat__blocked",
        )
    )
    if len(rows) != len(seat_ids):
        return  # a seat that does not exist is the locked path's answer, whatever else is taken
    taken = [row for row in rows if row.state(now) != SeatState.AVAILABLE]
    if taken:
        metrics.inc("ticketing_hold_conflicts")
        taken.sort(key=lambda row: seat_ids.index(row.seat_id))
        raise refusals.seats_unavailable(
            [(row.seat_id, row.seat.label, row.state(now)) for row in taken]
        )


def _new_hold(
    *,
    show: Show,
    rows: list[ShowSeat],
    token_hash: str,
    now: datetime,
    expires_at: datetime,
    session_key: str = "",
    client: str = "",
) -> Hold:
    """An unsaved hold of these seats, with its receipt (seats and prices as they are now)."""
    receipt = [
        {
            "id": row.seat_id,
            "row": row.seat.row_label,
            "number": row.seat.number,
            "category": row.seat.category,
            "price": str(show.price_for(row.seat.category)),
        }
        for row in rows
    ]
    return Hold(
        show=show,
        token_hash=token_hash,
        expires_at=expires_at,
        created_at=now,
        seats=receipt,
        total=sum(show.price_for(row.seat.category) for row in rows),
        currency=show.currency,
        session_key=session_key,
        client=client,
    )


def _create_holds(
    *,
    show: Show,
    winners: list[tuple[HoldRequest, list[ShowSeat]]],
    old: Hold | None,
    now: datetime,
) -> list[NewHold]:
    """Write the batch's holds (locked rows each), release the hold replaced, claim the seats
    and announce them: one insert, one claim, one seat event."""
    if not winners:
        return []
    expires_at = now + timedelta(seconds=settings.HOLD_TTL_SECONDS)
    if old is not None:
        # A replacement keeps the clock of the hold it replaces: changing a selection (even
        # back and forth) must never be a way to hold seats for ever.
        expires_at = old.expires_at
    made = []
    for request, rows in winners:
        token, token_hash = new_token()
        hold = _new_hold(
            show=show,
            rows=rows,
            token_hash=token_hash,
            now=now,
            expires_at=expires_at,
            session_key=request.session_key,
            client=request.client,
        )
        made.append(NewHold(hold=hold, token=token))
    Hold.objects.bulk_create([new.hold for new in made])
    given_back: list[int] = []
    if old is not None:
        given_back = seats.clear(hold=old)
        Hold.objects.filter(pk=old.pk).update(state=Hold.State.RELEASED)
    owner = {
        row.seat_id: new.hold.pk
        for new, (_, rows) in zip(made, winners, strict=True)
        for row in rows
    }
    seats.claim(
        [row for _, rows in winners for row in rows],
        owner=owner if len(made) > 1 else made[0].hold.pk,
        until=expires_at,
        now=now,
    )
    returned = set(given_back) - set(owner)
    seats_changed(
        show.id,
        dict.fromkeys(owner, "held") | dict.fromkeys(returned, "available"),
        freed=bool(returned),
    )
    transaction.on_commit(partial(metrics.inc, "ticketing_holds_created", len(made)))
    return made


def hold_best_available(
    *,
    show: Show,
    count: object,
    category: object = None,
    session_key: str = "",
    replacing: Hold | None = None,
    client: str = "",
    room_token: object = None,
) -> NewHold:
    """Hold the best ``count`` available seats (see best_seats), with hold_seats' guarantees."""
    limit = settings.MAX_SEATS_PER_HOLD
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= limit:
        raise InvalidRequest(
            _("count must be a whole number from 1 to {limit}", limit=limit), field="count"
        )
    if category is not None and category not in CATEGORIES:
        raise InvalidRequest(
            _("category must be one of {value}", value=", ".join(CATEGORIES)), field="category"
        )
    _refuse_if_people_wait(show)
    for _attempt in range(3):  # someone may take the chosen seats between choosing and locking
        chosen = best_available_seats(
            show=show, count=count, category=category, also_free=replacing
        )
        if chosen is None:
            message = (_("There are not {count} {category} seats available for this show.",
                         count=count, category=category_name(category)) if category else
                       _("There are not {count} seats available for this show.", count=count))
            raise SeatsUnavailable(message, seats=[])
        try:
            return hold_seats(
                show=show,
                seat_ids=chosen,
                session_key=session_key,
                replacing=replacing,
                client=client,
                alone=True,
                room_token=room_token,
            )
        except SeatsUnavailable:
            continue
    raise SeatsUnavailable(
        _("Seats are selling fast and the best ones were just taken. Please try again."),
        seats=[],
        retry_after=1,
    )


def best_available_seats(
    *, show: Show, count: int, category: str | None = None, also_free: Hold | None = None
) -> list[int] | None:
    """The seat ids best_seats would choose right now (not locked: hold_seats re-checks)."""
    now = timezone.now()
    rows = list(ShowSeat.objects.filter(show=show).select_related("seat"))
    free = [
        Place(row.seat_id, row.seat.grid_row, row.seat.grid_col, row.seat.category)
        for row in rows
        if row.state(now) == SeatState.AVAILABLE
        or (also_free is not None and row.hold_id == also_free.pk)
    ]
    if not rows:
        return None
    centre = hall_centre((row.seat.grid_row, row.seat.grid_col) for row in rows)
    return best_places(
        free, count, centre=centre, category=category, no_stranding=strict_about_stranding(show)
    )


def strict_about_stranding(show: Show) -> bool:
    """Whether the show's cinema refuses holds that leave a seat on its own."""
    return Show.objects.filter(pk=show.pk, hall__cinema__no_stranded_seats=True).exists()


STRANDING_LOCK = 4242  # the advisory lock space of "one hold of this show at a time"


def lock_show_for_stranding(show_id: int) -> None:
    """Until the transaction ends, this show's holds are judged for stranding one at a time
    (the SQL rule takes the same lock). SQLite's IMMEDIATE transactions already are."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [STRANDING_LOCK, show_id])


def get_hold(*, hold_id: object, token: str | None) -> Hold:
    """The hold, for its token's holder only: anyone else is told it does not exist."""
    hold = Hold.objects.select_related("show").filter(pk=hold_id).first() if hold_id else None
    if hold is None or not token_matches(token, hold.token_hash):
        raise NotFound(_("No such hold."))
    return hold


def release_hold(*, hold: Hold) -> Hold:
    """Give the seats back at once. Releasing an ended hold changes nothing."""
    with transaction.atomic():
        hold = Hold.objects.select_for_update().get(pk=hold.pk)
        now = timezone.now()
        if hold.state == Hold.State.PAYING and hold.is_live(now):
            raise Conflict(_("A payment for this hold is in progress; wait for its outcome."))
        if hold.state == Hold.State.CONFIRMED:
            raise Conflict(_("This hold has been paid for; cancel the booking instead."))
        if hold.state in LIVE:
            hold.state = Hold.State.RELEASED if hold.is_live(now) else Hold.State.EXPIRED
            hold.save(update_fields=["state"])
            seats.free(show_id=hold.show_id, hold=hold)
            transaction.on_commit(
                lambda: metrics.inc(
                    "ticketing_holds_released"
                    if hold.state == Hold.State.RELEASED
                    else "ticketing_holds_expired"
                )
            )
    return hold


def next_expiry(*, now: datetime) -> datetime | None:
    """When the next live hold runs out (the sweep index answers it)."""
    return (
        Hold.objects.filter(state__in=LIVE, expires_at__gt=now)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )


def expire_holds(*, now: datetime | None = None, batch: int = 500) -> int:
    """Tidy up holds past their time: mark them expired and clear their seats.

    Correctness never waits for this (an expired hold is expired at read time everywhere); it
    keeps the tables tidy and is where seat-change notifications for expiries come from.
    ``skip_locked`` lets two sweepers (two beats by mistake) share the work without waiting.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            holds = list(
                Hold.objects.select_for_update(skip_locked=True)
                .filter(state__in=LIVE, expires_at__lte=now)
                .order_by("expires_at")[:batch]
            )
            if not holds:
                return total
            ids = [hold.pk for hold in holds]
            freed = seats.free_expired(hold_ids=ids, now=now)
            Hold.objects.filter(pk__in=ids).update(state=Hold.State.EXPIRED)
            earliest: dict[int, float] = {}  # when seats really freed: the expiry, not now
            for hold in holds:
                at = hold.expires_at.timestamp()
                earliest[hold.show_id] = min(at, earliest.get(hold.show_id, at))
            for show_id in sorted(freed):
                seats_changed(
                    show_id,
                    dict.fromkeys(freed[show_id], "available"),
                    freed=True,
                    freed_at=earliest[show_id],
                )
            for show_id in {hold.show_id for hold in holds} - set(freed):
                transaction.on_commit(lambda s=show_id: announce_hold_ended(s))
            transaction.on_commit(partial(metrics.inc, "ticketing_holds_expired", len(ids)))
            total += len(ids)
