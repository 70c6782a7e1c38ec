"""Several processes' worth of threads free seats and serve one line at the same time."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from booking import holds
from booking.models import ShowSeat
from catalog.models import Show
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api, run_together
from waitlist.models import WaitlistEntry
from waitlist.services import _lock_line, serve_line

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


def test_holds_commit_while_the_line_is_locked():
    """The line's lock must not block a hold's commit: a hold's foreign key takes KEY SHARE on
    the show row, which FOR UPDATE (the old line lock) blocked, so a hold that had locked seats
    and the line wanting those seats waited for each other until one was aborted."""
    if connection.vendor != "postgresql":
        pytest.skip("row lock modes are PostgreSQL's")
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    locked, release = threading.Event(), threading.Event()

    def keep_the_line_locked() -> None:
        try:
            with transaction.atomic():
                _lock_line(show.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    keeper = threading.Thread(target=keep_the_line_locked)
    keeper.start()
    assert locked.wait(5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        new = holds.hold_seats(show=Show.objects.for_seats().get(pk=show.pk),
                               seat_ids=seat_ids(show, "A1"), client="10.0.0.1")
        assert new.hold.pk
    finally:
        release.set()
        keeper.join(10)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
