"""Prometheus metrics that add up across every process: web, workers and beat.

Counters and histograms are kept in one Redis hash (``HINCRBYFLOAT``), so any web process can
serve ``/metrics`` with the figures of all of them, whichever host they run on; each process
adds up in memory and flushes once a second. In zero-setup mode they live in memory in the one
process. Recording is best effort: a metrics failure is logged at debug level and never fails
a request.
"""

import atexit
import json
import logging
import os
import threading
import time
from collections import defaultdict

import redis
from django.conf import settings
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

log = logging.getLogger(__name__)
KEY = "ticketing:metrics"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

COUNTERS = {
    "http_requests": "HTTP requests by method, route and status",
    "ticketing_holds_created": "Holds created (committed)",
    "ticketing_hold_conflicts": "Hold attempts refused because a seat was taken",
    "ticketing_holds_expired": "Holds that ran out",
    "ticketing_holds_released": "Holds released by their owner",
    "ticketing_bookings": "Bookings, by state reached (confirmed, cancelled)",
    "ticketing_payments": "Payment attempts by outcome",
    "ticketing_waitlist_joins": "Waiting-list joins",
    "ticketing_waitlist_offers": "Offers made to the head of a waiting list",
}
HISTOGRAMS = {
    "http_request_duration_seconds": "Time to answer an HTTP request",
    "ticketing_offer_delay_seconds": "From seats freeing up to the offer being sent",
}


class _MemoryStore:
    def __init__(self) -> None:
        self.values: dict[str, float] = defaultdict(float)
        self.lock = threading.Lock()

    def add(self, increments: dict[str, float]) -> None:
        with self.lock:
            for field, amount in increments.items():
                self.values[field] += amount

    def read(self) -> dict[str, float]:
        with self.lock:
            return dict(self.values)


class _RedisStore:
    """Adds up in memory and flushes to Redis once a second from a background thread, so a
    request pays a dictionary update instead of a network round trip."""

    FLUSH_SECONDS = 1.0

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self.pending: dict[str, float] = defaultdict(float)
        self.lock = threading.Lock()
        self.flusher_pid: int | None = None

    def add(self, increments: dict[str, float]) -> None:
        with self.lock:
            for field, amount in increments.items():
                self.pending[field] += amount
        if self.flusher_pid != os.getpid():  # one flusher per process (workers fork)
            self._start_flusher()

    def _start_flusher(self) -> None:
        with self.lock:
            if self.flusher_pid == os.getpid():
                return
            self.flusher_pid = os.getpid()
        threading.Thread(target=self._flush_forever, name="metrics-flush", daemon=True).start()
        atexit.register(self.flush)

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.FLUSH_SECONDS)
            self.flush()

    def flush(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, defaultdict(float)
        if not batch:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for field, amount in batch.items():
                pipe.hincrbyfloat(KEY, field, amount)
            pipe.execute()
        except redis.RedisError:
            log.debug("metrics flush failed; %d figures dropped", len(batch))

    def read(self) -> dict[str, float]:
        self.flush()  # this process's latest figures, then everyone's
        return {k.decode(): float(v) for k, v in self.client.hgetall(KEY).items()}


_store: _MemoryStore | _RedisStore | None = None


def store() -> _MemoryStore | _RedisStore:
    global _store
    if _store is None:
        _store = _RedisStore(settings.REDIS_URL) if settings.REDIS_URL else _MemoryStore()
    return _store


def _field(name: str, labels: dict[str, str]) -> str:
    return f"{name}|{json.dumps(sorted(labels.items()))}"


def _add(increments: dict[str, float]) -> None:
    try:
        store().add(increments)
    except redis.RedisError:
        log.debug("metrics not recorded: Redis unavailable")


def inc(name: str, amount: float = 1, **labels: str) -> None:
    _add({_field(name, labels): amount})


def observe(name: str, seconds: float, **labels: str) -> None:
    increments = {_field(f"{name}:sum", labels): seconds, _field(f"{name}:count", labels): 1}
    for bound in (*BUCKETS, float("inf")):
        if seconds <= bound:
            increments[_field(f"{name}:le", {**labels, "le": str(bound)})] = 1
    _add(increments)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    fields = {_field("http_requests", {"method": method, "route": route,
                                       "status": str(status)}): 1}
    labels = {"method": method, "route": route}
    fields[_field("http_request_duration_seconds:sum", labels)] = seconds
    fields[_field("http_request_duration_seconds:count", labels)] = 1
    for bound in (*BUCKETS, float("inf")):
        if seconds <= bound:
            fields[_field("http_request_duration_seconds:le",
                          {**labels, "le": str(bound)})] = 1
    _add(fields)


class StoreCollector:
    """Builds the metric families from the shared store at scrape time."""

    def collect(self):
        values = store().read()
        parsed: dict[str, list[tuple[dict, float]]] = defaultdict(list)
        for field, value in values.items():
            name, _, labels = field.partition("|")
            parsed[name].append((dict(json.loads(labels)), value))
        for name, help_text in COUNTERS.items():
            rows = parsed.get(name, [])
            keys = sorted({k for labels, _ in rows for k in labels})
            family = CounterMetricFamily(name, help_text, labels=keys)
            for labels, value in rows:
                family.add_metric([labels.get(k, "") for k in keys], value)
            yield family
        for name, help_text in HISTOGRAMS.items():
            yield from _histogram(name, help_text, parsed)


def _histogram(name: str, help_text: str, parsed: dict) -> list:
    counts = {tuple(sorted(labels.items())): value for labels, value in parsed.get(
        f"{name}:count", [])}
    sums = {tuple(sorted(labels.items())): value for labels, value in parsed.get(
        f"{name}:sum", [])}
    buckets: dict[tuple, dict[str, float]] = defaultdict(dict)
    for labels, value in parsed.get(f"{name}:le", []):
        le = labels.pop("le")
        buckets[tuple(sorted(labels.items()))][le] = value
    keys = sorted({k for series in counts for k, _ in series})
    family = HistogramMetricFamily(name, help_text, labels=keys)
    for series, count in counts.items():
        given = buckets.get(series, {})
        cumulative = [(str(b) if b != float("inf") else "+Inf", given.get(str(b), 0.0))
                      for b in (*BUCKETS, float("inf"))]
        cumulative[-1] = ("+Inf", count)
        labels = dict(series)
        family.add_metric([labels.get(k, "") for k in keys], cumulative, sums.get(series, 0.0))
    return [family]
