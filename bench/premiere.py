"""S6, a premiere: ``visitors`` join a show's waiting room before it opens (open loop, over
``join_seconds``), each watching its own live feed; at the on-sale instant everyone must be
told their place (target: within 2 s); admissions then run at the room's configured rate
(``admit_per_minute``) for ``watch_seconds``, and the show's fairness log must show none out
of order and none twice."""

import asyncio
import contextlib
import json
import time
from collections import Counter
from datetime import datetime, timedelta

import aiohttp
from django.utils import timezone

from bench.catalog import make_shows
from bench.openloop import Clients, Planned, at_rate, run, summarise
from bench.scenarios import _distribution, in_thread, rss_bytes
from catalog.models import Show
from catalog.services import put_on_sale
from ticketing import chain
from waitingroom.fairness import published_report
from waitingroom.models import Room


def _premiere(admit_per_minute: int) -> Show:
    [show] = make_shows(1, rows=20, cols=25, tag="s6")
    # Far enough ahead that the room is open (it opens 15 minutes before) but sales are not:
    # the instant is set once every visitor is watching (``_open_in``).
    [show] = put_on_sale(shows=[show], on_sale_at=timezone.now() + timedelta(minutes=10),
                         waiting_room=True)
    Room.objects.filter(pk=show.pk).update(choosing_at_once=100_000,
                                           admit_per_minute=admit_per_minute)
    return show


def _open_in(show_id: int, seconds: float) -> float:
    at = timezone.now() + timedelta(seconds=seconds)
    Show.objects.filter(pk=show_id).update(on_sale_at=at)
    return at.timestamp()


def _checked(show_id: int) -> dict:
    report = published_report(Show.objects.get(pk=show_id))
    revealed = next((record["at"] for record in chain.published(chain.show_stream(show_id))
                     if record["kind"] == "revealed"), None)
    return {**{name: report["check"][name] for name in
               ("ok", "joined", "drawn", "admitted", "admitted_out_of_order", "admitted_twice")},
            "revealed_at": None if revealed is None else datetime.fromisoformat(revealed)
            .timestamp()}


async def premiere_room(url: str, *, visitors: int = 10_000, join_seconds: float = 50,
                        admit_per_minute: int = 600, watch_seconds: float = 20,
                        http_url: str | None = None, server_pid: int | None = None,
                        batch: int = 500) -> dict:
    show = await in_thread(_premiere, admit_per_minute)
    room_path = f"/api/v1/shows/{show.id}/room"
    async with Clients(http_url or url, clients=16, connections=128) as clients:
        joins = await run(clients, [Planned(at, "POST", room_path, keep_body=True)
                                    for at in at_rate(visitors / join_seconds, join_seconds)])
    joined = [sample.body for sample in joins if sample.status == 201]
    before = rss_bytes(server_pid) if server_pid else 0
    placed: dict[str, float] = {}
    turns: dict[str, float] = {}
    failures: Counter[str] = Counter()
    examples: dict[str, str] = {}
    ready = asyncio.Event()
    watching = [0]

    async def watch(session: aiohttp.ClientSession, visitor: dict) -> None:
        try:
            socket = await session.ws_connect(f"/ws/room/{visitor['public_id']}/")
            await socket.send_json({"token": visitor["token"]})
            await socket.receive_json(timeout=120)  # before the opening: no place yet
        except (TimeoutError, aiohttp.ClientError, OSError, TypeError) as exc:
            failures[type(exc).__name__] += 1
            examples.setdefault(type(exc).__name__, str(exc)[:200])
            return
        watching[0] += 1
        if watching[0] + sum(failures.values()) >= len(joined):
            ready.set()
        async with contextlib.aclosing(_messages(socket)) as messages:
            async for message in messages:
                if message.get("place") is not None:
                    placed.setdefault(visitor["public_id"], time.time())
                if message.get("state") == "your_turn":
                    turns[visitor["public_id"]] = time.time()

    started = time.perf_counter()
    async with aiohttp.ClientSession(url, connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=None)) as session:
        tasks = []
        for first in range(0, len(joined), batch):
            tasks += [asyncio.create_task(watch(session, visitor))
                      for visitor in joined[first:first + batch]]
            await asyncio.sleep(0.2)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), 300)
        connect_seconds = time.perf_counter() - started
        await asyncio.sleep(2)
        after = rss_bytes(server_pid) if server_pid else 0
        opened_at = await in_thread(_open_in, show.id, 3)
        await asyncio.sleep(3 + watch_seconds)
        for task in tasks:
            task.cancel()
    log = await in_thread(_checked, show.id)
    revealed_at = log.pop("revealed_at")
    told = [at - opened_at for at in placed.values()]
    let_in = sorted(turns.values())
    rate = ((len(let_in) - 1) / (let_in[-1] - let_in[0]) * 60
            if len(let_in) > 1 and let_in[-1] > let_in[0] else None)
    return {
        "visitors": visitors, "join_seconds": join_seconds,
        "joins": summarise(joins, visitors / join_seconds).as_dict(),
        "watching": watching[0], "socket_failures": dict(failures),
        "socket_failure_examples": examples,
        "connect_seconds": round(connect_seconds, 1),
        "bytes_per_waiting_socket": round((after - before) / watching[0])
        if server_pid and watching[0] else None,
        "told_place": len(placed), "never_told": len(joined) - len(placed),
        "opening_to_place_ms": _distribution(told),
        "admit_per_minute": admit_per_minute, "let_in_seen": len(let_in),
        "let_in_per_minute": None if rate is None else round(rate, 1),
        # How much of the wait is the draw being made (the job's tick) and how much telling.
        "opening_to_draw_ms": None if revealed_at is None else round(
            (revealed_at - opened_at) * 1000, 1),
        "log": log,
    }


async def _messages(socket: aiohttp.ClientWebSocketResponse):
    async for message in socket:
        if message.type == aiohttp.WSMsgType.TEXT:
            yield json.loads(message.data)
