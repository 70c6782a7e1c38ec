"""The sweeper: expired holds are tidied within a second or so, by the beat or in-process."""

import asyncio
import time
from datetime import timedelta

import pytest
from asgiref.testing import ApplicationCommunicator
from django.utils import timezone

from booking.models import Hold, ShowSeat
from booking.tasks import recover_stuck_payments, sweep_holds
from tests.factories import ShowFactory
from tests.helpers import put_on_hold
from ticketing.asgi import application
from ticketing.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_schedule_runs_the_sweeper_every_half_second_and_recovery():
    celery_app.loader.import_default_modules()
    schedule = celery_app.conf.beat_schedule
    assert schedule["sweep-holds"] == {"task": "booking.tasks.sweep_holds", "schedule": 0.5}
    assert schedule["recover-stuck-payments"]["task"] == "booking.tasks.recover_stuck_payments"
    celery_app.loader.import_default_modules()
    assert {"booking.tasks.sweep_holds", "booking.tasks.recover_stuck_payments"} <= set(
        celery_app.tasks)


def test_sweep_task_expires_holds():
    show = ShowFactory()
    expired = put_on_hold(show, ["A1"], minutes=-0.1)
    live = put_on_hold(show, ["A2"])
    assert sweep_holds.apply().result == 1  # eager, as zero-setup runs it
    expired.refresh_from_db()
    assert expired.state == "expired" and not ShowSeat.objects.filter(hold=expired).exists()
    assert Hold.objects.get(pk=live.pk).state == "active"
    assert recover_stuck_payments.apply().result == 0


def test_zero_setup_server_sweeps_by_itself(settings):
    settings.IN_PROCESS_SWEEPER = True
    settings.SWEEP_INTERVAL_SECONDS = 0.2
    show = ShowFactory()
    hold = put_on_hold(show, ["A1"], minutes=1 / 60)  # one second

    async def scenario():
        server = ApplicationCommunicator(application, {"type": "lifespan"})
        await server.send_input({"type": "lifespan.startup"})
        assert (await server.receive_output(5))["type"] == "lifespan.startup.complete"
        await asyncio.sleep(2.5)
        await server.send_input({"type": "lifespan.shutdown"})
        assert (await server.receive_output(5))["type"] == "lifespan.shutdown.complete"

    started = time.monotonic()
    asyncio.run(scenario())
    hold.refresh_from_db()
    assert hold.state == "expired", "swept within about a second of expiring"
    assert time.monotonic() - started < 10
    assert hold.expires_at < timezone.now() - timedelta(seconds=0)


def test_a_sweep_books_one_more_at_an_expiry_due_before_the_next_tick(settings, monkeypatch):
    """Scaled out, seats whose hold runs out between two beat ticks reach the waiting list at
    the expiry itself, not up to a tick later: the sweep before books a sweep for then, once."""
    from booking import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    booked: list = []
    monkeypatch.setattr(tasks.sweep_holds, "apply_async", lambda **kw: booked.append(kw))
    show = ShowFactory()
    soon = put_on_hold(show, ["A1"], minutes=0.2 / 60)  # runs out in 200 ms
    put_on_hold(show, ["A2"])  # five minutes: the beat's ticks will see to it
    tasks.sweep_again_at_the_next_expiry()
    tasks.sweep_again_at_the_next_expiry()  # a second worker, or the next tick: no duplicate
    assert len(booked) == 1 and booked[0]["eta"] >= soon.expires_at
    Hold.objects.filter(pk=soon.pk).update(state="released")
    tasks.sweep_again_at_the_next_expiry()  # the next expiry is beyond the next tick
    assert len(booked) == 1
