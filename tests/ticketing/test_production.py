"""Production mode, proven against real processes on PostgreSQL and Redis: two web processes,
a Celery worker and beat. Each test starts its own cluster and breaks something."""

import json
import os
import random
import signal
import subprocess
import threading
import time

import httpx
import pytest
import redis
from django.db import connection
from websockets.sync.client import connect as ws_connect

from bench.cluster import REDIS_URL, Cluster, database_url, redis_up, start_redis, wait_until
from bench.invariants import check_invariants
from booking.models import Booking, Hold, Payment, ShowSeat
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory
from ticketing.db import discard_dead_connections
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.production]


@pytest.fixture
def cluster(tmp_path, request):
    if connection.vendor != "postgresql":
        pytest.skip("production mode runs on PostgreSQL")
    if not redis_up():
        start_redis()
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = getattr(request, "param", {})
    made = Cluster(tmp_path, database_url=database_url(connection.settings_dict),
                   HOLD_TTL_SECONDS="3", PAYMENT_GRACE_SECONDS="3",
                   RECOVERY_INTERVAL_SECONDS="2", TEST_GATEWAY_SLOW_MS="1500", **settings)
    yield made
    made.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(made.logs())


def hold(url: str, show, labels, client: httpx.Client | None = None) -> httpx.Response:
    return hold_ids(url, show.id, seat_ids(show, *labels), client)


def hold_ids(url: str, show_id: int, ids: list[int],
             client: httpx.Client | None = None) -> httpx.Response:
    """Threads call this one: it touches no database connection of the test process."""
    client = client or httpx.Client(timeout=10)
    return client.post(f"{url}/api/v1/shows/{show_id}/holds", json={"seats": ids})


def test_two_web_processes_race_and_share_live_updates(cluster):
    a, b = cluster.web("web-a"), cluster.web("web-b")
    cluster.worker()
    show = ShowFactory(hall=HallFactory(layout=["A: ssssss", "B: ssssss"]))
    with ws_connect(f"{b.replace('http', 'ws')}/ws/shows/{show.id}/") as feed:
        snapshot = json.loads(feed.recv(timeout=5))
        assert snapshot["snapshot"] is True
        # A change made through web A reaches a socket held by web B (Redis channel layer).
        response = hold(a, show, ["B6"])
        assert response.status_code == 201
        message = json.loads(feed.recv(timeout=5))
        assert message["version"] == snapshot["version"] + 1
        assert message["seats"] == [{"id": seat_ids(show, "B6")[0], "state": "held"}]

    hot = [f"A{n}" for n in range(1, 7)]
    rng = random.Random(5)
    wanted = [seat_ids(show, *rng.sample(hot, rng.randint(1, 3))) for _ in range(40)]
    results: list[httpx.Response | Exception] = [None] * len(wanted)
    barrier = threading.Barrier(len(wanted))

    def attempt(i: int) -> None:
        url = a if i % 2 else b
        with httpx.Client(timeout=20) as client:
            barrier.wait()
            try:
                results[i] = hold_ids(url, show.id, wanted[i], client)
            except httpx.HTTPError as exc:
                results[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(wanted))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {201, 409} and 201 in statuses
    won = [seat for r, w in zip(results, wanted, strict=True) if r.status_code == 201
           for seat in w]
    assert len(won) == len(set(won)), "a seat was held twice across the two processes"
    assert check_invariants(show) == []


