"""Ticket types and price cards through the API: all-in prices, choosing a type per seat, the
rating and carer rules, and checkout charging exactly the total shown."""

import pytest

from booking.models import BookingSeat, Hold, Payment
from catalog.models import Rating, TicketType
from catalog.services import ShowHasSales, save_show
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import ShowFactory, price_card

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def show():
    """A 3D show on a card with a 0.50 booking fee: adult standard is 12.00 + 2.00 + 0.50."""
    return ShowFactory(price_card=price_card(fee="0.50"), format="3d")


def hold(api, show, *labels):
    body = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, *labels)}).json()
    return body


def choose(api, held, **by_label):
    show = Hold.objects.get(pk=held["id"]).show
    tickets = [{"seat_id": seat_ids(show, label)[0], "ticket_type": code}
               for label, code in by_label.items()]
    return api.put(f"/api/v1/holds/{held['id']}/tickets", {"tickets": tickets},
                   token=held["token"])


def receipt(hold_id):
    hold = Hold.objects.get(pk=hold_id)
    return hold.seats, hold.total


def test_the_show_lists_its_ticket_types_with_all_in_prices(api, show):
    body = api.get(f"/api/v1/shows/{show.id}").json()
    assert [t["code"] for t in body["ticket_types"]] == ["adult", "child", "senior", "carer"]
    adult = body["ticket_types"][0]
    assert adult["prices"] == {"standard": "14.50", "premium": "17.50", "accessible": "14.50"}
    assert adult["fee"] == "0.50" and adult["carer"] is False
    assert body["ticket_types"][3]["prices"]["standard"] == "2.50"  # free, but for the 3D
    assert body["default_ticket_type"] == "adult"
    assert body["prices"] == adult["prices"]  # seats are held at the default type


def test_a_show_in_2d_has_no_surcharge(api):
    show = ShowFactory(price_card=price_card(fee="0.50"))
    body = api.get(f"/api/v1/shows/{show.id}").json()
    assert body["ticket_types"][0]["prices"]["standard"] == "12.50"


def test_choosing_types_reprices_the_hold_and_checkout_charges_it(api, show):
    held = hold(api, show, "A1", "A2", "B1")
    assert held["total"] == "46.50"  # 14.50 + 14.50 + 17.50, all adult
    assert {s["ticket_type"] for s in held["seats"]} == {None}
    response = choose(api, held, A2="child", B1="senior")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["total"] == "39.50"  # adult 14.50 + child 10.50 + senior premium 14.50
    assert [(s["row"], s["number"], s["ticket_type"], s["type_name"], s["price"], s["fee"])
            for s in body["seats"]] == [
        ("A", 1, "adult", "Adult", "14.50", "0.50"), ("A", 2, "child", "Child", "10.50", "0.50"),
        ("B", 1, "senior", "Senior", "14.50", "0.50")]
    assert api.get(f"/api/v1/holds/{held['id']}", token=held["token"]).json() == body

    paid = api.post(f"/api/v1/holds/{held['id']}/checkout", checkout_body(),
                    token=held["token"])
    assert paid.status_code == 201, paid.json()
    booking = paid.json()
    assert booking["total"] == "39.50"
    assert str(Payment.objects.get().amount) == "39.50"
    assert [(s["row"], s["number"], s["ticket_type"], s["price"], s["fee"])
            for s in booking["seats"]] == [
        ("A", 1, "Adult", "14.50", "0.50"), ("A", 2, "Child", "10.50", "0.50"),
        ("B", 1, "Senior", "14.50", "0.50")]
    assert sorted(BookingSeat.objects.values_list("ticket_type", flat=True)) == [
        "Adult", "Child", "Senior"]


def test_seats_left_out_keep_their_type(api, show):
    held = hold(api, show, "A1", "A2")
    choose(api, held, A1="child", A2="senior")
    body = choose(api, held, A2="adult").json()
    assert [s["ticket_type"] for s in body["seats"]] == ["child", "adult"]
    assert body["total"] == "25.00"


def test_a_child_ticket_is_refused_for_a_film_closed_to_children(api, show):
    Rating.objects.create(code=show.movie.rating, children_allowed=False)
    body = api.get(f"/api/v1/shows/{show.id}").json()
    assert "child" not in [t["code"] for t in body["ticket_types"]]
    held = hold(api, show, "A1", "A2")
    before = receipt(held["id"])
    response = choose(api, held, A1="senior", A2="child")
    assert response.status_code == 400
    assert "does not admit children" in response.json()["detail"]
    assert receipt(held["id"]) == before  # the senior choice did not go through alone


def test_a_rating_that_admits_children_sells_child_tickets(api, show):
    Rating.objects.create(code=show.movie.rating, children_allowed=True)
    held = hold(api, show, "A1")
    assert choose(api, held, A1="child").status_code == 200


