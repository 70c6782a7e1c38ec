"""Emails to customers. Sent after commit, through Django's email backend."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from booking.models import Booking


def send_booking_confirmation(booking_id: int) -> None:
    booking = (Booking.objects.select_related("show__movie", "show__hall__cinema")
               .prefetch_related("tickets__seat").get(pk=booking_id))
    cinema = booking.show.hall.cinema
    context = {"booking": booking, "show": booking.show, "cinema": cinema,
               "starts": timezone.localtime(booking.show.starts_at, cinema.tz),
               "tickets": booking.tickets.all()}
    send_mail(
        subject=f"Your tickets for {booking.show.movie.title} — {booking.reference}",
        message=render_to_string("booking/email_confirmation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[booking.customer_email],
    )