def test_beat_expires_holds_and_serves_the_line_with_no_web_request(cluster):
    web = cluster.web("web")
    cluster.worker()
    cluster.beat()
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    blocker = hold(web, show, ["A1", "A2", "A3", "A4"]).json()
    entry = httpx.post(f"{web}/api/v1/shows/{show.id}/waitlist", json={"party_size": 2}).json()
    with ws_connect(f"{web.replace('http', 'ws')}/ws/waitlist/{entry['id']}/") as feed:
        feed.send(json.dumps({"token": entry["token"]}))
        assert json.loads(feed.recv(timeout=5))["state"] == "waiting"
        # Nobody touches the web from here: the hold runs out (3 s), the beat sweeps it, the
        # worker serves the line, and the offer reaches the socket through Redis.
        offered = json.loads(feed.recv(timeout=15))
        assert offered["state"] == "offered" and len(offered["offer"]["seats"]) == 2
    # The seats were free from the instant the hold ran out, so a sweep running beside the one
    # that marks it may serve the line first: the tidy-up follows within a sweep or two.
    wait_until(lambda: Hold.objects.get(pk=blocker["id"]).state == "expired", 5,
               "the sweeper to mark the hold expired")

    def counted() -> bool:  # the metrics of every process, served by the web process
        text = httpx.get(f"{web}/metrics").text
        # (The offer's delay is timed only by the sweep that expired the hold; a sweep beside
        # it may serve the line first, so the offers are counted here, not their delays.)
        return ("ticketing_holds_expired_total" in text  # counted by the worker
                and "ticketing_waitlist_offers_total 1.0" in text
                and "ticketing_waitlist_joins_total 1.0" in text)  # counted by the web
    wait_until(counted, 5, "the worker's and the web's metrics to add up")


def _buy(url: str, show_id: int, ids: list[int], card: str) -> dict:
    """Hold then pay; returns what the client saw."""
    with httpx.Client(timeout=20) as client:
        try:
            held = client.post(f"{url}/api/v1/shows/{show_id}/holds", json={"seats": ids})
        except httpx.HTTPError:
            return {"held": False}  # the process died under the request
        if held.status_code != 201:
            return {"held": False}
        body = held.json()
        seen = {"held": True, "hold": body["id"]}
        try:
            paid = client.post(f"{url}/api/v1/holds/{body['id']}/checkout",
                               json=checkout_body(card),
                               headers={"Authorization": f"Bearer {body['token']}"})
        except httpx.HTTPError:
            return seen  # the process died under the request
        if paid.status_code == 201:
            seen["booking"] = paid.json()["reference"]
            seen["seats"] = sorted(s["id"] for s in paid.json()["seats"])
        return seen


def test_sigkill_of_a_web_process_mid_checkout_loses_nothing(cluster):
    a, b = cluster.web("web-a"), cluster.web("web-b")
    cluster.worker()
    cluster.beat()
    show = ShowFactory(hall=HallFactory(layout=[f"{r}: ssssssss" for r in "ABCD"]))
    seats = seat_ids(show, *[f"{r}{n}" for r in "ABCD" for n in range(1, 9)])
    pairs = [seats[i:i + 2] for i in range(0, len(seats), 2)]
    seen: list[dict] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        # Slow payments (1.5 s at the gateway) so that checkouts are in flight at the kill.
        url = a if i % 2 else b
        card = "4000 0000 0000 0077" if i % 3 else "4242 4242 4242 4242"
        result = _buy(url, show.id, pairs[i], card)
        with lock:
            seen.append(result)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(pairs))]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    cluster.kill("web-a", signal.SIGKILL)
    for thread in threads:
        thread.join(60)

    # The other process serves on.
    assert httpx.get(f"{b}/api/v1/shows/{show.id}/seats", timeout=5).status_code == 200
    confirmed = [s for s in seen if "booking" in s]
    assert confirmed, "some checkouts must have gone through web-b"
    for result in confirmed:  # every booking a client saw confirmed is really there
        booking = Booking.objects.get(reference=result["booking"])
        assert booking.state == "confirmed"
        assert sorted(ShowSeat.objects.filter(booking=booking)
                      .values_list("seat_id", flat=True)) == result["seats"]
    # Holds whose requests died end up confirmed or released once their time (and the
    # payment grace) is over, by the beat's sweep and payment recovery.
    def settled() -> bool:
        return not Hold.objects.filter(show=show, state__in=["active", "paying"]).exists() \
            and not Payment.objects.filter(hold__show=show, status__in=["pending",
                                                                          "refunding"]).exists()
    wait_until(settled, 30, "every hold and payment to settle", interval=0.5)
    assert check_invariants(show) == []
    for payment in Payment.objects.filter(hold__show=show, status="captured"):
        assert payment.booking.state == "confirmed"  # no charge without its booking


