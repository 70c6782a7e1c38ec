"""Background tidying: the one function both the Celery beat and the zero-setup loop run."""

import logging
import time

from django.conf import settings

from booking.checkout import recover_payments
from booking.services import expire_holds
from ticketing.idempotency import forget_old_requests

log = logging.getLogger(__name__)
_last_recovery = 0.0


def sweep() -> int:
    """Expire holds past their time, then serve every waiting line (the backstop for an
    after-commit trigger that was lost, e.g. a process killed right after its commit)."""
    from waitlist.services import serve_all_lines  # the waiting list builds on bookings

    ran_out: dict[int, float] = {}
    expired = expire_holds(ran_out=ran_out)
    serve_all_lines(freed_at=ran_out)
    return expired


def run_maintenance() -> None:
    """One tick of the in-process loop: sweep every second, recover payments every
    RECOVERY_INTERVAL_SECONDS."""
    global _last_recovery
    swept = sweep()
    if swept:
        log.info("expired %d holds", swept)
    if time.monotonic() - _last_recovery >= settings.RECOVERY_INTERVAL_SECONDS:
        _last_recovery = time.monotonic()
        recover_payments()
        forget_old_requests()
