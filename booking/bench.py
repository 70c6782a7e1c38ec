"""A load generator for the hold endpoint: many concurrent clients against a running server.

Each client keeps one keep-alive connection and loops: hold 1-4 random seats among the show's
seats (or only the first ``hot`` seats, for contention), and release what it got so inventory
keeps turning over. Latency is measured per request; afterwards the database is checked.
"""

import http.client
import json
import random
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.db.models import Count
from django.utils import timezone

from booking.models import BookingSeat, Hold, ShowSeat
from catalog.importer import load_catalog
from catalog.models import Show


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def make_bench_show(rows: int = 20, cols: int = 30) -> Show:
    """A fresh show in a hall of its own, so every run starts from an empty inventory."""
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    labels = [letters[i % 24] * (1 + i // 24) for i in range(rows)]
    starts = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    load_catalog({
        "cities": [{"slug": "bench", "name": "Bench"}],
        "movies": [{"slug": "bench-movie", "title": "Bench Movie", "duration_minutes": 90}],
        "cinemas": [{"slug": "bench-cinema", "city": "bench", "name": "Bench Cinema",
                     "timezone": "UTC",
                     "halls": [{"name": f"Hall {stamp}",
                                "layout": [f"{label}: {'s' * cols}" for label in labels]}]}],
        "shows": [{"movie": "bench-movie", "cinema": "bench-cinema", "hall": f"Hall {stamp}",
                   "starts_at": starts.isoformat(), "currency": "USD",
                   "prices": {"standard": "10.00"}}],
    })
    return Show.objects.get(hall__name=f"Hall {stamp}")


def run_clients(*, url: str, show_id: int, seat_ids: list[int], clients: int, requests: int,
                max_seats: int, release: bool, seed: int = 1) -> Figures:
    figures = Figures()
    lock = threading.Lock()
    remaining = [requests]
    parts = urlsplit(url)
    barrier = threading.Barrier(clients)

    def take() -> bool:
        with lock:
            if remaining[0] <= 0:
                return False
            remaining[0] -= 1
            return True

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        barrier.wait()
        while take():
            wanted = rng.sample(seat_ids, rng.randint(1, min(max_seats, len(seat_ids))))
            body = json.dumps({"seats": wanted})
            started = time.perf_counter()
            try:
                conn.request("POST", f"/api/v1/shows/{show_id}/holds", body,
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    figures.errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
                continue
            latency = time.perf_counter() - started
            with lock:
                figures.latencies.append(latency)
                figures.statuses[response.status] += 1
            if response.status == 201 and release:
                hold = json.loads(payload)
                conn.request("DELETE", f"/api/v1/holds/{hold['id']}",
                             headers={"Authorization": f"Bearer {hold['token']}"})
                conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.elapsed = time.perf_counter() - started
    return figures


def check_invariants(show: Show) -> list[str]:
    """What must hold after any load: returns the problems found (none, hopefully)."""
    problems = []
    now = timezone.now()
    live = {h.pk: h for h in Hold.objects.filter(show=show, state__in=["active", "paying"],
                                                 expires_at__gt=now)}
    for row in ShowSeat.objects.filter(show=show, hold__isnull=False, held_until__gt=now):
        if row.hold_id not in live:
            problems.append(f"seat {row.seat_id} held by a hold that is not live")
    for hold in live.values():
        owned = sorted(ShowSeat.objects.filter(hold=hold).values_list("seat_id", flat=True))
        if owned != sorted(seat["id"] for seat in hold.seats):
            problems.append(f"hold {hold.pk} owns {owned}, its receipt says otherwise")
    doubles = (BookingSeat.objects.filter(booking__show=show, active=True)
               .values("show_seat").annotate(n=Count("id")).filter(n__gt=1))
    problems += [f"seat row {d['show_seat']} sold {d['n']} times" for d in doubles]
    return problems


def report(figures: Figures) -> str:
    n = len(figures.latencies)
    lines = [
        f"requests      {n} in {figures.elapsed:.2f}s "
        f"({n / figures.elapsed if figures.elapsed else 0:.0f} decisions/s)",
        f"held (201)    {figures.statuses[201]}"
        f"  ({figures.statuses[201] / figures.elapsed if figures.elapsed else 0:.0f} holds/s)",
        f"conflicts     {figures.statuses[409]} (409: seats taken)",
        f"other         {dict((k, v) for k, v in figures.statuses.items() if k not in (201, 409))}"
        f" errors {dict(figures.errors)}",
        "latency ms    p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  max {:.1f}  mean {:.1f}".format(
            *(figures.percentile(p) * 1000 for p in (50, 90, 99, 100)),
            statistics.mean(figures.latencies) * 1000 if n else 0),
    ]
    return "\n".join(lines)
