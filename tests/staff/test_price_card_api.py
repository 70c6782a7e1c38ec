"""Price cards through the staff API, and shows that sell them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import PriceCard, Show
from staff.auth import issue_staff_token
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import HallFactory, MovieFactory, ShowFactory, ticket_types

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

CARD = {"name": "Evening", "currency": "USD", "booking_fee": "0.50",
        "prices": {"adult": {"standard": "12.00", "premium": "15.00", "accessible": "12.00"},
                   "child": {"standard": "8.00", "premium": "11.00", "accessible": "8.00"}},
        "surcharges": {"3d": "2.00"}}


@pytest.fixture
def token():
    ticket_types()
    return issue_staff_token(name="head office")[1]


def test_a_card_is_made_replaced_and_listed(api, token):
    made = api.post("/api/v1/staff/price-cards", CARD, token=token)
    assert made.status_code == 201, made.json()
    assert made.json()["prices"] == CARD["prices"]
    assert made.json()["surcharges"] == {"3d": "2.00"}
    cheaper = {**CARD, "prices": {**CARD["prices"], "adult": {
        "standard": "10.00", "premium": "13.00", "accessible": "10.00"}}}
    replaced = api.post("/api/v1/staff/price-cards", cheaper, token=token)
    assert replaced.status_code == 200 and PriceCard.objects.count() == 1
    listed = api.get("/api/v1/staff/price-cards", token=token).json()
    cards = listed["results"] if isinstance(listed, dict) else listed
    assert cards[0]["prices"]["adult"]["standard"] == "10.00"


def test_a_card_with_a_missing_combination_is_a_clear_400(api, token):
    broken = {**CARD, "prices": {**CARD["prices"], "child": {"standard": "8.00"}}}
    response = api.post("/api/v1/staff/price-cards", broken, token=token)
    assert response.status_code == 400
    assert "Child has no premium price" in response.json()["detail"]
    assert not PriceCard.objects.exists()
    assert api.post("/api/v1/staff/price-cards", [1], token=token).status_code == 400


def test_a_show_on_a_card_through_the_api(api, token):
    api.post("/api/v1/staff/price-cards", CARD, token=token)
    hall = HallFactory()
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    show = api.post("/api/v1/staff/shows", {
        "movie": MovieFactory().slug, "hall": hall.id, "starts_at": start.isoformat(),
        "price_card": "Evening", "format": "3d"}, token=token)
    assert show.status_code == 201, show.json()
    body = show.json()
    assert body["price_card"] == "Evening" and body["currency"] == "USD"
    assert body["prices"] == {"standard": "14.50", "premium": "17.50", "accessible": "14.50"}
    assert Show.objects.get().price_accessible == Decimal("14.50")
    unknown = api.post("/api/v1/staff/shows", {
        "movie": MovieFactory().slug, "hall": hall.id,
        "starts_at": (start + timedelta(days=1)).isoformat(), "price_card": "Nope"},
        token=token)
    assert unknown.status_code == 400 and Show.objects.count() == 1


def test_a_shows_bookings_say_each_tickets_type_and_price(api, token):
    api.post("/api/v1/staff/price-cards", CARD, token=token)
    show = ShowFactory(price_card=PriceCard.objects.get(), format="3d")
    held = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1", "A2")}
                    ).json()
    api.put(f"/api/v1/holds/{held['id']}/tickets", {"tickets": [
        {"seat_id": seat_ids(show, "A2")[0], "ticket_type": "child"}]}, token=held["token"])
    api.post(f"/api/v1/holds/{held['id']}/checkout", checkout_body(), token=held["token"])
    bookings = api.get(f"/api/v1/staff/shows/{show.id}/bookings", token=token).json()
    assert bookings["results"][0]["tickets"] == [
        {"seat": "A1", "ticket_type": "Adult", "price": "14.50", "fee": "0.50"},
        {"seat": "A2", "ticket_type": "Child", "price": "10.50", "fee": "0.50"}]
