"""A booking as an iCalendar event (RFC 5545): "Add to calendar" on the ticket page, and
attached to the confirmation email. Times are in the cinema's own time zone (with its
VTIMEZONE), the place is the cinema's address, the description names the seats; its words
are in the language of whoever asks for it (the email's: the booking's)."""

from datetime import timedelta

from django.utils import timezone
from icalendar import Calendar, Event, vText

from booking.models import Booking
from ticketing.i18n import _

PRODUCT = "-//Reel Seats//Tickets//EN"


def booking_calendar(booking: Booking) -> bytes:
    show, cinema = booking.show, booking.show.hall.cinema
    seats = ", ".join(f"{t.seat.row_label}{t.seat.number}"
                      for t in booking.tickets.select_related("seat"))
    cancelled = booking.state == Booking.State.CANCELLED
    event = Event()
    event.add("uid", f"booking-{booking.reference}@reel-seats")
    event.add("dtstamp", timezone.now())
    # A calendar takes a file with a higher SEQUENCE as the newer news of the same event.
    event.add("sequence", 1 if cancelled else 0)
    event.add("dtstart", show.starts_at.astimezone(cinema.tz))
    # The film's own length: the hall's cleaning gap after it is not the customer's evening.
    ends = show.starts_at + timedelta(minutes=show.movie.duration_minutes)
    event.add("dtend", ends.astimezone(cinema.tz))
    event.add("summary", str(_("{movie} at {cinema}", movie=show.movie.title,
                               cinema=cinema.name)))
    event.add("location", vText(", ".join(filter(None, [cinema.name, cinema.address]))))
    event.add("description", str(_("{hall}, seats {seats}. Booking {reference}.",
                                   hall=show.hall.name, seats=seats,
                                   reference=booking.reference)))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
