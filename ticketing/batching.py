"""Group commit: requests about the same thing that arrive together are decided together, in
the order they arrived.

Each request's thread hands its item to ``Batcher.submit``. If nobody is deciding that key, the
thread becomes the leader: it takes everything queued for the key, sorts it by arrival, and
decides the lot in one call (for holds: one transaction, one seat-map version, one commit).
Requests that arrive meanwhile queue; when the leader is done, the earliest of them leads the
next batch. So, within one process, a request is never decided after one that arrived later,
unless the later one was already in a batch being decided when it arrived; and a burst costs
one transaction per batch instead of one per request, all queued on the same rows.

The decide function gets the items in arrival order and returns one outcome per item, in the
same order: a value, or an exception, which is raised in that item's own thread.
"""

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Waiting(Generic[Item]):
    item: Item
    arrived: float
    order: int  # ties in arrival broken by the order of submission
    ready: threading.Event = field(default_factory=threading.Event)
    outcome: object = None
    leads: bool = False


class Batcher(Generic[Item, Result]):
    def __init__(self, decide: Callable[[Hashable, Sequence[Item]], Sequence[object]], *,
                 max_batch: int = 100) -> None:
        self._decide = decide
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queues: dict[Hashable, list[_Waiting[Item]]] = {}
        self._leading: set[Hashable] = set()
        self._submitted = 0

    def submit(self, key: Hashable, item: Item, *, arrived: float | None = None) -> Result:
        with self._lock:
            self._submitted += 1
            mine = _Waiting(item, time.time() if arrived is None else arrived, self._submitted)
            self._queues.setdefault(key, []).append(mine)
            mine.leads = key not in self._leading
            self._leading.add(key)
        if not mine.leads:
            mine.ready.wait()
        if mine.leads:  # from the start, or handed on by the previous leader
            self._lead(key, mine)
        if isinstance(mine.outcome, BaseException):
            raise mine.outcome
        return mine.outcome  # type: ignore[return-value]

    def _lead(self, key: Hashable, mine: _Waiting[Item]) -> None:
        with self._lock:
            queued = sorted(self._queues.pop(key), key=lambda w: (w.arrived, w.order))
            # The leader is always in its own batch (it came for its own answer): with more
            # waiting than a batch takes, the earliest others fill the rest.
            others = [waiting for waiting in queued if waiting is not mine]
            batch = sorted([mine, *others[:self._max_batch - 1]],
                           key=lambda w: (w.arrived, w.order))
            later = others[self._max_batch - 1:]
            if later:
                self._queues[key] = later
        try:
            outcomes = list(self._decide(key, [waiting.item for waiting in batch]))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"decided {len(outcomes)} of {len(batch)} items")
        except BaseException as exc:  # handed to every waiting thread
            outcomes = [exc] * len(batch)
        with self._lock:
            for waiting, outcome in zip(batch, outcomes, strict=True):
                waiting.outcome = outcome
                waiting.leads = False
                waiting.ready.set()
            queued = self._queues.get(key)
            if queued:  # threads still waiting: the earliest leads the next batch
                following = min(queued, key=lambda w: (w.arrived, w.order))
                following.leads = True
                following.ready.set()
            else:
                self._leading.discard(key)


class AsyncBatcher(Generic[Item, Result]):
    """The same, for coroutines on one event loop: the first request for a key starts a leader
    task; whatever arrives while its batch is being decided makes the next batch."""

    def __init__(self, decide: Callable[[Hashable, Sequence[Item]], Awaitable[Sequence[object]]],
                 *, max_batch: int = 500) -> None:
        self._decide = decide
        self._max_batch = max_batch
        self._queues: dict[Hashable, list[tuple[float, int, Item, asyncio.Future]]] = {}
        self._leaders: set[asyncio.Task] = set()  # referenced until they finish
        self._submitted = 0

    async def submit(self, key: Hashable, item: Item, *, arrived: float | None = None
                     ) -> Result:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._submitted += 1
        entry = (time.time() if arrived is None else arrived, self._submitted, item, future)
        queue = self._queues.get(key)
        if queue is None:  # nobody leads this key: start a leader (it runs once we yield)
            self._queues[key] = [entry]
            leader = loop.create_task(self._lead(key))
            self._leaders.add(leader)
            leader.add_done_callback(self._leaders.discard)
        else:
            queue.append(entry)
        outcome = await future
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _lead(self, key: Hashable) -> None:
        try:
            while self._queues[key]:
                # A request whose client went away (its future cancelled) is not decided.
                queued = sorted((entry for entry in self._queues[key] if not entry[3].done()),
                                key=lambda entry: entry[:2])
                batch, self._queues[key] = queued[:self._max_batch], queued[self._max_batch:]
                if not batch:
                    continue
                try:
                    outcomes = list(await self._decide(key, [entry[2] for entry in batch]))
                    if len(outcomes) != len(batch):
                        raise RuntimeError(f"decided {len(outcomes)} of {len(batch)} items")
                except Exception as exc:  # handed to every waiting request
                    outcomes = [exc] * len(batch)
                except BaseException:  # cancelled (the server stopping): nobody hangs
                    for entry in batch:
                        if not entry[3].done():
                            entry[3].set_exception(RuntimeError("the server is stopping"))
                    raise
                for entry, outcome in zip(batch, outcomes, strict=True):
                    if not entry[3].done():
                        entry[3].set_result(outcome)
        finally:
            for entry in self._queues.pop(key, []):
                if not entry[3].done():
                    entry[3].set_exception(RuntimeError("the server is stopping"))
