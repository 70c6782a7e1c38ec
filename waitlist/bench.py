"""Measure the waiting list against a running server: from the instant seats free up (a hold
is released, or expires) to the offer message arriving at the waiting client's websocket.

Every seat of a fresh show is held in pairs; as many parties of two join the line; each opens
its own websocket. Then the holds are released one by one (or made to expire in bulk, leaving
the server's sweeper to notice), and each offer's arrival is timed. Order inversions compare
the order offers were made with the order people joined: it must be zero.
"""

import asyncio
import http.client
import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import websockets
from django.db import connection
from django.utils import timezone

from booking.bench import make_bench_show
from booking.models import Hold, ShowSeat
from waitlist.models import WaitlistEntry


@dataclass
class WaitFigures:
    latencies: list[float] = field(default_factory=list)
    offers: int = 0
    parties: int = 0
    inversions: int = 0
    missing: int = 0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0


def _request(base: str, method: str, path: str, body: dict | None = None,
             token: str | None = None) -> tuple[int, dict]:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, json.loads(payload) if payload else {}


def prepare(base: str, parties: int) -> tuple[int, list[dict], list[dict]]:
    """A show whose every seat is held in pairs, and ``parties`` parties of two in line."""
    cols = 10
    rows = max(1, (parties * 2 + cols - 1) // cols)
    show = make_bench_show(rows=rows, cols=cols)
    seats = list(show.hall.seats.order_by("grid_row", "grid_col").values_list("id", flat=True))
    holds = []
    for i in range(0, len(seats), 2):
        status, body = _request(base, "POST", f"/api/v1/shows/{show.id}/holds",
                                {"seats": seats[i:i + 2]})
        if status != 201:
            raise RuntimeError(f"could not hold seats for the benchmark: {status} {body}")
        holds.append(body)
    entries = []
    for _ in range(parties):
        status, body = _request(base, "POST", f"/api/v1/shows/{show.id}/waitlist",
                                {"party_size": 2})
        if status != 201:
            raise RuntimeError(f"could not join the waiting list: {status} {body}")
        entries.append(body)
    return show.id, holds, entries


async def _watch(ws_base: str, entry: dict, offered_at: dict, ready: asyncio.Event,
                 counter: list[int], total: int) -> None:
    async with websockets.connect(f"{ws_base}/ws/waitlist/{entry['id']}/") as socket:
        await socket.send(json.dumps({"token": entry["token"]}))
        json.loads(await socket.recv())  # the initial state
        counter[0] += 1
        if counter[0] == total:
            ready.set()
        while True:
            message = json.loads(await socket.recv())
            if message.get("state") == "offered":
                offered_at[entry["id"]] = time.time()
                return


def _expire_now(holds: list[dict]) -> float:
    """Make every hold expire one second from now; returns that instant (epoch seconds)."""
    at = timezone.now() + timedelta(seconds=1)
    ids = [hold["id"] for hold in holds]
    Hold.objects.filter(pk__in=ids).update(expires_at=at)
    ShowSeat.objects.filter(hold_id__in=ids).update(held_until=at)
    return at.timestamp()


async def _in_thread(function, *args):
    """Run database work in a worker thread and give its connection back afterwards."""

    def call():
        try:
            return function(*args)
        finally:
            connection.close()

    return await asyncio.to_thread(call)


async def run(base: str, parties: int, mode: str, gap: float) -> WaitFigures:
    show_id, holds, entries = await _in_thread(prepare, base, parties)
    ws_base = base.replace("http://", "ws://").replace("https://", "wss://")
    offered_at: dict[str, float] = {}
    ready = asyncio.Event()
    counter = [0]
    watchers = [asyncio.create_task(_watch(ws_base, entry, offered_at, ready, counter,
                                           len(entries))) for entry in entries]
    await asyncio.wait_for(ready.wait(), 60)
    freed_at: list[float] = []
    if mode == "expire":
        at = await _in_thread(_expire_now, holds)
        freed_at = [at] * len(holds)
    else:
        for hold in holds:
            freed_at.append(time.time())
            await asyncio.to_thread(_request, base, "DELETE", f"/api/v1/holds/{hold['id']}",
                                    None, hold["token"])
            await asyncio.sleep(gap)
    _, pending = await asyncio.wait(watchers, timeout=30)
    for task in pending:
        task.cancel()
    figures = WaitFigures(parties=len(entries))
    # The k-th party in line is served by the k-th pair of seats to free up.
    for entry, freed in zip(entries, freed_at, strict=False):
        if entry["id"] in offered_at:
            figures.latencies.append(offered_at[entry["id"]] - freed)
        else:
            figures.missing += 1
    figures.offers = len(offered_at)
    figures.inversions = await _in_thread(count_inversions, show_id)
    return figures


def count_inversions(show_id: int) -> int:
    """Pairs where someone who joined later was offered seats earlier."""
    offered = list(WaitlistEntry.objects.filter(show_id=show_id, offer__isnull=False)
                   .order_by("number").values_list("offer__created_at", flat=True))
    return sum(1 for i in range(len(offered)) for j in range(i + 1, len(offered))
               if offered[j] < offered[i])


def report(figures: WaitFigures, mode: str) -> str:
    what = "expiry" if mode == "expire" else "release"
    return "\n".join([
        f"parties       {figures.parties} waiting, {figures.offers} offered, "
        f"{figures.missing} never told",
        f"{what} -> offer at the client (ms)  p50 {figures.percentile(50) * 1000:.1f}  "
        f"p99 {figures.percentile(99) * 1000:.1f}  max {figures.percentile(100) * 1000:.1f}",
        f"order inversions  {figures.inversions}",
    ])
