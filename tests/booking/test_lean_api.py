"""The lean path (ticketing.lean, booking.lean_api): holding chosen seats and reading seat maps
on the event loop answer exactly as the Django views do, through a real server (PostgreSQL:
the SQL rule on async connections; SQLite: the Python rule on Django's sync thread)."""

import asyncio
import contextlib
import json
import re
import threading
import time
import uuid

import httpx
import pytest
import redis
from django.db import connection
from websockets.sync.client import connect as ws_connect

from bench.cluster import REDIS_URL, redis_up, start_redis, wait_until
from booking import lean_api
from booking.models import Hold, SeatMapState
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import put_on_hold

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]
VARYING = {"id", "token", "expires_at", "seconds_left"}
SAME_EVERY_TIME = {"date", "x-request-id", "server-timing", "content-length"}


@pytest.fixture(params=["own batches", "shared line"])
def servers(serve, request, tmp_path):
    """A lean server (deciding holds in its own batches, or, with Redis, in the line every web
    process shares: ticketing.line) and a server answering everything through Django."""
    if request.param == "shared line":
        if connection.vendor != "postgresql":
            pytest.skip("the shared line runs with PostgreSQL and Redis")
        if not redis_up():
            start_redis()
        lean, _ = serve(LEAN_API="1", REDIS_URL=REDIS_URL,
                        PROMETHEUS_MULTIPROC_DIR=str(tmp_path))  # its own figures
    else:
        lean, _ = serve(LEAN_API="1")
    django, _ = serve(LEAN_API="0")
    return lean, django


def _lean_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity "
                       "WHERE application_name = 'reelseats-lean'")
        return cursor.fetchone()[0]


def _answer(response: httpx.Response) -> tuple:
    body = response.json()
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in VARYING}
    headers = {k: v for k, v in response.headers.items() if k not in SAME_EVERY_TIME}
    # DRF's @api_view lists the methods from a set: their order differs between processes.
    headers["allow"] = sorted(headers.get("allow", "").split(", "))
    return response.status_code, body, headers


def test_both_paths_answer_every_hold_request_alike(servers):
    lean, django = servers
    answers = {}
    for name, url in (("lean", lean), ("django", django)):
        show = ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]))
        post = lambda body, show=show, url=url, **kw: httpx.post(  # noqa: E731
            f"{url}/api/v1/shows/{show.id}/holds", json=body, **kw)
        a1, a2, b1, b2 = seat_ids(show, "A1", "A2", "B1", "B2")
        answers[name] = [
            _answer(post({"seats": [a1, a2]})),  # held
            _answer(post({"seats": [a2, b1]})),  # 409 naming A2
            _answer(post({"seats": [b1, 999_999]})),  # no such seat
            _answer(post({"seats": []})),  # invalid
            _answer(post({"seats": [b1], "extra": 1})),  # unknown field
            _answer(post({"count": 1})),  # best available: Django's own
            _answer(httpx.post(f"{url}/api/v1/shows/987654/holds", json={"seats": [b1]})),
            _answer(post({"seats": [b2]}, headers={"Idempotency-Key": str(uuid.uuid4())})),
        ]
        SeatMapState.objects.filter(show=show).update(waiting=1)  # people wait for it
        answers[name].append(_answer(post({"seats": [seat_ids(show, "B3")[0]]})))  # the line
        held = Hold.objects.filter(show=show, state="active").count()
        answers[name].append(held)
    for lean_answer, django_answer in zip(answers["lean"], answers["django"], strict=True):
        assert _shape(lean_answer) == _shape(django_answer)
    if connection.vendor == "postgresql":  # the lean server answered on its own connections
        assert _lean_connections() >= 1


def test_a_web_process_holds_one_lean_connection_per_event_loop_until_more_are_needed(serve):
    """A server's lean pools (its own loop's and the hold line's) open one connection each and
    grow only while requests wait: a pool held full in every web process filled PostgreSQL's
    connection limit (four processes of 2 x 8 in the benchmark)."""
    if connection.vendor != "postgresql":
        pytest.skip("the lean pools are PostgreSQL's")
    if not redis_up():
        start_redis()
    before = _lean_connections()
    serve(LEAN_API="1", REDIS_URL=REDIS_URL, LEAN_DB_POOL_SIZE="8")
    wait_until(lambda: _lean_connections() - before >= 2, 10, "both pools to open")
    time.sleep(0.5)  # (a pool held full would be opening the rest by now)
    assert _lean_connections() - before == 2


