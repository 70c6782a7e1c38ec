"""Helpers the tests share: a JSON client for the API, running jobs at the same instant, and
setting seat states directly (the hold services have their own tests)."""

import json
import threading
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from booking.models import Booking, Hold, ShowSeat
from catalog.models import Show


def put_on_hold(show: Show, labels: list[str], *, minutes: float = 5) -> Hold:
    expires = timezone.now() + timedelta(minutes=minutes)
    hold = Hold.objects.create(show=show, token_hash="-", expires_at=expires, total=0,
                               currency=show.currency)
    rows = ShowSeat.objects.filter(show=show, seat__in=_seats(show, labels))
    rows.update(hold=hold, held_until=expires)
    return hold


def book(show: Show, labels: list[str]) -> Booking:
    hold = put_on_hold(show, labels)
    booking = Booking.objects.create(reference=f"T{hold.pk.hex[:8]}", token_hash="-", show=show,
                                     hold=hold, customer_name="A", customer_email="a@example.com",
                                     total=0, currency=show.currency)
    ShowSeat.objects.filter(hold=hold).update(hold=None, held_until=None, booking=booking)
    Hold.objects.filter(pk=hold.pk).update(state=Hold.State.CONFIRMED)
    return booking


def _seats(show: Show, labels: list[str]):
    wanted = {(label[0], int(label[1:])) for label in labels}
    return [s for s in show.hall.seats.all() if (s.row_label, s.number) in wanted]


class Api:
    """A JSON client for the API, with the bearer token as a keyword."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def _headers(self, token, headers):
        extra = dict(headers or {})
        if token is not None:
            extra["Authorization"] = f"Bearer {token}"
        return extra

    def get(self, url, *, token=None, headers=None):
        return self.client.get(url, headers=self._headers(token, headers))

    def post(self, url, body=None, *, token=None, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(url, data=data, content_type="application/json",
                                headers=self._headers(token, headers))

    def put(self, url, body=None, *, token=None):
        return self.client.put(url, data=json.dumps(body if body is not None else {}),
                               content_type="application/json",
                               headers=self._headers(token, None))

    def delete(self, url, *, token=None):
        return self.client.delete(url, headers=self._headers(token, None))


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same instant (a barrier), each in its own thread."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
