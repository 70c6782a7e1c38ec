"""Taking a place on the lean path (waitingroom.lean_api) answers exactly as the Django view
does, through real servers."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

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
