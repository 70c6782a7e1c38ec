"""The waiting room of a high-demand show: everyone who comes before the on-sale time waits,
gets a random place at that instant (``waitingroom.order``, from a seed committed to before
the room opened), later arrivals are placed after them in arrival order, and visitors are let
in, strictly in order of place, as fast as the show can serve them (``admit``). A visitor let
in gets a pass (``booking.passes``): their room token then holds seats.

Every decision about the line (joining, the reveal, letting in, leaving, sold out) takes the
room's row lock, in the database: whichever web process or worker makes it, no two are made at
once and none out of order; each is written to the show's fairness log (``ticketing.chain``)
in the same transaction. Lock order: room -> passes -> the log's head.
"""

import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from booking import passes
from booking.models import ShowSeat
from catalog.layout import COMPANION
from catalog.models import Show
from ticketing import chain, metrics
from ticketing.bulk import update_each
from ticketing.clients import UNKNOWN_CLIENT
from ticketing.errors import Conflict, LimitReached, NotFound
from ticketing.i18n import _
from ticketing.tokens import hash_token, new_token, token_matches
from waitingroom import order
from waitingroom.models import Room, Visitor
from waitingroom.notify import room_changed

IN_ROOM = (Visitor.State.WAITING, Visitor.State.ADMITTED)
RATE_WINDOW = timedelta(minutes=5)  # the admission rate the wait estimate uses is measured over


class RoomNotOpen(Conflict):
    code = "room_not_open"


class SoldOut(Conflict):
    code = "sold_out"


@dataclass(frozen=True)
class Joined:
    visitor: Visitor
    token: str
    new: bool  # False: the token's holder already had this place


def ensure_room(show: Show) -> Room | None:
    """The show's room, made (with its seed and the commitment to it, logged) when the show is
    first marked high demand; None for a show without one."""
    if not show.waiting_room:
        return None
    room = Room.objects.filter(show=show).first()
    if room is not None:
        return room
    seed = order.new_seed()
    with transaction.atomic():
        room, made = Room.objects.get_or_create(
            show=show, defaults={"seed": seed, "commitment": order.commitment(seed),
                                 "opens_minutes": settings.WAITING_ROOM_OPENS_MINUTES,
                                 "pass_minutes": settings.WAITING_ROOM_PASS_MINUTES})
        if made:
            chain.append(chain.show_stream(show.pk),
                         [("commitment", {"commitment": room.commitment})])
    return room


def opens_at(room: Room, show: Show) -> datetime:
    return show.on_sale_at - timedelta(minutes=room.opens_minutes)


def get_room(show: Show) -> Room:
    room = Room.objects.filter(show=show).first() if show.waiting_room else None
    if room is None:
        raise _no_room()
    return room


def _no_room() -> NotFound:
    return NotFound(_("This show has no waiting room: its seats can be held directly."))


def _lock(show_id: int, *, skip_locked: bool = False) -> Room | None:
    """The room's row lock (the room row alone: FOR UPDATE on the show row too would make
    every hold and booking of the show wait for the room). ``skip_locked``: None if another
    transaction holds it (it is deciding the line right now)."""
    room = (Room.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("show").filter(pk=show_id).first())
    if room is None and not skip_locked:
        raise Room.DoesNotExist
    return room


def join_room(*, show: Show, client: str = "", token: str | None = None) -> Joined:
    """A place in the room for this visitor. With the token of a place they already have (a
    dropped connection, another tab), that same place; otherwise a new one, within the caps
    per client."""
    if not show.waiting_room:
        get_room(show)  # says there is none
    if token:
        mine = Visitor.objects.filter(room_id=show.pk, token_hash=hash_token(token)).first()
        if mine is not None:
            return Joined(mine, token, new=False)
    [joined] = join_together(show_id=show.pk, clients=[client])
    if isinstance(joined, Exception):
        raise joined
    return joined


