"""Caches every layer may use: a small in-process memory of recent values, and the process-wide
client of the shared cache (Redis in production, memory in zero-setup mode)."""

import functools
import logging
import threading
from collections import OrderedDict

from django.core.cache import BaseCache, caches

log = logging.getLogger(__name__)


class Recent:
    """The last few values read in this process, by key, most recent kept."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[object, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


@functools.cache
def shared_cache() -> BaseCache:
    """One cache client for the whole process. ``django.core.cache.cache`` is a client per
    async context: every websocket consumer reading a map through it opened (and kept) a Redis
    connection of its own, until Redis refused clients at 10,000."""
    return caches.create_connection("default")


def shared_get(key: str):
    """The shared cache's value, or None, also when the cache is down (that costs a query)."""
    try:
        return shared_cache().get(key)
    except Exception:
        return None


def shared_set(key: str, value, *, timeout: float) -> None:
    try:
        shared_cache().set(key, value, timeout=timeout)
    except Exception:
        log.debug("%s not cached: cache unavailable", key.partition(":")[0])
