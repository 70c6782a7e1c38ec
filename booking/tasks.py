"""The periodic jobs as Celery tasks (beat sends them; see ticketing.jobs). The emails' tasks
are in booking.emails."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from booking.checkout import recover_payments
from booking.holds import expire_holds, next_expiry


@shared_task(ignore_result=True)
def sweep_holds() -> int:
    expired = expire_holds()
    sweep_again_at_the_next_expiry()
    return expired


def sweep_again_at_the_next_expiry() -> None:
    """The beat sweeps every SWEEP_INTERVAL_MS; seats whose hold runs out between two ticks
    would wait up to one for the waiting list. So a sweep also books one more sweep at the next
    expiry due before the next tick: once per instant, however many workers see it (the shared
    cache). Expired is expired at read time anyway; this is about offers going out on time.
    (Zero-setup mode runs tasks inline, where a sweep booked for later cannot wait.)"""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    now = timezone.now()
    soonest = next_expiry(now=now)
    if soonest is None or (soonest - now).total_seconds() >= settings.SWEEP_INTERVAL_SECONDS:
        return
    if cache.add(f"sweep-at:{soonest.timestamp():.3f}", 1, timeout=60):
        sweep_holds.apply_async(eta=soonest + timedelta(milliseconds=5))


@shared_task(ignore_result=True)
def recover_stuck_payments() -> int:
    return recover_payments()
