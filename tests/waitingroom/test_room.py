"""On-sale times, the waiting room and the fairness log, through the API, the pages, the
websocket and the command."""

import asyncio
import hashlib
import json
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from booking import holds
from booking.models import Hold, RoomPass, ShowSeat
from catalog.models import Show
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api, book
from ticketing import chain
from ticketing.asgi import application
from ticketing.consumers import in_db_thread
from ticketing.models import ChainRecord
from waitingroom import live, order, services, tasks
from waitingroom.models import Room, Visitor
from waitingroom.notify import room_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]


def later(**delta) -> object:
    return timezone.now() + timedelta(**delta)


@pytest.fixture
def premiere():
    """A high-demand show whose room is open (on sale in ten minutes)."""
    return ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]),
                       on_sale_at=later(minutes=10), waiting_room=True)


def open_sales(show: Show) -> None:
    """The on-sale instant passes (as if the clock moved on)."""
    Show.objects.filter(pk=show.pk).update(on_sale_at=timezone.now() - timedelta(seconds=1))


def join(api: Api, show: Show, token=None) -> dict:
    response = api.post(f"/api/v1/shows/{show.id}/room", token=token)
    assert response.status_code in (200, 201), response.json()
    return response.json()


def me(api: Api, joined: dict) -> dict:
    response = api.get(f"/api/v1/room/{joined['public_id']}", token=joined["token"])
    assert response.status_code == 200, response.json()
    return response.json()


def hold(api: Api, show: Show, labels: list[str], token=None):
    return api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, *labels)},
                    token=token)


# --- The on-sale time ----------------------------------------------------------------------

@pytest.mark.parametrize("in_database", [True, False])
def test_holds_are_refused_before_the_on_sale_time(api, monkeypatch, in_database):
    monkeypatch.setattr(holds, "IN_DATABASE", in_database)
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]), starts_at=later(days=4),
                       on_sale_at=later(days=2, minutes=1))
    response = hold(api, show, ["A1"])
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "not_on_sale"
    assert problem["on_sale_at"] == show.on_sale_at.isoformat()
    local = timezone.localtime(show.on_sale_at, show.hall.cinema.tz)
    assert local.strftime("%Y-%m-%d %H:%M") in problem["detail"]
    best = api.post(f"/api/v1/shows/{show.id}/holds", {"count": 1})
    assert best.status_code == 409 and best.json()["code"] == "not_on_sale"
    assert Hold.objects.count() == 0
    assert api.get(f"/api/v1/shows/{show.id}").json()["on_sale_at"] is not None
    open_sales(show)
    assert hold(api, show, ["A1"]).status_code == 201


def test_pages_say_when_a_show_goes_on_sale(client):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]), starts_at=later(days=4),
                       on_sale_at=later(days=2, minutes=1))
    city, movie = show.hall.cinema.city, show.movie
    listing = client.get(f"/{city.slug}/{movie.slug}/").content.decode()
    assert "on sale" in listing and "2\xa0days from now" in listing
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert 'id="on-sale-notice"' in page and 'id="hold-button"' not in page
    assert 'class="seat' in page  # the map is there to look at
    refused = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1")})
    assert refused.status_code == 409 and Hold.objects.count() == 0


def test_a_waiting_room_needs_an_on_sale_time_before_the_show(api):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        ShowFactory(waiting_room=True)
    assert "waiting_room" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        ShowFactory(on_sale_at=later(days=5))
    assert "on_sale_at" in refused.value.message_dict


# --- The room before and at the opening ----------------------------------------------------

def test_the_room_is_closed_until_it_opens(api):
    show = ShowFactory(on_sale_at=later(hours=2), waiting_room=True)
    room = api.get(f"/api/v1/shows/{show.id}/room").json()
    assert room["state"] == "not_open" and room["seed"] is None
    assert len(room["commitment"]) == 64
    response = api.post(f"/api/v1/shows/{show.id}/room")
    assert response.status_code == 409 and response.json()["code"] == "room_not_open"
    assert Visitor.objects.count() == 0
    plain = ShowFactory()
    assert api.post(f"/api/v1/shows/{plain.id}/room").status_code == 404


