"""Plain HTTP runs on fixed thread pools (ticketing/http.py); requests that wait on the payment
gateway have a pool of their own, so a slow gateway never holds up seat holds."""

import threading
import time

import httpx
import pytest

from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory

pytestmark = pytest.mark.django_db(transaction=True)
SLOW_CARD = "4000 0000 0000 0077"


def test_holds_are_answered_while_slow_checkouts_fill_the_gateway_pool(serve):
    url, _ = serve(WEB_THREADS="1", WEB_GATEWAY_THREADS="2", TEST_GATEWAY_SLOW_MS="3000")
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    ids = seat_ids(show, "A1", "A2", "A3", "A4", "A5")
    holds = [httpx.post(f"{url}/api/v1/shows/{show.id}/holds", json={"seats": [i]}).json()
             for i in ids[:2]]
    finished: list[str] = []
    lock = threading.Lock()

    def pay(hold: dict) -> None:
        response = httpx.post(f"{url}/api/v1/holds/{hold['id']}/checkout",
                              json=checkout_body(SLOW_CARD), timeout=30,
                              headers={"Authorization": f"Bearer {hold['token']}"})
        with lock:
            finished.append(f"checkout {response.status_code}")

    payers = [threading.Thread(target=pay, args=(hold,)) for hold in holds]
    for payer in payers:
        payer.start()
    # Both gateway threads are now busy for 3 s; the one ordinary thread is free.
    page = httpx.get(f"{url}/api/v1/shows/{show.id}/seats", timeout=30)
    held = httpx.post(f"{url}/api/v1/shows/{show.id}/holds", json={"seats": ids[2:4]}, timeout=30)
    with lock:
        finished.append(f"hold {held.status_code}")
    for payer in payers:
        payer.join(30)
    assert page.status_code == 200
    assert finished == ["hold 201", "checkout 201", "checkout 201"]


def test_every_answer_says_when_its_request_arrived(serve):
    url, _ = serve()
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    sent = time.time()
    held = httpx.post(f"{url}/api/v1/shows/{show.id}/holds", json={"seats": seat_ids(show, "A1")})
    answered = time.time()
    timing = held.headers["Server-Timing"]
    assert held.status_code == 201 and timing.startswith('arrival;desc="')
    assert sent <= float(timing.split('"')[1]) <= answered
    assert httpx.get(f"{url}/healthz").headers["Server-Timing"].startswith("arrival;")


def test_the_lean_path_reads_the_arrival_stamp_from_djangos_asgi_request():
    from io import BytesIO

    from django.core.handlers.asgi import ASGIRequest

    from ticketing.arrival import SCOPE_KEY, arrived_at

    scope = {"type": "http", "method": "POST", "path": "/api/v1/shows/1/holds",
             "query_string": b"", "headers": [], SCOPE_KEY: 1234.5}
    assert arrived_at(ASGIRequest(scope, BytesIO(b""))) == 1234.5


def test_a_request_arrives_when_its_body_does_not_when_its_headers_did(serve):
    """Sending the headers early and the seats later must not put a request ahead of others."""
    import json
    import socket

    url, _ = serve()
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    body = json.dumps({"seats": seat_ids(show, "A1")}).encode()
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"POST /api/v1/shows/{show.id}/holds HTTP/1.1\r\nHost: {host}\r\n"
                    "Content-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        time.sleep(0.5)
        body_sent = time.time()
        raw.sendall(body)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 201")
    timing = next(line for line in head.split("\r\n") if line.lower().startswith("server-timing"))
    assert float(timing.split('"')[1]) >= body_sent - 0.05
