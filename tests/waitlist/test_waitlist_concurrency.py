"""Several processes' worth of threads free seats and serve one line at the same time."""

import pytest
from django.test import Client

from booking.models import ShowSeat
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api, run_together
from waitlist.models import WaitlistEntry
from waitlist.services import serve_line

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def test_concurrent_frees_and_serving_never_double_offer_or_skip():
    show = ShowFactory(hall=HallFactory(layout=[f"{r}: ssssss" for r in "ABCD"]))  # 24 seats
    api = Api(Client())
    labels = [f"{r}{n}" for r in "ABCD" for n in range(1, 7)]
    holds = []
    for i in range(0, 24, 2):
        body = api.post(f"/api/v1/shows/{show.id}/holds",
                        {"seats": seat_ids(show, *labels[i:i + 2])}).json()
        holds.append(body)
    entries = [api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": size}).json()
               for size in [2, 1, 3, 2, 1, 2, 4, 1, 2, 3]]
    assert all(e["state"] == "waiting" for e in entries)

    def free(hold):
        return lambda: Api(Client()).delete(f"/api/v1/holds/{hold['id']}", token=hold["token"])

    jobs = [free(hold) for hold in holds] + [lambda: serve_line(show.id) for _ in range(8)]
    results = run_together(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    serve_line(show.id)  # idempotent: nothing left to do

    rows = {str(e.pk): e for e in WaitlistEntry.objects.filter(show=show)}
    offered = [e for e in entries if rows[e["id"]].state == "offered"]
    # 24 seats freed and 21 wanted: everyone is offered, exactly once, in full.
    assert len(offered) == len(entries)
    seats = []
    for entry in entries:
        row = rows[entry["id"]]
        owned = list(ShowSeat.objects.filter(hold=row.offer).values_list("seat_id", flat=True))
        assert len(owned) == entry["party_size"]
        seats += owned
    assert len(seats) == len(set(seats)), "a seat was offered twice"
    assert len({rows[e["id"]].offer_id for e in entries}) == len(entries)


def test_concurrent_serving_with_too_few_seats_keeps_order():
    show = ShowFactory(hall=HallFactory(layout=["A: ssssss"]))
    api = Api(Client())
    everything = api.post(f"/api/v1/shows/{show.id}/holds",
                          {"seats": seat_ids(show, *[f"A{n}" for n in range(1, 7)])}).json()
    entries = [api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": size}).json()
               for size in [4, 1, 1, 3]]
    api.delete(f"/api/v1/holds/{everything['id']}", token=everything["token"])
    run_together([lambda: serve_line(show.id) for _ in range(6)])
    states = [WaitlistEntry.objects.get(pk=e["id"]).state for e in entries]
    assert states == ["offered", "offered", "offered", "waiting"]  # 4 + 1 + 1 = 6 seats
