"""The waiting list: strictly first come, first served.

While anyone waits for a show, every seat of it that is or becomes free is reserved for the
line. Whenever the free seats can seat the head of the line, the head gets an offer (an
exclusive hold of ``party_size`` best-available seats, owned by the entry's token); then the
next entry is considered. The line never skips: if the head cannot be seated yet, nobody behind
it is offered anything. A head that can never be seated (free seats plus seats in live holds
are fewer than its party) is told so and the next entry is considered.

Joining and serving both take the line's lock (the show row, ``select_for_update``), so two
processes never offer the same seats or skip an entry; serving is idempotent, runs right after
every commit that frees seats, and again on every sweep as a backstop. Lock order everywhere:
line -> hold -> seats -> seat-map state row.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from booking.best_seats import Place, best_places, hall_centre
from booking.errors import SeatsUnavailable
from booking.holds import offer_seats, release_hold, strict_about_stranding
from booking.models import Hold, SeatMapState, ShowSeat
from catalog.layout import COMPANION
from catalog.models import Show
from ticketing import chain, metrics
from ticketing.bulk import update_each
from ticketing.clients import UNKNOWN_CLIENT
from ticketing.errors import Conflict, InvalidRequest, LimitReached, NotFound
from ticketing.i18n import _
from ticketing.tokens import new_token, token_matches
from waitlist.models import WaitlistEntry
from waitlist.notify import entries_changed
from waitlist.serializers import entry_states

IN_LINE = (WaitlistEntry.State.WAITING, WaitlistEntry.State.OFFERED)  # still in the line


@dataclass(frozen=True)
class Joined:
    entry: WaitlistEntry
    token: str


@dataclass
class LineOutcome:
    offered: list[WaitlistEntry] = field(default_factory=list)
    unfulfillable: list[WaitlistEntry] = field(default_factory=list)
    settled: list[WaitlistEntry] = field(default_factory=list)  # fulfilled, expired or left


def _lock_line(show_id: int) -> Show:
    """The line's lock: the show row, FOR NO KEY UPDATE, which a hold being committed (its
    foreign key takes FOR KEY SHARE on the show) does not wait for; FOR UPDATE made a hold
    that had locked seats the line wanted, and the line, wait for each other."""
    return Show.objects.select_for_update(of=("self",), no_key=True).get(pk=show_id)


def _seat_counts(show: Show) -> tuple[list[Place], int]:
    """Free seats (nobody's; reserved for the line), as places to choose from, and how many
    seats live holds own. (Read as values: the backstop asks this of every line twice a
    second, and building a model per seat was most of its time.)"""
    now = timezone.now()
    seats = ShowSeat.objects.filter(show=show, seat__blocked=False, booking__isnull=True)
    # Companion seats go with a wheelchair space, never to the line (booking.companions).
    free = [Place(*row) for row in seats.free(now).exclude(seat__category=COMPANION)
            .values_list("seat_id", "seat__grid_row", "seat__grid_col", "seat__category")]
    return free, seats.held_or_booked(now).count()


def join_waitlist(*, show: Show, party_size: object, client: str = "") -> Joined:
    limit = settings.MAX_SEATS_PER_HOLD
    if isinstance(party_size, bool) or not isinstance(party_size, int) or not (
            1 <= party_size <= limit):
        raise InvalidRequest(_("party_size must be a whole number from 1 to {limit}",
                               limit=limit),
                             field="party_size")
    client = client or UNKNOWN_CLIENT  # every entry has its client
    with transaction.atomic():
        show = _lock_line(show.pk)
        if show.waiting_room:  # its waiting room is its line: this one would jump it
            raise Conflict(_("This show has a waiting room: wait there for your turn, and "
                             "keep your place if it sells out."), reason="waiting_room",
                           room=f"/shows/{show.pk}/room")
        if not show.on_sale():
            raise Conflict(_("Booking is closed: this show has started or was cancelled."))
        free, held = _seat_counts(show)
        waiting = WaitlistEntry.objects.filter(show=show, state=WaitlistEntry.State.WAITING).count()
        if waiting == 0 and len(free) >= party_size:
            raise Conflict(
                _(
                    "{number_of_free} seats are available right now: hold them instead of waiting.",
                    number_of_free=len(free),
                ),
                reason="seats_available",
            )
        if len(free) + held < party_size:
            raise Conflict(
                _(
                    "Not enough seats could ever free up for a party of "
                    "{party_size}: the show is sold out.",
                    party_size=party_size,
                ),
                reason="sold_out",
            )
        if settings.RATE_LIMIT_ENABLED:  # every join names its client, "unknown" included
            cap = settings.WAITLIST_PER_CLIENT_PER_SHOW
            mine = WaitlistEntry.objects.filter(show=show, client=client, state__in=IN_LINE)
            if mine.count() >= cap:
                raise LimitReached(
                    _("You are already in this show's waiting list {cap} times.", cap=cap),
                    retry_after=60,
                )
        token, token_hash = new_token()
        number = (
            WaitlistEntry.objects.filter(show=show)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
            or 0
        ) + 1
        entry = WaitlistEntry.objects.create(
            show=show, number=number, token_hash=token_hash, party_size=party_size, client=client
        )
        SeatMapState.objects.filter(show=show).update(waiting=F("waiting") + 1)
        _log(show.pk, [("waitlist_joined", entry)])
    entries_changed(show.pk, [])
    metrics.inc("ticketing_waitlist_joins")
    return Joined(entry=entry, token=token)


def _log(show_id: int, events: list[tuple[str, WaitlistEntry]]) -> None:
    """Write what the line did to the show's fairness log (ticketing.chain): entry ids and
    numbers only. Inside the change's transaction, after the line's other locks."""
    chain.append(chain.show_stream(show_id),
                 [(kind, {"entry": str(entry.pk), "number": entry.number})
                  for kind, entry in events])


def get_entry(*, entry_id: object, token: str | None) -> WaitlistEntry:
    entry = (
        WaitlistEntry.objects.select_related("offer").filter(pk=entry_id).first()
        if entry_id
        else None
    )
    if entry is None or not token_matches(token, entry.token_hash):
        raise NotFound(_("No such waiting-list entry."))
    return entry


def leave_waitlist(*, entry: WaitlistEntry) -> WaitlistEntry:
    """Leave the line (declining any offer: its seats go straight back to the line)."""
    with transaction.atomic():
        _lock_line(entry.show_id)
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.state == WaitlistEntry.State.WAITING:
            entry.state = WaitlistEntry.State.LEFT
            entry.save(update_fields=["state", "updated_at"])
            SeatMapState.objects.filter(show_id=entry.show_id).update(waiting=F("waiting") - 1)
            _log(entry.show_id, [("waitlist_left", entry)])
        elif entry.state == WaitlistEntry.State.OFFERED:
            release_hold(hold=entry.offer)  # the line is served again after commit
            entry.state = WaitlistEntry.State.LEFT
            entry.save(update_fields=["state", "updated_at"])
            _log(entry.show_id, [("waitlist_left", entry)])
    entries_changed(entry.show_id, [entry.pk])
    return entry


def line_has_work(show_id: int) -> bool:
    """Whether anyone is waiting, or holds an offer, for the show."""
    return WaitlistEntry.objects.filter(show_id=show_id, state__in=IN_LINE).exists()


def serve_line(show_id: int, *, freed_at: float | None = None) -> LineOutcome:
    """Give freed seats to the line, strictly in order (see the module doc). Idempotent.

    ``freed_at``: when the seats that triggered this run freed up, to time the offers."""
    outcome = LineOutcome()
    with transaction.atomic():
        show = _lock_line(show_id)
        now = timezone.now()
        _settle_offers(show, now, outcome)
        waiting = list(
            WaitlistEntry.objects.filter(show=show, state=WaitlistEntry.State.WAITING).order_by(
                "number"
            )
        )
        if waiting:
            places, held = _seat_counts(show)
            centre = hall_centre(
                ShowSeat.objects.filter(show=show).values_list("seat__grid_row", "seat__grid_col")
            )
            planned: list[tuple[WaitlistEntry, list[int]]] = []
            strict = strict_about_stranding(show)
            for entry in waiting:
                chosen = best_places(places, entry.party_size, centre=centre, no_stranding=strict)
                if chosen is not None:
                    planned.append((entry, chosen))
                    taken = set(chosen)
                    places = [place for place in places if place.seat_id not in taken]
                    held += len(chosen)
                    continue
                if len(places) + held < entry.party_size:
                    entry.state = WaitlistEntry.State.UNFULFILLABLE
                    entry.save(update_fields=["state", "updated_at"])
                    outcome.unfulfillable.append(entry)
                    continue
                break  # the head must wait, so everyone behind it waits too
            for entry, hold in _offer(show, planned):
                entry.state, entry.offer, entry.updated_at = WaitlistEntry.State.OFFERED, hold, now
                outcome.offered.append(entry)
            update_each(
                WaitlistEntry,
                "offer",
                {entry.pk: entry.offer.pk for entry in outcome.offered},
                also={"state": WaitlistEntry.State.OFFERED, "updated_at": now},
            )
        moved = len(outcome.offered) + len(outcome.unfulfillable)
        if moved:
            SeatMapState.objects.filter(show=show).update(waiting=F("waiting") - moved)
        # The log, in line order: settled offers, then each entry moved, by number.
        _log(show.pk, [(f"waitlist_{entry.state}", entry) for entry in outcome.settled]
             + sorted([("waitlist_offered", entry) for entry in outcome.offered]
                      + [("waitlist_unfulfillable", entry) for entry in outcome.unfulfillable],
                      key=lambda item: item[1].number))
    if outcome.offered:
        metrics.inc("ticketing_waitlist_offers", len(outcome.offered))
        if freed_at is not None:
            delay = max(0.0, time.time() - freed_at)
            for _entry in outcome.offered:
                metrics.observe("ticketing_offer_delay_seconds", delay)
    changed = outcome.offered + outcome.unfulfillable + outcome.settled
    if changed:
        # None of them is waiting any more (no place in line to count): their states are
        # known here, so their clients need not read them again.
        entries_changed(
            show_id,
            [entry.pk for entry in changed],
            states=dict(zip([entry.pk for entry in changed], client_states(changed), strict=True)),
        )
    return outcome


def client_state(entry: WaitlistEntry, token: str | None = None) -> dict:
    """What an entry's live feed sends its client (``token`` goes into the offer, for paying;
    None when the message is built for the channel layer, and the consumer adds its own)."""
    return client_states([entry], token)[0]


def client_states(entries: list[WaitlistEntry], token: str | None = None) -> list[dict]:
    """``client_state`` of each (one serializer for all: hundreds after a bulk expiry)."""
    return [
        {"type": "waitlist", **state} for state in entry_states(entries, context={"token": token})
    ]


def _settle_offers(show: Show, now, outcome: LineOutcome) -> None:
    """Offers that were paid for, declined (released) or ran out end their entries."""
    offered = WaitlistEntry.objects.filter(show=show, state=WaitlistEntry.State.OFFERED)
    for entry in offered.select_related("offer"):
        hold = entry.offer
        if hold is None or hold.state == Hold.State.RELEASED:
            entry.state = WaitlistEntry.State.LEFT
        elif hold.state == Hold.State.CONFIRMED:
            entry.state = WaitlistEntry.State.FULFILLED
        elif hold.state == Hold.State.EXPIRED or not hold.is_live(now):
            entry.state = WaitlistEntry.State.EXPIRED
        else:
            continue
        entry.save(update_fields=["state", "updated_at"])
        outcome.settled.append(entry)


def _offer(
    show: Show, planned: list[tuple[WaitlistEntry, list[int]]]
) -> list[tuple[WaitlistEntry, Hold]]:
    """Offer the planned seats, in line order: all in one round, or, if a seat was taken under
    the line, one by one up to the first that cannot be had (the next run starts over there)."""
    if not planned:
        return []
    try:
        holds = offer_seats(
            show=show, offers=[(chosen, entry.token_hash) for entry, chosen in planned]
        )
        return list(zip((entry for entry, _ in planned), holds, strict=True))
    except SeatsUnavailable:
        pass
    made = []
    for entry, chosen in planned:
        try:
            made.append((entry, *offer_seats(show=show, offers=[(chosen, entry.token_hash)])))
        except SeatsUnavailable:
            break
    return made


def serve_all_lines() -> int:
    """The backstop job: serve every show that has people waiting or offers out (lines are
    served right after every commit that frees seats; this catches a trigger that was lost).
    Offers it makes are not timed (``ticketing_offer_delay_seconds``): only the run triggered
    by the freed seats knows when they freed up."""
    show_ids = set(
        WaitlistEntry.objects.filter(state__in=IN_LINE).values_list("show_id", flat=True)
    )
    for show_id in sorted(show_ids):
        serve_line(show_id)
    return len(show_ids)
