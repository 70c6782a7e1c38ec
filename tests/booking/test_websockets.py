"""Live updates over Channels: the seat feed and the waiting-list feed."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from booking import holds as services
from booking.events import show_group
from booking.models import Hold
from tests.booking_helpers import seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api
from ticketing.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine):
    return asyncio.run(coroutine)


async def connect(path: str, headers=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def test_seat_feed_sends_a_snapshot_then_one_message_per_committed_change():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1, a2 = seat_ids(show, "A1", "A2")

    async def scenario():
        feed = await connect(f"/ws/shows/{show.id}/")
        snapshot = await feed.receive_json_from(5)
        assert snapshot["type"] == "seats" and snapshot["snapshot"] is True
        assert {s["state"] for s in snapshot["seats"]} == {"available"}
        version = snapshot["version"]
        new = await database_sync_to_async(services.hold_seats)(show=show, seat_ids=[a1, a2])
        message = await feed.receive_json_from(5)
        assert message == {"type": "seats", "version": version + 1,
                           "seats": [{"id": a1, "state": "held"}, {"id": a2, "state": "held"}]}
        await database_sync_to_async(services.release_hold)(hold=new.hold)
        message = await feed.receive_json_from(5)
        assert message["version"] == version + 2
        assert {s["state"] for s in message["seats"]} == {"available"}
        await feed.disconnect()

    run(scenario())


def test_every_socket_of_a_show_hears_a_change_through_one_listener_per_process():
    """However many sockets watch a show here, the channel layer has one member of its group
    in this process (ticketing.fanout), which writes the change to each; the last socket out
    takes it away."""
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1 = seat_ids(show, "A1")[0]

    async def scenario():
        feeds = [await connect(f"/ws/shows/{show.id}/") for _ in range(5)]
        versions = [(await feed.receive_json_from(5))["version"] for feed in feeds]
        layer = get_channel_layer()
        assert len(layer.groups[show_group(show.id)]) == 1
        await database_sync_to_async(services.hold_seats)(show=show, seat_ids=[a1])
        for feed, version in zip(feeds, versions, strict=True):
            message = await feed.receive_json_from(5)
            assert message["version"] == version + 1
            assert message["seats"] == [{"id": a1, "state": "held"}]
        for feed in feeds:
            await feed.disconnect()
        assert show_group(show.id) not in layer.groups

    run(scenario())


def test_nothing_is_sent_for_a_change_that_rolls_back():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    a1 = seat_ids(show, "A1")[0]

    def hold_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.hold_seats(show=show, seat_ids=[a1])
            raise RuntimeError("undo")

    async def scenario():
        feed = await connect(f"/ws/shows/{show.id}/")
        await feed.receive_json_from(5)
        await database_sync_to_async(hold_then_roll_back)()
        assert await feed.receive_nothing(0.5)
        await database_sync_to_async(services.hold_seats)(show=show, seat_ids=[a1])
        assert (await feed.receive_json_from(5))["seats"] == [{"id": a1, "state": "held"}]
        await feed.disconnect()

    run(scenario())


def test_seat_feed_of_unknown_show_is_refused():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/shows/999999/")
        connected, _ = await communicator.connect()
        assert not connected

    run(scenario())


def _full_show_and_one_waiting() -> tuple[Hold, dict]:
    """A two-seat show held whole, and a party of two in line: (the hold, the entry)."""
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    api = Api(Client())
    everything = api.post(f"/api/v1/shows/{show.id}/holds",
                          {"seats": seat_ids(show, "A1", "A2")}).json()
    entry = api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 2}).json()
    return Hold.objects.get(pk=everything["id"]), entry


def test_waitlist_feed_checks_the_token_then_pushes_the_offer_live():
    blocker, entry = _full_show_and_one_waiting()

    def release():
        services.release_hold(hold=blocker)

    async def scenario():
        intruder = await connect(f"/ws/waitlist/{entry['id']}/")
        await intruder.send_json_to({"token": "not-it"})
        assert (await intruder.receive_output(5))["type"] == "websocket.close"

        feed = await connect(f"/ws/waitlist/{entry['id']}/")
        await feed.send_json_to({"token": entry["token"]})
        first = await feed.receive_json_from(5)
        assert first["type"] == "waitlist" and first["state"] == "waiting"
        assert first["position"] == 1 and first["offer"] is None
        await database_sync_to_async(release)()
        offered = await feed.receive_json_from(5)
        assert offered["state"] == "offered" and offered["position"] is None
        assert offered["offer"]["token"] == entry["token"]
        assert len(offered["offer"]["seats"]) == 2
        await feed.disconnect()

    run(scenario())


def test_waitlist_feed_with_a_malformed_id_closes():
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/waitlist/nope/")
        connected, _ = await communicator.connect()
        assert not connected

    run(scenario())


def test_browsers_from_other_sites_are_refused():
    show = ShowFactory()

    async def scenario():
        evil = WebsocketCommunicator(application, f"/ws/shows/{show.id}/",
                                     headers=[(b"origin", b"https://evil.example")])
        connected, _ = await evil.connect()
        assert not connected
        ours = await connect(f"/ws/shows/{show.id}/", headers=[(b"origin", b"http://localhost")])
        await ours.disconnect()

    run(scenario())


def test_a_browser_page_is_recognised_by_its_session():
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    Api(Client()).post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1", "A2")})
    browser = Client()
    browser.post(f"/shows/{show.id}/waitlist", {"party_size": "1"})
    entry_id = next(iter(browser.session["waitlist"]))
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()

    async def scenario():
        feed = await connect(f"/ws/waitlist/{entry_id}/", headers=[(b"cookie", cookie)])
        state = await feed.receive_json_from(5)  # no token message needed
        assert state["state"] == "waiting" and state["position"] == 1
        await feed.disconnect()
        stranger = await connect(f"/ws/waitlist/{entry_id}/")
        assert await stranger.receive_nothing(0.3)  # waits for a token; sends nothing
        await stranger.disconnect()

    run(scenario())


@pytest.mark.parametrize("frame", [
    {"text": "not json"},
    {"text": "[" * 5_000 + "]" * 5_000},
    {"bytes": b"\x00\x01"},
])
def test_a_frame_that_is_not_json_closes_with_4400_and_one_log_line(frame, caplog):
    show = ShowFactory()

    async def scenario(path):
        feed = await connect(path)
        if path.startswith("/ws/shows/"):
            await feed.receive_json_from(5)  # the snapshot
        await feed.send_input({"type": "websocket.receive", **frame})
        closed = await feed.receive_output(5)
        assert closed == {"type": "websocket.close", "code": 4400}
        await feed.wait(1)

    api = Api(Client())
    full = ShowFactory(hall=HallFactory(layout=["A: s"]))
    api.post(f"/api/v1/shows/{full.id}/holds", {"seats": seat_ids(full, "A1")})
    entry = api.post(f"/api/v1/shows/{full.id}/waitlist", {"party_size": 1}).json()
    entry_path = f"/ws/waitlist/{entry['id']}/"
    for path in (f"/ws/shows/{show.id}/", entry_path):
        caplog.clear()
        run(scenario(path))
        problems = [r for r in caplog.records if r.levelno >= 20 and "websocket" in r.message]
        assert len(problems) == 1 and not any(r.exc_info for r in caplog.records)


def test_an_offer_reaches_its_client_without_the_entry_being_read_again(monkeypatch):
    """A bulk expiry tells hundreds of clients at once: the event carries each entry's state,
    so a client is told its offer without its consumer reading the database."""
    from waitlist import services as waitlist_services

    blocker, entry = _full_show_and_one_waiting()
    reads: list[str] = []
    real_get_entry = waitlist_services.get_entry

    def counted_get_entry(**kwargs):
        reads.append("read")
        return real_get_entry(**kwargs)

    monkeypatch.setattr(waitlist_services, "get_entry", counted_get_entry)

    async def scenario():
        feed = await connect(f"/ws/waitlist/{entry['id']}/")
        await feed.send_json_to({"token": entry["token"]})
        assert (await feed.receive_json_from(5))["state"] == "waiting"
        assert reads == ["read"]  # the token check
        await database_sync_to_async(services.release_hold)(hold=blocker)
        offered = await feed.receive_json_from(5)
        assert offered["state"] == "offered" and offered["offer"]["token"] == entry["token"]
        assert len(offered["offer"]["seats"]) == 2 and offered["position"] is None
        assert reads == ["read"]
        await feed.disconnect()

    run(scenario())


def test_a_carried_state_behind_the_one_told_is_read_again_not_sent():
    """Events from different processes can arrive out of order: a late "waiting" after the
    client was told its offer must not take the offer back."""
    from channels.layers import get_channel_layer

    from waitlist.notify import entry_group

    blocker, entry = _full_show_and_one_waiting()

    async def scenario():
        feed = await connect(f"/ws/waitlist/{entry['id']}/")
        await feed.send_json_to({"token": entry["token"]})
        waiting = await feed.receive_json_from(5)
        await database_sync_to_async(services.release_hold)(hold=blocker)
        assert (await feed.receive_json_from(5))["state"] == "offered"
        await get_channel_layer().group_send(entry_group(entry["id"]), {
            "type": "entry.changed", "message": {"id": entry["id"], "state": waiting}})
        assert await feed.receive_nothing(0.5)
        await feed.disconnect()

    run(scenario())
