"""House seats: staff take seats of a show out of sale (a broken seat, press, VIP) and put
them back, through the same locks as every sale (booking.seats' recipe). A seat out of sale is
blocked for everyone, on every seat map at once; put back, it is free, and the waiting list may
have it before anyone else, as with any seat that frees up."""

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from booking import refusals, seats
from booking.errors import SeatsUnavailable
from booking.events import seats_changed
from booking.models import SeatState, ShowSeat
from catalog.models import Show
from ticketing import audit
from ticketing.errors import InvalidRequest

REASON_MAX_LENGTH = ShowSeat._meta.get_field("house_reason").max_length


def take_out_of_sale(*, show: Show, seat_ids: Sequence[int], reason: str,
                     actor: str) -> list[str]:
    """Block these seats for this show, with the reason, all or none: a seat that is held or
    booked is named and nothing changes (its hold or booking ends first). Their labels."""
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > REASON_MAX_LENGTH or "\x00" in reason:
        raise InvalidRequest(f"give the reason (up to {REASON_MAX_LENGTH} characters)",
                             field="reason")
    with transaction.atomic():
        rows = _locked(show, seat_ids)
        now = timezone.now()
        taken = [(row.seat_id, row.seat.label, row.state(now)) for row in rows
                 if row.state(now) in (SeatState.HELD, SeatState.BOOKED)]
        if taken:
            raise refusals.seats_unavailable(taken)
        changing = [row for row in rows if not row.house_reason and not row.seat.blocked]
        changed = ShowSeat.objects.filter(
            pk__in=[row.pk for row in changing], booking__isnull=True, house_reason="").exclude(
            hold__isnull=False, held_until__gt=now).update(house_reason=reason, hold=None,
                                                           held_until=None)
        if changed != len(changing):
            raise SeatsUnavailable(seats.TAKEN)
        seats_changed(show.pk, {row.seat_id: SeatState.BLOCKED for row in changing})
        if changing:  # seats already out keep the reason they were taken out with
            audit.record(actor=actor, action="house_seats_out", subject=f"show {show.pk}",
                         seats=[row.seat.label for row in changing], reason=reason)
    return [row.seat.label for row in rows]


def return_to_sale(*, show: Show, seat_ids: Sequence[int], actor: str) -> list[str]:
    """Put house seats back on sale (the waiting list may have them first). Their labels."""
    with transaction.atomic():
        rows = _locked(show, seat_ids)
        back = [row for row in rows if row.house_reason]
        ShowSeat.objects.filter(pk__in=[row.pk for row in back]).update(house_reason="")
        seats_changed(show.pk, {row.seat_id: SeatState.AVAILABLE for row in back}, freed=True)
        labels = [row.seat.label for row in back]
        if labels:
            audit.record(actor=actor, action="house_seats_back", subject=f"show {show.pk}",
                         seats=labels)
    return labels


def house_seats(show: Show) -> list[tuple[str, str]]:
    """The show's seats out of sale: (label, reason), in the hall's order."""
    return [(label, reason) for _, label, reason in house_seats_of(show)]


def house_seats_of(show: Show) -> list[tuple[int, str, str]]:
    """The show's seats out of sale: (seat id, label, reason), in the hall's order."""
    rows = (ShowSeat.objects.filter(show=show).exclude(house_reason="").select_related("seat")
            .order_by("seat__grid_row", "seat__grid_col"))
    return [(row.seat_id, row.seat.label, row.house_reason) for row in rows]


def _locked(show: Show, seat_ids: Sequence[int]) -> list[ShowSeat]:
    if not seat_ids:
        raise InvalidRequest("choose at least one seat", field="seats")
    rows = seats.lock(show_id=show.pk, seat_ids=seat_ids)
    unknown = sorted(set(seat_ids) - {row.seat_id for row in rows})
    if unknown:
        raise refusals.no_such_seats(unknown)
    return rows
