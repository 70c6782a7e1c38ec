"""Idempotency-Key on every creating POST: replay, reuse with another request, duplicates in
flight, server errors not stored, 24 hours, and stored answers encrypted at rest."""

import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from booking.checkout import recover_payments
from booking.models import Booking, Hold, TestGatewayCharge
from tests.booking_helpers import CARD_SLOW, checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory
from tests.helpers import Api, put_on_hold
from ticketing import ratelimit
from ticketing.models import IdempotentRequest
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


KEYS: dict[str, str] = defaultdict(lambda: str(uuid.uuid4()))  # a test's name -> a real key


def post(api, url, body, key, token=None):
    return api.post(url, body, token=token, headers={"Idempotency-Key": KEYS[key]})


def test_the_same_key_and_body_replays_the_first_answer(api):
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    first = post(api, url, {"seats": seat_ids(show, "A1")}, "k-1")
    again = post(api, url, {"seats": seat_ids(show, "A1")}, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same hold, the same token
    assert again["Idempotent-Replayed"] == "true"
    assert Hold.objects.count() == 1


def test_the_same_key_with_another_request_is_422(api):
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    post(api, url, {"seats": seat_ids(show, "A1")}, "k-2")
    response = post(api, url, {"seats": seat_ids(show, "A2")}, "k-2")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert Hold.objects.count() == 1


def test_a_replay_never_hands_one_clients_answer_to_another_token(api):
    show = ShowFactory()
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    url = f"/api/v1/holds/{hold['id']}/checkout"
    assert post(api, url, checkout_body(), "pay-1", token=hold["token"]).status_code == 201
    stolen = post(api, url, checkout_body(), "pay-1", token="someone-else")
    assert stolen.status_code == 422 and "token" not in stolen.json()


def test_client_errors_are_stored_and_replayed(api):
    show = ShowFactory()
    held = put_on_hold(show, ["A1"])
    url = f"/api/v1/shows/{show.id}/holds"
    first = post(api, url, {"seats": seat_ids(show, "A1")}, "k-3")
    assert first.status_code == 409
    Hold.objects.filter(pk=held.pk).update(expires_at=timezone.now())  # the seat frees up
    again = post(api, url, {"seats": seat_ids(show, "A1")}, "k-3")
    assert again.status_code == 409 and again.json() == first.json()


def test_server_errors_are_not_stored(api, client):
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    api.client.raise_request_exception = False
    with mock.patch("booking.holds.decide_holds", side_effect=RuntimeError("boom")):
        assert post(api, url, {"seats": seat_ids(show, "A1")}, "k-4").status_code == 500
    assert not IdempotentRequest.objects.exists()
    assert post(api, url, {"seats": seat_ids(show, "A1")}, "k-4").status_code == 201


def test_keys_last_twenty_four_hours(api):
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    post(api, url, {"seats": seat_ids(show, "A1")}, "k-5")
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = post(api, url, {"seats": seat_ids(show, "A2")}, "k-5")
    assert response.status_code == 201 and Hold.objects.count() == 2


def test_stored_answers_are_encrypted_at_rest(api):
    show = ShowFactory()
    body = post(api, f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")},
                "k-6").json()
    stored = bytes(IdempotentRequest.objects.get().body)
    assert body["token"].encode() not in stored and b"seats" not in stored


def test_waiting_list_joins_and_cancellations_are_idempotent(api):
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1", "A2")})
    url = f"/api/v1/shows/{show.id}/waitlist"
    first = post(api, url, {"party_size": 1}, "join-1")
    assert post(api, url, {"party_size": 1}, "join-1").json() == first.json()
    assert WaitlistEntry.objects.count() == 1
    other = ShowFactory()
    hold = api.post(f"/api/v1/shows/{other.id}/holds", {"seats": seat_ids(other, "A1")}).json()
    booking = api.post(f"/api/v1/holds/{hold['id']}/checkout", checkout_body(),
                       token=hold["token"]).json()
    cancel = f"/api/v1/bookings/{booking['reference']}/cancel"
    one = post(api, cancel, None, "cancel-1", token=booking["token"])
    two = post(api, cancel, None, "cancel-1", token=booking["token"])
    assert one.status_code == two.status_code == 200 and two["Idempotent-Replayed"] == "true"
    assert Booking.objects.get().state == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_arriving_while_the_first_runs_is_409(settings):
    settings.TEST_GATEWAY_SLOW_SECONDS = 1.5
    show = ShowFactory()
    api = Api(Client())
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    url = f"/api/v1/holds/{hold['id']}/checkout"
    results = {}

    def first():
        results["first"] = post(Api(Client()), url, checkout_body(CARD_SLOW), "slow",
                                token=hold["token"])
        connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(0.5)
    duplicate = post(api, url, checkout_body(CARD_SLOW), "slow", token=hold["token"])
    thread.join(10)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency_in_progress"
    assert results["first"].status_code == 201
    assert TestGatewayCharge.objects.count() == 1
    replay = post(api, url, checkout_body(CARD_SLOW), "slow", token=hold["token"])
    assert replay.status_code == 201 and replay.json() == results["first"].json()


@pytest.mark.parametrize("weak", [
    "k-1",  # a name, not a secret
    "00000000-0000-4000-8000-000000000000",  # a UUIDv4 in form only
    "6ba7b810-9dad-11d1-80b4-00c04fd430c8",  # a UUIDv1: time and host, guessable
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "abc",
    "has spaces in it but is long enough",
])
def test_keys_too_weak_to_be_a_secret_are_400_and_nothing_is_stored(api, weak):
    """A hold's answer carries its bearer token, and a create carries no credentials: a key
    another client can guess would hand it the token. Weak keys are refused outright."""
    show = ShowFactory()
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")},
                        headers={"Idempotency-Key": weak})
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert not Hold.objects.exists() and not IdempotentRequest.objects.exists()


