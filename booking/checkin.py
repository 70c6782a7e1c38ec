"""Letting people in at the door: a ticket's code admits its booking's seats once.

Admitting is one guarded UPDATE of the booking's tickets not yet admitted, so two doors
scanning the same ticket at the same instant cannot both admit it: one changes the rows, the
other changes none and is told when and where it was admitted.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from booking.models import Booking, BookingSeat
from booking.ticket_codes import InvalidTicketCode, reference_from
from catalog.models import Show
from ticketing import audit

# A scan made while the door was offline is admitted at the time it was made, if that time is
# believable (not in the future, not long before the sync).
OFFLINE_SCAN_MAX_AGE = timedelta(hours=12)


@dataclass(frozen=True)
class Admission:
    outcome: str  # "admitted", "already_admitted" or "refused"
    message: str
    reference: str = ""
    seats: list[str] = field(default_factory=list)
    admitted: int = 0
    total: int = 0
    admitted_at: datetime | None = None
    door: str = ""
    ticket_types: str = ""  # "2 Adult, 1 Child"; blank for a show of one kind of ticket


def admit(*, code: str, show: Show, door: str, actor: str, typed: bool = False,
          scanned_at: datetime | None = None) -> Admission:
    """Admit the booking a scanned ticket code (or a ``typed`` reference) names, for this
    show."""
    try:
        reference = reference_from(code, typed=typed)
    except InvalidTicketCode:
        if typed:
            return Admission("refused", "NOT A BOOKING REFERENCE. Check what you typed.")
        return Admission("refused", "NOT A VALID TICKET. The code is forged or damaged.")
    now = timezone.now()
    at = scanned_at if scanned_at and now - OFFLINE_SCAN_MAX_AGE <= scanned_at <= now else now
    with transaction.atomic():
        # The booking's lock, which cancelling takes too: a ticket is admitted or cancelled,
        # one after the other, never both at once.
        booking = (Booking.objects.select_for_update(of=("self",))
                   .select_related("show__movie", "show__hall").filter(reference=reference)
                   .first())
        if booking is None:
            return Admission("refused", f"NO SUCH BOOKING: {reference}.", reference)
        refusal = _refusal(booking, show)
        tickets = BookingSeat.objects.filter(booking=booking, active=True)
        listed = list(tickets.select_related("seat"))
        seats = [f"{t.seat.row_label}{t.seat.number}" for t in listed]
        kinds = ", ".join(f"{n} {name}" for name, n in
                          Counter(t.ticket_type for t in listed if t.ticket_type).items())
        if not refusal and not seats:
            refusal = "NO SEATS. This booking has no tickets left."
        if refusal:
            return Admission("refused", refusal, reference, seats, total=len(seats))
        admitted = tickets.filter(admitted_at__isnull=True).update(
            admitted_at=at, admitted_door=door[:40], admitted_by=actor[:150])
        if admitted:
            audit.record(actor=actor, action="check_in", subject=f"booking {reference}",
                         show=show.pk, door=door, seats=seats, admitted=admitted)
            return Admission("admitted", f"ADMIT {admitted} OF {len(seats)}.", reference,
                             seats, admitted, len(seats), at, door, kinds)
    first = tickets.exclude(admitted_at__isnull=True).order_by("admitted_at").first()
    if first is None:  # cannot happen under the booking's lock; answered plainly if it does
        return Admission("refused", "CANCELLED. This booking was cancelled and refunded.",
                         reference)
    when = timezone.localtime(first.admitted_at, show.hall.cinema.tz)
    where = f" ({first.admitted_door})" if first.admitted_door else ""
    return Admission("already_admitted", f"ALREADY ADMITTED at {when:%H:%M}{where}.",
                     reference, seats, 0, len(seats), first.admitted_at, first.admitted_door,
                     kinds)


def _refusal(booking: Booking, show: Show) -> str:
    if booking.state == Booking.State.CANCELLED:
        return "CANCELLED. This booking was cancelled and refunded."
    if booking.show_id != show.pk:
        other = booking.show
        if other.hall.cinema_id != show.hall.cinema_id:  # nothing about another cinema's sales
            return "WRONG CINEMA. This ticket is not for this cinema."
        when = timezone.localtime(other.starts_at, other.hall.cinema.tz)
        if other.movie_id == show.movie_id and when.date() != timezone.localtime(
                show.starts_at, show.hall.cinema.tz).date():
            return f"WRONG DAY. This ticket is for {when:%A %d %B, %H:%M}."
        return (f"WRONG SHOW. This ticket is for {other.movie.title}, {when:%a %d %b %H:%M}, "
                f"{other.hall.name}.")
    return ""
