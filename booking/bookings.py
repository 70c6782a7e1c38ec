"""Bookings: opening one by its token (or its emailed link), and cancelling it."""

from django.db import transaction
from django.utils import timezone

from booking import seats
from booking.checkout import refund
from booking.emails import email_booking_cancelled, email_show_cancelled
from booking.models import COUNTER_PREFIX, Booking, BookingSeat, Payment
from ticketing import metrics
from ticketing.errors import Conflict, NotFound
from ticketing.i18n import _
from ticketing.tasks import enqueue
from ticketing.tokens import token_matches


def get_booking(*, reference: str, token: str | None) -> Booking:
    booking = (Booking.objects.select_related("show__movie", "show__hall__cinema")
               .filter(reference=reference).first())
    if booking is None or not (token_matches(token, booking.token_hash) or (
            booking.link_token_hash and token_matches(token, booking.link_token_hash))):
        raise NotFound(_("No such booking."))
    return booking


def cancel_booking(*, booking: Booking, by_cinema: bool = False) -> Booking:
    """Cancel before the show starts: the seats are freed at once, the charge refunded and the
    customer emailed (``by_cinema``: the show was called off, and the email says so)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().select_related("show").get(pk=booking.pk)
        if booking.state == Booking.State.CANCELLED:
            return booking
        if booking.show.has_started() and not by_cinema:
            raise Conflict(_("This show has already started, so the booking cannot be "
                             "cancelled."))
        if not by_cinema and booking.tickets.filter(admitted_at__isnull=False).exists():
            raise Conflict(_("These tickets have been used at the door, so the booking cannot "
                             "be cancelled."), reason="admitted")
        if not by_cinema and booking.payments.filter(
                gateway_reference__startswith=COUNTER_PREFIX).exists():
            raise Conflict(_("This booking was paid at the box office: it is cancelled and "
                             "refunded there."), reason="bought_at_the_counter")
        booking.state = Booking.State.CANCELLED
        booking.cancelled_at = timezone.now()
        booking.save(update_fields=["state", "cancelled_at"])
        BookingSeat.objects.filter(booking=booking).update(active=False)
        seats.free(show_id=booking.show_id, booking=booking, to_the_line=not by_cinema)
        transaction.on_commit(lambda: metrics.inc("ticketing_bookings", state="cancelled"))
        if booking.customer_email:  # a box-office sale may have no email address
            email = email_show_cancelled if by_cinema else email_booking_cancelled
            transaction.on_commit(lambda: enqueue(email, booking.pk))
        refunds = list(booking.payments.filter(status=Payment.Status.CAPTURED))
        for payment in refunds:
            payment.status = Payment.Status.REFUNDING
            payment.save(update_fields=["status", "updated_at"])
    for payment in refunds:
        refund(payment)
    return booking
