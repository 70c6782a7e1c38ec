"""Prometheus metrics, by Prometheus' own convention for processes that fork.

Scaled out, every process on a host (the web workers, the Celery worker and beat) writes its
figures to memory-mapped files in one directory, ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client
multiprocess mode, as gunicorn, uvicorn and django-prometheus deployments do), and ``/metrics``
on any web process of that host serves the sum of them all. Prometheus scrapes each host and
adds the hosts up. The directory is emptied before a host starts its processes
(``manage.py reset_metrics``), so counters start again from zero, as Prometheus expects after a
restart. In zero-setup mode there is one process and the figures live in its memory.

Recording is best effort: a metrics failure is logged at debug level and never fails a request.
"""

import logging
import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess, values

log = logging.getLogger(__name__)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Kept apart from prometheus_client's default registry, whose process and garbage-collector
# figures describe one process only and would be wrong for a group of them.
_own = CollectorRegistry(auto_describe=True)

_COUNTERS: dict[str, Counter] = {
    counter._name: counter for counter in (
        Counter("http_requests", "HTTP requests by method, route and status",
                ["method", "route", "status"], registry=_own),
        Counter("ticketing_holds_created", "Holds created (committed)", registry=_own),
        Counter("ticketing_hold_conflicts", "Hold attempts refused because a seat was taken",
                registry=_own),
        Counter("ticketing_line_late", "Requests that reached a shared line (ticketing.line) "
                "after one stamped later was decided", registry=_own),
        Counter("ticketing_holds_expired", "Holds that ran out", registry=_own),
        Counter("ticketing_holds_released", "Holds released by their owner", registry=_own),
        Counter("ticketing_bookings", "Bookings, by state reached (confirmed, cancelled)",
                ["state"], registry=_own),
        Counter("ticketing_payments", "Payment attempts by outcome", ["outcome"],
                registry=_own),
        Counter("ticketing_waitlist_joins", "Waiting-list joins", registry=_own),
        Counter("ticketing_waitlist_offers", "Offers made to the head of a waiting list",
                registry=_own),
        Counter("ticketing_room_joins", "Places taken in waiting rooms", registry=_own),
        Counter("ticketing_room_admissions", "Visitors let in from waiting rooms",
                registry=_own),
    )
}
_HISTOGRAMS: dict[str, Histogram] = {
    histogram._name: histogram for histogram in (
        Histogram("http_request_duration_seconds", "Time to answer an HTTP request",
                  ["method", "route"], buckets=BUCKETS, registry=_own),
        Histogram("ticketing_offer_delay_seconds",
                  "From seats freeing up to the offer being sent", buckets=BUCKETS,
                  registry=_own),
    )
}


def shared_directory() -> Path | None:
    """Where this host's processes write their figures, or None in a one-process setup."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(directory) if directory else None


if shared_directory() is not None and not values.ValueClass.__name__.startswith("MmapedValue"):
    # prometheus_client picks its storage when first imported: set the variable before that.
    log.warning("PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported; "
                "this process's figures are its own")


def registry() -> CollectorRegistry:
    """What ``/metrics`` serves: every process of this host, or this one process."""
    if shared_directory() is None:
        return _own
    collected = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(collected)
    return collected


def reset_shared_directory() -> int:
    """Empty the shared directory (made if missing); run before a host starts its processes,
    never while they run (a running process keeps writing to the file it has open)."""
    directory = shared_directory()
    if directory is None:
        return 0
    directory.mkdir(parents=True, exist_ok=True)
    removed = 0
    for path in directory.glob("*.db"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def inc(name: str, amount: float = 1, **labels: str) -> None:
    try:
        _child(_COUNTERS[name], labels).inc(amount)
    except (OSError, ValueError):
        log.debug("metric %s not recorded", name, exc_info=True)


def observe(name: str, seconds: float, **labels: str) -> None:
    try:
        _child(_HISTOGRAMS[name], labels).observe(seconds)
    except (OSError, ValueError):
        log.debug("metric %s not recorded", name, exc_info=True)


# (metric name, label values) -> the metric's child for them. prometheus_client checks and
# looks the labels up under a lock on every ``labels()``; under 2,000 requests a second that
# was a tenth of a seat-map read. Label values here come from routes and statuses, a few dozen.
_children: dict[tuple, object] = {}


def _child(metric, labels: dict[str, str]):
    if not labels:
        return metric
    key = (metric._name, *labels.items())
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(**labels)
    return child


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    inc("http_requests", method=method, route=route, status=str(status))
    observe("http_request_duration_seconds", seconds, method=method, route=route)