@pytest.mark.parametrize("cluster", [{"DB_POOL_TIMEOUT": "2"}], indirect=True)
def test_postgres_restart_answers_503_then_recovers_by_itself(cluster):
    web = cluster.web("web")
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    url = f"{web}/api/v1/shows/{show.id}/seats"
    assert httpx.get(url).status_code == 200
    cluster_version = sorted(os.listdir("/etc/postgresql"))[0]
    statuses: list[int] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.get(url)
                    statuses.append(response.status_code)
                    if response.status_code == 503:
                        assert response.headers["Retry-After"] == "5"
                        assert response.json()["code"] == "unavailable"
                except httpx.HTTPError:
                    statuses.append(-1)
                time.sleep(0.05)

    # Several loaders at once, so the web process's pool is full of connections that the
    # restart will kill.
    loaders = [threading.Thread(target=load) for _ in range(6)]
    for loader in loaders:
        loader.start()
    time.sleep(1.0)
    connection.close()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version, "main",
                    "stop", "-m", "fast"], check=True)
    time.sleep(3)
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version, "main",
                    "start"], check=True)
    back = time.monotonic()
    discard_dead_connections()  # this test process's own pool saw the restart too
    wait_until(lambda: statuses and statuses[-1] == 200, 20, "the site to recover")
    recovered_in = time.monotonic() - back
    time.sleep(0.5)
    stop.set()
    for loader in loaders:
        loader.join(10)
    assert 503 in statuses, "requests during the outage must get 503"
    assert 500 not in statuses and -1 not in statuses
    assert recovered_in < 10
    assert statuses[-1] == 200


def test_redis_down_bookings_keep_working_and_live_updates_come_back(cluster):
    web = cluster.web("web")
    cluster.worker()
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    redis.Redis.from_url(REDIS_URL).shutdown(nosave=True)
    try:
        wait_until(lambda: not redis_up(), 5, "Redis to stop")
        result = _buy(web, show.id, seat_ids(show, "A1", "A2"), "4242 4242 4242 4242")
        assert "booking" in result, result
        assert httpx.get(f"{web}/readyz").status_code == 503
    finally:
        start_redis()
    with ws_connect(f"{web.replace('http', 'ws')}/ws/shows/{show.id}/") as feed:
        json.loads(feed.recv(timeout=5))
        assert hold(web, show, ["A5"]).status_code == 201
        message = json.loads(feed.recv(timeout=5))
        assert message["seats"] == [{"id": seat_ids(show, "A5")[0], "state": "held"}]
    assert httpx.get(f"{web}/readyz").status_code == 200


def test_worker_and_beat_killed_and_restarted_resume_without_doing_anything_twice(cluster):
    web = cluster.web("web")
    cluster.worker()
    cluster.beat()
    cluster.beat("beat-2")  # two beats by mistake must not break anything either
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    first = hold(web, show, ["A1", "A2", "A3", "A4"]).json()
    entry = httpx.post(f"{web}/api/v1/shows/{show.id}/waitlist", json={"party_size": 2}).json()
    cluster.kill("worker")
    cluster.kill("beat")
    cluster.kill("beat-2")
    time.sleep(4)  # the hold runs out while nothing sweeps
    assert Hold.objects.get(pk=first["id"]).state == "active"  # not swept yet...
    response = httpx.get(f"{web}/api/v1/shows/{show.id}/seats").json()
    assert {s["state"] for s in response["seats"]} == {"held"}  # ...but reserved for the line
    cluster.worker()
    cluster.beat()
    cluster.beat("beat-2")

    def offered():
        return WaitlistEntry.objects.get(pk=entry["id"]).state == "offered"
    wait_until(offered, 20, "the line to be served after the restart")
    time.sleep(3)  # several more sweeps from both beats
    entry_row = WaitlistEntry.objects.get(pk=entry["id"])
    # Exactly one offer, of the party's size, however many sweeps and beats ran: the first
    # hold and the offer are the only holds (the offer may itself have run out by now).
    assert Hold.objects.filter(show=show).count() == 2
    assert len(entry_row.offer.seats) == 2
    assert Hold.objects.get(pk=first["id"]).state == "expired"
