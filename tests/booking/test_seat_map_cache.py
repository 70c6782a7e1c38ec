"""Seat maps are cached by the show's version, and never served stale."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from booking import holds as services
from booking.inventory import seat_states
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def states(show, now=None):
    return {s.id: s.state for s in seat_states(show, now)}


def test_a_second_read_is_served_from_the_cache(django_assert_num_queries):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    with django_assert_num_queries(2):
        seat_states(show)
    with django_assert_num_queries(1):  # only the version
        seat_states(show)


def test_every_committed_change_shows_at_once():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1 = seat_ids(show, "A1")[0]
    assert states(show)[a1] == "available"
    new = services.hold_seats(show=show, seat_ids=[a1])
    assert states(show)[a1] == "held"
    services.release_hold(hold=new.hold)
    assert states(show)[a1] == "available"


def test_a_hold_that_runs_out_frees_its_seat_without_any_write():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1 = seat_ids(show, "A1")[0]
    new = services.hold_seats(show=show, seat_ids=[a1])
    assert states(show)[a1] == "held"  # cached with the hold's expiry as its end
    later = new.hold.expires_at + timedelta(seconds=1)
    assert states(show, later)[a1] == "available"


def test_new_prices_are_never_served_from_an_old_map():
    show = ShowFactory()
    seat_states(show)
    show.price_standard = show.price_standard + 1
    show.save()
    assert {s.price for s in seat_states(show)
            if s.category == "standard" and s.state != "blocked"} == {
        show.price_standard}


def test_a_layout_change_shows_its_new_seats():
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]),
                       starts_at=timezone.now() + timedelta(days=3))
    assert len(seat_states(show)) == 2
    from catalog.services import set_hall_layout

    set_hall_layout(hall=show.hall, layout=["A: ss", "B: ss"])
    assert len(seat_states(show)) == 4


def _drawn_state(page: str, seat_id: int) -> str:
    button = page.split(f'data-seat="{seat_id}"', 1)[1].split(">", 1)[0]
    mine = "data-mine" in page.split(f'data-seat="{seat_id}"', 1)[0].rsplit("<button", 1)[1]
    return "mine" if mine else button.split('data-state="', 1)[1].split('"', 1)[0]


def test_the_show_page_draws_every_change_and_every_expiry(client, settings):
    """The drawn map is shared between visitors and kept per version of the map: it must never
    be older than the map."""
    settings.HOLD_TTL_SECONDS = 1
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1 = seat_ids(show, "A1")[0]
    page = f"/shows/{show.id}/"
    assert _drawn_state(client.get(page).content.decode(), a1) == "available"
    services.hold_seats(show=show, seat_ids=[a1])
    assert _drawn_state(client.get(page).content.decode(), a1) == "held"
    time.sleep(1.2)  # the hold runs out; nothing is written
    assert _drawn_state(client.get(page).content.decode(), a1) == "available"


def test_my_own_seats_are_drawn_as_mine_and_as_held_for_everyone_else(client):
    from django.test import Client

    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1, a2 = seat_ids(show, "A1", "A2")
    page = f"/shows/{show.id}/"
    other = Client()
    other.get(page)  # the shared drawing exists before the hold
    client.post(f"/shows/{show.id}/hold", {"seat": [a1]})
    mine = client.get(page).content.decode()
    theirs = other.get(page).content.decode()
    assert (_drawn_state(mine, a1), _drawn_state(mine, a2)) == ("mine", "available")
    assert (_drawn_state(theirs, a1), _drawn_state(theirs, a2)) == ("held", "available")
