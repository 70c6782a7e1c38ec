"""House seats: taken out of sale and put back by staff, through the staff API, with both hold
rules refusing them while they are out."""

import pytest

from booking.models import ShowSeat
from staff.auth import issue_staff_token
from tests.booking_helpers import seat_ids, state_of
from tests.factories import HallFactory, ShowFactory
from tests.helpers import put_on_hold
from ticketing.models import AuditEntry
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def show():
    return ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]))


@pytest.fixture
def staff(api):
    token = issue_staff_token(name="duty manager")[1]

    def call(show, path="", body=None):
        return api.post(f"/api/v1/staff/shows/{show.id}/house-seats{path}", body, token=token)
    return call


def seat_map(api, show):
    return {s["row"] + str(s["number"]): s for s in
            api.get(f"/api/v1/shows/{show.id}/seats").json()["seats"]}


def test_house_seats_are_blocked_for_everyone_at_once(api, show, staff, either_hold_rule):
    response = staff(show, body={"seats": ["A1", "a2"], "reason": "Press"})
    assert response.status_code == 200, response.json()
    assert response.json() == [{"seat": "A1", "reason": "Press"},
                               {"seat": "A2", "reason": "Press"}]
    seats = seat_map(api, show)
    assert seats["A1"]["state"] == seats["A2"]["state"] == "blocked"
    refused = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1", "A3")})
    assert refused.status_code == 409
    assert refused.json()["seats"] == [{"id": seat_ids(show, "A1")[0], "label": "A1",
                                        "state": "blocked"}]
    best = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 6}).json()
    assert {s["row"] + str(s["number"]) for s in best["seats"]}.isdisjoint({"A1", "A2"})
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.detail) == (
        "staff token duty manager", "house_seats_out", {"seats": ["A1", "A2"], "reason": "Press"})


def test_a_held_or_booked_seat_cannot_be_taken_out_and_nothing_changes(show, staff):
    put_on_hold(show, ["B1"])
    before = state_of(show)
    response = staff(show, body={"seats": ["A1", "B1"], "reason": "Broken"})
    assert response.status_code == 409
    assert [s["label"] for s in response.json()["seats"]] == ["B1"]
    assert state_of(show) == before and not ShowSeat.objects.exclude(house_reason="").exists()


def test_seats_put_back_go_to_the_waiting_list_first(api, show, staff,
                                                     django_capture_on_commit_callbacks):
    everything = [f"{row}{n}" for row in "AB" for n in range(1, 5)]
    staff(show, body={"seats": everything[:4], "reason": "VIP"})
    put_on_hold(show, everything[4:])
    joined = api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 2})
    assert joined.status_code == 201, joined.json()
    with django_capture_on_commit_callbacks(execute=True):
        back = staff(show, "/return", {"seats": ["A2", "A3"]})
    assert back.status_code == 200 and back.json() == [
        {"seat": "A1", "reason": "VIP"}, {"seat": "A4", "reason": "VIP"}]
    entry = WaitlistEntry.objects.get()
    assert entry.state == WaitlistEntry.State.OFFERED
    assert AuditEntry.objects.filter(action="house_seats_back").get().detail == {
        "seats": ["A2", "A3"]}


@pytest.mark.parametrize("body", [{"seats": ["A1"]}, {"seats": ["A1"], "reason": "  "},
                                  {"seats": ["Z9"], "reason": "x"}, {"seats": "A1", "reason": "x"},
                                  {"seats": [], "reason": "x"}, {"seats": [1], "reason": "x"},
                                  {"seats": ["A1"], "reason": "x" * 201},
                                  {"seats": ["A1"], "reason": 5},
                                  {"seats": ["A1"], "reason": ["x"]},
                                  {"seats": ["A1"], "reason": "nul\x00"}])
def test_bad_input_is_a_clear_400_and_changes_nothing(show, staff, body):
    response = staff(show, body=body)
    assert response.status_code == 400, response.json()
    assert not ShowSeat.objects.exclude(house_reason="").exists()


def test_house_seats_need_a_staff_token(api, show):
    response = api.post(f"/api/v1/staff/shows/{show.id}/house-seats",
                        {"seats": ["A1"], "reason": "x"})
    assert response.status_code == 401
