"""One listener per process for a group with many sockets here: the group's messages are
received once and handed to every local member by one piece of code, instead of once per
consumer.

Channels delivers a group message to each member consumer on its own (its queue, its task,
the message decoded again for each): about 0.3 ms a socket here (S4 in docs/performance.md),
so 10,000 sockets take seconds to hear one message. A ``Group`` here has one channel on the
layer and one task reading it; its ``deliver`` sees the message and every local member at
once, and can do what they share once (read the line, encode a frame) before writing to each.

Members are told one after another, so one that cannot take a frame at once must not hold
the rest up: a member still not told after SLOW_SECONDS (a socket whose client stopped
reading: its buffers are full) is dropped from the group and closed.

Groups belong to the event loop that made them (a server has one; tests make several) and go
away with their last member."""

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine

from channels.layers import get_channel_layer

log = logging.getLogger(__name__)
YIELD_EVERY = 256  # members told between chances for the loop's other work
SLOW_SECONDS = 0.1
TOO_SLOW = 4408  # the close code for a socket dropped for not reading


class Group:
    """A group's local members and its listener. Subclasses say what a message means to the
    members (``deliver``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.members: dict[object, None] = {}  # insertion-ordered: told in the order they came
        self.channel: str | None = None
        self.listening: asyncio.Task | None = None
        self.listening_since = float("inf")  # the loop's clock once the layer sends here
        self.ready = asyncio.Event()
        self.failed: BaseException | None = None

    async def deliver(self, event: dict) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """The last member left: cancel what the group started (its listener included)."""
        if self.listening is not None:
            self.listening.cancel()

    async def each(self, tell: Callable[[object], Awaitable[None]]) -> None:
        """Await ``tell(member)`` for every member there is now and still is when its turn
        comes, letting the loop run other work every YIELD_EVERY members. A member's failure
        is logged, and one too slow is dropped (SLOW_SECONDS); the others are told either
        way."""
        for count, member in enumerate(list(self.members), 1):
            if member not in self.members:
                continue  # left while the ones before were told
            try:
                async with asyncio.timeout(SLOW_SECONDS):
                    await tell(member)
            except TimeoutError:
                log.info("%s: a member too slow to be told was dropped", self.name)
                self.members.pop(member, None)
                close = getattr(member, "close", None)
                if close is not None:
                    spawn(close(code=TOO_SLOW))
            except Exception:
                log.warning("%s: a member was not told", self.name, exc_info=True)
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    async def _listen(self, layer) -> None:
        while True:
            try:
                event = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("%s: the listener could not receive", self.name, exc_info=True)
                await asyncio.sleep(1)
                continue
            try:
                await self.deliver(event)
            except Exception:
                log.warning("%s: a message was not delivered", self.name, exc_info=True)


_aside: set[asyncio.Task] = set()  # keeps spawned work referenced until it finishes


def spawn(work: Coroutine) -> asyncio.Task:
    """Run ``work`` beside the caller (a member's own read, say), so that telling the rest of
    a group does not wait for it; a failure is logged."""
    task = asyncio.get_running_loop().create_task(work)
    _aside.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task) -> None:
    _aside.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("work aside failed", exc_info=task.exception())


_groups: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Group]]" = (
    weakref.WeakKeyDictionary())


async def join(name: str, member: object, make: Callable[[str], Group]) -> Group:
    """Add ``member`` to the process's group ``name`` (made by ``make(name)`` when it has no
    member yet); returns once the group is listening. If the layer cannot be joined (Redis
    away), the group is not kept and every member waiting for it gets the error."""
    loop = asyncio.get_running_loop()
    groups = _groups.setdefault(loop, {})
    group = groups.get(name)
    if group is None:
        group = groups[name] = make(name)
        group.members[member] = None
        layer = get_channel_layer()
        try:
            group.channel = await layer.new_channel(prefix="fanout.")
            await layer.group_add(name, group.channel)
            group.listening = loop.create_task(group._listen(layer))
            group.listening_since = loop.time()
        except BaseException as exc:
            group.failed = exc
            if groups.get(name) is group:
                del groups[name]
            raise
        finally:
            group.ready.set()
    else:
        group.members[member] = None
        await group.ready.wait()
        if group.failed is not None:
            group.members.pop(member, None)
            raise RuntimeError(f"{name}: the channel layer could not be joined") from (
                group.failed)
    return group


async def leave(name: str, member: object) -> None:
    """Take ``member`` out of the group; the last one out stops its listener."""
    groups = _groups.get(asyncio.get_running_loop(), {})
    group = groups.get(name)
    if group is None:
        return
    group.members.pop(member, None)  # gone already if it was dropped for being slow
    if group.members:
        return
    del groups[name]
    await group.ready.wait()
    group.stop()
    if group.channel is not None:
        await get_channel_layer().group_discard(name, group.channel)
