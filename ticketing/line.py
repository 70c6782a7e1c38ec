"""One line per key for every web process: requests about the same thing (holds of one show)
are decided by one process at a time, in the order they reached the servers.

A process's own batcher (``ticketing.batching``) keeps arrival order within the process. With
several processes behind one port, each decided its own batches and the batches of one show
raced: a request could lose to one that reached the other process later (first come, first
served measured 58% with two processes). Here each process puts its requests in one Redis sorted
set per key, scored by their arrival stamps (``ticketing.arrival``), and the process holding the
key's lease decides them: it takes, in stamp order, everything that arrived up to ``grace`` ago,
decides it as one batch, and sends every other process its answers over its own Pub/Sub channel.

The bound: a request that reaches the line more than ``grace`` after its stamp (its process or
Redis stalled that long) can be decided after requests stamped later; the decider counts those
(``ticketing_line_late``). The lease is taken by whoever adds to an unleased line (each taking
is its own token, so one decider never mistakes another's lease for its own), renewed while
its decider works, and given up in the same script that finds the line empty, so no request is
ever left in a line nobody decides. A decider that dies leaves its lease to expire
(``LEASE_MS``); the processes waiting on answers then take the line over.

Every Redis step is one script run (atomic): adding (and taking the lease if free), taking a
batch (or giving the lease up). Under a rush a web process's event loop is flooded: every turn
runs hundreds of requests, and anything awaiting waits a whole turn. So a request is written to
Redis in the same step that stamped it (``ticketing.redis_pipe``), and the deciding (taking,
the database, sending answers) and the listening for answers run on a thread of their own with
an event loop of their own, which hands answers to the server's loop.
"""

import asyncio
import concurrent.futures
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence

import redis.asyncio as aioredis
from psycopg import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from ticketing import metrics
from ticketing.redis_pipe import CommandPipe

log = logging.getLogger(__name__)
LEASE_MS = 5000
# An origin that hears nothing for this long answers 503. That does not take the request out of
# the line if it is still there; a decider drops requests this old instead of deciding them (a
# hold nobody would receive). One already being decided when its origin gave up may still be
# made, and then runs out unclaimed.
WAIT_LIMIT_S = 15.0
START_TIMEOUT_S = 2.0
COOL_OFF_S = 5.0  # after Redis could not be reached, how long callers go their own way
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)

# KEYS: line, lease. ARGV: a new lease token, lease ms, then stamp and member pairs. Returns 1 if
# this call took the lease (the caller must start deciding, with that token), else 0.
_ADD = """
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then
  return 1
end
return 0
"""
# KEYS: line, lease. ARGV: the decider's token, lease ms, cutoff, most. Returns {1, member,
# stamp, …} for a batch, {2, earliest stamp} when nothing is old enough yet, {0} when the line
# is empty (the lease is given up), {-1} when the lease is someone else's.
_TAKE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {-1}
end
local taken = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[3], 'BYSCORE', 'LIMIT', 0, ARGV[4],
                         'WITHSCORES')
if #taken > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #taken / 2 - 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  table.insert(taken, 1, 1)
  return taken
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #first > 0 then
  return {2, first[2]}
end
redis.call('DEL', KEYS[2])
return {0}
"""


# KEYS: lease. ARGV: the decider's token. A decider that failed gives its lease up at once.
_GIVE_UP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 0
"""
# KEYS: lease. ARGV: the decider's token, lease ms. 1 while the lease is still its own.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_lines: list["SharedLine"] = []  # every line this process has made
_thread_loop: asyncio.AbstractEventLoop | None = None
_thread_lock = threading.Lock()


def _line_loop() -> asyncio.AbstractEventLoop:
    """The event loop of this process's line thread, started on first use."""
    global _thread_loop
    with _thread_lock:
        if _thread_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="reelseats-line", daemon=True).start()
            _thread_loop = loop
    return _thread_loop


async def start_all() -> None:
    """At server startup: connect every line before the first request, not during it (an
    on-sale's first second is the one that matters, and requests stamped while a process was
    still connecting would reach the line late). A Redis that is down now is retried then."""
    for line in _lines:
        try:
            await line.start()
        except (RedisError, OSError) as exc:
            log.warning("the line %s could not connect yet: %s", line.name, exc)


class LineUnavailable(Exception):
    """The line could not give an answer (Redis failed, or nobody answered in time): 503."""


class LineUnreachable(LineUnavailable):
    """Redis could not be reached, so the request was never added: it may be decided another
    way (the caller's own batcher) without being decided twice."""


