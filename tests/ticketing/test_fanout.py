"""One listener per process for a group (ticketing.fanout), and the feeds built on it: what
a slow socket, a failed join and messages arriving mid-telling do."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from booking.consumers import SeatFeedConsumer
from ticketing import fanout
from waitingroom import live
from waitingroom.consumers import RoomConsumer
from waitingroom.live import Line, RoomFeed


class Told(fanout.Group):
    async def deliver(self, event: dict) -> None:
        await self.each(lambda member: member.tell(event["message"]))


class Member:
    def __init__(self, stuck: bool = False) -> None:
        self.heard: list = []
        self.stuck = stuck
        self.closed: int | None = None

    async def tell(self, message) -> None:
        if self.stuck:  # a socket whose client stopped reading: its send never returns
            await asyncio.Event().wait()
        self.heard.append(message)

    async def close(self, code: int) -> None:
        self.closed = code


def test_a_socket_that_stops_reading_is_dropped_and_holds_nobody_up():
    async def scenario():
        members = [Member(), Member(stuck=True), Member()]
        for member in members:
            await fanout.join("g-slow", member, Told)
        await get_channel_layer().group_send("g-slow", {"type": "x", "message": 1})
        await get_channel_layer().group_send("g-slow", {"type": "x", "message": 2})
        for _ in range(100):  # the slow one's close runs aside: it may come after the rest
            if members[2].heard == [1, 2] and members[1].closed is not None:
                break
            await asyncio.sleep(0.02)
        assert members[0].heard == [1, 2] and members[2].heard == [1, 2]
        assert members[1].closed == fanout.TOO_SLOW
        for member in members:
            await fanout.leave("g-slow", member)
        assert "g-slow" not in get_channel_layer().groups  # the dropped one did not keep it

    asyncio.run(scenario())


def test_a_group_whose_layer_join_failed_is_not_kept(monkeypatch):
    layer = get_channel_layer()
    real = layer.group_add
    failures = [ConnectionError("redis away")]

    async def flaky(group, channel):
        if failures:
            raise failures.pop()
        await real(group, channel)

    monkeypatch.setattr(layer, "group_add", flaky)

    async def scenario():
        with pytest.raises(ConnectionError):
            await fanout.join("g-flaky", Member(), Told)
        member = Member()
        await fanout.join("g-flaky", member, Told)  # a fresh try, not the dead group
        await layer.group_send("g-flaky", {"type": "x", "message": "hello"})
        for _ in range(100):
            if member.heard:
                break
            await asyncio.sleep(0.02)
        assert member.heard == ["hello"]
        await fanout.leave("g-flaky", member)

    asyncio.run(scenario())


def test_a_line_that_moves_while_it_is_told_is_told_again(monkeypatch):
    monkeypatch.setattr(live, "LINE_EVERY_SECONDS", 0.0)
    told: list[int] = []

    async def scenario():
        feed = RoomFeed("room-test", 1)
        reading = asyncio.Event()

        async def line(version):
            told.append(version)
            if version == 2:
                reading.set()
                await asyncio.sleep(0.05)  # the read is slow: version 3 arrives meanwhile
            return None

        monkeypatch.setattr(feed, "line", line)
        message = {"revealed": False, "sold_out": False, "admitted": []}
        await feed.deliver({"message": {**message, "version": 2}})
        await reading.wait()
        await feed.deliver({"message": {**message, "version": 3}})
        await asyncio.wait_for(feed.later, 2)
        assert told == [2, 3]

    asyncio.run(scenario())


def room_socket() -> RoomConsumer:
    consumer = RoomConsumer()
    consumer.public_id, consumer.token, consumer.line_version = "v1", "t", 0
    consumer.push_lock = asyncio.Lock()
    consumer.last = {"type": "room", "show": 1, "state": "waiting", "place": 3, "ahead": 2,
                     "wait_seconds": None}
    consumer.sent = []

    async def send_json(state):
        consumer.sent.append(state)

    consumer.send_json = send_json
    return consumer


def line(version: int, ahead_of_v1: int) -> Line:
    order = [*range(1, ahead_of_v1 + 1), 10]
    return Line(version, {"v1": 10}, order, None, False)


def test_a_socket_never_hears_an_older_line_after_a_newer_one():
    async def scenario():
        consumer = room_socket()
        await consumer.from_line(line(5, 1))
        await consumer.from_line(line(4, 2))  # a telling that was overtaken
        assert [state["ahead"] for state in consumer.sent] == [1]

    asyncio.run(scenario())


def test_a_line_told_after_the_turn_does_not_take_the_turn_back():
    async def scenario():
        consumer = room_socket()
        async with consumer.push_lock:  # the visitor's own read (they were let in) under way
            telling = asyncio.create_task(consumer.from_line(line(6, 1)))
            await asyncio.sleep(0.01)  # the line's telling reaches the socket meanwhile
            await consumer._send_if_new({**consumer.last, "state": "your_turn", "ahead": 0})
        await telling
        assert [state["state"] for state in consumer.sent] == ["your_turn"]

    asyncio.run(scenario())


def test_seat_changes_heard_while_the_snapshot_goes_out_keep_their_order():
    async def scenario():
        consumer = SeatFeedConsumer()
        consumer.early = ["v2"]
        sent: list[str] = []

        async def send(text_data):
            if text_data == "v2":
                await consumer.change("v3")  # heard while v2 was being written
            sent.append(text_data)

        consumer.send = send
        await consumer.send_early()
        await consumer.change("v4")
        assert sent == ["v2", "v3", "v4"]

    asyncio.run(scenario())
