"""Check-in at the door, through the door's own endpoints as a staff phone uses them."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from booking.models import Booking, BookingSeat, ShowSeat
from booking.ticket_codes import InvalidTicketCode, reference_from, ticket_code
from staff.models import CinemaStaff
from tests.factories import HallFactory, ShowFactory
from tests.helpers import book as book_seats
from tests.helpers import run_together
from ticketing.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def book(show, labels):
    """A confirmed booking with its tickets."""
    made = book_seats(show, labels)
    BookingSeat.objects.bulk_create(
        BookingSeat(booking=made, show_seat=row, seat=row.seat, price=12)
        for row in ShowSeat.objects.filter(booking=made).select_related("seat"))
    return made


@pytest.fixture
def show():
    return ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]))


@pytest.fixture
def booking(show):
    made = book(show, ["A1", "A2"])
    Booking.objects.filter(pk=made.pk).update(reference="DOOR2345")
    made.refresh_from_db()
    return made


def door_staff(show, *, username="door1", **role) -> Client:
    user = User.objects.create_user(username, password="x", is_staff=True)
    CinemaStaff.objects.create(user=user, cinema=show.hall.cinema, **role)
    client = Client()
    client.force_login(user)
    return client


def scan(client, show, code, door="Door 2", **extra):
    typed = ":" not in code  # what the page sends: typed references from the text field
    response = client.post(f"/staff/door/shows/{show.id}/admit",
                           json.dumps({"code": code, "door": door, "typed": typed, **extra}),
                           content_type="application/json")
    return response


def test_the_code_is_signed_and_a_forged_or_altered_one_is_refused():
    code = ticket_code("DOOR2345")
    assert code.startswith("DOOR2345:") and reference_from(code) == "DOOR2345"
    for bad in (code[:-1] + ("A" if code[-1] != "A" else "B"), "DOOR2346" + code[8:],
                "DOOR2345:forged", "not a code at all!"):
        with pytest.raises(InvalidTicketCode):
            reference_from(bad)
    assert reference_from(" door-2345 ", typed=True) == "DOOR2345"  # typed by staff
    with pytest.raises(InvalidTicketCode):
        reference_from("DOOR2345")  # a scanned code without its signature


def test_the_ticket_page_shows_the_signed_code(client, show):
    from tests.booking_helpers import seat_ids

    held = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "B1")})
    paid = client.post(held["Location"] + "pay", {
        "name": "Ada", "email": "ada@example.com", "card_number": "4242 4242 4242 4242",
        "expiry": "12/34", "cvc": "123"})
    page = client.get(paid["Location"]).content.decode()
    booking = Booking.objects.get()
    assert reference_from(ticket_code(booking.reference)) == booking.reference
    assert "<svg" in page and booking.reference in page


def test_a_ticket_admits_once_and_the_second_scan_says_when_and_where(show, booking):
    door = door_staff(show)
    first = scan(door, show, ticket_code(booking.reference)).json()
    assert first["outcome"] == "admitted" and first["message"] == "ADMIT 2 OF 2."
    assert first["seats"] == ["A1", "A2"]
    again = scan(door, show, ticket_code(booking.reference), door="Door 5").json()
    local = timezone.localtime(BookingSeat.objects.first().admitted_at, show.hall.cinema.tz)
    assert again["outcome"] == "already_admitted"
    assert again["message"] == f"ALREADY ADMITTED at {local:%H:%M} (Door 2)."
    assert set(BookingSeat.objects.values_list("admitted_door", "admitted_by")) == {
        ("Door 2", "door1")}
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.subject) == ("door1", "check_in",
                                                          "booking DOOR2345")
    assert entry.detail["door"] == "Door 2" and entry.detail["admitted"] == 2


def test_a_typed_reference_works_when_the_code_cannot_be_scanned(show, booking):
    assert scan(door_staff(show), show, "door2345").json()["outcome"] == "admitted"


@pytest.mark.django_db(transaction=True)
def test_two_doors_scanning_at_once_admit_once(show, booking):
    doors = [door_staff(show, username=f"door{i}") for i in (1, 2)]
    answers = run_together([lambda d=d: scan(d, show, ticket_code(booking.reference)).json()
                            for d in doors])
    assert sorted(a["outcome"] for a in answers) == ["admitted", "already_admitted"]
    assert AuditEntry.objects.filter(action="check_in").count() == 1


def test_wrong_show_other_day_cancelled_and_forged_are_refused_in_large_words(show, booking):
    door = door_staff(show)
    same_film_tomorrow = ShowFactory(movie=show.movie, hall=show.hall,
                                     starts_at=show.starts_at + timedelta(days=1))
    other_film = ShowFactory(hall=show.hall, starts_at=show.starts_at + timedelta(hours=4))
    for other, words in ((same_film_tomorrow, "WRONG DAY."), (other_film, "WRONG SHOW.")):
        elsewhere = book(other, ["B1"])
        answer = scan(door, show, ticket_code(elsewhere.reference)).json()
        assert answer["outcome"] == "refused" and answer["message"].startswith(words)
    cancelled = book(show, ["B2"])
    Booking.objects.filter(pk=cancelled.pk).update(state=Booking.State.CANCELLED)
    answer = scan(door, show, ticket_code(cancelled.reference)).json()
    assert answer["outcome"] == "refused" and answer["message"].startswith("CANCELLED.")
    forged = scan(door, show, "DOOR2345:not-our-signature").json()
    assert forged["outcome"] == "refused" and "NOT A VALID TICKET" in forged["message"]
    unsigned = door.post(f"/staff/door/shows/{show.id}/admit",
                         json.dumps({"code": "DOOR2345", "door": "x"}),
                         content_type="application/json").json()
    assert unsigned["outcome"] == "refused" and "NOT A VALID TICKET" in unsigned["message"]
    elsewhere = book(ShowFactory(), ["A1"])
    other_cinema = scan(door, show, ticket_code(elsewhere.reference)).json()
    assert other_cinema["message"] == "WRONG CINEMA. This ticket is not for this cinema."
    assert not BookingSeat.objects.exclude(admitted_at=None).exists()


def test_a_scan_made_offline_is_admitted_at_the_time_it_was_made(show, booking):
    made = (timezone.now() - timedelta(minutes=7)).replace(microsecond=0)
    answer = scan(door_staff(show), show, ticket_code(booking.reference),
                  scanned_at=made.isoformat()).json()
    assert answer["outcome"] == "admitted"
    assert BookingSeat.objects.first().admitted_at == made
    future = scan(door_staff(show, username="door9"), show, "DOOR2345",
                  scanned_at=(timezone.now() + timedelta(days=1)).isoformat()).json()
    assert future["outcome"] == "already_admitted"


@pytest.mark.parametrize("body", [b"", b"[]", b'{"door": "x"}', b'{"code": 5}',
                                  b'{"code": "DOOR2345", "typed": "yes"}',
                                  b'{"code": "DOOR2345", "door": "a\\u0000b"}',
                                  b'{"code": "DOOR2345", "scanned_at": "yesterday"}',
                                  b'{"code": "DOOR2345", "scanned_at": "2026-01-01T10:00:00"}'])
def test_a_bad_body_is_a_clear_400_and_admits_nobody(show, booking, body):
    response = door_staff(show).post(f"/staff/door/shows/{show.id}/admit", body,
                                     content_type="application/json")
    assert response.status_code == 400 and "Send code" in response.json()["message"]
    assert not BookingSeat.objects.exclude(admitted_at=None).exists()


def test_only_staff_with_the_check_in_role_at_that_cinema_may_admit(show, booking):
    anonymous = scan(Client(), show, "DOOR2345")
    assert anonymous.status_code == 401 and anonymous.json()["outcome"] == "signed_out"
    page = Client().get(f"/staff/door/shows/{show.id}/")
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
    other_cinema = ShowFactory()
    elsewhere = door_staff(other_cinema, username="elsewhere")
    assert scan(elsewhere, show, "DOOR2345").status_code == 403
    assert elsewhere.get(f"/staff/door/shows/{show.id}/").status_code == 404
    no_role = door_staff(show, username="sales", can_check_in=False)
    assert scan(no_role, show, "DOOR2345").json()["outcome"] == "forbidden"
    assert not BookingSeat.objects.exclude(admitted_at=None).exists()
    allowed = door_staff(show, username="usher")
    home = allowed.get("/staff/door/").content.decode()
    assert show.movie.title in home and other_cinema.movie.title not in home
    assert "door-video" in allowed.get(f"/staff/door/shows/{show.id}/").content.decode()


def test_tickets_used_at_the_door_cannot_be_cancelled_online(show, booking):
    from booking.bookings import cancel_booking
    from ticketing.errors import Conflict

    scan(door_staff(show), show, ticket_code(booking.reference))
    with pytest.raises(Conflict, match="used at the door"):
        cancel_booking(booking=booking)
    assert Booking.objects.get(pk=booking.pk).state == "confirmed"
