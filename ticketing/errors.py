"""Errors the services raise; the API and the pages turn them into answers.

Each carries the HTTP status it maps to, a stable ``code`` and a message that says what happened
and what to do next. These are the generic ones every layer uses; an app adds its own (booking:
payment declined, seats unavailable) as subclasses.
"""

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidRequest(DomainError):
    status, code = 400, "invalid"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class Gone(DomainError):
    status, code = 410, "gone"


class LimitReached(DomainError):
    """A per-client cap (active holds, waiting-list entries): 429 with Retry-After."""

    status, code = 429, "limit_reached"


class RateLimited(DomainError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after
