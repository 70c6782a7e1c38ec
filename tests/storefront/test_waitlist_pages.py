import re

import pytest
from django.test import Client

from booking.holds import release_hold
from booking.models import Hold
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api, put_on_hold
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db(transaction=True)

PAYMENT = {"name": "Grace Hopper", "email": "grace@example.com",
           "card_number": "4242 4242 4242 4242", "expiry": "12/31", "cvc": "123"}


@pytest.fixture
def full_show():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    body = Api(Client()).post(f"/api/v1/shows/{show.id}/holds",
                              {"seats": seat_ids(show, "A1", "A2", "A3", "A4")}).json()
    return show, body["id"]


def test_join_wait_get_the_offer_and_pay_from_the_page(client, full_show):
    show, blocker = full_show
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert ">Join the waiting list</button>" in page
    response = client.post(f"/shows/{show.id}/waitlist", {"party_size": "2"})
    assert response["Location"] == f"/shows/{show.id}/"
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert "You're on the waiting list" in page
    assert "number <strong data-position>1</strong> in line for 2 seats" in page
    release_hold(hold=Hold.objects.get(pk=blocker))
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert "Seats for you!" in page
    pay_link = re.search(r'href="(/holds/[^"]+/)">Pay for these seats', page)[1]
    hold_page = client.get(pay_link)
    assert hold_page.status_code == 200 and "Held for you for" in hold_page.content.decode()
    response = client.post(pay_link + "pay", PAYMENT)
    assert response.status_code == 302 and response["Location"].startswith("/bookings/")
    assert WaitlistEntry.objects.get().state == "fulfilled"


def test_leave_from_the_page(client, full_show):
    show, _ = full_show
    client.post(f"/shows/{show.id}/waitlist", {"party_size": "1"})
    entry = WaitlistEntry.objects.get()
    assert client.post(f"/waitlist/{entry.pk}/leave")["Location"] == f"/shows/{show.id}/"
    assert WaitlistEntry.objects.get().state == "left"
    assert Client().post(f"/waitlist/{entry.pk}/leave").status_code == 404


def test_joining_when_seats_are_free_says_so(client):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    response = client.post(f"/shows/{show.id}/waitlist", {"party_size": "2"})
    assert response.status_code == 409
    assert "available right now" in response.content.decode()
    assert client.post(f"/shows/{show.id}/waitlist", {"party_size": "x"}).status_code == 400


def test_the_panel_is_drawn_by_one_template_for_the_page_and_live(client):
    show = ShowFactory(hall=HallFactory(layout=["A: s"]))
    put_on_hold(show, ["A1"])
    client.post(f"/shows/{show.id}/waitlist", {"party_size": "1"})
    entry = WaitlistEntry.objects.get()
    page = client.get(f"/shows/{show.id}/").content.decode()
    live = client.get(f"/waitlist/{entry.pk}/panel")
    assert live.status_code == 200
    fragment = live.content.decode().strip()
    inside = re.search(r'id="waitlist-panel"[^>]*>(.*?)</section>', page, re.S)[1].strip()
    strip_csrf = r'name="csrfmiddlewaretoken" value="[^"]+"'
    assert re.sub(strip_csrf, "", fragment) == re.sub(strip_csrf, "", inside)
    assert Client().get(f"/waitlist/{entry.pk}/panel").status_code == 404  # not theirs
