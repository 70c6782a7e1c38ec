"""The benchmark command against a real server process sharing the test database."""

import os
import socket
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from booking.bench import check_invariants, make_bench_show
from booking.models import ShowSeat
from tests.helpers import put_on_hold

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0", "SECRET_KEY": "bench",
           "RATE_LIMIT_ENABLED": "0"}
    env.pop("REDIS_URL", None)  # one process, in-memory channel layer
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "ticketing.asgi:application", "--port", str(port),
         "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_bench_drives_a_server_and_checks_invariants(server):
    out = StringIO()
    call_command("bench_holds", url=server, clients=4, requests=60, hot=6, stdout=out)
    text = out.getvalue()
    assert "60 in" in text and "latency ms" in text
    assert "held (201)" in text and "conflicts" in text
    assert "invariants hold" in text


def test_invariant_check_finds_a_hold_that_owns_seats_it_did_not_pay_for():
    show = make_bench_show(rows=2, cols=4)
    hold = put_on_hold(show, [])  # a hold whose receipt lists no seats
    assert check_invariants(show) == []
    row = ShowSeat.objects.filter(show=show).first()
    ShowSeat.objects.filter(pk=row.pk).update(hold=hold, held_until=hold.expires_at)
    assert any("receipt" in problem for problem in check_invariants(show))


def test_waitlist_bench_times_offers_and_finds_no_inversions(server):
    out = StringIO()
    call_command("bench_waitlist", url=server, parties=6, gap_ms=5, stdout=out)
    text = out.getvalue()
    assert "6 waiting, 6 offered, 0 never told" in text
    assert "release -> offer at the client (ms)  p50" in text
    assert "order inversions  0" in text