def test_a_carer_ticket_needs_a_wheelchair_space_in_the_same_hold(api, show):
    held = hold(api, show, "B3", "A1")
    before = receipt(held["id"])
    response = choose(api, held, B3="carer")
    assert response.status_code == 400
    assert "wheelchair space" in response.json()["detail"]
    assert receipt(held["id"]) == before


def test_a_carer_goes_beside_the_space_one_per_space(api, show):
    held = hold(api, show, "B3", "B4")  # B4 is a wheelchair space
    response = choose(api, held, B3="carer")
    assert response.status_code == 200, response.json()
    assert response.json()["total"] == "17.00"  # carer 2.50 + adult 14.50 on the space
    on_the_space = choose(api, held, B3="adult", B4="carer")
    assert on_the_space.status_code == 400
    assert "B4 is a wheelchair space" in on_the_space.json()["detail"]
    two = hold(api, show, "A1", "A2", "A4")
    # with no space in the hold, no carer at all
    assert choose(api, two, A1="carer").status_code == 400


@pytest.mark.parametrize("tickets, field_text", [
    ([], "list"),
    ([{"seat_id": 1}], "{seat_id, ticket_type}"),
    ([{"seat_id": "1", "ticket_type": "adult"}], "seat_id is a number"),
    ([{"seat_id": True, "ticket_type": "adult"}], "seat_id is a number"),
])
def test_malformed_choices_are_refused(api, show, tickets, field_text):
    held = hold(api, show, "A1")
    before = receipt(held["id"])
    response = api.put(f"/api/v1/holds/{held['id']}/tickets", {"tickets": tickets},
                       token=held["token"])
    assert response.status_code == 400 and field_text in response.json()["detail"]
    assert "{{" not in response.json()["detail"]  # braces are braces, in every message
    assert receipt(held["id"]) == before


def test_a_seat_not_in_the_hold_or_a_type_not_sold_is_refused(api, show):
    held = hold(api, show, "A1")
    assert "not in this hold" in choose(api, held, A2="adult").json()["detail"]
    assert "not a ticket type" in choose(api, held, A1="student").json()["detail"]
    twice = api.put(f"/api/v1/holds/{held['id']}/tickets", {"tickets": [
        {"seat_id": seat_ids(show, "A1")[0], "ticket_type": "adult"}] * 2},
        token=held["token"])
    assert twice.status_code == 400 and "twice" in twice.json()["detail"]
    extra = api.put(f"/api/v1/holds/{held['id']}/tickets", {"tickets": [], "x": 1},
                    token=held["token"])
    assert extra.status_code == 400


def test_only_the_token_holder_chooses(api, show):
    held = hold(api, show, "A1")
    response = api.put(f"/api/v1/holds/{held['id']}/tickets", {"tickets": [
        {"seat_id": seat_ids(show, "A1")[0], "ticket_type": "child"}]}, token="wrong")
    assert response.status_code == 404


def test_types_cannot_change_once_paying_or_ended(api, show):
    held = hold(api, show, "A1")
    Hold.objects.filter(pk=held["id"]).update(state=Hold.State.PAYING)
    response = choose(api, held, A1="child")
    assert response.status_code == 409 and "payment" in response.json()["detail"]
    Hold.objects.filter(pk=held["id"]).update(state=Hold.State.RELEASED)
    assert choose(api, held, A1="child").status_code == 409


def test_a_show_without_a_card_sells_one_kind_of_ticket(api):
    show = ShowFactory()
    body = api.get(f"/api/v1/shows/{show.id}").json()
    assert body["ticket_types"] == [] and body["default_ticket_type"] is None
    held = hold(api, show, "A1")
    assert held["seats"][0]["ticket_type"] is None
    assert choose(api, held, A1="adult").status_code == 400
    paid = api.post(f"/api/v1/holds/{held['id']}/checkout", checkout_body(),
                    token=held["token"]).json()
    assert paid["seats"][0]["ticket_type"] == "" and paid["seats"][0]["fee"] == "0.00"


@pytest.mark.parametrize("code", ["x\x00", "", "a" * 41, "child; drop"])
def test_a_code_that_is_no_ticket_type_is_a_400(api, show, code):
    held = hold(api, show, "A1")
    before = receipt(held["id"])
    response = choose(api, held, A1=code)
    assert response.status_code == 400 and receipt(held["id"]) == before


def test_a_card_left_with_no_open_type_still_answers(api, show):
    TicketType.objects.filter(code__in=["adult", "senior"]).update(for_children=True)
    Rating.objects.create(code=show.movie.rating, children_allowed=False)
    body = api.get(f"/api/v1/shows/{show.id}")
    assert body.status_code == 200
    assert [t["code"] for t in body.json()["ticket_types"]] == ["carer"]


def test_a_show_with_sales_keeps_its_card_and_currency(api, show):
    hold(api, show, "A1")
    show.refresh_from_db()
    show.price_card = price_card(name="Other", fee="0")
    with pytest.raises(ShowHasSales):
        save_show(show=show)
