"""The benchmark harness (``make bench``) at tiny sizes, against a real server process on the test
database: every scenario runs end to end and its checks see what they must. Figures are never
asserted against times."""

import asyncio

import pytest
from aiohttp import web

from bench import premiere, scenarios
from bench.cluster import free_port
from bench.invariants import check_invariants
from bench.openloop import Clients, Planned, Sample, percentile, run
from bench.report import END, START, render_table, write_docs
from booking.models import ShowSeat
from tests.factories import HallFactory, ShowFactory
from tests.helpers import put_on_hold

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(serve):
    """One zero-setup server process (in-memory channel layer, in-process sweeper)."""
    return serve()


def test_open_loop_measures_from_the_scheduled_instant():
    """Five requests due at once to a server that answers one at a time, 50 ms each: a closed
    loop would report ~50 ms for every one; from the schedule they wait their turn."""

    async def scenario() -> list[Sample]:
        lock = asyncio.Lock()

        async def slow(request: web.Request) -> web.Response:
            async with lock:
                await asyncio.sleep(0.05)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/", slow)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with Clients(f"http://127.0.0.1:{port}", clients=5, connections=5) as clients:
                return await run(clients, [Planned(0.0, "GET", "/") for _ in range(5)])
        finally:
            await runner.cleanup()

    samples = asyncio.run(scenario())
    latencies = sorted(sample.latency for sample in samples)
    assert [sample.status for sample in samples] == [200] * 5
    assert latencies[-1] >= 0.25 > latencies[0]


def test_percentiles_are_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 99.9) == 100
    assert percentile([], 99) == 0


def test_fairness_counts_losses_with_no_earlier_winner():
    plan = [Planned(0, "POST", "/", {"seats": seats}) for seats in ([1, 2], [2], [2, 3], [3])]

    def sample(sent: float, status: int, seats: list[int]) -> Sample:
        return Sample(scheduled=0, sent=sent, done=1, status=status,
                      body={"seats": [{"id": s} for s in seats]} if status == 201 else None)

    # Request 0 went out first and won 1 and 2. Request 2 (seats 2, 3) went out before
    # request 3 and lost seat 3 to it: fair, since seat 2 was won by the even earlier request 0.
    fair = [sample(0.1, 201, [1, 2]), sample(0.2, 409, []), sample(0.3, 409, []),
            sample(0.4, 201, [3])]
    assert scenarios.fairness(plan, fair) == {
        "contested_seats": 2, "earliest_won_share": 0.5, "unexplained_losses": 0}
    # Seat 3: request 3 went out first but request 2 won it, and nothing explains the loss.
    unfair = [sample(0.1, 409, []), sample(0.5, 409, []), sample(0.3, 201, [2, 3]),
              sample(0.2, 409, [])]
    assert scenarios.fairness(plan, unfair)["unexplained_losses"] == 2


def test_invariant_check_finds_a_hold_that_owns_seats_it_did_not_pay_for():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    hold = put_on_hold(show, [])  # a hold whose receipt lists no seats
    assert check_invariants(show) == []
    row = ShowSeat.objects.filter(show=show).first()
    ShowSeat.objects.filter(pk=row.pk).update(hold=hold, held_until=hold.expires_at)
    assert any("receipt" in problem for problem in check_invariants(show))


def test_every_scenario_runs_against_a_server_and_reports(server, tmp_path):
    url, pid = server
    results = {"s1": asyncio.run(scenarios.holds_at_rising_rates(url, rates=[10, 20],
                                                                 seconds=1)),
               "s2": asyncio.run(scenarios.on_sale_herd(url, clients=60, rows=2, cols=10)),
               "s3": asyncio.run(scenarios.waitlist_bulk_expiry(url, parties=4)),
               "s4": asyncio.run(scenarios.live_connections(url, http_url=url, server_pid=pid,
                                                            target=30, batch=10)),
               "s5": asyncio.run(scenarios.seat_map_reads(url, api_rates=[10], page_rates=[5],
                                                          seconds=1)),
               "s6": asyncio.run(premiere.premiere_room(url, visitors=12, join_seconds=1,
                                                        admit_per_minute=600, watch_seconds=3,
                                                        server_pid=pid, batch=4))}
    s1, s2, s3, s4, s5 = (results[k] for k in ("s1", "s2", "s3", "s4", "s5"))
    assert [step["statuses"] for step in s1["steps"]] == [{"201": 10}, {"201": 20}]
    assert s1["invariant_problems"] == []
    assert set(s2["statuses"]) <= {"201", "409"} and sum(s2["statuses"].values()) == 60
    assert s2["oversold_seats"] == 0 and s2["invariant_problems"] == []
    assert s2["seats_held"] + s2["seats_left_free"] == 20
    assert 0 <= s2["fairness"]["earliest_won_share"] <= 1
    assert s3["offered"] == 4 and s3["never_told"] == 0 and s3["order_inversions"] == 0
    assert s4["connected"] == 30 and s4["reached"] == 30 and s4["change_hold_status"] == 201
    assert s5["api"]["steps"][0]["statuses"] == {"200": 10}
    assert s5["page"]["steps"][0]["statuses"] == {"200": 5}
    s6 = results["s6"]
    assert s6["joins"]["statuses"] == {"201": 12} and s6["watching"] == 12
    assert s6["told_place"] == 12 and s6["never_told"] == 0
    assert s6["log"]["ok"] and s6["log"]["drawn"] == 12 and s6["log"]["admitted"] >= 1

    page = tmp_path / "performance.md"
    page.write_text("# Performance\n\nProse kept by hand.\n")
    report = {"meta": {"date": "2026-11-24T00:00:00+00:00", "git": "abc1234", "cpu": "cpu",
                       "cores": 2, "memory_gib": 24, "kernel": "6", "python": "3.11",
                       "packages": {"django": "5.2"}, "postgresql": "15", "redis": "7"},
              "quick": True, "modes": {"zero-setup": {"settings": {"web_workers": 1},
                                                      **results}}}
    write_docs(page, report)
    write_docs(page, report)  # rewrites its own section, keeps the prose
    text = page.read_text()
    assert text.count(START) == 1 and text.count(END) == 1 and "Prose kept by hand." in text
    table = render_table(report)
    for label in ("S1 holds", "S2 on-sale herd", "S3 waiting list", "S4 live connections",
                  "S5 seat-map API", "S5 show page", "S6 premiere waiting room"):
        assert label in table
