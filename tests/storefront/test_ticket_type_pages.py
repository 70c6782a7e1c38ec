"""Choosing ticket types on the hold page, the all-in total and its fee breakdown, and what
the ticket page and the email say."""

import re

import pytest
from django.test import Client

from booking.models import Booking, BookingSeat, Hold, TestGatewayCharge
from catalog.models import Rating
from tests.booking_helpers import seat_ids
from tests.factories import ShowFactory, price_card

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

PAYMENT = {"name": "Grace Hopper", "email": "grace@example.com",
           "card_number": "4242 4242 4242 4242", "expiry": "12/31", "cvc": "123"}


@pytest.fixture
def show():
    return ShowFactory(price_card=price_card(fee="0.50"), format="3d")


def hold(client, show, *labels) -> str:
    response = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, *labels)})
    assert response.status_code == 302
    return response["Location"]


def pay_form(page: str) -> dict:
    return {**PAYMENT, "attempt": re.search(r'name="attempt" value="(\w+)"', page)[1],
            "total": re.search(r'name="total" value="([\d.]+)"', page)[1]}


def test_the_hold_page_offers_each_seats_types_with_all_in_prices(client, show):
    page = client.get(hold(client, show, "A1", "B4")).content.decode()
    a1, b4 = seat_ids(show, "A1", "B4")
    assert f'<select id="type-{a1}" name="type-{a1}">' in page
    assert ">Ticket for row A, seat 1</label>" in page
    assert '<option value="adult" selected>Adult · $14.50</option>' in page
    assert '<option value="child">Child · $10.50</option>' in page
    # the carer's ticket is offered beside the wheelchair space (B4), not on it
    a1_options = page[page.index(f'id="type-{a1}"'):page.index(f'id="type-{b4}"')]
    assert "Carer · $2.50" in a1_options
    assert "Carer" not in page[page.index(f'id="type-{b4}"'):].split("</select>")[0]
    assert "Every price includes a booking fee of $0.50 per ticket ($1.00 in all)" in page
    assert "Total to pay: <strong>$29.00</strong>" in page


def test_no_carer_is_offered_without_a_wheelchair_space(client, show):
    page = client.get(hold(client, show, "A1", "A2")).content.decode()
    assert "Carer" not in page


def test_choosing_with_htmx_swaps_the_table_and_the_total(client, show):
    url = hold(client, show, "A1", "A2")
    a2 = seat_ids(show, "A2")[0]
    response = client.post(url + "tickets", {f"type-{a2}": "child"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<div id="tickets">')
    assert '<option value="child" selected>Child · $10.50</option>' in fragment
    assert 'id="total-to-pay" hx-swap-oob="true"' in fragment
    assert "Total to pay: <strong>$25.00</strong>" in fragment
    assert Hold.objects.get().total == 25


def test_without_javascript_the_form_posts_and_the_page_comes_back(client, show):
    url = hold(client, show, "A1")
    a1 = seat_ids(show, "A1")[0]
    response = client.post(url + "tickets", {f"type-{a1}": "senior"})
    assert response.status_code == 302 and response["Location"] == url
    assert "Total to pay: <strong>$11.50</strong>" in client.get(url).content.decode()


def test_a_refused_choice_is_a_400_with_the_reason_and_changes_nothing(client, show):
    Rating.objects.create(code=show.movie.rating, children_allowed=False)
    url = hold(client, show, "A1")
    page = client.get(url).content.decode()
    assert ">Child" not in page
    a1 = seat_ids(show, "A1")[0]
    response = client.post(url + "tickets", {f"type-{a1}": "child"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "does not admit children" in response.content.decode()
    assert 'id="tickets-error"' in response.content.decode()
    plain = client.post(url + "tickets", {f"type-{a1}": "child"})
    assert plain.status_code == 400 and "does not admit children" in plain.content.decode()
    assert Hold.objects.get().total == 14.50


def test_checkout_charges_the_total_shown_and_the_ticket_says_each_type(
        client, show, mailoutbox, django_capture_on_commit_callbacks):
    url = hold(client, show, "A1", "A2")
    a2 = seat_ids(show, "A2")[0]
    client.post(url + "tickets", {f"type-{a2}": "child"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "pay", pay_form(client.get(url).content.decode()))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert str(TestGatewayCharge.objects.get().amount) == "25.00"
    ticket = client.get(response["Location"]).content.decode()
    assert "Row A, seat 1 · standard · Adult · $14.50" in ticket
    assert "Row A, seat 2 · standard · Child · $10.50" in ticket
    assert "(includes booking fees of $1.00)" in ticket
    email = mailoutbox[0].body
    assert "Row A, seat 2 (standard, Child) $10.50" in email
    assert "Total: $25.00 (includes booking fees of $1.00)" in email


def test_a_total_changed_in_another_window_is_not_charged(client, show):
    url = hold(client, show, "A1", "A2")
    form = pay_form(client.get(url).content.decode())
    other_window = Client()
    other_window.cookies = client.cookies
    other_window.post(url + "tickets", {f"type-{seat_ids(show, 'A2')[0]}": "child"})
    response = client.post(url + "pay", form)
    assert response.status_code == 409
    assert "the total is now $25.00" in response.content.decode()
    assert not TestGatewayCharge.objects.exists() and not Booking.objects.exists()
    assert Hold.objects.get().state == Hold.State.ACTIVE
    # paying again from the page as it now is goes through
    again = client.post(url + "pay", pay_form(response.content.decode()))
    assert again.status_code == 302
    assert sorted(BookingSeat.objects.values_list("ticket_type", flat=True)) == [
        "Adult", "Child"]


def test_a_form_total_that_is_not_an_amount_is_a_400(client, show):
    url = hold(client, show, "A1")
    form = {**pay_form(client.get(url).content.decode()), "total": "sNaN"}
    assert client.post(url + "pay", form).status_code == 400
    assert not TestGatewayCharge.objects.exists()


def test_a_show_of_one_kind_of_ticket_has_no_choice(client):
    show = ShowFactory()
    page = client.get(hold(client, show, "A1")).content.decode()
    assert '<select id="type-' not in page and "booking fee" not in page
    assert "Total to pay: <strong>$12.50</strong>" in page


def test_odd_field_names_are_ignored_not_a_500(client, show):
    url = hold(client, show, "A1")
    response = client.post(url + "tickets", {"type-\u00b2": "child", "type-": "child"})
    assert response.status_code == 302 and Hold.objects.get().total == 14.50