def test_everyone_before_the_opening_gets_a_place_from_the_revealed_seed(api, premiere):
    joined = [join(api, premiere) for _ in range(6)]
    assert {j["state"] for j in joined} == {"before_opening"}
    log = api.get(f"/api/v1/shows/{premiere.id}/fairness/log").json()["records"]
    assert [(r["seq"], r["data"]["visitor"]) for r in log if r["kind"] == "joined"] == [
        (j["log_record"], j["public_id"]) for j in joined]
    assert all(j["place"] is None for j in joined)
    again = api.post(f"/api/v1/shows/{premiere.id}/room", token=joined[0]["token"])
    assert again.status_code == 200 and again.json()["public_id"] == joined[0]["public_id"]
    before = api.get(f"/api/v1/shows/{premiere.id}/room").json()
    assert before["state"] == "open" and before["seed"] is None and before["waiting"] == 6

    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=1)
    open_sales(premiere)
    room = api.get(f"/api/v1/shows/{premiere.id}/room").json()
    assert room["state"] == "letting_in"
    assert hashlib.sha256(room["seed"].encode()).hexdigest() == room["commitment"]
    expected = order.drawn_order(room["seed"], [j["public_id"] for j in joined])
    places = {j["public_id"]: me(api, j)["place"] for j in joined}
    assert [pid for pid, _ in sorted(places.items(), key=lambda p: p[1])] == expected
    assert sorted(places.values()) == [1, 2, 3, 4, 5, 6]
    # Place 1 is let in (one at a time here); the rest wait with those ahead counted.
    states = {j["public_id"]: me(api, j) for j in joined}
    assert states[expected[0]]["state"] == "your_turn"
    assert states[expected[0]]["pass_expires_at"] is not None
    assert [states[pid]["ahead"] for pid in expected[1:]] == [0, 1, 2, 3, 4]
    late = join(api, premiere)
    assert late["state"] == "waiting" and late["place"] == 7 and late["ahead"] == 5


def test_holds_need_a_valid_pass(api, premiere):
    first, second = join(api, premiere), join(api, premiere)
    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=1)
    open_sales(premiere)
    services.admit(show_id=premiere.pk)
    turn = next(j for j in (first, second) if me(api, j)["state"] == "your_turn")
    waiting = second if turn is first else first
    refused = hold(api, premiere, ["A1"])  # no pass (and the lean path's way in)
    assert refused.status_code == 403 and refused.json()["code"] == "queue_required"
    assert refused.json()["room"] == f"/api/v1/shows/{premiere.id}/room"
    assert hold(api, premiere, ["A1"], token=waiting["token"]).status_code == 403
    assert hold(api, premiere, ["A1"], token="not-a-pass").status_code == 403
    assert Hold.objects.count() == 0
    made = hold(api, premiere, ["A1", "A2"], token=turn["token"])
    assert made.status_code == 201, made.json()
    # Paying ends the pass, and the next in line is let in at once.
    paid = api.post(f"/api/v1/holds/{made.json()['id']}/checkout", checkout_body(),
                    token=made.json()["token"])
    assert paid.status_code == 201, paid.json()
    assert me(api, turn)["state"] == "pass_used"
    assert me(api, waiting)["state"] == "your_turn"
    assert hold(api, premiere, ["A3"], token=turn["token"]).status_code == 403


