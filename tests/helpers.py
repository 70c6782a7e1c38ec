"""Small test helpers that set seat states directly (the hold services have their own tests)."""

from datetime import timedelta

from django.utils import timezone

from booking.models import Booking, Hold, ShowSeat
from catalog.models import Show


def put_on_hold(show: Show, labels: list[str], *, minutes: float = 5) -> Hold:
    expires = timezone.now() + timedelta(minutes=minutes)
    hold = Hold.objects.create(show=show, token_hash="-", expires_at=expires, total=0,
                               currency=show.currency)
    rows = ShowSeat.objects.filter(show=show, seat__in=_seats(show, labels))
    rows.update(hold=hold, held_until=expires)
    return hold


def book(show: Show, labels: list[str]) -> Booking:
    hold = put_on_hold(show, labels)
    booking = Booking.objects.create(reference=f"T{hold.pk.hex[:8]}", token_hash="-", show=show,
                                     hold=hold, customer_name="A", customer_email="a@example.com",
                                     total=0, currency=show.currency)
    ShowSeat.objects.filter(hold=hold).update(hold=None, held_until=None, booking=booking)
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.CONFIRMED)
    return booking


def _seats(show: Show, labels: list[str]):
    wanted = {(label[0], int(label[1:])) for label in labels}
    return [s for s in show.hall.seats.all() if (s.row_label, s.number) in wanted]
