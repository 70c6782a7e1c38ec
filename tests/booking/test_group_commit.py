"""Group commit: holds for one show that arrive together are decided together, in arrival
order, in one transaction (ticketing.batching, booking.holds.decide_holds)."""

import threading
import time

import pytest
from django.db import connection

from booking import holds
from booking.errors import SeatsUnavailable
from booking.holds import HoldRequest, NewHold, decide_holds
from booking.models import Hold, SeatMapState
from catalog.models import Show
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory
from ticketing.batching import Batcher
from ticketing.errors import LimitReached

pytestmark = [pytest.mark.sqlite, pytest.mark.usefixtures("either_hold_rule")]


def _version(show) -> int:
    return SeatMapState.objects.get(show=show).version


@pytest.mark.django_db
def test_a_batch_is_decided_in_its_order_in_one_seat_event():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1, a2, a3, a4 = seat_ids(show, "A1", "A2", "A3", "A4")
    before = _version(show)
    outcomes = decide_holds(show=Show.objects.for_seats().get(pk=show.pk), requests=[
        HoldRequest(seat_ids=[a2, a3], client="first"),
        HoldRequest(seat_ids=[a3, a4], client="second"),  # A3 went to the first
        HoldRequest(seat_ids=[a4], client="third"),  # free: the second got nothing
        HoldRequest(seat_ids=[a1, a4], client="fourth"),  # A4 went to the third
    ])
    first, second, third, fourth = outcomes
    assert isinstance(first, NewHold) and isinstance(third, NewHold)
    assert isinstance(second, SeatsUnavailable) and isinstance(fourth, SeatsUnavailable)
    assert second.extra["seats"] == [{"id": a3, "label": "A3", "state": "held"}]
    assert fourth.extra["seats"] == [{"id": a4, "label": "A4", "state": "held"}]
    assert {h.client for h in Hold.objects.all()} == {"first", "third"}
    assert _version(show) == before + 1  # one seat event for the whole batch


@pytest.mark.django_db
def test_caps_count_the_holds_won_earlier_in_the_same_batch(settings):
    settings.RATE_LIMIT_ENABLED = True
    settings.HOLDS_PER_CLIENT_PER_SHOW = 1
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1, a2, a3 = seat_ids(show, "A1", "A2", "A3")
    outcomes = decide_holds(show=Show.objects.for_seats().get(pk=show.pk), requests=[
        HoldRequest(seat_ids=[a1], client="10.0.0.1"),
        HoldRequest(seat_ids=[a2], client="10.0.0.1"),  # its second hold of the show
        HoldRequest(seat_ids=[a3], client="10.0.0.2"),
    ])
    assert isinstance(outcomes[0], NewHold) and isinstance(outcomes[2], NewHold)
    assert isinstance(outcomes[1], LimitReached)
    assert Hold.objects.filter(client="10.0.0.1").count() == 1


