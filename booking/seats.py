"""A show's seat rows (ShowSeat): the one module that locks, claims and frees them.

Every change follows one recipe: inside the caller's transaction, lock exactly the rows to
change (``select_for_update(of=("self",))`` in primary-key order, so overlapping requests queue
instead of deadlocking), let the caller re-check them against the clock read *after* the lock,
then change them with a guarded UPDATE that only touches rows still free: anything less than
all of them is SeatsUnavailable, and the transaction is undone. On SQLite the IMMEDIATE
transaction takes the database's write lock at BEGIN, which serialises writers the same way.
A change ends with its seat event (``booking.events.seats_changed``, which takes the show's
seat-map row last): ``free`` sends it itself; the other steps leave it to the caller, so a
change made of several of them is announced once, at its end. Freed seats are also announced
after commit (``booking.signals.seats_freed``).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from uuid import UUID

from django.db import connection
from django.db.models import F, Q

from booking.errors import SeatsUnavailable
from booking.events import seats_changed
from booking.models import Booking, Hold, SeatMapState, ShowSeat
from catalog.models import Seat, Show
from ticketing.bulk import update_each
from ticketing.i18n import _

TAKEN = _("Those seats were taken a moment ago. Choose other seats.")


def lock(*, show_id: int, seat_ids: Iterable[int] = (), hold: Hold | None = None,
         with_seats: bool = True) -> list[ShowSeat]:
    """Lock these seats of the show (and those ``hold`` owns), with their seats read (their
    labels, categories and prices) unless ``with_seats`` is off."""
    query = Q(seat_id__in=list(seat_ids))
    if hold is not None:
        query |= Q(hold=hold)
    rows = ShowSeat.objects.select_for_update(of=("self",)).filter(query, show_id=show_id)
    if with_seats:
        rows = rows.select_related("seat")
    return list(rows.order_by("pk"))


def lock_show(show_id: int) -> None:
    """Lock every seat row of the show, so no seat can be held or booked while the show
    itself changes."""
    list(ShowSeat.objects.select_for_update().filter(show_id=show_id).order_by("pk")
         .values_list("pk", flat=True))


def claim(rows: list[ShowSeat], *, owner: UUID | Mapping[int, UUID], until: datetime,
          now: datetime) -> None:
    """Point the (locked) rows at their hold until ``until``: one hold for all, or a hold per
    seat id, in one UPDATE. Guarded as well as locked: only rows still free are touched."""
    holds = {row.pk: owner[row.seat_id] if isinstance(owner, Mapping) else owner
             for row in rows}
    claimed = update_each(
        ShowSeat, "hold", holds, also={"held_until": until},
        where="booking_id IS NULL AND (hold_id IS NULL OR held_until <= %s)",
        where_params=[ShowSeat._meta.get_field("held_until").get_db_prep_value(now, connection)])
    if claimed != len(rows):
        raise SeatsUnavailable(TAKEN)


def hold_until(hold: Hold, until: datetime) -> None:
    """The hold keeps its seats until ``until`` (a payment's grace, or back to its own)."""
    ShowSeat.objects.filter(hold=hold).update(held_until=until)


def clear(*, hold: Hold | None = None, booking: Booking | None = None) -> list[int]:
    """The seats of a hold, or of a booking, back to nobody, without an event (for a change
    that announces them together with others). Their seat ids."""
    rows = ShowSeat.objects.filter(hold=hold) if hold is not None else ShowSeat.objects.filter(
        booking=booking)
    seat_ids = list(rows.values_list("seat_id", flat=True))
    if hold is not None:
        rows.update(hold=None, held_until=None)
    else:
        rows.update(booking=None)
    return seat_ids


def free(*, show_id: int, hold: Hold | None = None, booking: Booking | None = None,
         to_the_line: bool = True) -> list[int]:
    """The seats of a hold, or of a booking, back to nobody, announced (``to_the_line``: the
    waiting list may have them; not when the show itself is called off). Their seat ids."""
    seat_ids = clear(hold=hold, booking=booking)
    seats_changed(show_id, dict.fromkeys(seat_ids, "available"), freed=to_the_line)
    return seat_ids


def free_expired(*, hold_ids: list[UUID], now: datetime) -> dict[int, list[int]]:
    """The seats of these holds whose time has passed, back to nobody: seat ids by show (the
    caller announces them, with when each show's seats really freed up)."""
    rows = ShowSeat.objects.filter(hold_id__in=hold_ids, held_until__lte=now)
    freed: dict[int, list[int]] = {}
    for show_id, seat_id in rows.values_list("show_id", "seat_id"):
        freed.setdefault(show_id, []).append(seat_id)
    rows.update(hold=None, held_until=None)
    return freed


def still_held_by(hold: Hold) -> bool:
    """Lock the seats the hold was made for; whether it still owns every one of them."""
    wanted = [seat["id"] for seat in hold.seats]
    rows = lock(show_id=hold.show_id, seat_ids=wanted, with_seats=False)
    return len(rows) == len(wanted) and all(row.hold_id == hold.pk for row in rows)


def book(*, hold: Hold, booking: Booking) -> dict[int, ShowSeat]:
    """The hold's seats become the booking's. Its rows, by seat id (for the tickets); the
    caller announces them once the booking is complete."""
    rows = {row.seat_id: row for row in ShowSeat.objects.filter(hold=hold)}
    ShowSeat.objects.filter(hold=hold).update(hold=None, held_until=None, booking=booking)
    return rows


def create_for(show: Show) -> int:
    """Give every seat of the show's hall a row for this show (idempotent)."""
    seat_ids = Seat.objects.filter(hall_id=show.hall_id).values_list("id", flat=True)
    rows = [ShowSeat(show=show, seat_id=seat_id) for seat_id in seat_ids]
    created = ShowSeat.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    SeatMapState.objects.get_or_create(show=show)
    return len(created)


def rebuild_for(show: Show) -> None:
    """A show moved to another hall before any sale: its rows become the new hall's seats, and
    every seat map of it is redrawn (the version moves)."""
    ShowSeat.objects.filter(show=show).exclude(seat__hall_id=show.hall_id).delete()
    create_for(show)
    SeatMapState.objects.filter(show=show).update(version=F("version") + 1)
