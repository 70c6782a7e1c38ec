"""Add to calendar: the booking as an iCalendar file, from the ticket page and in the email,
read back by a parser; and taken out again by the email that says it is cancelled."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from booking.models import Booking
from staff.services import cancel_show
from tests.booking_helpers import seat_ids
from tests.factories import CinemaFactory, HallFactory, MovieFactory, ShowFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def booked(client, django_capture_on_commit_callbacks):
    cinema = CinemaFactory(name="Plaza", address="1 Main St", timezone="America/Chicago")
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    show = ShowFactory(movie=MovieFactory(title="Orbit", duration_minutes=110), starts_at=start,
                       hall=HallFactory(cinema=cinema, name="Screen 2"))
    held = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1", "A2")})
    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(held["Location"] + "pay", {
            "name": "Ada", "email": "ada@example.com", "card_number": "4242 4242 4242 4242",
            "expiry": "12/34", "cvc": "123"})
    return show, Booking.objects.get(), paid["Location"]


def check(data: bytes, show, booking):
    calendar = Calendar.from_ical(data)
    event = calendar.walk("VEVENT")[0]
    assert str(event["summary"]) == "Orbit at Plaza"
    assert str(event["location"]) == "Plaza, 1 Main St"
    assert "seats A1, A2" in str(event["description"]) and booking.reference in str(
        event["description"])
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "America/Chicago" and start == show.starts_at
    assert event.decoded("dtend") - start == timedelta(minutes=110)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/Chicago"]


def test_the_ticket_page_links_a_calendar_file(client, booked):
    show, booking, page = booked
    assert re.search(r'href="/bookings/\w+/calendar.ics"', client.get(page).content.decode())
    response = client.get(f"/bookings/{booking.reference}/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar"
    check(response.content, show, booking)


def attached(email, booking) -> bytes:
    [(name, content, kind)] = email.attachments
    assert name == f"{booking.reference}.ics" and kind.startswith("text/calendar")
    return content if isinstance(content, bytes) else content.encode()


def test_the_confirmation_email_carries_it(booked):
    show, booking, _ = booked
    check(attached(mail.outbox[0], booking), show, booking)


def cancels(email, booking, confirmation):
    """The email's event is the confirmation's, cancelled, and a calendar takes it as newer."""
    calendar = Calendar.from_ical(attached(email, booking))
    event, booked_event = calendar.walk("VEVENT")[0], confirmation.walk("VEVENT")[0]
    assert event["uid"] == booked_event["uid"] and event["status"] == "CANCELLED"
    assert event.decoded("sequence") > booked_event.decoded("sequence")
    assert event.decoded("dtstart") == booked_event.decoded("dtstart")


def test_cancelling_the_booking_emails_it_cancelled(client, booked,
                                                    django_capture_on_commit_callbacks):
    _, booking, page = booked
    confirmation = Calendar.from_ical(attached(mail.outbox[0], booking))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(page + "cancel").status_code == 302
    [email] = mail.outbox
    assert email.to == ["ada@example.com"] and booking.reference in email.subject
    assert "cancelled, as you asked" in email.body
    assert f"${booking.total} is being refunded to your card" in email.body
    cancels(email, booking, confirmation)


def test_a_show_called_off_emails_it_cancelled(booked, django_capture_on_commit_callbacks):
    show, booking, _ = booked
    confirmation = Calendar.from_ical(attached(mail.outbox[0], booking))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_show(show=show)
    [email] = mail.outbox
    assert "has been cancelled" in email.body and "refunded to your card" in email.body
    cancels(email, booking, confirmation)


def test_only_the_bookings_holder_gets_it(booked):
    from django.test import Client

    assert Client().get(f"/bookings/{booked[1].reference}/calendar.ics").status_code == 404
