"""Companion seats (layout code ``c``): held only with a wheelchair space, by both hold rules;
open to anyone a while before the show where the cinema says so; never picked by best
available; drawn and named as what they are."""

from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from catalog.layout import parse_layout
from catalog.models import Cinema, Seat
from tests.booking_helpers import seat_ids, state_of
from tests.catalog.test_import import catalog, load
from tests.factories import HallFactory, ShowFactory
from tests.helpers import put_on_hold

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# A wheelchair space with its companion seat at each end of the front row.
LAYOUT = ["A: acsss_ssca", "B: ssss_ssss"]


@pytest.fixture
def show():
    return ShowFactory(hall=HallFactory(layout=LAYOUT))


def hold(api, show, *labels):
    return api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, *labels)})


def test_the_layout_code_makes_a_companion_seat_priced_as_standard(show):
    spec = next(s for s in parse_layout(LAYOUT) if s.row_label == "A" and s.number == 2)
    assert spec.category == "companion" and not spec.blocked
    assert Seat.objects.filter(hall=show.hall, category="companion").count() == 2
    assert show.price_for("companion") == show.price_standard


def test_a_companion_seat_alone_is_refused_naming_it(api, show, either_hold_rule):
    before = state_of(show)
    response = hold(api, show, "A3", "A2")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "companion_seat_needs_space"
    assert body["seats"] == [{"id": seat_ids(show, "A2")[0], "label": "A2"}]
    assert "A2 is a companion seat" in body["detail"] and "wheelchair space" in body["detail"]
    assert state_of(show) == before


def test_with_its_wheelchair_space_it_is_held_at_the_standard_price(api, show,
                                                                  either_hold_rule):
    response = hold(api, show, "A1", "A2")
    assert response.status_code == 201, response.json()
    assert [(s["category"], s["price"]) for s in response.json()["seats"]] == [
        ("accessible", "12.50"), ("companion", "12.50")]


def test_a_cinema_can_open_them_to_anyone_before_the_show(api, either_hold_rule):
    show = ShowFactory(hall=HallFactory(layout=LAYOUT),
                       starts_at=timezone.now() + timedelta(minutes=50))
    Cinema.objects.filter(pk=show.hall.cinema_id).update(companion_seats_open_minutes=30)
    assert hold(api, show, "A2").status_code == 409  # 50 minutes to go: not yet
    Cinema.objects.filter(pk=show.hall.cinema_id).update(companion_seats_open_minutes=60)
    assert hold(api, show, "A2").status_code == 201


def test_best_available_never_picks_a_companion_seat(api, either_hold_rule):
    show = ShowFactory(hall=HallFactory(layout=["A: acsc"]))
    best = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})
    assert best.status_code == 201 and best.json()["seats"][0]["category"] == "standard"
    last = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})  # as it always was:
    assert last.json()["seats"][0]["category"] == "accessible"  # the space, when nothing else
    none_left = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})
    assert none_left.status_code == 409  # only companion seats are left


def test_the_seat_map_draws_and_names_them(api, client, show):
    seats = {s["row"] + str(s["number"]): s
             for s in api.get(f"/api/v1/shows/{show.id}/seats").json()["seats"]}
    assert seats["A2"]["category"] == "companion" and seats["A2"]["state"] == "available"
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert 'class="seat companion available"' in page
    assert 'aria-label="Row A, seat 2, companion, available"' in page
    assert "Companion seat, with a wheelchair space $12.50" in page


def test_the_import_format_carries_the_code_and_the_setting(tmp_path):
    document = catalog()
    document["cinemas"][0]["halls"][0]["layout"] = ["A: acss_ssca", "B: aa_pppp_xa"]
    document["cinemas"][0]["companion_seats_open_minutes"] = 30
    load(tmp_path, document)
    assert Cinema.objects.get().companion_seats_open_minutes == 30
    assert Seat.objects.filter(category="companion").count() == 2
    document["cinemas"][0]["companion_seats_open_minutes"] = "soon"
    with pytest.raises(CommandError, match="companion_seats_open_minutes: must be a whole"):
        load(tmp_path, document)



def test_the_waiting_list_does_not_count_companion_seats_as_free(api):
    """Only a companion seat is left: nobody can hold it alone, so the line is open."""
    show = ShowFactory(hall=HallFactory(layout=["A: acs"]))
    put_on_hold(show, ["A1", "A3"])
    joined = api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 1})
    assert joined.status_code == 201, joined.json()
    assert joined.json()["state"] == "waiting"