def _shape(answer) -> object:
    """An answer with its whole numbers (the ids of seats and shows) taken out."""
    if not isinstance(answer, tuple):
        return answer
    status, body, headers = answer
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    return status, re.sub(r"(?<![.\d])\d+(?![.\d])", "N", text), headers


def test_lean_holds_are_announced_and_counted(servers):
    lean, _ = servers
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    with ws_connect(f"{lean.replace('http', 'ws')}/ws/shows/{show.id}/") as feed:
        snapshot = json.loads(feed.recv(timeout=5))
        held = httpx.post(f"{lean}/api/v1/shows/{show.id}/holds",
                          json={"seats": seat_ids(show, "A1", "A2")})
        assert held.status_code == 201
        message = json.loads(feed.recv(timeout=5))
    assert message["version"] == snapshot["version"] + 1
    assert {s["id"] for s in message["seats"]} == set(seat_ids(show, "A1", "A2"))
    text = httpx.get(f"{lean}/metrics").text
    assert 'route="api/v1/shows/<int:show_id>/holds",status="201"' in text
    assert "ticketing_holds_created_total 1.0" in text


@pytest.mark.parametrize("path", ["lean", "django"])
def test_holds_wait_in_the_shared_line_whichever_path_takes_them(serve, tmp_path, path):
    """Every hold decided in a batch joins the line the web processes share: one from the
    lean path, and one through Django's view (an Idempotency-Key takes that path). A dead
    process's lease on the line holds it up until the lease runs out; then it is taken over."""
    if connection.vendor != "postgresql":
        pytest.skip("the shared line runs with PostgreSQL and Redis")
    if not redis_up():
        start_redis()
    url, _ = serve(LEAN_API="1", REDIS_URL=REDIS_URL, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    line = f"reelseats:line:holds:{show.id}"
    store = redis.Redis.from_url(REDIS_URL)
    store.set(f"{line}:lease", "a-process-that-died", px=1000)
    headers = {"Idempotency-Key": str(uuid.uuid4())} if path == "django" else {}
    answer: dict = {}
    thread = threading.Thread(target=lambda: answer.update(response=httpx.post(
        f"{url}/api/v1/shows/{show.id}/holds", json={"seats": seat_ids(show, "A1")},
        headers=headers, timeout=30)))
    thread.start()
    wait_until(lambda: store.zcard(line) == 1, 5, "the hold to wait in the line")
    thread.join(30)
    assert answer["response"].status_code == 201
    assert Hold.objects.filter(show=show, state="active").count() == 1
    assert store.zcard(line) == 0 and not store.exists(f"{line}:lease")  # given up, empty


def test_two_web_processes_put_their_holds_in_one_line_decided_in_arrival_order(serve,
                                                                                 tmp_path):
    """A hold that reached one web process first beats one for the same seat that reached
    another a moment later: both wait in the same line (here held up by a dead process's lease
    until it runs out), and whichever process takes it over decides them in arrival order."""
    if connection.vendor != "postgresql":
        pytest.skip("the shared line runs with PostgreSQL and Redis")
    if not redis_up():
        start_redis()
    env = {"LEAN_API": "1", "REDIS_URL": REDIS_URL, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    first_url, _ = serve(**env)
    second_url, _ = serve(**env)
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    line = f"reelseats:line:holds:{show.id}"
    store = redis.Redis.from_url(REDIS_URL)
    store.set(f"{line}:lease", "a-process-that-died", px=1000)
    answers: dict = {}

    def hold(name: str, url: str) -> None:
        answers[name] = httpx.post(f"{url}/api/v1/shows/{show.id}/holds",
                                   json={"seats": seat_ids(show, "A2")}, timeout=30)

    earlier = threading.Thread(target=hold, args=("earlier", first_url))
    later = threading.Thread(target=hold, args=("later", second_url))
    earlier.start()
    wait_until(lambda: store.zcard(line) == 1, 5, "the first hold to wait in the line")
    later.start()
    wait_until(lambda: store.zcard(line) == 2, 5, "the second process's hold in the same line")
    earlier.join(30)
    later.join(30)
    assert answers["earlier"].status_code == 201
    assert answers["later"].status_code == 409
    assert [seat["label"] for seat in answers["later"].json()["seats"]] == ["A2"]


def test_a_rush_on_the_lean_path_sells_each_seat_once(servers):
    lean, _ = servers
    show = ShowFactory(hall=HallFactory(layout=["A: ssssss"]))
    ids = seat_ids(show, "A1", "A2", "A3", "A4", "A5", "A6")
    wanted = [[ids[i % 6], ids[(i + 1) % 6]] for i in range(60)]
    results: list[httpx.Response | None] = [None] * len(wanted)
    barrier = threading.Barrier(len(wanted))

    def attempt(i: int) -> None:
        with httpx.Client(timeout=20) as client:
            barrier.wait()
            results[i] = client.post(f"{lean}/api/v1/shows/{show.id}/holds",
                                     json={"seats": wanted[i]})

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(wanted))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert {r.status_code for r in results} <= {201, 409}
    won = [seat for r in results if r.status_code == 201 for seat in (s["id"] for s in
                                                                        r.json()["seats"])]
    assert len(won) == len(set(won)) and len(won) >= 2
    assert all(r.json()["seats"] for r in results if r.status_code == 409)  # names the seats


def test_seat_maps_on_the_lean_path_lag_a_change_by_at_most_the_recheck(serve):
    url, _ = serve(LEAN_API="1", SEAT_MAP_RECHECK_MS="200")
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    seats = f"{url}/api/v1/shows/{show.id}/seats"
    first = httpx.get(seats)  # drawn by Django, then known to the lean path
    again = httpx.get(seats)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert {k: v for k, v in again.headers.items() if k not in SAME_EVERY_TIME} == {
        k: v for k, v in first.headers.items() if k not in SAME_EVERY_TIME}
    # The load balancer's request id is kept (and a malformed one replaced), as by Django.
    assert httpx.get(seats, headers={"X-Request-ID": "lb-1234"}).headers["x-request-id"] == \
        "lb-1234"
    assert httpx.get(seats, headers={"X-Request-ID": "<x>"}).headers["x-request-id"] != "<x>"

    def states() -> dict[int, str]:
        return {s["id"]: s["state"] for s in httpx.get(seats).json()["seats"]}

    # A hold made here, on the lean path, shows at once.
    a1, a3 = seat_ids(show, "A1", "A3")
    assert httpx.post(f"{url}/api/v1/shows/{show.id}/holds", json={"seats": [a1]}).is_success
    assert states()[a1] == "held"
    # A change made elsewhere (another process, the admin) shows within the recheck.
    put_on_hold(show, ["A3"])
    SeatMapState.objects.filter(show=show).update(version=99)
    time.sleep(0.3)
    assert states()[a3] == "held"


def test_a_seat_map_answer_is_replayed_only_to_requests_like_the_one_it_answered(serve):
    """Reads of a map at the same version get the same bytes (ticketing.lean._replayed), but
    never a request the full path would answer otherwise: another host, plain HTTP that must
    be redirected. And replayed reads are counted like the rest."""
    url, _ = serve(LEAN_API="1", HTTPS="1", TRUST_X_FORWARDED_PROTO="1")
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    seats = f"{url}/api/v1/shows/{show.id}/seats"
    secure = {"X-Forwarded-Proto": "https"}
    answers = [httpx.get(seats, headers=secure) for _ in range(3)]  # drawn, lean, replayed
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.content for answer in answers}) == 1
    assert len({answer.headers["x-request-id"] for answer in answers}) == 3
    kept = [{k: v for k, v in answer.headers.items() if k not in SAME_EVERY_TIME}
            for answer in answers]
    assert kept[0] == kept[1] == kept[2] and "strict-transport-security" in kept[2]
    assert httpx.get(seats).status_code == 301  # plain HTTP: redirected, never replayed
    assert httpx.get(seats, headers={**secure, "Host": "elsewhere.example"}).status_code == 400
    text = httpx.get(f"{url}/metrics", headers=secure).text
    assert ('http_requests_total{method="GET",route="api/v1/shows/<int:show_id>/seats",'
            'status="200"} 3.0') in text


def test_seat_map_reads_due_for_a_recheck_share_one_version_read(monkeypatch):
    """A thousand reads a second all falling due at once send one query, not one each."""
    queries = []

    class Connection:
        async def execute(self, sql, params):
            queries.append(params)
            await asyncio.sleep(0.01)  # the read is in flight while the others arrive

            class Cursor:
                async def fetchone(self):
                    return (7, 0)

            return Cursor()

    class Pool:
        @contextlib.asynccontextmanager
        async def connection(self):
            yield Connection()

    async def pool():
        return Pool()

    monkeypatch.setattr(lean_api.async_db, "pool", pool)

    async def reads():
        return await asyncio.gather(*(lean_api._read_version(424242) for _ in range(50)))

    assert asyncio.run(reads()) == [(7, 0)] * 50
    assert queries == [[424242]]
    assert asyncio.run(reads()) == [(7, 0)] * 50  # once done, the next recheck reads again
    assert len(queries) == 2
