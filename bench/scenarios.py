"""The scenarios of ``make bench``, run by the load process against servers it did not start.

Each returns a plain dict for ``bench/results.json``. Catalog set-up and the checks afterwards
go through the ORM on the same database as the servers; everything measured goes over HTTP or
websockets, like a real client.
"""

import asyncio
import contextlib
import json
import math
import os
import random
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import aiohttp
from django.db import close_old_connections
from django.utils import timezone

from bench.catalog import make_shows, seat_rows
from bench.invariants import check_invariants
from bench.openloop import (
    Clients,
    Planned,
    Sample,
    at_rate,
    percentile,
    released_at_once,
    run,
    summarise,
)
from booking.models import Hold, ShowSeat
from waitlist.models import WaitlistEntry


async def in_thread(function, *args, **kwargs):
    """Database work off the event loop, its connection given back afterwards."""

    def call():
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return await asyncio.to_thread(call)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _distribution(values: list[float]) -> dict[str, float]:
    return {name: _ms(percentile(values, p))
            for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}


def _problems(shows) -> list[str]:
    return [problem for show in shows for problem in check_invariants(show)]


# --- S1: holds without contention, at rising arrival rates -----------------------------------


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by this process and all its children."""
    ticks = 0
    for process in [pid, *_children(pid)]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_seconds() -> tuple[float, float, float]:
    """Since boot, summed over the cores: the time spent running anything here, the time the
    host ran something else while we wanted the core (steal), and the wall time."""
    user, nice, system, idle, iowait, irq, softirq, steal = (int(field) for field in (
        Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]))
    tick = os.sysconf("SC_CLK_TCK")
    return ((user + nice + system + irq + softirq) / tick, steal / tick,
            (user + nice + system + idle + iowait + irq + softirq + steal) / tick)


async def holds_at_rising_rates(url: str, *, rates: list[int], seconds: float,
                                p99_target_ms: float = 100, give_up_p99_ms: float = 2000,
                                seats_per_show: tuple[int, int] = (20, 30),
                                server_pid: int | None = None) -> dict:
    """Holds of two adjacent seats at each rate in turn. With ``server_pid``, each step also
    says how much CPU the web processes (that one and its workers) and the whole machine spent
    per hold answered: figures that compare between builds when the machine's speed does not;
    and the share of the cores' time the host gave to something else instead (steal).
    """
    rows, cols = seats_per_show
    pairs_needed = int(sum(rates) * seconds) + 200
    shows = await in_thread(make_shows, -(-pairs_needed * 2 // (rows * cols)), rows=rows,
                            cols=cols, tag="s1")
    # Adjacent pairs, dealt round-robin across the shows so no show is hot.
    per_show = [[(show.id, row[i:i + 2]) for row in await in_thread(seat_rows, show)
                 for i in range(0, cols - 1, 2)] for show in shows]
    pairs = [pair for group in zip(*per_show, strict=False) for pair in group]
    taken = 0

    def plan(rate: float, duration: float) -> list[Planned]:
        nonlocal taken
        instants = at_rate(rate, duration)
        batch = pairs[taken:taken + len(instants)]
        taken += len(instants)
        return [Planned(at, "POST", f"/api/v1/shows/{show_id}/holds", {"seats": seats})
                for at, (show_id, seats) in zip(instants, batch, strict=True)]

    steps = []
    async with Clients(url) as clients:
        await run(clients, plan(50, 2))  # warm up: pools, caches, imports
        for rate in rates:
            web_before = cpu_seconds(server_pid) if server_pid else 0.0
            machine_before = machine_seconds()
            summary = summarise(await run(clients, plan(rate, seconds)), rate)
            met = (summary.statuses == {"201": summary.count}
                   and summary.latency_ms["p99"] < p99_target_ms)
            step = {**summary.as_dict(), "met_target": met}
            if server_pid and summary.count:
                used, stolen, wall = (after - before for after, before in
                                      zip(machine_seconds(), machine_before, strict=True))
                step["web_cpu_ms_per_hold"] = round(
                    (cpu_seconds(server_pid) - web_before) * 1000 / summary.count, 3)
                step["machine_cpu_ms_per_hold"] = round(used * 1000 / summary.count, 3)
                step["stolen_share"] = round(stolen / max(wall, 1e-9), 3)
            steps.append(step)
            if summary.latency_ms["p99"] > give_up_p99_ms or summary.errors:
                break
            await asyncio.sleep(1)  # let anything queued drain before the next rate
    best = max((step["offered_rate"] for step in steps if step["met_target"]), default=0)
    problems = await in_thread(_problems, shows)
    return {"shows": len(shows), "first_show_id": shows[0].id, "seconds_per_rate": seconds,
            "steps": steps,
            "best_rate_p99_under_target": best, "p99_target_ms": p99_target_ms,
            "invariant_problems": problems[:20]}


# --- S2: the on-sale herd ---------------------------------------------------------------------


def herd_plan(rows: list[list[int]], show_id: int, clients: int, seed: int) -> list[Planned]:
    """Every client wants 1 to 4 adjacent seats somewhere in the hall, all at the same instant."""
    rng = random.Random(seed)
    plan = []
    for _ in range(clients):
        row = rng.choice(rows)
        size = rng.randint(1, 4)
        start = rng.randint(0, len(row) - size)
        plan.append(Planned(0.0, "POST", f"/api/v1/shows/{show_id}/holds",
                            {"seats": row[start:start + size]}, keep_body=True))
    return plan


def fairness(plan: list[Planned], samples: list[Sample]) -> dict:
    """Of the seats more than one request asked for, how often the first request to go out won
    it. A first request can lose fairly, because another of its seats went to a request that
    went out even earlier; the losses with no such reason are counted apart."""
    wanted: dict[int, list[int]] = defaultdict(list)
    for index, item in enumerate(plan):
        for seat in item.body["seats"]:
            wanted[seat].append(index)
    won = {seat: index for index, sample in enumerate(samples) if sample.status == 201
           for seat in (s["id"] for s in sample.body["seats"])}
    contested = earliest_won = unexplained = 0
    for seat, indices in wanted.items():
        if len(indices) < 2:
            continue
        contested += 1
        first = min(indices, key=lambda i: samples[i].sent)
        if won.get(seat) == first:
            earliest_won += 1
            continue
        beaten_fairly = any(
            won.get(other) is not None and samples[won[other]].sent < samples[first].sent
            for other in plan[first].body["seats"])
        if not beaten_fairly:
            unexplained += 1
    return {"contested_seats": contested,
            "earliest_won_share": round(earliest_won / contested, 4) if contested else 1.0,
            "unexplained_losses": unexplained}


def first_come_first_served(plan: list[Planned], samples: list[Sample]) -> dict:
    """The issue's measure: replay the requests in the order they arrived at the server (its
    Server-Timing stamp) through a strict sequencer that grants a request when all its seats
    are still free; of the requests it would grant, the share that actually won."""
    stamped = [i for i, sample in enumerate(samples) if sample.arrived is not None]
    taken: set[int] = set()
    granted = []
    for index in sorted(stamped, key=lambda i: samples[i].arrived):
        wanted = set(plan[index].body["seats"])
        if not wanted & taken:
            taken |= wanted
            granted.append(index)
    won = sum(1 for index in granted if samples[index].status == 201)
    arrivals = sorted(samples[i].arrived for i in stamped)
    return {"sequencer_grants": len(granted), "of_which_won": won,
            "share": round(won / len(granted), 4) if granted else 1.0,
            "unstamped": len(samples) - len(stamped),
            "arrival_spread_ms": _ms(arrivals[-1] - arrivals[0]) if arrivals else 0.0}


async def on_sale_herd(url: str, *, clients: int = 2000, rows: int = 10, cols: int = 20,
                       seed: int = 7) -> dict:
    [show] = await in_thread(make_shows, 1, rows=rows, cols=cols, tag="s2")
    seat_grid = await in_thread(seat_rows, show)
    plan = herd_plan(seat_grid, show.id, clients, seed)
    samples = await released_at_once(url, plan)
    summary = summarise(samples, offered_rate=float(clients))
    sold: dict[int, int] = defaultdict(int)
    timeline = []
    for sample in samples:
        if sample.status == 201:
            for seat in sample.body["seats"]:
                sold[seat["id"]] += 1
            timeline.append((sample.done, len(sample.body["seats"])))
    total = rows * cols
    held = 0
    all_decided_at = None
    for done, count in sorted(timeline):
        held += count
        if held >= total:
            all_decided_at = done
    last_answer = max(sample.done for sample in samples)
    problems = await in_thread(check_invariants, show)
    return {
        "clients": clients, "seats": total,
        "decisions_per_s": round(clients / last_answer, 1),
        "latency_ms": summary.latency_ms, "statuses": summary.statuses, "errors": summary.errors,
        "seats_held": len(sold), "seats_left_free": total - len(sold),
        "last_seat_held_after_ms": _ms(max((d for d, _ in timeline), default=0)),
        "all_seats_held_after_ms": _ms(all_decided_at) if all_decided_at else None,
        "every_request_answered_after_ms": _ms(last_answer),
        "oversold_seats": sum(1 for n in sold.values() if n > 1),
        "fairness": fairness(plan, samples),
        "first_come_first_served": first_come_first_served(plan, samples),
        "losers_named_seats": all(
            sample.body and sample.body.get("seats") for sample in samples
            if sample.status == 409),
        "invariant_problems": problems[:20],
    }


# --- S3: the waiting list, holds expiring in bulk ---------------------------------------------


async def waitlist_bulk_expiry(url: str, *, parties: int = 300) -> dict:
    cols = 2 * math.gcd(parties, 10)  # rows of whole pairs: every seat is held, none left over
    [show] = await in_thread(make_shows, 1, rows=parties * 2 // cols, cols=cols, tag="s3")
    seat_grid = await in_thread(seat_rows, show)
    pairs = [row[i:i + 2] for row in seat_grid for i in range(0, cols - 1, 2)][:parties]
    holds_path = f"/api/v1/shows/{show.id}/holds"
    async with Clients(url, clients=8, connections=64) as clients:
        session = clients.next()
        holds = await run(clients, [Planned(i / 200, "POST", holds_path, {"seats": pair},
                                            keep_body=True) for i, pair in enumerate(pairs)])
        if any(sample.status != 201 for sample in holds):
            raise RuntimeError("S3: could not hold every seat before the line formed")
        entries = []
        for _ in range(parties):  # one after another: the line's order is the join order
            async with session.post(f"/api/v1/shows/{show.id}/waitlist",
                                    json={"party_size": 2}) as response:
                if response.status != 201:
                    raise RuntimeError(f"S3: joining the line gave {response.status}")
                entries.append(await response.json())
        offered_at: dict[str, float] = {}
        ready = asyncio.Event()
        connected = [0]

        sockets = aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=0))

        async def watch(entry: dict) -> None:
            async with sockets.ws_connect(f"/ws/waitlist/{entry['id']}/") as socket:
                await socket.send_json({"token": entry["token"]})
                await socket.receive_json()  # the state as it is
                connected[0] += 1
                if connected[0] == parties:
                    ready.set()
                async for message in socket:
                    if json.loads(message.data).get("state") == "offered":
                        offered_at[entry["id"]] = time.time()
                        return

        watchers = [asyncio.create_task(watch(entry)) for entry in entries]
        await asyncio.wait_for(ready.wait(), 120)
        hold_ids = [sample.body["id"] for sample in holds]
        expired_at = await in_thread(_expire_soon, hold_ids)
        await asyncio.wait(watchers, timeout=60)
        for task in watchers:
            task.cancel()
        await sockets.close()
    delays = [offered_at[entry["id"]] - expired_at for entry in entries
              if entry["id"] in offered_at]
    return {"parties": parties, "offered": len(offered_at),
            "never_told": parties - len(offered_at),
            "expiry_to_offer_ms": _distribution(delays),
            "order_inversions": await in_thread(count_inversions, show.id)}


def _expire_soon(hold_ids: list[str]) -> float:
    """Make the holds run out together, half a second from now; returns that instant (epoch)."""
    at = timezone.now() + timedelta(seconds=0.5)
    Hold.objects.filter(pk__in=hold_ids).update(expires_at=at)
    ShowSeat.objects.filter(hold_id__in=hold_ids).update(held_until=at)
    return at.timestamp()


def count_inversions(show_id: int) -> int:
    """Pairs of entries where the one who joined later was served first: offered earlier, or
    offered while the earlier one got nothing. (Offers made in one round share an instant.)"""
    line = list(WaitlistEntry.objects.filter(show_id=show_id).order_by("number")
                .values_list("offer__created_at", flat=True))
    return sum(1 for i in range(len(line)) for j in range(i + 1, len(line))
               if line[j] is not None and (line[i] is None or line[j] < line[i]))


# --- S4: live connections on one web process --------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn may fork one worker)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        for child in map(int, text):
            found += [child, *_children(child)]
    return found


async def live_connections(ws_url: str, http_url: str, *, server_pid: int, target: int,
                           batch: int = 500) -> dict:
    [show] = await in_thread(make_shows, 1, rows=15, cols=20, tag="s4")
    seat_grid = await in_thread(seat_rows, show)
    before = rss_bytes(server_pid)
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    readers: list[asyncio.Task] = []
    arrivals: list[float] = []
    failures: dict[str, int] = defaultdict(int)
    everyone_told = asyncio.Event()

    async def read(socket: aiohttp.ClientWebSocketResponse) -> None:
        # Reading all along also answers the server's pings, as a browser does.
        async for message in socket:
            if message.type == aiohttp.WSMsgType.TEXT and '"snapshot"' not in message.data:
                arrivals.append(time.perf_counter())
                if len(arrivals) == len(sockets):
                    everyone_told.set()

    started = time.perf_counter()
    async with aiohttp.ClientSession(ws_url, connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=300)) as session:

        async def connect() -> None:
            try:
                socket = await session.ws_connect(f"/ws/shows/{show.id}/")
                await socket.receive_json(timeout=120)  # the snapshot
            except (TimeoutError, aiohttp.ClientError, OSError, TypeError) as exc:
                failures[type(exc).__name__] += 1
                return
            sockets.append(socket)
            readers.append(asyncio.create_task(read(socket)))

        while len(sockets) < target and sum(failures.values()) < batch:
            await asyncio.gather(*(connect() for _ in range(min(batch, target - len(sockets)))))
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(2)  # let the server settle before reading its memory
        after = rss_bytes(server_pid)
        async with aiohttp.ClientSession(http_url) as client:
            changed_at = time.perf_counter()
            async with client.post(f"/api/v1/shows/{show.id}/holds",
                                   json={"seats": seat_grid[0][:2]}) as response:
                hold_status = response.status
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone_told.wait(), 60)
        for socket in sockets:
            await socket.close()
        for reader in readers:
            reader.cancel()
    delays = [arrival - changed_at for arrival in arrivals]
    return {
        "target": target, "connected": len(sockets), "failures": dict(failures),
        "connect_seconds": round(connect_seconds, 1),
        "server_rss_mb": {"before": round(before / 2**20, 1), "after": round(after / 2**20, 1)},
        "bytes_per_connection": round((after - before) / len(sockets)) if sockets else None,
        "change_hold_status": hold_status,
        "reached": len(arrivals),
        "change_to_client_ms": _distribution(delays),
    }


# --- S5: seat-map reads -----------------------------------------------------------------------


async def seat_map_reads(url: str, *, api_rates: list[int], page_rates: list[int],
                         seconds: float, p99_target_ms: float = 50,
                         give_up_p99_ms: float = 2000) -> dict:
    [show] = await in_thread(make_shows, 1, rows=15, cols=20, tag="s5")
    seat_grid = await in_thread(seat_rows, show)
    async with Clients(url) as clients:
        session = clients.next()
        # A realistic map: some seats held, so the map has every state to draw.
        for row in seat_grid[:5]:
            async with session.post(f"/api/v1/shows/{show.id}/holds",
                                    json={"seats": row[:4]}) as response:
                assert response.status == 201, await response.text()
        results = {}
        for name, path, rates in (("api", f"/api/v1/shows/{show.id}/seats", api_rates),
                                  ("page", f"/shows/{show.id}/", page_rates)):
            await run(clients, [Planned(at, "GET", path) for at in at_rate(50, 1)])  # warm up
            steps = []
            for rate in rates:
                plan = [Planned(at, "GET", path) for at in at_rate(rate, seconds)]
                summary = summarise(await run(clients, plan), rate)
                met = (summary.statuses == {"200": summary.count}
                       and summary.latency_ms["p99"] < p99_target_ms)
                steps.append({**summary.as_dict(), "met_target": met})
                if summary.latency_ms["p99"] > give_up_p99_ms or summary.errors:
                    break
                await asyncio.sleep(1)
            results[name] = {
                "path": path, "steps": steps, "p99_target_ms": p99_target_ms,
                "best_rate_p99_under_target": max(
                    (s["offered_rate"] for s in steps if s["met_target"]), default=0),
                "most_answered_per_s": max((s["answered_per_s"] for s in steps), default=0),
            }
    return results
