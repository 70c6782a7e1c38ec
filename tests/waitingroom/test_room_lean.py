"""Taking a place on the lean path (waitingroom.lean_api) answers exactly as the Django view
does, through real servers."""

import asyncio
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from catalog.models import Show
from tests.booking.test_lean_api import _answer
from tests.factories import ShowFactory
from waitingroom.models import Visitor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.sqlite]
VARYING = {"public_id", "joined_at", "token"}


def test_both_paths_answer_every_join_alike(serve):
    lean, _ = serve(LEAN_API="1", RATE_LIMIT_ENABLED="0")
    django, _ = serve(LEAN_API="0", RATE_LIMIT_ENABLED="0")
    answers = {}
    for name, url in (("lean", lean), ("django", django)):
        open_room = ShowFactory(on_sale_at=timezone.now() + timedelta(minutes=10),
                                waiting_room=True)
        closed_room = ShowFactory(on_sale_at=timezone.now() + timedelta(hours=3),
                                  waiting_room=True)
        plain = ShowFactory()

        def post(show_id, url=url, **kwargs):
            status, body, headers = _answer(
                httpx.post(f"{url}/api/v1/shows/{show_id}/room", **kwargs))
            if isinstance(body, dict):
                body = {k: v for k, v in body.items() if k not in VARYING}
            return status, body, headers

        answers[name] = [post(open_room.id), post(closed_room.id), post(plain.id),
                         post(987654), post(open_room.id, json={"x": 1})]
        for _status, body, _headers in answers[name]:
            body.pop("show", None)
            body.pop("opens_at", None)
    assert answers["lean"] == answers["django"]
    assert [status for status, _, _ in answers["lean"]] == [201, 409, 404, 404, 400]
    assert Visitor.objects.count() == 2


def test_joins_arriving_together_each_get_their_own_place_and_record(serve):
    """The lean path decides joins that arrive together in one transaction: each still gets
    its own receipt, naming its own record of the log; after the opening, places follow on
    from the draw without a gap or a repeat; and the log checks out."""
    url, _ = serve(LEAN_API="1")
    show = ShowFactory(on_sale_at=timezone.now() + timedelta(minutes=10), waiting_room=True)

    async def burst(count: int) -> list[dict]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            answers = await asyncio.gather(*(client.post(f"/api/v1/shows/{show.id}/room")
                                             for _ in range(count)))
        assert [answer.status_code for answer in answers] == [201] * count
        return [answer.json() for answer in answers]

    early = asyncio.run(burst(30))
    assert {joined["place"] for joined in early} == {None}
    Show.objects.filter(pk=show.pk).update(on_sale_at=timezone.now() - timedelta(seconds=1))
    late = asyncio.run(burst(20))
    assert sorted(joined["place"] for joined in late) == list(range(31, 51))
    everyone = early + late
    assert len({joined["public_id"] for joined in everyone}) == 50
    records = {record["seq"]: record for record in httpx.get(
        f"{url}/api/v1/shows/{show.id}/fairness/log").json()["records"]}
    for joined in everyone:
        record = records[joined["log_record"]]
        assert record["kind"] == "joined" and record["data"]["visitor"] == joined["public_id"]
        assert record["data"].get("place") == joined["place"]
    report = httpx.get(f"{url}/api/v1/shows/{show.id}/fairness").json()
    assert report["check"]["ok"], report["check"]["problems"]
    assert report["check"]["joined"] == 50 and report["check"]["drawn"] == 30