def test_leaving_and_running_out_let_the_next_in(api, premiere):
    people = [join(api, premiere) for _ in range(3)]
    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=1)
    open_sales(premiere)
    services.admit(show_id=premiere.pk)
    by_place = sorted(people, key=lambda j: me(api, j)["place"])
    assert me(api, by_place[0])["state"] == "your_turn"
    left = api.delete(f"/api/v1/room/{by_place[0]['public_id']}", token=by_place[0]["token"])
    assert left.status_code == 200 and left.json()["state"] == "pass_left"
    assert me(api, by_place[1])["state"] == "your_turn"
    RoomPass.objects.filter(holder=by_place[1]["public_id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert me(api, by_place[1])["state"] == "pass_expired"
    assert me(api, by_place[2])["state"] == "your_turn"
    kinds = [r["kind"] for r in chain.published(chain.show_stream(premiere.pk))]
    assert kinds.count("admitted") == 3 and "pass_left" in kinds and "pass_expired" in kinds


def test_sold_out_tells_everyone_still_waiting(api, premiere):
    people = [join(api, premiere) for _ in range(3)]
    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=1)
    open_sales(premiere)
    services.admit(show_id=premiere.pk)
    book(premiere, ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"])
    services.admit(show_id=premiere.pk)
    states = {j["public_id"]: me(api, j)["state"] for j in people}
    assert sorted(states.values()) == ["sold_out", "sold_out", "your_turn"]
    assert api.get(f"/api/v1/shows/{premiere.id}/room").json()["state"] == "sold_out"
    response = api.post(f"/api/v1/shows/{premiere.id}/room")
    assert response.status_code == 409 and response.json()["code"] == "sold_out"
    # Someone cancels: the line moves again, with the places it had.
    RoomPass.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    ShowSeat.objects.filter(show=premiere, seat__row_label="A", seat__number=1).update(
        booking=None)
    services.admit(show_id=premiere.pk)
    waiting = sorted((me(api, j) for j in people if states[j["public_id"]] == "sold_out"),
                     key=lambda state: state["place"])
    assert [state["state"] for state in waiting] == ["your_turn", "waiting"]
    kinds = [r["kind"] for r in chain.published(chain.show_stream(premiere.pk))]
    assert kinds.count("sold_out") == 1 and kinds.count("reopened") == 1
    report = api.get(f"/api/v1/shows/{premiere.id}/fairness").json()
    assert report["check"]["ok"], report["check"]["problems"]


def test_the_waiting_list_does_not_jump_the_room(api, premiere):
    open_sales(premiere)
    turn = join(api, premiere)
    assert hold(api, premiere, ["A1", "A2", "A3", "A4"], token=turn["token"]).status_code == 201
    response = api.post(f"/api/v1/shows/{premiere.id}/waitlist", {"party_size": 10})
    assert response.status_code == 409 and response.json()["reason"] == "waiting_room"


def test_a_pass_ends_once(api, premiere):
    open_sales(premiere)
    turn = join(api, premiere)
    made = hold(api, premiere, ["A1"], token=turn["token"]).json()
    api.delete(f"/api/v1/room/{turn['public_id']}", token=turn["token"])
    paid = api.post(f"/api/v1/holds/{made['id']}/checkout", checkout_body(), token=made["token"])
    assert paid.status_code == 201
    kinds = [r["kind"] for r in chain.published(chain.show_stream(premiere.pk))]
    assert kinds.count("pass_left") == 1 and "pass_booked" not in kinds
    assert me(api, turn)["state"] == "pass_left"


def test_a_room_taken_away_answers_plainly(api, premiere):
    joined = join(api, premiere)
    Show.objects.filter(pk=premiere.pk).update(waiting_room=False, on_sale_at=None)
    assert api.get(f"/api/v1/room/{joined['public_id']}", token=joined["token"]
                   ).status_code == 200


def test_the_check_reports_malformed_logs_instead_of_failing():
    from waitingroom.fairness import check

    for records in ([1], [{"kind": 5, "seq": 1, "at": "x", "data": {}}],
                    [{"seq": 1, "at": "x", "kind": "admitted", "data": {"visitor": [1]}}]):
        found = check(records=records, head="0" * 64, commitment="c", seed=None)
        assert found.problems

def test_places_per_client_are_capped_counting_an_ipv6_64_as_one(settings, premiere):
    settings.RATE_LIMIT_ENABLED = True
    settings.WAITING_ROOM_PER_CLIENT = 2
    answers = [Api(Client(REMOTE_ADDR=f"2001:db8:1:2::{n}")).post(
        f"/api/v1/shows/{premiere.id}/room").status_code for n in range(1, 4)]
    assert answers == [201, 201, 429]
    other = Api(Client(REMOTE_ADDR="2001:db8:1:3::1")).post(f"/api/v1/shows/{premiere.id}/room")
    assert other.status_code == 201
    assert Visitor.objects.count() == 3


def test_bad_input_is_a_clear_4xx(api, premiere):
    assert api.get("/api/v1/room/nope", token="x").status_code == 404
    joined = join(api, premiere)
    assert api.get(f"/api/v1/room/{joined['public_id']}", token="wrong").status_code == 404
    assert api.get(f"/api/v1/room/{joined['public_id']}").status_code == 404
    response = api.post(f"/api/v1/shows/{premiere.id}/room", {"x": 1})
    assert response.status_code == 400
    for after in ["x", "-1", "\uff11", "9" * 30]:
        log = api.get(f"/api/v1/shows/{premiere.id}/fairness/log?after={after}")
        assert log.status_code == 400, after
    assert api.get("/api/v1/shows/999999/fairness").status_code == 404


# --- The fairness log and report -----------------------------------------------------------

def run_a_premiere(api, show) -> list[dict]:
    people = [join(api, show) for _ in range(4)]
    Room.objects.filter(pk=show.pk).update(choosing_at_once=2)
    open_sales(show)
    services.admit(show_id=show.pk)
    join(api, show)
    for person in people:
        state = me(api, person)
        if state["state"] == "your_turn":
            api.delete(f"/api/v1/room/{person['public_id']}", token=person["token"])
    return people


def test_the_report_checks_the_whole_log(api, premiere):
    run_a_premiere(api, premiere)
    report = api.get(f"/api/v1/shows/{premiere.id}/fairness").json()
    assert report["check"]["ok"], report["check"]["problems"]
    assert report["check"]["drawn"] == 4 and report["check"]["joined"] == 5
    assert report["check"]["admitted"] >= 2 and report["check"]["admitted_out_of_order"] == 0
    log = api.get(f"/api/v1/shows/{premiere.id}/fairness/log").json()
    assert log["records"][-1]["hash"] == report["head"]["hash"]
    assert [r["kind"] for r in log["records"]][:2] == ["commitment", "joined"]
    text = json.dumps(log)
    assert "127.0.0.1" not in text and "token" not in text  # ids and times only
    page = Client().get(f"/shows/{premiere.id}/fairness").content.decode()
    assert "Everything checks out." in page and report["seed"] in page
    call_command("verify_fairness", str(premiere.pk))


def test_an_altered_record_fails_the_check(api, premiere):
    run_a_premiere(api, premiere)
    stream = chain.show_stream(premiere.pk)
    record = ChainRecord.objects.filter(stream=stream, kind="admitted").order_by("seq").last()
    body = json.loads(record.body)
    body["data"]["place"] = 1
    record.body = chain.canonical(body["seq"], body["at"], body["kind"], body["data"])
    record.save()
    report = api.get(f"/api/v1/shows/{premiere.id}/fairness").json()
    assert not report["check"]["ok"]
    assert any("hash" in problem for problem in report["check"]["problems"])
    with pytest.raises(CommandError, match="does not check out"):
        call_command("verify_fairness", str(premiere.pk))


def test_admissions_out_of_place_are_caught_even_with_rehashed_links(api, premiere):
    """Someone who rewrites the log and every hash after it still cannot hide letting a
    later place in first: the order check recomputes the draw from the seed."""
    run_a_premiere(api, premiere)
    stream = chain.show_stream(premiere.pk)
    records = chain.published(stream)
    admitted = [r for r in records if r["kind"] == "admitted"]
    first, second = admitted[0], admitted[1]
    first["data"], second["data"] = second["data"], first["data"]
    prev = chain.GENESIS
    for record in records:
        record["prev"] = prev
        record["hash"] = prev = chain.link(prev, chain.canonical(
            record["seq"], record["at"], record["kind"], record["data"]))
    room = Room.objects.get(pk=premiere.pk)
    from waitingroom.fairness import check

    found = check(records=records, head=prev, commitment=room.commitment, seed=room.seed)
    assert found.admitted_out_of_order >= 1


def test_waiting_list_offers_are_logged_and_checked(api):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    first = hold(api, show, ["A1", "A2", "A3", "A4"]).json()
    entries = [api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 2}).json()
               for _ in range(2)]
    api.delete(f"/api/v1/holds/{first['id']}", token=first["token"])
    report = api.get(f"/api/v1/shows/{show.id}/fairness").json()
    assert report["waiting_room"] is False and report["check"]["ok"]
    assert report["check"]["waitlist_joined"] == 2 and report["check"]["waitlist_offers"] == 2
    kinds = [r["kind"] for r in chain.published(chain.show_stream(show.pk))]
    assert kinds == ["waitlist_joined", "waitlist_joined", "waitlist_offered",
                     "waitlist_offered"]
    assert len(entries) == 2


