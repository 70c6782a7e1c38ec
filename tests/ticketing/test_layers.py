"""Zero-setup mode's channel layer: expired messages are tidied once a second, not on every
message (each socket's pending receive used to walk every other socket's channel)."""

import asyncio
import time
from unittest import mock

import pytest
from channels.layers import InMemoryChannelLayer, channel_layers, get_channel_layer

from ticketing import layers

pytestmark = pytest.mark.sqlite


@pytest.fixture
def layer():
    channel_layers.backends.clear()  # a fresh layer from the settings, not one a test left
    yield get_channel_layer()
    channel_layers.backends.clear()


def test_messages_do_not_each_walk_every_channel(layer):
    walks = mock.patch.object(InMemoryChannelLayer, "_clean_expired", autospec=True,
                              side_effect=InMemoryChannelLayer._clean_expired)

    async def traffic() -> None:
        channels = [await layer.new_channel() for _ in range(50)]
        for channel in channels:
            await layer.group_add("everyone", channel)
            await layer.send(channel, {"type": "hello"})
            assert await layer.receive(channel) == {"type": "hello"}
        await layer.group_send("everyone", {"type": "all"})

    with walks as walked:
        asyncio.run(traffic())
    assert walked.call_count <= 2  # one walk per second of the test, not 150


def test_expired_messages_still_go_within_a_second(layer):
    async def expired_then_later() -> None:
        layer.expiry = 0  # a message expires as soon as it is queued
        await layer.send("stale.one", {"type": "old"})
        assert "stale.one" in layer.channels
        with mock.patch.object(layers.time, "monotonic",
                               return_value=time.monotonic() + layers.TIDY_EVERY_SECONDS):
            await layer.group_send("anyone", {"type": "new"})
        assert "stale.one" not in layer.channels

    asyncio.run(expired_then_later())
