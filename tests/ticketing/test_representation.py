"""ticketing.representation: a kept serializer answers what a fresh one would, call by call."""

import pytest

from booking.serializers import HoldSerializer, NewHoldSerializer
from tests.factories import HallFactory, ShowFactory
from tests.helpers import put_on_hold
from ticketing.representation import represent

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_each_call_gets_its_own_instance_and_context():
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    first, second = put_on_hold(show, ["A1", "A2"]), put_on_hold(show, ["A3"])
    assert represent(NewHoldSerializer, first, token="one") == \
        NewHoldSerializer(first, context={"token": "one"}).data
    assert represent(NewHoldSerializer, second, token="two") == \
        NewHoldSerializer(second, context={"token": "two"}).data
    assert represent(HoldSerializer, second) == HoldSerializer(second).data
    with pytest.raises(KeyError):  # no context carried over from an earlier call
        represent(NewHoldSerializer, first)

