"""Two adults and a child at a 3D show, on a phone: the types chosen on the hold page, the
total updating at once, the fee shown within it, and the ticket saying each seat's type."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import BookingSeat, TestGatewayCharge
from tests.factories import (
    CinemaFactory,
    CityFactory,
    HallFactory,
    MovieFactory,
    ShowFactory,
    price_card,
)
from tests.storefront.browser.test_experience import fits, pay, seat, serious

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def show():
    city = CityFactory(slug="springfield", name="Springfield")
    cinema = CinemaFactory(city=city, name="Plaza Picturehouse", timezone="America/Chicago")
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    return ShowFactory(movie=MovieFactory(title="Paper Lanterns", rating="PG"),
                       hall=HallFactory(cinema=cinema, layout=["A: ss_ssss_ss", "B: aa_pppp_aa"]),
                       starts_at=start, format="3d", price_card=price_card(fee="0.75"))


def test_two_adults_and_a_child_in_3d_on_a_phone(site, phone, show):
    phone.goto(f"{site.url}/shows/{show.id}/")
    for number in (3, 4, 5):
        seat(phone, "A", number).click()
    phone.get_by_role("button", name="Hold seats").click()
    fits(phone)
    # Every seat starts as Adult: 12.00 + the 3D surcharge 2.00 + the 0.75 fee
    expect(phone.locator("#total-to-pay")).to_contain_text("$44.25")
    expect(phone.get_by_role("button", name="Update prices")).to_be_hidden()
    phone.get_by_label("Ticket for row A, seat 5").select_option("child")
    # The total changes at once, without a reload: 14.75 + 14.75 + (8.00 + 2.00 + 0.75)
    expect(phone.locator("#total-to-pay")).to_contain_text("$40.25")
    expect(phone.locator("#tickets")).to_contain_text("booking fee of $0.75 per ticket")
    expect(phone.get_by_label("Ticket for row A, seat 5")).to_have_value("child")
    assert serious(phone) == [], "hold page with ticket types"
    pay(phone)
    expect(phone.get_by_text("Booking reference")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"Row A, seat 5 · standard · Child · \$10\.75"))
           ).to_be_visible()
    fits(phone)
    assert str(TestGatewayCharge.objects.get().amount) == "40.25"
    assert sorted(BookingSeat.objects.values_list("ticket_type", flat=True)) == [
        "Adult", "Adult", "Child"]
