"""Emails to customers. Queued after commit (``enqueue``), sent by a worker through Django's
email backend."""

from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise

from booking.calendar import booking_calendar
from booking.models import Booking
from catalog.templatetags.catalog_tags import money
from ticketing.i18n import _
from ticketing.tokens import derived_token, hash_token


def link_token(reference: str, booking_token_hash: str) -> str:
    """The token of a booking's emailed link: the same for every email of that booking, so a
    resend never invalidates the link a customer already has; only SECRET_KEY can make it."""
    return derived_token(f"booking-link:{reference}", booking_token_hash)


def send_booking_confirmation(booking_id: int) -> None:
    """The booking's email (sent again by Find my booking): for one cancelled since, the
    email saying so, not its tickets."""
    language, state, show_called_off = Booking.objects.filter(pk=booking_id).values_list(
        "language", "state", "show__cancelled_at").get()
    if state == Booking.State.CANCELLED:
        (send_show_cancelled if show_called_off else send_booking_cancelled)(booking_id)
        return
    with translation.override(language or settings.LANGUAGE_CODE):
        _send_booking_confirmation(booking_id)


def _send_booking_confirmation(booking_id: int) -> None:
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
        subject=str(_("Your tickets for {movie} — {reference}", movie=booking.show.movie.title,
                      reference=booking.reference)),
        body=render_to_string("booking/email_confirmation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[booking.customer_email])
    email.attach(f"{booking.reference}.ics", booking_calendar(booking),
                 "text/calendar; method=PUBLISH")
    email.send()


def send_show_cancelled(booking_id: int) -> None:
    """The cinema called the show off: say so, and how the money comes back."""
    _send_cancellation(booking_id, lambda **details: _(
        "Hello {name},\n\nWe are sorry: the showing of {movie} at {cinema} on {when} "
        "has been cancelled, and with it your booking {reference}.\n", **details))


def send_booking_cancelled(booking_id: int) -> None:
    """The customer cancelled their booking: confirm it, and how the money comes back."""
    _send_cancellation(booking_id, lambda **details: _(
        "Hello {name},\n\nYour booking {reference} for {movie} at {cinema} on {when} is "
        "cancelled, as you asked.\n", **details))


def _refund_words(booking: Booking) -> str:
    total = money(booking.total, booking.currency)
    route = booking.refund_route()
    if route == "counter":
        return str(_("{total} is to be refunded to you at the box office.\n", total=total))
    if route == "card":
        return str(_("{total} is being refunded to your card.\n", total=total))
    return ""  # nothing was paid


def _send_cancellation(booking_id: int, opening: Callable[..., Promise]) -> None:
    """A cancelled booking's email, in the booking's language: ``opening`` (the words, given
    the booking's details), how the money comes back, and the booking's calendar event marked
    cancelled (the same UID, a newer SEQUENCE), for calendars that take updates."""
    booking = (Booking.objects.select_related("show__movie", "show__hall__cinema")
               .get(pk=booking_id))
    cinema = booking.show.hall.cinema
    starts = timezone.localtime(booking.show.starts_at, cinema.tz)
    with translation.override(booking.language or settings.LANGUAGE_CODE):
        email = EmailMessage(
            subject=str(_("Cancelled: {movie} — {reference}", movie=booking.show.movie.title,
                          reference=booking.reference)),
            body=str(opening(
                name=booking.customer_name, movie=booking.show.movie.title,
                cinema=cinema.name, when=date_format(starts, "l j F Y, H:i"),
                reference=booking.reference)) + _refund_words(booking),
            from_email=settings.DEFAULT_FROM_EMAIL, to=[booking.customer_email])
        email.attach(f"{booking.reference}.ics", booking_calendar(booking),
                     "text/calendar; method=PUBLISH")
    email.send()


# Named as when they lived in booking.tasks, so messages queued before an upgrade still run.
@shared_task(name="booking.tasks.email_booking_confirmation", ignore_result=True)
def email_booking_confirmation(booking_id: int) -> None:
    send_booking_confirmation(booking_id)


@shared_task(name="booking.tasks.email_show_cancelled", ignore_result=True)
def email_show_cancelled(booking_id: int) -> None:
    send_show_cancelled(booking_id)


@shared_task(name="booking.emails.email_booking_cancelled", ignore_result=True)
def email_booking_cancelled(booking_id: int) -> None:
    send_booking_cancelled(booking_id)
