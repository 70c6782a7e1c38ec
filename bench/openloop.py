"""An open workload: requests go out at the instants a schedule gives, whether or not earlier
ones have been answered, and each latency is measured from its scheduled instant. A server
that falls behind therefore shows it in the figures instead of slowing the load down (the
"coordinated omission" of closed-loop generators)."""

import asyncio
import contextlib
import gc
import json
import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httptools


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


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time; httptools (uvicorn's own C
    parser) reads the answers."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.timing = ""
        self.body: list[bytes] = []
        self.open = True
        self.done_at = 0.0  # when the last answer was read
        self.idle_since = time.perf_counter()

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"server-timing":
            self.timing = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.done_at = time.perf_counter()
        waiter, self.waiter = self.waiter, None
        answer = (self.parser.get_status_code(), self.timing, b"".join(self.body))
        self.timing, self.body = "", []
        if not self.parser.should_keep_alive():
            self.open = False
        if waiter is not None and not waiter.done():
            waiter.set_result(answer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionResetError("the server closed the connection"))

    def _fail(self, exc: Exception) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


IDLE_S = 4.0  # a kept-alive connection idle longer than this is not used again
# What a request that got no answer failed with (its name is the sample's error).
FAILED = (TimeoutError, OSError, httptools.HttpParserError, httptools.HttpParserUpgrade)


def _host_port(base_url: str) -> tuple[str, int]:
    host, _, port = base_url.removeprefix("http://").partition(":")
    return host, int(port or 80)


def _wire(item: "Planned", host: str, port: int, headers: dict[str, str] | None = None,
          *, close: bool = False) -> bytes:
    """The request's bytes, encoded before it is due."""
    data = json.dumps(item.body).encode() if item.body is not None else b""
    head = [f"{item.method} {item.path} HTTP/1.1", f"Host: {host}:{port}",
            "Accept: application/json", f"Content-Length: {len(data)}"]
    if data:
        head.append("Content-Type: application/json")
    if close:
        head.append("Connection: close")
    head.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data


@contextlib.contextmanager
def _collector_off():
    """While a load runs: a full collection over thousands of samples pauses this process for
    tens of milliseconds, and every request due meanwhile would go out late and count that
    pause as the server's."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _json(payload: bytes) -> Any:
    """A kept answer's body; None when it is empty or not JSON (an error page)."""
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return None


class Clients:
    """Many keep-alive connections, used in turn (oldest idle first): like many users, they
    spread over every web process. Requests are written to raw sockets and answers read by a
    C parser: an HTTP client library in the same process cost about as much CPU per request
    as the server's database did (0.5 ms, measured), on the same two cores as the server, and
    the figures measured the client. ``next()`` gives an aiohttp session for the few requests
    a scenario makes to set itself up."""

    def __init__(self, base_url: str, *, clients: int = 64, connections: int = 1024,
                 timeout: float = 60) -> None:
        self.host, self.port = _host_port(base_url)
        self.preopen = clients
        self.timeout = timeout
        self.slots = asyncio.Semaphore(connections)
        self.idle: deque[_Connection] = deque()
        self.all: list[_Connection] = []
        self.session = aiohttp.ClientSession(
            base_url, timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"Accept": "application/json"})

    def next(self) -> aiohttp.ClientSession:
        return self.session

    async def _connect(self) -> _Connection:
        _, connection = await asyncio.wait_for(asyncio.get_running_loop().create_connection(
            _Connection, self.host, self.port), self.timeout)
        self.all.append(connection)
        return connection

    async def __aenter__(self) -> "Clients":
        self.idle.extend(await asyncio.gather(*(self._connect() for _ in range(self.preopen))))
        return self

    async def __aexit__(self, *exc) -> None:
        for connection in self.all:
            if connection.transport is not None:
                connection.transport.close()
        await self.session.close()

    async def exchange(self, wire: bytes) -> tuple[float, int, str, bytes, str]:
        """Write one request; its (sent at, status, Server-Timing, body, error): status 0 and
        the error's name when it got no answer."""
        async with self.slots:
            connection = None
            while self.idle and connection is None:
                connection = self.idle.popleft()
                # A server closes a keep-alive connection idle for 5 s (uvicorn's default): one
                # close to that would race the request written to it, and fail it.
                if not connection.open or time.perf_counter() - connection.idle_since > IDLE_S:
                    connection.transport.close()
                    connection = None
            sent = time.perf_counter()
            try:
                if connection is None:
                    connection = await self._connect()
                loop = asyncio.get_running_loop()
                connection.waiter = waiter = loop.create_future()
                connection.transport.write(wire)
                sent = time.perf_counter()
                timer = loop.call_later(self.timeout, connection._fail,
                                        TimeoutError("no answer in time"))
                try:
                    status, timing, body = await waiter
                finally:
                    timer.cancel()
            except FAILED as exc:
                return sent, 0, "", b"", type(exc).__name__
            if connection.open:
                connection.idle_since = time.perf_counter()
                self.idle.append(connection)
            return sent, status, timing, body, ""

    def wire(self, item: "Planned", headers: dict[str, str] | None) -> bytes:
        return _wire(item, self.host, self.port, headers)


async def run(clients: Clients, plan: Iterable[Planned],
              headers: dict[str, str] | None = None) -> list[Sample]:
    """Send every planned request at its instant; return one sample per request, in plan order."""
    loop_start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task] = []

    async def fire(item: Planned) -> Sample:
        sent, status, timing, payload, error = await clients.exchange(clients.wire(item, headers))
        done = time.perf_counter()
        body = _json(payload) if item.keep_body else None
        return Sample(scheduled=item.at, sent=sent - loop_start, done=done - loop_start,
                      status=status, error=error, body=body, arrived=server_arrival(timing))

    with _collector_off():
        for item in plan:
            delay = loop_start + item.at - time.perf_counter()
            if delay > 0:  # (never early: latency counts from the scheduled instant)
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(fire(item)))
        return list(await asyncio.gather(*tasks))


async def released_at_once(base_url: str, plan: Sequence[Planned],
                           connect_concurrency: int = 200) -> list[Sample]:
    """Every planned request on its own connection, all connected first, then written at the
    same instant: a herd released at once. Requests encoded beforehand and written in one pass,
    answers read by the same light protocol as ``Clients`` (a Python HTTP client in the same
    process as 2,000 connections would itself take most of a second to send them, and measure
    itself instead of the server), with the collector off until every answer is in."""
    host, port = _host_port(base_url)
    wires = [_wire(item, host, port, close=True) for item in plan]
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(connect_concurrency)

    async def connect() -> _Connection:
        async with gate:
            _, connection = await loop.create_connection(_Connection, host, port)
            return connection

    connections = await asyncio.gather(*(connect() for _ in plan))
    with _collector_off():
        sent, answers = [], []
        start = time.perf_counter()
        for connection, wire in zip(connections, wires, strict=True):
            connection.waiter = answer = loop.create_future()
            answers.append(answer)
            connection.transport.write(wire)
            sent.append(time.perf_counter() - start)
        samples = []
        for index, connection in enumerate(connections):
            try:
                status, timing, payload = await asyncio.wait_for(answers[index], 60)
                error = ""
            except FAILED as exc:
                status, timing, payload, error = 0, "", b"", type(exc).__name__
                connection.done_at = time.perf_counter()
            connection.transport.close()
            item = plan[index]
            body = _json(payload) if item.keep_body else None
            samples.append(Sample(scheduled=0.0, sent=sent[index],
                                  done=connection.done_at - start, status=status, error=error,
                                  body=body, arrived=server_arrival(timing)))
        return samples
