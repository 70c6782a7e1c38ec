"""Emails to customers. Queued after commit (``enqueue``), sent by a worker through Django's
email backend."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from booking.calendar import booking_calendar
from booking.models import Booking
from ticketing.tokens import derived_token, hash_token


def link_token(reference: str, booking_token_hash: str) -> str:
    """The token of a booking's emailed link: the same for every email of that booking, so a
    resend never invalidates the link a customer already has; only SECRET_KEY can make it."""
    return derived_token(f"booking-link:{reference}", booking_token_hash)


def send_booking_confirmation(booking_id: int) -> None:
    """Email the booking, with a link that opens it (and lets it be cancelled).

    The link's token is computed here, so it never travels through the broker; it sits in the
    URL's fragment, which browsers do not send to the server. Every email of a booking carries
    the same link (derived, not stored), so sending it again never breaks one sent before.
    """
    booking = (Booking.objects.select_related("show__movie", "show__hall__cinema")
               .prefetch_related("tickets__seat").get(pk=booking_id))
    token = link_token(booking.reference, booking.token_hash)
    if booking.link_token_hash != hash_token(token):
        Booking.objects.filter(pk=booking.pk).update(link_token_hash=hash_token(token))
    cinema = booking.show.hall.cinema
    link = f"{settings.SITE_URL.rstrip('/')}{reverse('booking-open')}#{booking.reference}.{token}"
    context = {"booking": booking, "show": booking.show, "cinema": cinema, "link": link,
               "starts": timezone.localtime(booking.show.starts_at, cinema.tz),
               "tickets": booking.tickets.all(),
               "fees": sum(t.fee for t in booking.tickets.all())}
    email = EmailMessage(
        subject=f"Your tickets for {booking.show.movie.title} — {booking.reference}",
        body=render_to_string("booking/email_confirmation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[booking.customer_email])
    email.attach(f"{booking.reference}.ics", booking_calendar(booking),
                 "text/calendar; method=PUBLISH")
    email.send()


def send_show_cancelled(booking_id: int) -> None:
    booking = Booking.objects.select_related("show__movie", "show__hall__cinema").get(
        pk=booking_id)
    cinema = booking.show.hall.cinema
    starts = timezone.localtime(booking.show.starts_at, cinema.tz)
    send_mail(
        subject=f"Cancelled: {booking.show.movie.title} — {booking.reference}",
        message=(f"Hello {booking.customer_name},\n\nWe are sorry: the showing of "
                 f"{booking.show.movie.title} at {cinema.name} on "
                 f"{starts:%A %d %B %Y, %H:%M} has been cancelled. Your booking "
                 f"{booking.reference} is cancelled and {booking.total} {booking.currency} is "
                 "being refunded to your card.\n"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[booking.customer_email],
    )


# Named as when they lived in booking.tasks, so messages queued before an upgrade still run.
@shared_task(name="booking.tasks.email_booking_confirmation", ignore_result=True)
def email_booking_confirmation(booking_id: int) -> None:
    send_booking_confirmation(booking_id)


@shared_task(name="booking.tasks.email_show_cancelled", ignore_result=True)
def email_show_cancelled(booking_id: int) -> None:
    send_show_cancelled(booking_id)
