"""The request id: set per request (or per Celery task), attached to every log record."""

import contextvars
import itertools
import logging
import os
import re

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# Made ids: this process's random prefix and a count, 32 hex digits like a UUID's. Unique, not
# secret (they only tie log lines together), and no system call per request as uuid4 was.
_PREFIX = os.urandom(8).hex()
_count = itertools.count(1)


def _new_prefix() -> None:  # a forked child (Celery's pool) counts under its own
    global _PREFIX, _count
    _PREFIX, _count = os.urandom(8).hex(), itertools.count(1)


os.register_at_fork(after_in_child=_new_prefix)


def new_request_id(incoming: str | None = None) -> str:
    """Keep a well-formed id from the load balancer; otherwise make one."""
    if incoming and _SAFE.match(incoming):
        return incoming
    return f"{_PREFIX}{next(_count):016x}"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True