def test_verify_fairness_reads_only_the_published_site(live_server, api, premiere):
    run_a_premiere(api, premiere)
    call_command("verify_fairness", str(premiere.pk), "--url", live_server.url)
    with pytest.raises(CommandError, match="no show"):
        call_command("verify_fairness", "999999")


# --- The pages and the live feed -----------------------------------------------------------

def test_a_visitor_walks_from_the_room_to_holding_seats(client, premiere):
    page = client.get(f"/shows/{premiere.id}/")
    assert page.status_code == 302 and page["Location"] == f"/shows/{premiere.id}/room"
    room = client.get(f"/shows/{premiere.id}/room")
    assert room.status_code == 200
    text = room.content.decode()
    assert "You are in the waiting room." in text
    visitor = Visitor.objects.get()
    assert visitor.public_id in text
    client.get(f"/shows/{premiere.id}/room")
    assert Visitor.objects.count() == 1  # one place per browser
    open_sales(premiere)
    turn = client.get(f"/shows/{premiere.id}/room")
    assert turn.status_code == 302 and turn["Location"] == f"/shows/{premiere.id}/"
    page = client.get(f"/shows/{premiere.id}/").content.decode()
    assert 'id="room-turn"' in page and 'id="hold-button"' in page
    held = client.post(f"/shows/{premiere.id}/hold", {"seat": seat_ids(premiere, "A1")})
    assert held.status_code == 302 and Hold.objects.count() == 1
    stranger = Client().post(f"/shows/{premiere.id}/hold", {"seat": seat_ids(premiere, "B1")})
    assert stranger.status_code == 302 and stranger["Location"].endswith("/room")
    assert Hold.objects.count() == 1