Decide = Callable[[Hashable, Sequence[dict]], Awaitable[Sequence[object]]]


class SharedLine:
    """``submit`` puts an item (a JSON-able dict) in the key's line and returns the answer the
    decider's ``decide`` gave it (a JSON-able dict, or an exception, raised here). ``decide``
    runs on the line thread's event loop; it gets the items of a batch in arrival order and
    returns one answer per item. An exception in another process arrives as LineUnavailable
    (the database was unavailable) or RuntimeError. ``prepare`` runs there once, at start (to
    open what ``decide`` needs before the first batch)."""

    def __init__(self, name: str, decide: Decide, *, url: str, grace_ms: float,
                 max_batch: int = 500, lease_ms: int = LEASE_MS,
                 wait_limit_s: float = WAIT_LIMIT_S,
                 prepare: Callable[[], Awaitable[object]] | None = None) -> None:
        self.name = name
        self._decide = decide
        self._prepare = prepare
        self._url = url
        self.grace = grace_ms / 1000
        self._max_batch = max_batch
        self._lease_ms = lease_ms
        self.wait_limit = wait_limit_s
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._unreachable_until = 0.0
        # On the caller's (the server's) loop: adds, written as they come, and the waiting.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._adds: CommandPipe | None = None
        self._add_sha = ""
        self._starting: asyncio.Lock | None = None
        self._waiting: dict[str, asyncio.Future] = {}
        self._submitted = 0
        self._leases = 0
        # On the line thread's loop: taking, deciding, answering, listening.
        self._commands: CommandPipe | None = None  # takes, renewals, answers
        self._shas: dict[str, str] = {}
        self._listening: asyncio.Task | None = None
        self._deciders: set[concurrent.futures.Future] = set()
        _lines.append(self)

    def _keys(self, key: Hashable) -> list[str]:
        return [f"reelseats:line:{self.name}:{key}", f"reelseats:line:{self.name}:{key}:lease"]

    def _channel(self, process: str) -> str:
        return f"reelseats:line:{self.name}:to:{process}"

    # --- on the server's loop ----------------------------------------------------------------

    def _started(self) -> bool:
        return (self._adds is not None and not self._adds.closed
                and self._listening is not None and not self._listening.done())

    async def start(self) -> None:
        """Connect, and listen for this process's answers (at startup, or on first use)."""
        if self._started():
            return
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:
            if self._started():
                return
            self._loop = asyncio.get_running_loop()
            if self._adds is None or self._adds.closed:
                adds = await CommandPipe.connect(self._url, timeout=START_TIMEOUT_S)
                try:
                    sha = await asyncio.wait_for(adds.send("SCRIPT", "LOAD", _ADD),
                                                 START_TIMEOUT_S)
                except BaseException:
                    adds.close()
                    raise
                self._add_sha, self._adds = sha.decode(), adds
            if self._listening is None or self._listening.done():
                await asyncio.wait_for(asyncio.wrap_future(
                    asyncio.run_coroutine_threadsafe(self._start_on_thread(), _line_loop())),
                    START_TIMEOUT_S)

    def reachable(self) -> bool:
        """False for a while after Redis could not be reached."""
        return time.monotonic() >= self._unreachable_until

    def _unreachable(self) -> LineUnreachable:
        self._unreachable_until = time.monotonic() + COOL_OFF_S
        return LineUnreachable("the line cannot be reached")

    async def submit(self, key: Hashable, item: dict, *, arrived: float | None = None) -> dict:
        if not self._started():
            try:
                await self.start()
            except (RedisError, OSError) as exc:
                log.warning("the line %s cannot be reached: %s", self.name, exc)
                raise self._unreachable() from exc
        self._submitted += 1
        request_id = f"{self.me}/{self._submitted}"
        member = json.dumps({"id": request_id, "item": item})
        stamp = arrived or time.time()
        try:
            # Written to Redis now, before anything else runs: this process's requests reach
            # the line in the order they arrived.
            added, token = self._add(key, [stamp, member])
        except RedisConnectionError as exc:
            raise self._unreachable() from exc  # not written: never added
        future = self._loop.create_future()
        self._waiting[request_id] = future
        added.add_done_callback(lambda done: self._added(key, done, token, request_id, stamp))
        # Nobody may have answered because the decider died: check once its lease ran out.
        check = self._loop.call_later(self._lease_ms / 1000, self._check, key, request_id,
                                      time.monotonic() + self.wait_limit)
        try:
            answer = await future
        finally:
            check.cancel()
            self._waiting.pop(request_id, None)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def _add(self, key: Hashable, pairs: list) -> tuple[asyncio.Future, str]:
        """Add stamp and member pairs to the key's line, taking its lease if it is free (with
        a token of its own, returned)."""
        self._leases += 1
        token = f"{self.me}#{self._leases}"
        return self._adds.send("EVALSHA", self._add_sha, 2, *self._keys(key), token,
                               self._lease_ms, *pairs), token

    def _added(self, key: Hashable, added: asyncio.Future, token: str,
               request_id: str | None, stamp: float = 0.0) -> None:
        """Once added: if that took the lease, this process decides the line, as its token.
        (A decider that has just given the lease up does nothing more, so two never run.)"""
        if added.cancelled() or added.exception() is not None:
            error = None if added.cancelled() else added.exception()
            if isinstance(error, ResponseError) and str(error).startswith("NOSCRIPT"):
                self._adds.close()  # Redis forgot the script: the next request loads it again
            if request_id is not None:  # written, perhaps added: only the line may decide it
                self._resolve([(request_id, LineUnavailable("the line failed"))])
            return
        if added.result() == 1:
            decider = asyncio.run_coroutine_threadsafe(self._lead(key, token, stamp),
                                                       _line_loop())
            self._deciders.add(decider)
            decider.add_done_callback(self._deciders.discard)

    def _check(self, key: Hashable, request_id: str, deadline: float) -> None:
        """A request still unanswered after a lease's time: take the line over if its lease ran
        out; at its deadline, answer 503."""
        if request_id not in self._waiting:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            self._resolve([(request_id, LineUnavailable("no answer from the line in time"))])
            return
        self._loop.call_later(min(self._lease_ms / 1000, left), self._check, key, request_id,
                              deadline)
        try:
            added, token = self._add(key, [])
        except RedisError:
            return  # not connected: the next check, or the deadline
        added.add_done_callback(lambda done: self._added(key, done, token, None))

    def _resolve(self, answered: list[tuple[str, object]]) -> None:
        for request_id, answer in answered:
            future = self._waiting.pop(request_id, None)
            if future is not None and not future.done():
                future.set_result(answer)

    # --- on the line thread's loop -----------------------------------------------------------

    async def _start_on_thread(self) -> None:
        if self._commands is None and self._prepare is not None:
            # In the background: a start never waits for it.
            asyncio.get_running_loop().create_task(self._prepare_safely())
        await self._connected()
        pubsub = aioredis.Redis.from_url(self._url, socket_connect_timeout=1,
                                         socket_timeout=5).pubsub()
        await pubsub.subscribe(self._channel(self.me))
        self._listening = asyncio.get_running_loop().create_task(self._listen(pubsub))

    async def _connected(self) -> CommandPipe:
        """The line thread's own connection (its scripts loaded), made again if it broke."""
        if self._commands is None or self._commands.closed:
            commands = await CommandPipe.connect(self._url, timeout=START_TIMEOUT_S)
            for name, script in (("take", _TAKE), ("give up", _GIVE_UP), ("renew", _RENEW)):
                self._shas[name] = (await asyncio.wait_for(
                    commands.send("SCRIPT", "LOAD", script), START_TIMEOUT_S)).decode()
            self._commands = commands
        return self._commands

    async def _run(self, script: str, keys: list[str], *args: object) -> object:
        commands = await self._connected()
        return await asyncio.wait_for(
            commands.send("EVALSHA", self._shas[script], len(keys), *keys, *args), 5)

    async def _prepare_safely(self) -> None:
        try:
            await self._prepare()
        except Exception as exc:  # decide opens what it needs when it first runs
            log.warning("the line %s could not prepare yet: %s", self.name, exc)

    async def _listen(self, pubsub, ping_every: float = 5.0) -> None:
        """Hand this process's answers to the server's loop. Pings when quiet: a connection
        that stopped answering (half open) ends it, and the next request connects again."""
        heard = time.monotonic()
        try:
            while True:
                message = await pubsub.get_message(timeout=ping_every)
                if message is None:
                    if time.monotonic() - heard > 3 * ping_every:
                        raise RedisConnectionError("the answers' connection stopped answering")
                    await pubsub.ping()
                    continue
                heard = time.monotonic()
                if message["type"] != "message":
                    continue  # the subscription, or a pong
                answered = [(request_id, _from_wire(answer))
                            for request_id, answer in json.loads(message["data"])]
                self._loop.call_soon_threadsafe(self._resolve, answered)
        except asyncio.CancelledError:
            raise
        except Exception:  # answers sent meanwhile are lost: their requests time out (503)
            log.exception("the line's answers stopped arriving; the next request reconnects")
        finally:
            await pubsub.aclose()

    async def _lead(self, key: Hashable, token: str, first: float) -> None:
        """Decide the key's line until it is empty, as the lease's ``token``; ``first``: the
        stamp of the request that took the lease (nothing is taken before it is ``grace``
        old)."""
        latest = float("-inf")  # the latest stamp decided so far
        renewing = asyncio.get_running_loop().create_task(self._keep_lease(key, token))
        try:
            await asyncio.sleep(max(0.0, first + self.grace - time.time()))
            while True:
                taken = await self._run("take", self._keys(key), token, self._lease_ms,
                                        time.time() - self.grace, self._max_batch)
                if taken[0] != 1:
                    if taken[0] == 2:  # the earliest is not yet `grace` old: wait till it is
                        await asyncio.sleep(max(0.0, float(taken[1]) + self.grace - time.time()))
                        continue
                    return  # empty (the lease given up), or someone else's
                members, stamps = taken[1::2], [float(stamp) for stamp in taken[2::2]]
                late = sum(1 for stamp in stamps if stamp < latest)
                if late:
                    metrics.inc("ticketing_line_late", late)
                latest = max(latest, stamps[-1])
                batch = [json.loads(member) for member in members]
                stale = time.time() - self.wait_limit  # their origins have given up
                if stamps[0] < stale:
                    old = [entry for entry, stamp in zip(batch, stamps, strict=True)
                           if stamp < stale]
                    await self._answer(old, [LineUnavailable("too late")] * len(old))
                    batch = batch[len(old):]
                    if not batch:
                        continue
                try:
                    answers = list(await self._decide(key, [entry["item"] for entry in batch]))
                    if len(answers) != len(batch):
                        raise RuntimeError(f"decided {len(answers)} of {len(batch)} items")
                except Exception as exc:
                    answers = [exc] * len(batch)
                await self._answer(batch, answers)
        except Exception:
            log.exception("deciding the line %s failed; giving it up", key)
            try:
                await self._run("give up", self._keys(key)[1:], token)
            except (RedisError, OSError):
                log.warning("the line %s's lease runs out by itself", key)
        finally:
            renewing.cancel()

    async def _keep_lease(self, key: Hashable, token: str) -> None:
        """Renew the lease while its decider works (a batch can outlast a lease)."""
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                if not await self._run("renew", self._keys(key)[1:], token, self._lease_ms):
                    return
            except (RedisError, OSError):
                log.warning("the line %s's lease could not be renewed", key)

    async def _answer(self, batch: list[dict], answers: list[object]) -> None:
        failures = {id(answer): answer for answer in answers if isinstance(answer, BaseException)
                    and not isinstance(answer, LineUnavailable)}
        for failure in failures.values():  # once each, however many requests it failed
            log.error("a line decision failed", exc_info=failure)
        here: list[tuple[str, object]] = []
        elsewhere: dict[str, list] = defaultdict(list)
        for entry, answer in zip(batch, answers, strict=True):
            origin = entry["id"].rsplit("/", 1)[0]
            if origin == self.me:
                here.append((entry["id"], answer))
            else:
                elsewhere[origin].append([entry["id"], _to_wire(answer)])
        if here:
            self._loop.call_soon_threadsafe(self._resolve, here)
        if elsewhere:
            commands = await self._connected()
            sent = [commands.send("PUBLISH", self._channel(origin), json.dumps(answered))
                    for origin, answered in elsewhere.items()]
            await asyncio.wait_for(asyncio.gather(*sent), 5)

    async def _close_on_thread(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
        if self._commands is not None:
            self._commands.close()
            self._commands = None

    async def close(self) -> None:
        """Stop listening and deciding (tests; a server just exits)."""
        for decider in list(self._deciders):
            decider.cancel()
        if self._adds is not None:
            self._adds.close()
            self._adds = None
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(self._close_on_thread(), _line_loop()))
        self._listening = None


def _to_wire(answer: object) -> dict:
    if isinstance(answer, (*UNAVAILABLE, LineUnavailable)):
        return {"__error__": "unavailable"}
    if isinstance(answer, BaseException):
        return {"__error__": "failed"}
    return answer  # type: ignore[return-value]


def _from_wire(answer: dict) -> object:
    error = answer.get("__error__") if isinstance(answer, dict) else None
    if error == "unavailable":
        return LineUnavailable("the database is unavailable")
    if error is not None:
        return RuntimeError("the decision failed")
    return answer