def test_the_batcher_decides_what_queued_meanwhile_in_arrival_order():
    decided: list[list[str]] = []
    busy = threading.Event()
    let_go = threading.Event()

    def decide(key, items):
        if items == ["first"]:
            busy.set()
            let_go.wait(5)
        decided.append(list(items))
        return [f"{item}!" if item != "bad" else ValueError("refused") for item in items]

    batcher = Batcher(decide)
    results: dict[str, object] = {}

    def submit(item: str, arrived: float) -> None:
        try:
            results[item] = batcher.submit("show", item, arrived=arrived)
        except ValueError as exc:
            results[item] = exc

    leader = threading.Thread(target=submit, args=("first", 1.0))
    leader.start()
    assert busy.wait(5)
    # While the first batch is being decided, these arrive (submitted in another order).
    followers = [threading.Thread(target=submit, args=(item, at))
                 for item, at in (("late", 4.0), ("bad", 3.0), ("early", 2.0))]
    for thread in followers:
        thread.start()
    time.sleep(0.2)
    let_go.set()
    for thread in [leader, *followers]:
        thread.join(5)
    assert decided == [["first"], ["early", "bad", "late"]]
    assert results["first"] == "first!" and results["late"] == "late!"
    assert isinstance(results["bad"], ValueError)  # raised in its own thread only


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_show_are_won_in_arrival_order(monkeypatch):
    """Through hold_seats from many threads: while a batch is being decided, requests for the
    same seats queue, and the one that arrived first wins, whatever order they queued in."""
    show = ShowFactory(hall=HallFactory(layout=["A: ssssss"]))
    a1, a2, *_ = seat_ids(show, "A1", "A2")
    real = holds.decide_holds
    busy, let_go = threading.Event(), threading.Event()

    def slow_first_batch(*, show, requests):
        if requests[0].client == "blocker":
            busy.set()
            let_go.wait(5)
        return real(show=show, requests=requests)

    monkeypatch.setattr(holds, "decide_holds", slow_first_batch)
    outcomes: dict[str, object] = {}

    def attempt(client: str, wanted: list[int], arrived: float) -> None:
        try:
            outcomes[client] = holds.hold_seats(
                show=Show.objects.for_seats().get(pk=show.pk), seat_ids=wanted, client=client,
                arrived_at=arrived)
        except SeatsUnavailable as exc:
            outcomes[client] = exc
        finally:
            connection.close()  # as the server does at the end of each request

    blocker = threading.Thread(target=attempt, args=("blocker", [a2], time.time()))
    blocker.start()
    assert busy.wait(5)
    now = time.time()
    racers = [threading.Thread(target=attempt, args=(f"c{n}", [a1], now + n / 1000))
              for n in (5, 3, 1, 4, 2)]  # c1 arrived first, but queues third
    for thread in racers:
        thread.start()
    time.sleep(0.3)
    let_go.set()
    for thread in [blocker, *racers]:
        thread.join(10)
    winners = [client for client, outcome in outcomes.items() if isinstance(outcome, NewHold)]
    assert sorted(winners) == ["blocker", "c1"]
    assert all(outcomes[f"c{n}"].extra["seats"][0]["label"] == "A1" for n in (2, 3, 4, 5))


def test_a_leader_is_always_in_its_own_batch_even_when_more_wait_than_a_batch_takes():
    """With more queued than a batch takes, the leader (which came for its own answer) still
    gets it: here two requests that arrived earlier queue while the leader starts."""
    batcher = Batcher(lambda key, items: [f"{item}!" for item in items], max_batch=2)
    real_lead, gate = batcher._lead, threading.Event()

    def lead_once_the_others_queued(*args):
        gate.wait(5)
        return real_lead(*args)

    batcher._lead = lead_once_the_others_queued
    results: dict[str, object] = {}

    def submit(item: str, arrived: float) -> None:
        results[item] = batcher.submit("show", item, arrived=arrived)

    leader = threading.Thread(target=submit, args=("leader", 9.0))
    leader.start()
    time.sleep(0.1)
    earlier = [threading.Thread(target=submit, args=(item, at))
               for item, at in (("a", 1.0), ("b", 2.0))]
    for thread in earlier:
        thread.start()
    time.sleep(0.1)
    gate.set()
    for thread in [leader, *earlier]:
        thread.join(5)
        assert not thread.is_alive(), "a thread was left waiting"
    assert results == {"leader": "leader!", "a": "a!", "b": "b!"}


def test_an_async_batch_cut_short_answers_every_waiting_request():
    """The server stopping mid-batch (its leader task cancelled) leaves no request waiting for
    ever, and the key is led again afterwards."""
    import asyncio

    from ticketing.batching import AsyncBatcher

    async def scenario():
        started = asyncio.Event()

        async def decide(key, items):
            if items[0] == "stuck":
                started.set()
                await asyncio.sleep(60)
            return [f"{item}!" for item in items]

        batcher = AsyncBatcher(decide)
        stuck = asyncio.create_task(batcher.submit("show", "stuck"))
        await started.wait()
        queued = asyncio.create_task(batcher.submit("show", "queued"))
        await asyncio.sleep(0)
        for leader in list(batcher._leaders):
            leader.cancel()
        outcomes = await asyncio.wait_for(
            asyncio.gather(stuck, queued, return_exceptions=True), 5)
        assert all(isinstance(outcome, RuntimeError) for outcome in outcomes)
        assert await asyncio.wait_for(batcher.submit("show", "later"), 5) == "later!"

    asyncio.run(scenario())
