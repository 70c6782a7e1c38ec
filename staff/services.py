"""What only staff do to shows: call one off (house seats and check-in are booking's:
booking.house_seats, booking.checkin)."""

from django.db import transaction
from django.utils import timezone

from booking import bookings, holds
from booking.models import Booking, Hold, SeatMapState
from catalog.models import Show
from ticketing import audit
from waitlist.models import WaitlistEntry
from waitlist.notify import entries_changed
from waitlist.services import IN_LINE


def cancel_show(*, show: Show, actor: str = "staff") -> dict[str, int]:
    """Call off a show: take it off sale, end every hold and waiting-list entry, cancel and
    refund every booking, and tell everyone (live updates and emails, after commit)."""
    with transaction.atomic():
        # The line's lock (see waitlist.services._lock_line).
        show = Show.objects.select_for_update(of=("self",), no_key=True).get(pk=show.pk)
        if show.cancelled_at is None:
            show.cancelled_at = timezone.now()
            show.save(update_fields=["cancelled_at"])
        entries = list(WaitlistEntry.objects.filter(show=show, state__in=IN_LINE))
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            state=WaitlistEntry.State.UNFULFILLABLE)
        SeatMapState.objects.filter(show=show).update(waiting=0)
        live = list(Hold.objects.filter(show=show, state=Hold.State.ACTIVE))
        for hold in live:
            holds.release_hold(hold=hold)
        entries_changed(show.pk, [e.pk for e in entries])
    confirmed = list(Booking.objects.filter(show=show, state=Booking.State.CONFIRMED))
    for booking in confirmed:
        bookings.cancel_booking(booking=booking, by_cinema=True)
    outcome = {"bookings_cancelled": len(confirmed), "holds_ended": len(live),
               "waiting_entries_ended": len(entries)}
    audit.record(actor=actor, action="show_cancelled", subject=f"show {show.pk}", **outcome)
    return outcome
