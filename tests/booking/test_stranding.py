"""No stranded seats: the rule over a row (a property test over random rows and choices), and
through the hold API with both hold rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.stranding import better_choice, runs, stranded
from catalog.models import Cinema
from tests.booking_helpers import seat_ids, state_of
from tests.factories import CinemaFactory, HallFactory, ShowFactory
from tests.helpers import put_on_hold


def lonely(free: set[int], taking: set[int]) -> set[int]:
    """The definition, spelled out: a free seat after, closed in on both sides, next to a
    seat taken now."""
    after = free - taking
    return {c for c in after if {c - 1, c + 1}.isdisjoint(after)
            and not {c - 1, c + 1}.isdisjoint(taking)}


rows = st.sets(st.integers(0, 24), max_size=25)


@settings(max_examples=400, deadline=None)
@given(free=rows, data=st.data())
def test_the_rule_over_random_rows_and_choices(free, data):
    if not free:
        return
    taking = set(data.draw(st.lists(st.sampled_from(sorted(free)), min_size=1, max_size=10,
                                    unique=True)))
    assert set(stranded(free, taking)) == lonely(free, taking)
    instead = better_choice(free, taking)
    if not lonely(free, taking):
        assert instead is None  # nothing stranded: allowed
    elif instead is None:  # allowed only when every choice of that many side by side strands
        assert all(lonely(free, set(run)) for run in runs(free, len(taking)))
    else:  # refused: the suggestion is that many free seats side by side stranding nobody
        assert len(instead) == len(taking) and set(instead) <= free
        assert instead == list(range(instead[0], instead[0] + len(taking)))
        assert not lonely(free, set(instead))


@pytest.fixture
def show():
    cinema = CinemaFactory(no_stranded_seats=True)  # as every cinema is unless it says not
    return ShowFactory(hall=HallFactory(cinema=cinema,
                                        layout=["A: ssssss_ssss", "B: ssssss_ssss"]))


@pytest.mark.django_db
@pytest.mark.sqlite
def test_a_hold_that_strands_a_seat_is_refused_with_a_better_choice(api, show,
                                                                    either_hold_rule):
    before = state_of(show)
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A2", "A3")})
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "would_strand_seat"
    assert [s["label"] for s in body["seats"]] == ["A1"]
    assert [s["label"] for s in body["suggestion"]] == ["A1", "A2"]
    assert "A1 on its own" in body["detail"] and "Try A1, A2 instead" in body["detail"]
    assert state_of(show) == before
    assert api.post(f"/api/v1/shows/{show.id}/holds",
                    {"seats": seat_ids(show, "A1", "A2")}).status_code == 201


@pytest.mark.django_db
@pytest.mark.sqlite
def test_next_to_a_taken_seat_or_an_aisle(api, show, either_hold_rule):
    put_on_hold(show, ["A1"])
    # Taking A3-A4 would leave A2 between A1 (taken) and A3; A5-A6 would leave nothing alone
    # (A6 is at the aisle).
    refused = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A3", "A4")})
    assert refused.status_code == 409
    assert [s["label"] for s in refused.json()["seats"]] == ["A2"]
    assert [s["label"] for s in refused.json()["suggestion"]] == ["A2", "A3"]
    # By the aisle: A6 alone next to A5 taken, the aisle on its other side.
    refused = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A4", "A5")})
    assert [s["label"] for s in refused.json()["seats"]] == ["A6"]


@pytest.mark.django_db
@pytest.mark.sqlite
def test_allowed_when_every_choice_of_that_many_would_strand_a_seat(api, show,
                                                                    either_hold_rule):
    # B2 B3 B4 are the row's only free seats: any two of them leave one alone.
    put_on_hold(show, ["B1", "B5", "B6", "B7", "B8", "B9", "B10"])
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "B2", "B3")})
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
@pytest.mark.sqlite
def test_a_cinema_can_turn_the_rule_off(api, show, either_hold_rule):
    Cinema.objects.filter(pk=show.hall.cinema_id).update(no_stranded_seats=False)
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A2", "A3")})
    assert response.status_code == 201


@pytest.mark.django_db
@pytest.mark.sqlite
def test_an_earlier_winner_of_the_batch_counts_as_taken(show, either_hold_rule):
    from booking.decisions import HoldRequest
    from booking.holds import decide_holds

    first = HoldRequest(seat_ids=seat_ids(show, "A1", "A2"), client="a")
    second = HoldRequest(seat_ids=seat_ids(show, "A4", "A5"), client="b")  # would leave A3 alone
    outcomes = decide_holds(show=show, requests=[first, second])
    assert outcomes[0].hold.seats and getattr(outcomes[1], "code", "") == "would_strand_seat"


@pytest.mark.django_db
@pytest.mark.sqlite
def test_best_available_and_waiting_list_offers_never_strand_a_seat(api, either_hold_rule):
    cinema = CinemaFactory(no_stranded_seats=True)
    show = ShowFactory(hall=HallFactory(cinema=cinema, layout=["A: sssss"]))
    put_on_hold(show, ["A1"])
    # The single seat nearest the centre is A3: it would leave A2 alone. A2 it is (A4 would
    # leave A5 alone).
    best = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})
    assert best.status_code == 201, best.json()
    assert [s["number"] for s in best.json()["seats"]] == [2]


def test_the_offer_choice_keeps_nobody_alone():
    from booking.best_seats import Place, best_places

    free = [Place(i, 0, col, "standard") for i, col in enumerate([1, 2, 3, 5, 6], start=1)]
    # Two seats nearest the centre (column 3) would be 2-3, leaving 1 alone; 1-2 would leave
    # 3 alone by the gap at 4; 5-6 strands nobody.
    assert best_places(free, 2, centre=(0, 3), no_stranding=True) == [4, 5]
    assert best_places(free, 2, centre=(0, 3)) in ([2, 3], [1, 2])


@pytest.mark.django_db
@settings(max_examples=200, deadline=None)
@given(free=rows, data=st.data())
def test_the_sql_rule_is_the_python_rule(free, data):
    """The SQL hold function's port (booking_stranded, booking_better_choice) answers as
    booking/stranding.py does, over random rows and choices."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the SQL rule is PostgreSQL's")
    if not free:
        return
    taking = data.draw(st.lists(st.sampled_from(sorted(free)), min_size=1, max_size=10,
                                unique=True))
    allowed = set(data.draw(st.lists(st.sampled_from(sorted(free)), unique=True)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT booking_stranded(%s::int[], %s::int[]), "
                       "booking_better_choice(%s::int[], %s::int[], %s::int[])",
                       [sorted(free), taking, sorted(free), taking, sorted(allowed)])
        alone, instead = cursor.fetchone()
    assert alone == stranded(free, taking)
    assert instead == better_choice(free, taking, allowed)


@pytest.mark.django_db(transaction=True)  # the line is served after commit
@pytest.mark.sqlite
def test_a_waiting_list_offer_strands_nobody(api):
    cinema = CinemaFactory(no_stranded_seats=True)
    show = ShowFactory(hall=HallFactory(cinema=cinema, layout=["A: sss_ss"]))
    held = api.post(f"/api/v1/shows/{show.id}/holds",
                    {"seats": seat_ids(show, "A1", "A2", "A3", "A4", "A5")}).json()
    joined = api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 2}).json()
    assert api.delete(f"/api/v1/holds/{held['id']}", token=held["token"]).status_code == 200
    entry = api.get(f"/api/v1/waitlist/{joined['id']}", token=joined["token"]).json()
    # Nearest the centre would be A2-A3, leaving A1 alone; A1-A2 would leave A3 by the aisle.
    assert [f"{s['row']}{s['number']}" for s in entry["offer"]["seats"]] == ["A4", "A5"]


@pytest.mark.django_db
@pytest.mark.sqlite
def test_best_available_is_never_refused_by_the_rule_over_other_categories(api,
                                                                          either_hold_rule):
    """A row of a s s s a: three standard seats leave both wheelchair spaces alone, but no
    choice of three standard seats does better, so best available's choice is allowed (the
    better choice is never one of wheelchair spaces for someone who did not ask)."""
    cinema = CinemaFactory(no_stranded_seats=True)
    show = ShowFactory(hall=HallFactory(cinema=cinema, layout=["A: asssa"]))
    best = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 3})
    assert best.status_code == 201, best.json()
    assert [s["number"] for s in best.json()["seats"]] == [2, 3, 4]
    premium = ShowFactory(hall=HallFactory(cinema=cinema, layout=["A: sppsp"]))
    chosen = api.post(f"/api/v1/shows/{premium.id}/holds", {"count": 2, "category": "premium"})
    assert chosen.status_code == 201, chosen.json()