async def watching(people: list[dict]) -> list[WebsocketCommunicator]:
    feeds = []
    for person in people:
        feed = WebsocketCommunicator(application, f"/ws/room/{person['public_id']}/")
        assert (await feed.connect())[0]
        await feed.send_json_to({"token": person["token"]})
        assert (await feed.receive_json_from(5))["state"] == "before_opening"
        feeds.append(feed)
    return feeds


def test_the_live_feed_tells_the_place_then_the_turn(api, premiere):
    people = [join(api, premiere) for _ in range(2)]
    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=1)

    async def scenario():
        feeds = await watching(people)
        await asyncio.to_thread(open_sales, premiere)
        await asyncio.to_thread(lambda: services.admit(show_id=premiere.pk))
        told = [await feed.receive_json_from(5) for feed in feeds]
        assert sorted(m["state"] for m in told) == ["waiting", "your_turn"]
        waiting = next(m for m in told if m["state"] == "waiting")
        assert waiting["place"] == 2 and waiting["ahead"] == 0
        wrong = WebsocketCommunicator(application, f"/ws/room/{people[0]['public_id']}/")
        await wrong.connect()
        await wrong.send_json_to({"token": "wrong"})
        assert (await wrong.receive_output(5))["code"] == 4403
        for feed in feeds:
            await feed.disconnect()

    asyncio.run(scenario())


