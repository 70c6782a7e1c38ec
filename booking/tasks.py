"""The periodic jobs as Celery tasks (beat sends them; see ticketing.jobs). The emails' tasks
are in booking.emails."""

from celery import shared_task

from booking.checkout import recover_payments
from booking.holds import expire_holds


@shared_task(ignore_result=True)
def sweep_holds() -> int:
    return expire_holds()


@shared_task(ignore_result=True)
def recover_stuck_payments() -> int:
    return recover_payments()
