"""Ticket types, ratings and price cards in the admin: a card with a missing combination is
refused, a show on a card takes its prices, and a card's new prices reach its upcoming shows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from catalog.models import PriceCard, Show, TicketType
from tests.factories import ShowFactory, price_card, ticket_types

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("staff", "staff@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def card_form(rows, *, name="Matinee", currency="USD", fee="0.75", surcharges=()):
    form = {"name": name, "currency": currency, "booking_fee": fee,
            "prices-TOTAL_FORMS": len(rows), "prices-INITIAL_FORMS": 0,
            "surcharges-TOTAL_FORMS": len(surcharges), "surcharges-INITIAL_FORMS": 0}
    for i, (ticket_type, category, amount) in enumerate(rows):
        form.update({f"prices-{i}-ticket_type": ticket_type.pk,
                     f"prices-{i}-category": category, f"prices-{i}-amount": amount})
    for i, (format_, amount) in enumerate(surcharges):
        form.update({f"surcharges-{i}-format": format_, f"surcharges-{i}-amount": amount})
    return form


@pytest.mark.parametrize("model", ["tickettype", "rating", "pricecard"])
def test_changelists_open(staff, model):
    price_card()
    assert staff.get(f"/admin/catalog/{model}/").status_code == 200
    assert staff.get(f"/admin/catalog/{model}/add/").status_code == 200


def test_a_card_with_every_combination_is_saved(staff):
    types = ticket_types()
    rows = [(types[code], category, amount) for code, amount in (("adult", "9.00"),
                                                                  ("child", "6.00"))
            for category in ("standard", "premium")]
    response = staff.post("/admin/catalog/pricecard/add/",
                          card_form(rows, surcharges=[("imax", "4.00")]))
    assert response.status_code == 302, response.content.decode()[-3000:]
    card = PriceCard.objects.get()
    assert card.prices.count() == 4 and card.surcharges.get().amount == 4
    assert card.booking_fee == Decimal("0.75")


def test_a_card_with_a_missing_combination_is_refused(staff):
    types = ticket_types()
    rows = [(types["adult"], "standard", "9.00"), (types["adult"], "premium", "12.00"),
            (types["child"], "standard", "6.00")]
    response = staff.post("/admin/catalog/pricecard/add/", card_form(rows))
    assert response.status_code == 200
    assert "Child has no premium price" in response.content.decode()
    assert not PriceCard.objects.exists()


def test_a_card_of_only_restricted_types_or_bad_amounts_is_refused(staff):
    types = ticket_types()
    only_children = staff.post("/admin/catalog/pricecard/add/",
                               card_form([(types["child"], "standard", "6.00")]))
    assert "a ticket type anyone may buy" in only_children.content.decode()
    yen = staff.post("/admin/catalog/pricecard/add/",
                     card_form([(types["adult"], "standard", "1900.50")], currency="JPY",
                               fee="0"))
    assert yen.status_code == 200 and not PriceCard.objects.exists()


def test_a_show_on_a_card_takes_its_currency_and_prices(staff):
    show = ShowFactory()
    card = price_card(currency="EUR", fee="0.50")
    start = timezone.localtime(show.starts_at + timedelta(days=1), show.hall.cinema.tz)
    form = {"movie": show.movie_id, "hall": show.hall_id, "price_card": card.pk,
            "starts_at_0": start.strftime("%Y-%m-%d"), "starts_at_1": start.strftime("%H:%M:%S"),
            "currency": "", "price_standard": "", "price_premium": "", "price_accessible": "",
            "format": "3d"}
    response = staff.post("/admin/catalog/show/add/", form)
    assert response.status_code == 302, response.content.decode()[-3000:]
    new = Show.objects.exclude(pk=show.pk).get()
    assert new.currency == "EUR" and new.price_card == card
    assert new.prices == {"standard": Decimal("14.50"), "premium": Decimal("17.50"),
                          "accessible": Decimal("14.50")}


def test_a_card_that_does_not_price_the_halls_seats_is_refused_for_the_show(staff):
    show = ShowFactory()
    types = ticket_types()
    card = price_card(prices={"adult": {"standard": "9.00"}})
    start = timezone.localtime(show.starts_at + timedelta(days=1), show.hall.cinema.tz)
    form = {"movie": show.movie_id, "hall": show.hall_id, "price_card": card.pk,
            "starts_at_0": start.strftime("%Y-%m-%d"), "starts_at_1": start.strftime("%H:%M:%S"),
            "format": "2d"}
    response = staff.post("/admin/catalog/show/add/", form)
    assert response.status_code == 200
    assert "this hall has premium seats, which Evening does not price" in (
        response.content.decode())
    assert Show.objects.count() == 1 and types


def test_new_card_prices_reach_its_upcoming_shows(staff):
    card = price_card()
    show = ShowFactory(price_card=card)
    adult = card.prices.get(ticket_type__code="adult", category="standard")
    form = {"name": card.name, "booking_fee": "1.00",
            "prices-TOTAL_FORMS": card.prices.count(),
            "prices-INITIAL_FORMS": card.prices.count(),
            "surcharges-TOTAL_FORMS": 0, "surcharges-INITIAL_FORMS": 0}
    for i, row in enumerate(card.prices.all()):
        form.update({f"prices-{i}-id": row.pk, f"prices-{i}-card": card.pk,
                     f"prices-{i}-ticket_type": row.ticket_type_id,
                     f"prices-{i}-category": row.category,
                     f"prices-{i}-amount": "13.00" if row == adult else row.amount})
    # the card is in use: its currency is fixed, so the form does not send it
    response = staff.post(f"/admin/catalog/pricecard/{card.pk}/change/", form)
    assert response.status_code == 302, response.context["errors"]
    show.refresh_from_db()
    assert show.price_standard == Decimal("14.00")  # 13.00 + the 1.00 fee
    assert TicketType.objects.count() == 4
