"""The shared line (ticketing.line): requests from several processes, decided by one at a
time in the order they arrived. Each SharedLine here stands for one web process (its own
Redis connections, its own Pub/Sub channel), all on the real Redis the production tests use."""

import asyncio
import random
import time
import uuid

import pytest
import redis

from bench.cluster import REDIS_URL, redis_up, start_redis
from ticketing.line import LineUnavailable, LineUnreachable, SharedLine


@pytest.fixture(autouse=True)
def _redis():
    if not redis_up():
        start_redis()


class Decider:
    """A decide function that records its batches and answers each item with its own number
    and the process that decided it."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[int]]] = []
        self.running = 0
        self.most_at_once = 0

    def for_process(self, name: str):
        async def decide(key, items):
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            try:
                await asyncio.sleep(0.01)  # a database round trip
                self.batches.append((name, [item["n"] for item in items]))
                return [{"n": item["n"], "by": name} for item in items]
            finally:
                self.running -= 1
        return decide


def _lines(decider: Decider, count: int, **options) -> list[SharedLine]:
    name = uuid.uuid4().hex
    return [SharedLine(name, decider.for_process(f"p{i}"), url=REDIS_URL, **options)
            for i in range(count)]


async def _close(lines: list[SharedLine]) -> None:
    for line in lines:
        await line.close()


def test_requests_from_every_process_are_decided_in_arrival_order_by_one_at_a_time():
    decider = Decider()

    async def rush():
        lines = _lines(decider, 3, grace_ms=250)
        for line in lines:  # as servers do at startup
            await line.start()
        start = time.time()
        # 150 requests stamped 0.2 ms apart, dealt across three processes, each reaching its
        # line in a shuffled order within the grace: the order they are decided in is the
        # stamps' order, whichever process added them and whichever decides.
        stamps = [(start + n * 0.0002, n) for n in range(150)]
        submitted = stamps[:]
        random.Random(7).shuffle(submitted)

        async def one(stamp, n):
            await asyncio.sleep(random.random() * 0.01)
            return await lines[n % 3].submit("show-1", {"n": n}, arrived=stamp)

        answers = await asyncio.gather(*(one(stamp, n) for stamp, n in submitted))
        await _close(lines)
        return submitted, answers

    submitted, answers = asyncio.run(rush())
    assert [answer["n"] for answer in answers] == [n for _, n in submitted]  # each its own
    decided = [n for _, batch in decider.batches for n in batch]
    assert decided == sorted(decided) == list(range(150))
    assert decider.most_at_once == 1
    # Answers crossed processes: what one decided reached the others over Redis.
    assert any(answer["by"] != f"p{n % 3}" for answer, (_, n) in zip(answers, submitted,
                                                                     strict=True))


def test_lines_of_different_keys_do_not_wait_for_each_other():
    decider = Decider()

    async def both():
        [line] = _lines(decider, 1, grace_ms=0)
        answers = await asyncio.gather(line.submit("a", {"n": 1}), line.submit("b", {"n": 2}))
        await line.close()
        return answers

    assert [answer["n"] for answer in asyncio.run(both())] == [1, 2]
    assert sorted(n for _, batch in decider.batches for n in batch) == [1, 2]
    assert decider.most_at_once == 2


def test_a_dead_deciders_line_is_taken_over_once_its_lease_runs_out():
    decider = Decider()

    async def orphaned():
        [line] = _lines(decider, 1, grace_ms=0, lease_ms=300)
        lease = line._keys("show-1")[1]
        redis.Redis.from_url(REDIS_URL).set(lease, "a-process-that-died", px=300)
        started = time.monotonic()
        answer = await line.submit("show-1", {"n": 5})
        await line.close()
        return answer, time.monotonic() - started

    answer, waited = asyncio.run(orphaned())
    assert answer == {"n": 5, "by": "p0"}
    assert 0.3 <= waited < 2


def test_a_decider_keeps_its_lease_while_a_batch_outlasts_it():
    """A batch taking longer than a lease: nobody takes the line over meanwhile (the lease is
    renewed while its decider works), so later requests still wait their turn."""
    decider = Decider()
    slow = decider.for_process("p0")
    deciding = [0, 0]  # now, most at once

    async def decide(key, items):
        deciding[0] += 1
        deciding[1] = max(deciding[1], deciding[0])
        try:
            if items[0]["n"] == 1:
                await asyncio.sleep(1.0)  # three leases' time
            return await slow(key, items)
        finally:
            deciding[0] -= 1

    async def run():
        name = uuid.uuid4().hex
        lines = [SharedLine(name, decide, url=REDIS_URL, grace_ms=0, lease_ms=300)
                 for _ in range(2)]
        first = asyncio.ensure_future(lines[0].submit("k", {"n": 1}))
        await asyncio.sleep(0.1)
        later = [lines[1].submit("k", {"n": n}) for n in (2, 3)]
        answers = await asyncio.gather(first, *later)
        await _close(lines)
        return answers

    assert [answer["n"] for answer in asyncio.run(run())] == [1, 2, 3]
    assert deciding[1] == 1
    assert [n for _, batch in decider.batches for n in batch] == [1, 2, 3]


def test_an_unanswered_request_is_503_at_its_deadline_and_never_decided_after():
    """Nobody decides (a lease held by a process that hangs): the origin answers 503 at its
    deadline; a decider that comes later drops the request instead of making a hold nobody
    would receive."""
    decider = Decider()

    async def run():
        [line] = _lines(decider, 1, grace_ms=0, lease_ms=200, wait_limit_s=0.6)
        await line.start()
        lease = line._keys("k")[1]
        store = redis.Redis.from_url(REDIS_URL)
        store.set(lease, "a-process-that-hangs", px=5000)
        started = time.monotonic()
        with pytest.raises(LineUnavailable):
            await line.submit("k", {"n": 1})
        waited = time.monotonic() - started
        store.delete(lease)
        answer = await line.submit("k", {"n": 2})
        await line.close()
        return waited, answer

    waited, answer = asyncio.run(run())
    assert 0.6 <= waited < 0.8
    assert answer["n"] == 2
    assert [n for _, batch in decider.batches for n in batch] == [2]


def test_a_failed_decision_is_an_error_for_every_request_of_its_batch():
    async def fail(key, items):
        raise ValueError("a bug")

    async def run():
        name = uuid.uuid4().hex
        here = SharedLine(name, fail, url=REDIS_URL, grace_ms=50)
        there = SharedLine(name, fail, url=REDIS_URL, grace_ms=50)
        outcomes = await asyncio.gather(here.submit("k", {"n": 1}), there.submit("k", {"n": 2}),
                                        return_exceptions=True)
        await _close([here, there])
        return outcomes

    outcomes = asyncio.run(run())
    # The decider's own request gets the exception itself; the other process hears of it.
    assert {type(outcome) for outcome in outcomes} == {ValueError, RuntimeError}


def test_an_unreachable_redis_is_said_at_once_and_remembered():
    async def never(key, items):
        raise AssertionError("nothing is decided")

    async def run():
        line = SharedLine("x", never, url="redis://127.0.0.1:1/0", grace_ms=0)
        with pytest.raises(LineUnreachable):
            await line.submit("k", {"n": 1})
        reachable = line.reachable()
        await line.close()
        return reachable

    assert asyncio.run(run()) is False
    assert issubclass(LineUnreachable, LineUnavailable)