def test_strong_keys_are_accepted_and_stored_hashed(api):
    show = ShowFactory()
    for key in (str(uuid.uuid4()), str(uuid.uuid4()).upper(), "Yq3_Zr8-x1LmN0pQwE5tUv"):
        response = api.post(f"/api/v1/shows/{show.id}/holds",
                            {"seats": seat_ids(show, f"A{Hold.objects.count() + 1}")},
                            headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.json()
        assert not IdempotentRequest.objects.filter(key=key).exists()  # only its hash


def test_rate_limited_answers_are_not_stored_so_a_later_retry_runs(api, settings):
    settings.RATE_LIMIT_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "1/min"}
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    assert post(api, url, {"seats": seat_ids(show, "A1")}, "first").status_code == 201
    refused = post(api, url, {"seats": seat_ids(show, "A2")}, "second")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert "Idempotent-Replayed" not in refused
    ratelimit.reset()  # the client waited out the window
    retried = post(api, url, {"seats": seat_ids(show, "A2")}, "second")
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried


def _die_mid_request(target: str):
    """The process dies inside the view: nothing after that line runs, not even clean-up."""
    return (mock.patch(target, side_effect=KeyboardInterrupt),
            mock.patch("django.db.models.query.QuerySet.delete", autospec=True))


def test_a_key_left_running_by_a_dead_process_frees_after_its_lease(api, settings):
    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    dies, no_cleanup = _die_mid_request("booking.holds.decide_holds")
    with dies, no_cleanup, pytest.raises(KeyboardInterrupt):
        post(api, url, {"seats": seat_ids(show, "A1")}, "orphan")
    assert IdempotentRequest.objects.get().state == "running"
    soon = post(api, url, {"seats": seat_ids(show, "A1")}, "orphan")
    assert soon.status_code == 409 and soon["Retry-After"] == "1"
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    later = post(api, url, {"seats": seat_ids(show, "A1")}, "orphan")
    assert later.status_code == 201 and Hold.objects.count() == 1
    assert post(api, url, {"seats": seat_ids(show, "A1")}, "orphan").json() == later.json()


