"""A premiere on a phone: the show page leads into the waiting room, the countdown runs, the
on-sale instant gives a place and the turn, the page moves on to the seat map by itself, and
the visitor books; the fairness report then checks out."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Booking
from catalog.models import Show
from tests.factories import CinemaFactory, CityFactory, HallFactory, MovieFactory, ShowFactory
from tests.storefront.browser.test_experience import fits, pay, seat, serious

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def premiere():
    city = CityFactory(slug="springfield", name="Springfield")
    cinema = CinemaFactory(city=city, name="Plaza Picturehouse", timezone="America/Chicago")
    start = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    return ShowFactory(movie=MovieFactory(title="Orbit of Ashes"),
                       hall=HallFactory(cinema=cinema, layout=["A: ssssss", "B: ssssss"]),
                       starts_at=start, on_sale_at=timezone.now() + timedelta(minutes=10),
                       waiting_room=True)


def test_a_visitor_waits_in_the_room_and_books_on_a_phone(site, phone, premiere):
    phone.goto(f"{site.url}/shows/{premiere.id}/")
    expect(phone).to_have_url(f"{site.url}/shows/{premiere.id}/room")
    expect(phone.get_by_text("You are in the waiting room.")).to_be_visible()
    countdown = phone.locator("[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^\d+:\d\d$"))
    fits(phone)
    assert serious(phone) == [], "waiting room"
    # The on-sale instant passes: the site reveals the draw and lets the visitor in, and the
    # page moves on to the seat map by itself.
    Show.objects.filter(pk=premiere.pk).update(on_sale_at=timezone.now())
    expect(phone).to_have_url(f"{site.url}/shows/{premiere.id}/", timeout=15000)
    expect(phone.locator("#room-turn")).to_contain_text("It's your turn.")
    for number in (3, 4):
        seat(phone, "A", number).click()
    phone.get_by_role("button", name="Hold seats").click()
    pay(phone)
    expect(phone.get_by_text("Booking reference")).to_be_visible()
    assert Booking.objects.filter(show=premiere).count() == 1
    phone.goto(f"{site.url}/shows/{premiere.id}/fairness")
    expect(phone.locator("#fairness-result")).to_contain_text("Everything checks out.")
    fits(phone)
