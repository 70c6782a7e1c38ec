"""The waiting list through the API: joining, the line's rule, offers, strict FIFO."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.holds import expire_holds
from booking.models import Hold, ShowSeat
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import book
from waitlist.models import WaitlistEntry
from waitlist.services import serve_line

# The triggers run after commit, so these tests commit (transaction=True).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def hold_api(api, show, labels):
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, *labels)})
    assert response.status_code == 201, response.json()
    return response.json()


def join(api, show, party_size):
    return api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": party_size})


@pytest.fixture
def show():
    return ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]))


def test_cannot_join_while_seats_are_free(api, show):
    response = join(api, show, 2)
    assert response.status_code == 409 and response.json()["reason"] == "seats_available"
    assert "hold them" in response.json()["detail"]


def test_cannot_join_a_sold_out_show(api, show):
    book(show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"])
    response = join(api, show, 1)
    assert response.status_code == 409 and response.json()["reason"] == "sold_out"


def test_bad_party_sizes_and_unknown_show(api, show):
    hold_api(api, show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"])
    for bad in [0, 11, "2", True, None, 2.5]:
        response = join(api, show, bad)
        assert response.status_code == 400 and "party_size" in response.json()["detail"]
    assert api.post(f"/api/v1/shows/{show.id}/waitlist", {}).status_code == 400
    assert api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 1, "x": 1}
                    ).status_code == 400
    assert api.post(f"/api/v1/shows/{show.id}/waitlist", raw="nope").status_code == 400
    assert join(api, type("S", (), {"id": 999999})(), 1).status_code == 404
    assert WaitlistEntry.objects.count() == 0


def test_join_read_leave_with_the_entry_token(api, show):
    hold_api(api, show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3"])  # one seat left
    response = join(api, show, 2)
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "waiting" and body["position"] == 1 and body["party_size"] == 2
    assert len(body["token"]) >= 43
    url = f"/api/v1/waitlist/{body['id']}"
    assert api.get(url).status_code == 404
    assert api.get(url, token="wrong").status_code == 404
    assert api.get("/api/v1/waitlist/not-a-uuid", token=body["token"]).status_code == 404
    got = api.get(url, token=body["token"]).json()
    assert got == {**{k: body[k] for k in ("id", "show", "state", "position", "party_size",
                                            "joined_at")}, "offer": None}
    left = api.delete(url, token=body["token"]).json()
    assert left["state"] == "left" and left["position"] is None


def test_people_waiting_reserve_every_free_seat(api, show):
    hold_api(api, show, ["A1", "A2", "A3", "A4", "B1", "B2"])  # B3, B4 free
    assert join(api, show, 3).status_code == 201  # three do not fit in two
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "B3")})
    assert response.status_code == 409 and response.json()["code"] == "waitlist_active"
    assert "waiting list" in response.json()["detail"]
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})
    assert response.status_code == 409 and response.json()["code"] == "waitlist_active"
    states = {s["id"]: s["state"] for s in api.get(f"/api/v1/shows/{show.id}/seats")
              .json()["seats"]}
    assert states[seat_ids(show, "B3")[0]] == "held"  # reserved for the line
    # Newcomers can still queue behind.
    assert join(api, show, 1).json()["position"] == 2


def test_freed_seats_become_an_offer_paid_through_normal_checkout(api, show):
    first = hold_api(api, show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"])
    entry = join(api, show, 2).json()
    api.delete(f"/api/v1/holds/{first['id']}", token=first["token"])
    got = api.get(f"/api/v1/waitlist/{entry['id']}", token=entry["token"]).json()
    assert got["state"] == "offered" and got["position"] is None
    offer = got["offer"]
    assert offer["token"] == entry["token"] and offer["state"] == "active"
    assert [f"{s['row']}{s['number']}" for s in offer["seats"]] in (["A2", "A3"],
                                                                    ["B2", "B3"])
    assert set(offer) >= {"id", "token", "seats", "expires_at", "total", "currency"}
    # Nobody waits now, so the other six seats went back on sale.
    assert hold_api(api, show, ["A1"])
    paid = api.post(f"/api/v1/holds/{offer['id']}/checkout", checkout_body(),
                    token=entry["token"])
    assert paid.status_code == 201
    assert api.get(f"/api/v1/waitlist/{entry['id']}", token=entry["token"]).json()[
        "state"] == "fulfilled"


def test_declining_an_offer_leaves_the_list_and_passes_the_seats_on(api, show):
    first = hold_api(api, show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"])
    a = join(api, show, 2).json()
    b = join(api, show, 2).json()
    api.delete(f"/api/v1/holds/{first['id']}", token=first["token"])  # 8 free: both offered
    a_offer = api.get(f"/api/v1/waitlist/{a['id']}", token=a["token"]).json()["offer"]
    assert api.get(f"/api/v1/waitlist/{b['id']}", token=b["token"]).json()["state"] == "offered"
    api.delete(f"/api/v1/holds/{a_offer['id']}", token=a["token"])  # decline
    assert api.get(f"/api/v1/waitlist/{a['id']}", token=a["token"]).json()["state"] == "left"


def test_an_offer_that_runs_out_expires_and_cascades(api, show):
    first = hold_api(api, show, ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"])
    a = join(api, show, 4).json()
    b = join(api, show, 4).json()
    c = join(api, show, 4).json()
    api.delete(f"/api/v1/holds/{first['id']}", token=first["token"])
    assert api.get(f"/api/v1/waitlist/{c['id']}", token=c["token"]).json()["position"] == 1
    a_offer = api.get(f"/api/v1/waitlist/{a['id']}", token=a["token"]).json()["offer"]
    # a's offer runs out: the sweep expires it and the seats go to c, next in line.
    Hold.objects.filter(pk=a_offer["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    ShowSeat.objects.filter(hold_id=a_offer["id"]).update(
        held_until=timezone.now() - timedelta(seconds=1))
    expire_holds()
    assert api.get(f"/api/v1/waitlist/{a['id']}", token=a["token"]).json()["state"] == "expired"
    assert api.get(f"/api/v1/waitlist/{c['id']}", token=c["token"]).json()["state"] == "offered"
    assert api.get(f"/api/v1/waitlist/{b['id']}", token=b["token"]).json()["state"] == "offered"


def test_a_head_that_can_never_be_seated_is_unfulfillable_and_the_next_is_served(api, show):
    book(show, ["A1", "A2", "A3", "A4", "B1"])
    holder = hold_api(api, show, ["B2", "B3"])  # B4 free
    big = join(api, show, 3).json()  # 1 free + 2 held = 3: possible, so it may wait
    small = join(api, show, 1).json()
    assert api.get(f"/api/v1/waitlist/{small['id']}", token=small["token"]).json()[
        "position"] == 2
    # The holder buys one of its seats elsewhere... simplest: its hold is paid for.
    api.post(f"/api/v1/holds/{holder['id']}/checkout", checkout_body(), token=holder["token"])
    got = api.get(f"/api/v1/waitlist/{big['id']}", token=big["token"]).json()
    assert got["state"] == "unfulfillable"
    got = api.get(f"/api/v1/waitlist/{small['id']}", token=small["token"]).json()
    assert got["state"] == "offered" and len(got["offer"]["seats"]) == 1


def test_fifo_with_twenty_parties_and_random_frees(api):
    show = ShowFactory(hall=HallFactory(layout=[f"{r}: ssssssss" for r in "ABCD"]))  # 32 seats
    rng = random.Random(7)
    labels = [f"{r}{n}" for r in "ABCD" for n in range(1, 9)]
    holders = []
    while labels:
        size = rng.randint(1, 3)
        take, labels = labels[:size], labels[size:]
        holders.append(hold_api(api, show, take))
    entries = []
    for _ in range(20):
        response = join(api, show, rng.randint(1, 4))
        assert response.status_code == 201
        entries.append(response.json())
    assert [e["position"] for e in entries] == list(range(1, 21))
    rng.shuffle(holders)
    offered_order: list[str] = []
    for holder in holders:
        api.delete(f"/api/v1/holds/{holder['id']}", token=holder["token"])
        states = {e["id"]: api.get(f"/api/v1/waitlist/{e['id']}", token=e["token"]).json()
                  for e in entries}
        for entry in entries:
            if states[entry["id"]]["state"] == "offered" and entry["id"] not in offered_order:
                offered_order.append(entry["id"])
        # Never skips: everyone ahead of an offered entry has been offered too.
        settled = [states[e["id"]]["state"] != "waiting" for e in entries]
        assert settled == sorted(settled, reverse=True), "the line skipped someone"
        if any(s["state"] == "waiting" for s in states.values()):
            free = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})
            assert free.status_code == 409  # newcomers never jump the line
    assert offered_order == [e["id"] for e in entries][:len(offered_order)]
    # Every offered party got exactly its size, and no seat is in two offers.
    seats = []
    for entry in entries:
        got = api.get(f"/api/v1/waitlist/{entry['id']}", token=entry["token"]).json()
        if got["offer"]:
            assert len(got["offer"]["seats"]) == entry["party_size"]
            seats += [s["id"] for s in got["offer"]["seats"]]
    assert len(seats) == len(set(seats))
    # Everyone still waiting leaves: the reserved seats go back on sale.
    for entry in entries:
        api.delete(f"/api/v1/waitlist/{entry['id']}", token=entry["token"])
    serve_line(show.id)
    leftover = 32 - len(seats)
    if leftover:
        assert api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1}).status_code == 201


def test_a_bulk_expiry_is_offered_in_line_order_in_one_round(api):
    """Many holds running out together: every party is offered, in line order, with one seat
    event (one version of the map) rather than one per offer."""
    from booking.models import SeatMapState

    show = ShowFactory(hall=HallFactory(layout=[f"{r}: ssssssss" for r in "ABC"]))  # 24 seats
    labels = [f"{r}{n}" for r in "ABC" for n in range(1, 9)]
    holders = [hold_api(api, show, labels[i:i + 2]) for i in range(0, 24, 2)]
    entries = [join(api, show, 2).json() for _ in range(12)]
    past = timezone.now() - timedelta(seconds=1)
    Hold.objects.filter(pk__in=[h["id"] for h in holders]).update(expires_at=past)
    ShowSeat.objects.filter(show=show).update(held_until=past)
    version = SeatMapState.objects.get(show=show).version
    expire_holds()  # the sweep: ends the holds, then serves the line
    offered = list(WaitlistEntry.objects.filter(show=show).order_by("number")
                   .values_list("state", "offer__created_at"))
    assert [state for state, _ in offered] == ["offered"] * 12
    assert len({e["id"] for e in entries}) == 12
    # The sweep's own event, then one for all twelve offers.
    assert SeatMapState.objects.get(show=show).version == version + 2
    seats = [s["id"] for e in entries
             for s in api.get(f"/api/v1/waitlist/{e['id']}", token=e["token"]).json()
             ["offer"]["seats"]]
    assert len(seats) == len(set(seats)) == 24


def test_offers_in_one_round_are_all_or_nothing(show):
    from booking.errors import SeatsUnavailable
    from booking.holds import offer_seats
    from tests.helpers import put_on_hold

    a1, a2, b1 = seat_ids(show, "A1", "A2", "B1")
    put_on_hold(show, ["B1"])
    holds_before = Hold.objects.count()
    with pytest.raises(SeatsUnavailable):
        offer_seats(show=show, offers=[([a1, a2], "x" * 64), ([b1], "y" * 64)])
    assert Hold.objects.count() == holds_before
    assert not ShowSeat.objects.filter(show=show, seat_id__in=[a1, a2], hold__isnull=False)
