"""An open workload: requests go out at the instants a schedule gives, whether or not earlier
ones have been answered, and each latency is measured from its scheduled instant. A server
that falls behind therefore shows it in the figures instead of slowing the load down (the
"coordinated omission" of closed-loop generators)."""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Planned:
    at: float  # seconds after the start
    method: str
    path: str
    body: Any = None  # sent as JSON when not None
    keep_body: bool = False


@dataclass
class Sample:
    scheduled: float  # all instants in seconds after the start
    sent: float  # when the request's headers were written (arrival order, for fairness)
    done: float
    status: int  # 0 when the request failed without an answer
    error: str = ""
    body: Any = None
    arrived: float | None = None  # the server's stamp (Server-Timing: arrival), Unix time

    @property
    def latency(self) -> float:
        return self.done - self.scheduled


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil(n * p / 100), at least the first
    return ordered[min(len(ordered), int(rank)) - 1]


@dataclass
class Summary:
    offered_rate: float
    count: int
    duration: float
    statuses: dict[str, int]
    errors: dict[str, int]
    latency_ms: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.count / self.duration if self.duration else 0.0

    def as_dict(self) -> dict:
        return {"offered_rate": self.offered_rate, "requests": self.count,
                "answered_per_s": round(self.throughput, 1), "statuses": self.statuses,
                "errors": self.errors, "latency_ms": self.latency_ms}


def summarise(samples: Sequence[Sample], offered_rate: float) -> Summary:
    latencies = [s.latency for s in samples]
    duration = max((s.done for s in samples), default=0) - min((s.scheduled for s in samples),
                                                                default=0)
    return Summary(
        offered_rate=offered_rate, count=len(samples), duration=duration,
        statuses={str(k): v for k, v in sorted(Counter(s.status for s in samples).items())},
        errors=dict(Counter(s.error for s in samples if s.error)),
        latency_ms={name: round(percentile(latencies, p) * 1000, 1)
                    for name, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9),
                                    ("max", 100))},
    )


def server_arrival(timing: str) -> float | None:
    """The arrival stamp in a Server-Timing header (``arrival;desc="<Unix time>"``)."""
    for metric in timing.split(","):
        name, _, params = metric.strip().partition(";")
        if name == "arrival" and params.startswith('desc="'):
            return float(params[len('desc="'):].rstrip('"'))
    return None


def at_rate(rate: float, seconds: float) -> list[float]:
    """Evenly spaced instants: ``rate`` per second for ``seconds``."""
    return [i / rate for i in range(int(rate * seconds))]


def _tracing() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()

    async def headers_sent(session, context, params) -> None:
        if context.trace_request_ctx is not None:
            context.trace_request_ctx.sent = time.perf_counter()

    trace.on_request_headers_sent.append(headers_sent)
    return trace


class Clients:
    """Many independent clients, each with its own keep-alive connections, used in turn: like
    many users, they spread over every web process (one client alone would keep reusing one
    connection, and so one process)."""

    def __init__(self, base_url: str, *, clients: int = 64, connections: int = 1024,
                 timeout: float = 60) -> None:
        per_client = max(1, connections // clients)
        self.sessions = [
            aiohttp.ClientSession(
                base_url, connector=aiohttp.TCPConnector(limit=per_client, ttl_dns_cache=None),
                trace_configs=[_tracing()], timeout=aiohttp.ClientTimeout(total=timeout),
                headers={"Accept": "application/json"})
            for _ in range(clients)]
        self.turn = 0

    def next(self) -> aiohttp.ClientSession:
        self.turn = (self.turn + 1) % len(self.sessions)
        return self.sessions[self.turn]

    async def __aenter__(self) -> "Clients":
        return self

    async def __aexit__(self, *exc) -> None:
        await asyncio.gather(*(session.close() for session in self.sessions))


async def run(clients: Clients, plan: Iterable[Planned],
              headers: dict[str, str] | None = None) -> list[Sample]:
    """Send every planned request at its instant; return one sample per request, in plan order."""
    loop_start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task] = []

    async def fire(item: Planned) -> Sample:
        session = clients.next()
        trace = SimpleNamespace(sent=0.0)
        data = json.dumps(item.body) if item.body is not None else None
        request_headers = {**(headers or {})}
        if data is not None:
            request_headers["Content-Type"] = "application/json"
        try:
            async with session.request(item.method, item.path, data=data,
                                       headers=request_headers,
                                       trace_request_ctx=trace) as response:
                payload = await response.read()
                status = response.status
                arrived = server_arrival(response.headers.get("Server-Timing", ""))
            error = ""
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            payload, status, error, arrived = b"", 0, type(exc).__name__, None
        done = time.perf_counter()
        body = json.loads(payload) if item.keep_body and payload else None
        return Sample(scheduled=item.at, sent=(trace.sent or done) - loop_start,
                      done=done - loop_start, status=status, error=error, body=body,
                      arrived=arrived)

    for item in plan:
        delay = loop_start + item.at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(item)))
    return list(await asyncio.gather(*tasks))


async def released_at_once(base_url: str, plan: Sequence[Planned],
                           connect_concurrency: int = 200) -> list[Sample]:
    """Every planned request on its own connection, all connected first, then written at the
    same instant: a herd released at once. Raw HTTP/1.1 over asyncio streams, requests encoded
    beforehand: a Python HTTP client in the same process as 2,000 connections would itself take
    most of a second to send them, and measure itself instead of the server."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    wires = []
    for item in plan:
        data = json.dumps(item.body).encode() if item.body is not None else b""
        wires.append(f"{item.method} {item.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Accept: application/json\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                     + data)
    gate = asyncio.Semaphore(connect_concurrency)

    async def connect():
        async with gate:
            return await asyncio.open_connection(host, int(port))

    streams = await asyncio.gather(*(connect() for _ in plan))
    start = time.perf_counter()

    async def exchange(index: int) -> Sample:
        reader, writer = streams[index]
        writer.write(wires[index])
        sent = time.perf_counter() - start
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (line.partition(":") for line in lines[1:] if line)}
            payload = await reader.readexactly(int(headers.get("content-length", "0")))
            error = ""
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status, headers, payload, error = 0, {}, b"", type(exc).__name__
        done = time.perf_counter() - start
        writer.close()
        item = plan[index]
        body = json.loads(payload) if item.keep_body and payload else None
        return Sample(scheduled=0.0, sent=sent, done=done, status=status, error=error,
                      body=body, arrived=server_arrival(headers.get("server-timing", "")))

    return list(await asyncio.gather(*(exchange(i) for i in range(len(plan)))))