def join_together(*, show_id: int, clients: Sequence[str]) -> list[Joined | LimitReached]:
    """New places for visitors who arrived together, in the order given (after the opening,
    that is the order of their places), in one transaction: one lock of the room, one append
    to the log, one insert, one commit, however many they are. Each gets a place, or (over
    the cap for their client) LimitReached; what refuses the room to all (not open yet,
    closed, sold out) is raised."""
    with transaction.atomic():
        try:
            room = _lock(show_id)
        except Room.DoesNotExist:
            raise _no_room() from None
        show = room.show
        now = timezone.now()
        if not show.waiting_room:
            raise _no_room()  # staff took the room away
        if not show.on_sale(now) and not show.sale_opens_later(now):
            raise Conflict(_("Booking is closed: this show has started or was cancelled."))
        if now < opens_at(room, show):
            local = timezone.localtime(opens_at(room, show), show.hall.cinema.tz)
            raise RoomNotOpen(_("The waiting room opens at {when}.",
                                when=local.strftime("%Y-%m-%d %H:%M")),
                              opens_at=opens_at(room, show).isoformat())
        _reveal_if_due(room, now)
        if room.sold_out_at is not None:
            raise SoldOut(_("This show is sold out. If seats come back, the people already "
                            "waiting here are let in first, in their places."))
        if room.revealed_at is not None:  # whoever's turn it is is let in once this commits
            transaction.on_commit(lambda: admit(show_id=show.pk))
        outcomes: list[Joined | LimitReached] = []
        places_of: dict[str, int] = {}  # places each client has, with those joining now
        cap = settings.WAITING_ROOM_PER_CLIENT
        for client in clients:
            client = client or UNKNOWN_CLIENT
            if settings.RATE_LIMIT_ENABLED:
                if client not in places_of:
                    places_of[client] = Visitor.objects.filter(
                        room=room, client=client, state__in=IN_ROOM).count()
                if places_of[client] >= cap:
                    outcomes.append(LimitReached(
                        _("You already have {cap} places in this waiting room.", cap=cap),
                        retry_after=60))
                    continue
                places_of[client] += 1
            token, token_hash = new_token()
            place = None
            if room.revealed_at is not None:  # after the opening: in order of arrival
                place = room.next_place
                room.next_place += 1
            outcomes.append(Joined(Visitor(
                room=room, public_id=secrets.token_hex(12), token_hash=token_hash,
                client=client, joined_at=now, place=place), token, new=True))
        joined = [outcome.visitor for outcome in outcomes if isinstance(outcome, Joined)]
        if not joined:
            return outcomes
        placed = room.revealed_at is not None
        if placed:
            room.version += 1
            room.save(update_fields=["next_place", "version"])
        # Each receipt names the log's record of its join: its holder can see it is there.
        last = chain.append(chain.show_stream(show.pk), [
            ("joined", {"visitor": v.public_id} if v.place is None
             else {"visitor": v.public_id, "place": v.place}) for v in joined], at=now)
        for number, visitor in enumerate(joined, start=last - len(joined) + 1):
            visitor.log_record = number
        Visitor.objects.bulk_create(joined)
        if placed:
            room_changed(room)
    metrics.inc("ticketing_room_joins", len(joined))
    return outcomes


def get_visitor(*, public_id: object, token: str | None) -> Visitor:
    visitor = (Visitor.objects.select_related("room__show").filter(public_id=public_id).first()
               if isinstance(public_id, str) and 0 < len(public_id) <= 32 else None)
    if visitor is None or not token_matches(token, visitor.token_hash):
        raise NotFound(_("No such place in a waiting room."))
    return visitor


def leave_room(*, visitor: Visitor) -> Visitor:
    """Give up the place (or the pass): the next in line is let in."""
    show_id = visitor.room_id
    with transaction.atomic():
        room = _lock(show_id)
        visitor = Visitor.objects.get(pk=visitor.pk)
        if visitor.state == Visitor.State.WAITING:
            visitor.state = Visitor.State.LEFT
            visitor.save(update_fields=["state"])
            room.version += 1
            room.save(update_fields=["version"])
            chain.append(chain.show_stream(show_id), [("left", {"visitor": visitor.public_id})])
            room_changed(room)
        elif visitor.state == Visitor.State.ADMITTED:
            passes.end(show_id=show_id, holder=visitor.public_id, why="left")
    transaction.on_commit(lambda: admit(show_id=show_id))
    return visitor


def _reveal_if_due(room: Room, now: datetime) -> bool:
    """At the on-sale instant (under the room's lock): publish the seed and give everyone
    waiting their place by the draw. True if it happened now."""
    if room.revealed_at is not None or now < room.show.on_sale_at:
        return False
    early = dict(Visitor.objects.filter(room=room, state=Visitor.State.WAITING,
                                        place__isnull=True).values_list("public_id", "pk"))
    ranked = order.drawn_order(room.seed, early)
    update_each(Visitor, "place", {early[public_id]: place
                                   for place, public_id in enumerate(ranked, start=1)})
    room.revealed_at = now
    room.drawn = len(ranked)
    room.next_place = len(ranked) + 1
    room.version += 1
    room.save(update_fields=["revealed_at", "drawn", "next_place", "version"])
    chain.append(chain.show_stream(room.pk),
                 [("revealed", {"seed": room.seed, "drawn": len(ranked)})], at=now)
    room_changed(room, revealed=True)
    return True