def test_one_listener_per_process_tells_every_socket_its_own_place(api, premiere,
                                                                   monkeypatch):
    """The room's messages reach this process once (one member of the room's group on the
    channel layer, however many sockets watch) and each socket is told its visitor's place,
    then where the line has moved to, then that the show sold out."""
    monkeypatch.setattr(live, "LINE_EVERY_SECONDS", 0.5)
    people = [join(api, premiere) for _ in range(12)]
    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=2)

    async def scenario():
        feeds = await watching(people)
        layer = get_channel_layer()
        assert len(layer.groups[room_group(premiere.pk)]) == 1
        await in_db_thread(open_sales)(premiere)
        await in_db_thread(lambda: services.admit(show_id=premiere.pk))()
        told = [await feed.receive_json_from(5) for feed in feeds]
        places = dict(await in_db_thread(lambda: list(
            Visitor.objects.values_list("public_id", "place")))())
        assert [m["place"] for m in told] == [places[p["public_id"]] for p in people]
        turns = sorted(m["place"] for m in told if m["state"] == "your_turn")
        assert turns == [1, 2]
        for message in told:
            if message["state"] == "waiting":  # the first two are choosing, not ahead
                assert message["ahead"] == message["place"] - 3
        # Two more are let in as the first two leave: the rest hear the line move.
        first = [p for p, m in zip(people, told, strict=True) if m["state"] == "your_turn"]
        for person in first:
            await in_db_thread(lambda p=person: api.delete(
                f"/api/v1/room/{p['public_id']}", token=p["token"]))()
        moved = {}
        for person, feed, message in zip(people, feeds, told, strict=True):
            if message["state"] == "waiting":
                update = await feed.receive_json_from(5)
                while update["state"] == "waiting" and update["ahead"] != max(
                        0, message["place"] - 5):
                    update = await feed.receive_json_from(5)
                moved[person["public_id"]] = update
        assert sorted(m["place"] for m in moved.values() if m["state"] == "your_turn") == [3, 4]
        # Sold out: everyone still waiting is told, keeping their place.
        await in_db_thread(book)(premiere, ["A1", "A2", "A3", "A4", "B1", "B2", "B3",
                                                 "B4"])
        await in_db_thread(lambda: RoomPass.objects.update(
            expires_at=timezone.now() - timedelta(seconds=1)))()
        await in_db_thread(lambda: services.admit(show_id=premiere.pk))()
        for person, feed in zip(people, feeds, strict=True):
            state = moved.get(person["public_id"])
            if state is not None and state["state"] == "waiting":
                update = await feed.receive_json_from(5)
                while update["state"] == "waiting":
                    update = await feed.receive_json_from(5)
                assert update["state"] == "sold_out"
                assert update["place"] == state["place"]
        for feed in feeds:
            await feed.disconnect()
        assert room_group(premiere.pk) not in layer.groups  # the last one out stops it

    asyncio.run(scenario())


def test_the_job_books_the_draw_at_the_instant_once(settings, monkeypatch, premiere):
    """Scaled out, the job runs every second; a room opening between two runs makes its draw
    at the instant itself (booked by the run before, once), not up to a second later."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    booked: list = []
    monkeypatch.setattr(tasks.admit, "apply_async", lambda args, **kw: booked.append((args, kw)))
    tasks.open_again_at_the_instant()
    assert booked == []  # ten minutes away: a later run will see to it
    instant = later(milliseconds=400)
    Show.objects.filter(pk=premiere.pk).update(on_sale_at=instant)
    tasks.open_again_at_the_instant()
    tasks.open_again_at_the_instant()  # a second worker, or the next run: no duplicate
    assert booked == [((premiere.pk,), {"eta": instant})]
    Room.objects.filter(pk=premiere.pk).update(revealed_at=timezone.now())
    Show.objects.filter(pk=premiere.pk).update(on_sale_at=later(milliseconds=500))
    tasks.open_again_at_the_instant()  # drawn already: nothing to book
    assert len(booked) == 1


def test_joins_decided_together_keep_each_clients_cap(settings, premiere):
    """Several joins from one client in one batch count against its cap one by one."""
    settings.RATE_LIMIT_ENABLED = True
    settings.WAITING_ROOM_PER_CLIENT = 2
    outcomes = services.join_together(show_id=premiere.pk, clients=["a", "a", "b", "a"])
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "Joined", "Joined", "Joined", "LimitReached"]
    assert Visitor.objects.filter(client="a").count() == 2
    later_one = services.join_together(show_id=premiere.pk, clients=["a", "b"])
    assert [type(outcome).__name__ for outcome in later_one] == ["LimitReached", "Joined"]