def test_a_payment_still_in_flight_is_not_stored_as_the_answer(api, settings):
    """The first checkout died after its charge started; a retry with the same key is told to
    come back (409 + Retry-After), and once the payment settles the retry gets its booking."""
    settings.IDEMPOTENCY_LEASE_SECONDS = 1
    show = ShowFactory()
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    url = f"/api/v1/holds/{hold['id']}/checkout"
    dies, no_cleanup = _die_mid_request("booking.checkout._finish_payment")
    with dies, no_cleanup, pytest.raises(KeyboardInterrupt):
        post(api, url, checkout_body(), "pay", token=hold["token"])
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(seconds=2))
    pending = post(api, url, checkout_body(), "pay", token=hold["token"])
    assert pending.status_code == 409 and "Retry-After" in pending
    assert not IdempotentRequest.objects.filter(state="done").exists()
    recover_payments(older_than_seconds=0)  # the charge went through: the booking is made
    done = post(api, url, checkout_body(), "pay", token=hold["token"])
    assert done.status_code == 201 and Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_run_that_outlived_its_lease_cannot_overwrite_the_retrys_answer(settings):
    """The first run is slow, not dead: a retry takes its key over after the lease and
    answers; when the first run finishes, it answers its own client but stores nothing."""
    settings.IDEMPOTENCY_LEASE_SECONDS = 60
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    from booking import holds as services

    real = services._refuse_seats_already_taken
    inside, go_on = threading.Event(), threading.Event()
    results = {}

    def slow(*args, **kwargs):  # the first run stalls before it locks anything
        if threading.current_thread().name == "first":
            inside.set()
            go_on.wait(10)
        return real(*args, **kwargs)

    def first():
        results["first"] = post(Api(Client()), url, {"seats": seat_ids(show, "A1", "A2")},
                                "slow-run")
        connection.close()

    with mock.patch("booking.holds._refuse_seats_already_taken", side_effect=slow):
        thread = threading.Thread(target=first, name="first")
        thread.start()
        assert inside.wait(10)
        IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(seconds=61))
        retry = post(Api(Client()), url, {"seats": seat_ids(show, "A1", "A2")}, "slow-run")
        go_on.set()
        thread.join(10)
    assert retry.status_code == 201  # the retry took the key over and got the seats
    assert results["first"].status_code == 409  # the slow run found them taken
    replay = post(Api(Client()), url, {"seats": seat_ids(show, "A1", "A2")}, "slow-run")
    # What is stored is the retry's answer (it owns the key), not the slow run's.
    assert replay.status_code == 201 and replay.json() == retry.json()


def test_a_key_presented_from_another_network_never_replays_the_token(api):
    show = ShowFactory()
    url = f"/api/v1/shows/{show.id}/holds"
    body = {"seats": seat_ids(show, "A1")}
    key = {"Idempotency-Key": KEYS["leaked"]}
    mine = api.client.post(url, body, content_type="application/json", headers=key,
                           REMOTE_ADDR="198.51.100.20")
    assert mine.status_code == 201
    stolen = api.client.post(url, body, content_type="application/json", headers=key,
                             REMOTE_ADDR="203.0.113.66")
    assert stolen.status_code == 422 and "token" not in stolen.json()
    again = api.client.post(url, body, content_type="application/json", headers=key,
                            REMOTE_ADDR="198.51.100.20")
    assert again.json() == mine.json()  # the honest retry still gets its token


@pytest.mark.django_db(transaction=True)
def test_a_payment_in_progress_under_another_key_is_not_stored(settings):
    settings.TEST_GATEWAY_SLOW_SECONDS = 1.5
    show = ShowFactory()
    api = Api(Client())
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    url = f"/api/v1/holds/{hold['id']}/checkout"
    thread = threading.Thread(target=lambda: (post(Api(Client()), url, checkout_body(CARD_SLOW),
                                                   "first-card", token=hold["token"]),
                                              connection.close()))
    thread.start()
    time.sleep(0.5)
    other = post(api, url, checkout_body(), "second-card", token=hold["token"])
    thread.join(10)
    assert other.status_code == 409 and int(other["Retry-After"]) >= 1
    assert IdempotentRequest.objects.filter(state="done").count() == 1  # the first card's only