def _seat_counts(show: Show, now: datetime) -> tuple[int, int]:
    """Seats anyone could choose now (companion seats aside), and seats in live holds."""
    seats = ShowSeat.objects.filter(show=show)
    free = seats.free(now).exclude(seat__category=COMPANION).count()
    held = seats.filter(booking__isnull=True, held_until__gt=now).count()
    return free, held


def choosing_at_once(room: Room, free: int) -> int:
    """How many may choose seats at once: as staff set it, or half the free seats (a party
    takes two on average), within WAITING_ROOM_MAX_CHOOSING."""
    if room.choosing_at_once:
        return room.choosing_at_once
    return max(1, min(settings.WAITING_ROOM_MAX_CHOOSING, math.ceil(free / 2)))


def admit(*, show_id: int, on_read: bool = False) -> list[Visitor]:
    """Let in as many as may choose seats now, strictly by place (see the module doc); also
    reveals the draw at the on-sale instant, records passes that ran out, and, once no seat is
    free or held, tells everyone still waiting that the show is sold out (they keep their
    places: if seats come back, a cancellation, the room lets them in again in turn).
    Idempotent. ``on_read``: a page or API read asking; it leaves the room to whoever is
    deciding it at that moment instead of waiting in line for its lock."""
    with transaction.atomic():
        try:
            room = _lock(show_id, skip_locked=on_read)
        except Room.DoesNotExist:
            return []
        if room is None:
            return []
        show = room.show
        now = timezone.now()
        if not show.waiting_room or show.on_sale_at is None:
            return []  # staff took the room away
        if room.revealed_at is None and not _reveal_if_due(room, now):
            return []
        expired = passes.expire_due(show_id=show_id, now=now)
        if not show.on_sale(now):
            return []
        free, held = _seat_counts(show, now)
        if free == 0 and held == 0:
            if room.sold_out_at is None:
                _sell_out(room, now)
            return []
        if room.sold_out_at is not None:
            if free == 0:
                return []
            _reopen(room, now)
        slots = choosing_at_once(room, free) - passes.active_count(show_id=show_id, now=now)
        if room.admit_per_minute:
            minutes = (now - room.revealed_at).total_seconds() / 60
            slots = min(slots, math.floor(minutes * room.admit_per_minute) + 1 - room.admitted)
        if free == 0 or slots <= 0:
            if expired:
                room_changed(room)
            return []
        chosen = list(Visitor.objects.filter(room=room, state=Visitor.State.WAITING)
                      .order_by("place")[:slots])
        if not chosen:
            return []
        passes.issue(show_id=show_id, holders=[(v.public_id, v.token_hash) for v in chosen],
                     now=now, minutes=room.pass_minutes)
        Visitor.objects.filter(pk__in=[v.pk for v in chosen]).update(
            state=Visitor.State.ADMITTED, admitted_at=now)
        Room.objects.filter(pk=show_id).update(admitted=F("admitted") + len(chosen),
                                               version=F("version") + 1)
        room.version += 1
        chain.append(chain.show_stream(show_id),
                     [("admitted", {"visitor": v.public_id, "place": v.place}) for v in chosen],
                     at=now)
        for visitor in chosen:
            visitor.state, visitor.admitted_at = Visitor.State.ADMITTED, now
        room_changed(room, admitted=[v.public_id for v in chosen])
    metrics.inc("ticketing_room_admissions", len(chosen))
    return chosen


def _sell_out(room: Room, now: datetime) -> None:
    count = Visitor.objects.filter(room=room, state=Visitor.State.WAITING).count()
    room.sold_out_at = now
    room.version += 1
    room.save(update_fields=["sold_out_at", "version"])
    chain.append(chain.show_stream(room.pk), [("sold_out", {"waiting": count})], at=now)
    room_changed(room, sold_out=True)


def _reopen(room: Room, now: datetime) -> None:
    """Seats came back after the show sold out: the line moves again, places as they were."""
    room.sold_out_at = None
    room.version += 1
    room.save(update_fields=["sold_out_at", "version"])
    chain.append(chain.show_stream(room.pk), [("reopened", {})], at=now)
    room_changed(room, everyone=True)


