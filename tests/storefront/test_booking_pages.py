"""The browser flow through the server-rendered pages (the real-browser tests drive the same)."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from booking.models import Booking, Hold, ShowSeat, TestGatewayCharge
from tests.booking_helpers import seat_ids
from tests.factories import ShowFactory
from tests.helpers import put_on_hold

pytestmark = pytest.mark.django_db

PAYMENT = {"name": "Grace Hopper", "email": "grace@example.com",
           "card_number": "4242 4242 4242 4242", "expiry": "12/31", "cvc": "123"}


@pytest.fixture
def show():
    return ShowFactory()


def hold(client, show, *labels):
    return client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, *labels)})


def test_select_hold_pay_and_see_the_ticket(client, show):
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert 'id="hold-button"' in page and ">Hold seats</button>" in page
    response = hold(client, show, "A1", "B2")
    assert response.status_code == 302
    hold_url = response["Location"]
    page = client.get(hold_url).content.decode()
    assert "Row A, seat 1" in page and "Row B, seat 2" in page and "$28.50" in page
    assert re.search(r'data-clock role="timer" aria-live="off">[45]:\d\d<', page)
    for label in ("Name", "Email", "Card number", "Expiry (MM/YY)", "CVC"):
        assert f">{label}</label>" in page
    attempt = re.search(r'name="attempt" value="(\w+)"', page)[1]
    response = client.post(hold_url + "pay", {**PAYMENT, "attempt": attempt})
    assert response.status_code == 302, response.content.decode()[:3000]
    booking = Booking.objects.get()
    assert response["Location"] == f"/bookings/{booking.reference}/"
    ticket = client.get(response["Location"]).content.decode()
    assert "Booking reference" in ticket and booking.reference in ticket
    assert "<svg" in ticket and "Row A, seat 1" in ticket
    assert show.hall.cinema.name in ticket
    # A double-submitted form (same attempt) charges once and lands on the same booking.
    again = client.post(hold_url + "pay", {**PAYMENT, "attempt": attempt})
    assert again["Location"] == response["Location"]
    assert TestGatewayCharge.objects.count() == 1
    # The hold page now forwards to the booking.
    assert client.get(hold_url)["Location"] == response["Location"]


def test_taken_seats_are_named_and_the_page_says_what_to_do(client, show):
    put_on_hold(show, ["A2"])
    response = hold(client, show, "A1", "A2")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Those seats are taken." in page and "no longer available: A2" in page
    assert "join the waiting list" in page.lower() or "Choose other seats" in page
    assert Hold.objects.count() == 1


def test_changing_the_selection_replaces_the_hold_atomically(client, show):
    first = hold(client, show, "A1")
    first_id = first["Location"].split("/")[2]
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert "You are holding A1" in page
    assert 'aria-label="Row A, seat 1, standard, selected"' in page
    put_on_hold(show, ["B1"])
    failed = hold(client, show, "A2", "B1")
    assert failed.status_code == 409
    assert Hold.objects.get(pk=first_id).state == "active"  # the old hold stays
    second = hold(client, show, "A1", "A2")
    assert second.status_code == 302
    assert Hold.objects.get(pk=first_id).state == "released"
    new = Hold.objects.get(pk=second["Location"].split("/")[2])
    assert sorted(s["number"] for s in new.seats) == [1, 2]


def _hold_of(response) -> Hold:
    return Hold.objects.get(pk=response["Location"].split("/")[2])


def test_changing_the_selection_never_restarts_the_clock(client, show):
    """Holding A1 again (or A1 and more) must not buy another five minutes: a script could
    keep seats for ever that way while people wait for them."""
    first = _hold_of(hold(client, show, "A1"))
    ends = timezone.now() + timedelta(seconds=40)  # most of the five minutes have gone by
    Hold.objects.filter(pk=first.pk).update(expires_at=ends)
    ShowSeat.objects.filter(hold=first).update(held_until=ends)
    same = _hold_of(hold(client, show, "A1"))
    assert same.pk != first.pk and same.expires_at == ends
    more = _hold_of(hold(client, show, "A1", "A2"))
    assert more.expires_at == ends
    assert set(ShowSeat.objects.filter(hold=more).values_list("held_until", flat=True)) == {ends}
    # Not by going elsewhere and back either: every replacement keeps the clock.
    elsewhere = _hold_of(hold(client, show, "C1"))
    back = _hold_of(hold(client, show, "A1"))
    assert elsewhere.expires_at == back.expires_at == ends


def test_best_available_from_the_page(client, show):
    response = client.post(f"/shows/{show.id}/hold", {"count": "2", "category": ""})
    assert response.status_code == 302
    response = client.post(f"/shows/{show.id}/hold", {"count": "zwei"})
    assert response.status_code == 400


def test_empty_or_silly_selection_is_a_clear_400(client, show):
    assert client.post(f"/shows/{show.id}/hold", {}).status_code == 400
    assert client.post(f"/shows/{show.id}/hold", {"seat": ["x"]}).status_code == 400
    assert client.post(f"/shows/{show.id}/hold", {"seat": list(range(1, 12))}).status_code == 400
    assert client.get(f"/shows/{show.id}/hold").status_code == 405
    assert Hold.objects.count() == 0


def test_release_from_the_page(client, show):
    url = hold(client, show, "A1")["Location"]
    response = client.post(url + "release")
    assert response["Location"] == f"/shows/{show.id}/"
    assert Hold.objects.get().state == "released"


def test_declined_card_keeps_the_hold_and_says_so(client, show):
    url = hold(client, show, "A1")["Location"]
    response = client.post(url + "pay", {**PAYMENT, "card_number": "4000000000000002"})
    assert response.status_code == 402
    page = response.content.decode()
    assert "Payment declined." in page and "Try another card" in page
    assert 'value="Grace Hopper"' in page  # what was typed is kept (except card details)
    assert Hold.objects.get().state == "active"


def test_form_errors_are_shown_by_field(client, show):
    url = hold(client, show, "A1")["Location"]
    response = client.post(url + "pay", {**PAYMENT, "email": "nope", "expiry": "13/99"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="email-error"' in page and 'id="expiry-error"' in page
    assert 'aria-invalid="true"' in page


def test_other_browsers_cannot_see_or_touch_my_hold_or_booking(client, show):
    url = hold(client, show, "A1")["Location"]
    stranger = Client()
    assert stranger.get(url).status_code == 404
    assert stranger.post(url + "release").status_code == 404
    assert stranger.post(url + "pay", PAYMENT).status_code == 404
    booking_url = client.post(url + "pay", PAYMENT)["Location"]
    assert stranger.get(booking_url).status_code == 404
    assert stranger.post(booking_url + "cancel").status_code == 404
    assert Hold.objects.get().state == "confirmed"


def test_cancel_from_the_ticket_page(client, show):
    url = hold(client, show, "A1")["Location"]
    booking_url = client.post(url + "pay", PAYMENT)["Location"]
    assert client.post(booking_url + "cancel")["Location"] == booking_url
    page = client.get(booking_url).content.decode()
    assert "Booking cancelled" in page and "refunded" in page


def _booked(client, show, mailoutbox, django_capture_on_commit_callbacks):
    url = hold(client, show, "A1")["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "pay", PAYMENT)
    reference = response["Location"].split("/")[2]
    link = re.search(r"(http://\S+/bookings/open#(\w+)\.(\S+))", mailoutbox[-1].body)
    return reference, link


def test_the_emailed_link_opens_the_booking_in_any_browser(client, show, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    reference, link = _booked(client, show, mailoutbox, django_capture_on_commit_callbacks)
    assert link[2] == reference  # the code rides in the fragment, never sent to the server
    other = Client()
    assert other.get(f"/bookings/{reference}/").status_code == 404
    page = other.get("/bookings/open")
    assert page.status_code == 200 and 'id="open-form"' in page.content.decode()
    opened = other.post("/bookings/open", {"reference": reference.lower(), "token": link[3]})
    assert opened["Location"] == f"/bookings/{reference}/"
    assert "Booking reference" in other.get(opened["Location"]).content.decode()
    assert other.post(f"/bookings/{reference}/cancel").status_code == 302  # and cancel it
    wrong = Client().post("/bookings/open", {"reference": reference, "token": "guess"})
    assert wrong.status_code == 404 and "doesn't open a booking" in wrong.content.decode()


def test_find_my_booking_resends_the_link_without_revealing_anything(
        client, show, mailoutbox, django_capture_on_commit_callbacks):
    reference, first = _booked(client, show, mailoutbox, django_capture_on_commit_callbacks)
    stranger = Client()
    miss = stranger.post("/bookings/find", {"reference": reference, "email": "x@example.com"})
    hit = stranger.post("/bookings/find", {"reference": reference.lower(),
                                           "email": "GRACE@example.com"})
    def notice(response):
        return re.search(r'<p class="notice".*?</p>', response.content.decode(), re.S)[0]
    assert miss.status_code == hit.status_code == 200
    assert notice(miss) == notice(hit)  # the same answer either way
    assert len(mailoutbox) == 2 and mailoutbox[-1].to == ["grace@example.com"]
    fresh = re.search(r"/bookings/open#(\w+)\.(\S+)", mailoutbox[-1].body)
    assert stranger.post("/bookings/open", {"reference": reference,
                                            "token": fresh[2]}).status_code == 302
    # The link sent minutes ago still works: a resend never breaks the one the customer has.
    assert fresh[2] == first[3]
    assert Client().post("/bookings/open", {"reference": reference,
                                            "token": first[3]}).status_code == 302
    assert client.get(f"/bookings/{reference}/").status_code == 200


def test_find_my_booking_for_a_cancelled_one_says_it_is_cancelled(
        client, show, mailoutbox, django_capture_on_commit_callbacks):
    reference, _ = _booked(client, show, mailoutbox, django_capture_on_commit_callbacks)
    client.post(f"/bookings/{reference}/cancel")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/bookings/find", {"reference": reference, "email": "grace@example.com"})
    [email] = mailoutbox
    assert email.subject.startswith("Cancelled:") and "cancelled, as you asked" in email.body
    assert "Your booking is confirmed" not in email.body


def test_find_my_booking_cannot_flood_an_inbox(client, show, mailoutbox, settings,
                                               django_capture_on_commit_callbacks):
    reference, _ = _booked(client, show, mailoutbox, django_capture_on_commit_callbacks)
    settings.RATE_LIMIT_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "find_booking": "3/hour",
                            "booking_email": "2/hour"}
    ask = {"reference": reference, "email": "grace@example.com"}
    sent_before = len(mailoutbox)
    # Per booking: from many addresses, still only two more emails; the answer never changes.
    answers = []
    for n in range(1, 6):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(Client().post("/bookings/find", ask, REMOTE_ADDR=f"192.0.2.{n}"))
    assert {a.status_code for a in answers} == {200}
    notices = {re.search(r'<p class="notice".*?</p>', a.content.decode(), re.S)[0]
               for a in answers}
    assert len(notices) == 1
    assert len(mailoutbox) == sent_before + 2
    # Per client: the fourth request in the hour is refused, with when to come back.
    asker = Client()
    for _ in range(3):
        assert asker.post("/bookings/find", ask, REMOTE_ADDR="198.51.100.1").status_code == 200
    refused = asker.post("/bookings/find", ask, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many requests" in refused.content.decode()


def test_a_hold_sends_the_session_cookie_again_so_its_age_renews(client, show):
    hold(client, show, "A1")
    first = client.cookies["sessionid"]
    response = hold(client, show, "A2")  # saved under the session's lock
    assert response.cookies["sessionid"].value == first.value  # sent again: its age renews
    assert response.cookies["sessionid"]["max-age"]
