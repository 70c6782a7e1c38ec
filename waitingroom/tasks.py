from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from waitingroom import services


@shared_task(ignore_result=True)
def admit(show_id: int) -> int:
    return len(services.admit(show_id=show_id))


@shared_task(ignore_result=True)
def admit_all() -> int:
    opened = services.admit_all()
    open_again_at_the_instant()
    return opened


def open_again_at_the_instant() -> None:
    """The job runs every second; a room whose on-sale instant falls between two runs would
    make its draw up to a second late (and tell its thousands their places that much later).
    So each run also books the opening of every room due in the next few seconds at its instant:
    once per instant, however many workers see it (the shared cache). The instant is judged
    at read time anyway; this is about the draw going out on time. (Zero-setup mode runs
    tasks inline, where a task booked for later cannot wait.)"""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    now = timezone.now()
    # A few seconds ahead, not one: a run that starts late must not leave an instant unbooked.
    for show_id, at in services.opening_soon(now=now, within=timedelta(seconds=5)):
        if cache.add(f"room-opens:{show_id}:{at.timestamp():.3f}", 1, timeout=60):
            admit.apply_async((show_id,), eta=at)