def admit_all() -> int:
    """The job: every room that is open or due to open, and not yet sold out."""
    now = timezone.now()
    due = Room.objects.filter(show__cancelled_at__isnull=True, show__waiting_room=True,
                              show__starts_at__gt=now, show__on_sale_at__lte=now)
    show_ids = list(due.values_list("pk", flat=True))
    for show_id in show_ids:
        admit(show_id=show_id)
    return len(show_ids)


def opening_soon(*, now: datetime, within: timedelta) -> list[tuple[int, datetime]]:
    """The rooms whose draw is due after ``now`` and no later than ``within`` from it, with
    their instants."""
    return list(Room.objects.filter(
        revealed_at__isnull=True, show__cancelled_at__isnull=True, show__waiting_room=True,
        show__on_sale_at__gt=now, show__on_sale_at__lte=now + within)
        .values_list("pk", "show__on_sale_at"))


@dataclass(frozen=True)
class Status:
    """What a visitor is told (the API, the page, the live feed)."""

    visitor: Visitor
    state: str  # before_opening | waiting | your_turn | pass_used | pass_expired | left | sold_out
    ahead: int | None
    wait_seconds: int | None
    pass_expires_at: datetime | None

    @property
    def wait_minutes(self) -> int | None:
        return None if self.wait_seconds is None else max(1, math.ceil(self.wait_seconds / 60))


def status(visitor: Visitor, now: datetime | None = None) -> Status:
    room = visitor.room
    now = now or timezone.now()
    if visitor.state == Visitor.State.ADMITTED:
        how, expires_at = passes.state_of(show_id=room.pk, holder=visitor.public_id, now=now)
        state = {"valid": "your_turn", "booked": "pass_used"}.get(how, f"pass_{how}")
        return Status(visitor, state, 0, 0, expires_at)
    if visitor.state != Visitor.State.WAITING:
        return Status(visitor, str(visitor.state), None, None, None)
    if visitor.place is None:
        return Status(visitor, "before_opening", None, None, None)
    if room.sold_out_at is not None:
        return Status(visitor, "sold_out", None, None, None)
    ahead = Visitor.objects.filter(room=room, state=Visitor.State.WAITING,
                                   place__lt=visitor.place).count()
    return Status(visitor, "waiting", ahead, wait_estimate(room, ahead, now), None)


def admission_rate(room: Room, now: datetime) -> float | None:
    """Visitors let in per second, as measured over the last few minutes (None: too early to
    say)."""
    if room.revealed_at is None:
        return None
    since = max(room.revealed_at, now - RATE_WINDOW)
    seconds = (now - since).total_seconds()
    let_in = passes.issued_since(show_id=room.pk, since=since)
    if seconds < 5 or let_in == 0:
        return None
    return let_in / seconds


def wait_estimate(room: Room, ahead: int, now: datetime) -> int | None:
    rate = admission_rate(room, now)
    if ahead == 0:
        return 0
    return None if rate is None else math.ceil(ahead / rate)


@dataclass(frozen=True)
class Summary:
    """A room as anyone may see it (waitingroom.serializers.RoomSerializer)."""

    pk: int
    show: Show
    opens_at: datetime
    state: str
    commitment: str
    seed: str | None
    waiting: int
    admitted: int
    choosing_now: int
    rate_per_minute: float | None
    fairness: str


def summary(room: Room, now: datetime | None = None) -> Summary:
    now = now or timezone.now()
    show = room.show
    if not show.on_sale(now) and not show.sale_opens_later(now):
        state = "closed"
    elif room.sold_out_at is not None:
        state = "sold_out"
    elif now < opens_at(room, show):
        state = "not_open"
    elif room.revealed_at is None:
        state = "open"
    else:
        state = "letting_in"
    rate = admission_rate(room, now)
    return Summary(
        pk=room.pk, show=show, opens_at=opens_at(room, show), state=state,
        commitment=room.commitment, seed=room.seed if room.revealed_at else None,
        waiting=Visitor.objects.filter(room=room, state=Visitor.State.WAITING).count(),
        admitted=room.admitted, choosing_now=passes.active_count(show_id=room.pk, now=now),
        rate_per_minute=None if rate is None else round(rate * 60, 1),
        fairness=f"/api/v1/shows/{room.pk}/fairness")


def letting_in(show_id: int) -> bool:
    """Whether the show has a room that has opened (one indexed read)."""
    return Room.objects.filter(pk=show_id, revealed_at__isnull=False).exists()
