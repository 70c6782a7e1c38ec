"""Domain errors the services raise; the API and the pages turn them into answers.

Each carries the HTTP status it maps to, a stable ``code`` and a message that says what happened
and what to do next.
"""

from typing import Any


class BookingError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidRequest(BookingError):
    status, code = 400, "invalid"


class PaymentDeclined(BookingError):
    status, code = 402, "payment_declined"


class NotFound(BookingError):
    status, code = 404, "not_found"


class Conflict(BookingError):
    status, code = 409, "conflict"


class SeatsUnavailable(Conflict):
    code = "seats_unavailable"


class Gone(BookingError):
    status, code = 410, "gone"


class LimitReached(BookingError):
    """A per-client cap (active holds, waiting-list entries): 429 with Retry-After."""

    status, code = 429, "limit_reached"


class PaymentUnavailable(BookingError):
    status, code = 503, "payment_unavailable"
