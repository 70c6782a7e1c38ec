"""Ticket types, ratings and price cards in the import format (and the demo data)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import PriceCard, Rating, Show, TicketType
from catalog.pricing import price_list
from tests.catalog.test_import import catalog, load

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def carded() -> dict:
    document = catalog()
    document["ticket_types"] = [
        {"code": "adult", "name": "Adult"},
        {"code": "child", "name": "Child", "for_children": True},
        {"code": "carer", "name": "Carer", "carer": True},
    ]
    document["ratings"] = [{"code": "R", "children_allowed": False}]
    document["price_cards"] = [{
        "name": "Evening", "currency": "USD", "booking_fee": "1.00",
        "prices": {code: {"standard": amount, "premium": amount, "accessible": amount}
                   for code, amount in (("adult", "12.00"), ("child", "8.00"),
                                        ("carer", "0"))},
        "surcharges": {"imax": "5.00"}}]
    show = document["shows"][0]
    del show["currency"], show["prices"]
    show.update(price_card="Evening", format="imax")
    return document


def test_types_ratings_and_cards_load_and_the_show_sells_them(tmp_path):
    out = load(tmp_path, carded())
    assert "ticket types: 3 created" in out and "price cards: 1 created" in out
    assert "ratings: 1 created" in out
    assert list(TicketType.objects.values_list("code", "position")) == [
        ("adult", 0), ("child", 1), ("carer", 2)]
    show = Show.objects.get()
    assert show.currency == "USD" and show.price_standard == Decimal("18.00")
    prices = price_list(show)
    # The Matrix is rated R, which the document closes to children
    assert [t.code for t in prices.types] == ["adult", "carer"]
    assert prices.price("carer", "standard").amount == Decimal("6.00")
    assert Rating.objects.get().children_allowed is False


def test_loading_twice_changes_nothing_and_new_prices_reach_the_show(tmp_path):
    load(tmp_path, carded())
    again = load(tmp_path, carded())
    assert "price cards: 0 created, 0 updated, 1 unchanged" in again
    assert "shows: 0 created, 0 updated, 1 unchanged" in again
    document = carded()
    document["price_cards"][0]["prices"]["adult"]["standard"] = "13.00"
    assert "price cards: 0 created, 1 updated" in load(tmp_path, document)
    assert Show.objects.get().price_standard == Decimal("19.00")


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["price_cards"][0]["prices"]["child"].pop("premium"),
     "price_cards[0]: Child has no premium price"),
    (lambda d: d["price_cards"][0]["prices"].update(vip={"standard": "1"}),
     "price_cards[0].prices.vip: no ticket type with this code"),
    (lambda d: d["price_cards"][0]["prices"]["adult"].update(standard="-1"),
     "price_cards[0]: -1 must be greater than zero"),
    (lambda d: d["price_cards"][0]["surcharges"].update(hologram="1.00"),
     "price_cards[0].surcharges.hologram: unknown format"),
    (lambda d: d["price_cards"][0].update(booking_fee=True),
     "price_cards[0].booking_fee: must be a decimal"),
    (lambda d: d["price_cards"][0].update(currency="JPY")
     or d["price_cards"][0]["prices"]["adult"].update(standard="12.50"),
     "price_cards[0]: 12.50 has more decimals than JPY allows"),
    (lambda d: d["shows"][0].update(price_card="Matinee"),
     "shows[0].price_card: no price card named 'Matinee'"),
    (lambda d: d["shows"][0].update(currency="USD"),
     "shows[0].currency: comes from the price card"),
    (lambda d: d["ticket_types"][0].update(carer="yes"),
     "ticket_types[0].carer: must be true or false"),
    (lambda d: d["ticket_types"].append({"code": "adult", "name": "Again"}),
     "ticket_types[3]: the same ticket type ('adult') as ticket_types[0]"),
    (lambda d: d["ratings"][0].update(children_allowed=None),
     "ratings[0].children_allowed: must be true or false"),
])
def test_bad_cards_are_one_line_errors_and_nothing_is_written(tmp_path, change, message):
    document = carded()
    change(document)
    with pytest.raises(CommandError) as info:
        load(tmp_path, document)
    assert str(info.value).startswith(message), str(info.value)
    assert not PriceCard.objects.exists() and not Show.objects.exists()


def test_a_cards_currency_is_fixed_once_it_has_shows(tmp_path):
    load(tmp_path, carded())
    document = carded()
    document["price_cards"][0].update(currency="EUR")
    with pytest.raises(CommandError, match=r"price_cards\[0\]\.currency: shows are sold at USD"):
        load(tmp_path, document)


def test_the_demo_chain_sells_ticket_types_with_fees_and_surcharges():
    call_command("seed_demo", days=1)
    assert list(TicketType.objects.values_list("code", flat=True)) == [
        "adult", "child", "senior", "student", "carer"]
    imax = Show.objects.filter(format="imax", hall__cinema__city__slug="springfield").first()
    prices = price_list(imax)
    # 12.50 adult, a 30% IMAX surcharge of 3.75, and the 0.75 booking fee
    assert prices.price("adult", "standard").amount == Decimal("17.00")
    assert prices.fee == Decimal("0.75")
    rated_r = Show.objects.filter(movie__rating="R").first()
    assert "child" not in [t.code for t in price_list(rated_r).types]


def test_a_price_too_big_to_store_is_a_one_line_error(tmp_path):
    document = carded()
    document["price_cards"][0]["prices"]["adult"]["premium"] = "999999.00"
    with pytest.raises(CommandError, match=r"price_cards\[0\]: an all-in price must be under"):
        load(tmp_path, document)


def test_two_ticket_types_may_not_share_a_name(tmp_path):
    document = carded()
    document["ticket_types"][1]["name"] = "Adult"
    with pytest.raises(CommandError, match=r"ticket_types\[1\]\.name: "):
        load(tmp_path, document)
