"""Rate limits and per-client caps: 429 with Retry-After, and nothing changes."""

from unittest import mock

import pytest

from booking.models import Hold
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import HallFactory, ShowFactory
from ticketing import ratelimit
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits_on(settings):
    settings.RATE_LIMIT_ENABLED = True
    settings.RATE_LIMITS = {"holds": "3/min", "checkout": "2/min", "waitlist": "2/min"}
    settings.HOLDS_PER_CLIENT_PER_SHOW = 2
    settings.HOLDS_PER_CLIENT = 3
    settings.WAITLIST_PER_CLIENT_PER_SHOW = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    ratelimit.reset()


def post_hold(api, show, labels, **meta):
    return api.client.post(f"/api/v1/shows/{show.id}/holds",
                           {"seats": seat_ids(show, *labels)},
                           content_type="application/json", **meta)


def test_hold_rate_limit_is_429_with_retry_after(api):
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    bad = {"seats": []}
    for _ in range(3):
        assert api.post(f"/api/v1/shows/{show.id}/holds", bad).status_code == 400
    response = post_hold(api, show, ["A1"])
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["code"] == "rate_limited"
    assert Hold.objects.count() == 0
    # Another client is not affected.
    assert post_hold(api, show, ["A1"], REMOTE_ADDR="192.0.2.7").status_code == 201


def test_forwarded_for_counts_only_from_trusted_proxies(api):
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    for n in range(1, 4):  # a client spoofing X-Forwarded-For from outside: still one client
        post_hold(api, show, [f"A{n}"], REMOTE_ADDR="198.51.100.9",
                  HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert post_hold(api, show, ["A8"], REMOTE_ADDR="198.51.100.9",
                     HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    # Behind our proxy (10.x), the address it saw is the client, and a forged hop before it
    # does not matter.
    via_proxy = post_hold(api, show, ["A5"], REMOTE_ADDR="10.1.2.3",
                          HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50")
    assert via_proxy.status_code == 201
    assert Hold.objects.get(pk=via_proxy.json()["id"]).client == "203.0.113.50"


def test_active_holds_per_client_are_capped(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "100/min"}
    first, second = ShowFactory(), ShowFactory()
    assert post_hold(api, first, ["A1"]).status_code == 201
    assert post_hold(api, first, ["A2"]).status_code == 201
    capped = post_hold(api, first, ["A3"])
    assert capped.status_code == 429 and capped.json()["code"] == "limit_reached"
    assert 1 <= int(capped["Retry-After"]) <= 300
    assert post_hold(api, second, ["A1"]).status_code == 201  # three in all
    assert post_hold(api, second, ["A2"]).status_code == 429  # the overall cap
    assert Hold.objects.count() == 3


def test_checkout_attempts_are_rate_limited(api):
    show = ShowFactory()
    hold = post_hold(api, show, ["A1"]).json()
    declined = checkout_body("4000 0000 0000 0002")
    for _ in range(2):
        assert api.post(f"/api/v1/holds/{hold['id']}/checkout", declined,
                        token=hold["token"]).status_code == 402
    response = api.post(f"/api/v1/holds/{hold['id']}/checkout", checkout_body(),
                        token=hold["token"])
    assert response.status_code == 429 and "Retry-After" in response


def test_waiting_list_entries_per_client_per_show_are_capped(api, settings):
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    post_hold(api, show, ["A1", "A2"], REMOTE_ADDR="192.0.2.1")
    assert api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 1}).status_code == 201
    second = api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 1})
    assert second.status_code == 429 and second.json()["code"] == "limit_reached"
    assert WaitlistEntry.objects.count() == 1


def test_the_page_says_so_too(client):
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    for n in range(1, 4):
        client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, f"A{n}")})
    response = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A8")})
    assert response.status_code == 429 and "Retry-After" in response
    assert "Too many requests" in response.content.decode()


def test_limits_can_be_turned_off(api, settings):
    settings.RATE_LIMIT_ENABLED = False
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    for n in range(1, 6):
        assert post_hold(api, show, [f"A{n}"]).status_code == 201


def test_one_ipv6_64_is_one_client_for_caps_and_rate_limits(api, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "100/min"}
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    # Every address of a /64 is one subscriber: a new address per request gets nothing more.
    for n in (1, 2):
        assert post_hold(api, show, [f"A{n}"],
                         REMOTE_ADDR=f"2001:db8:1:2::{n}").status_code == 201
    capped = post_hold(api, show, ["A3"], REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:fff3")
    assert capped.status_code == 429 and capped.json()["code"] == "limit_reached"
    assert set(Hold.objects.values_list("client", flat=True)) == {"2001:db8:1:2::/64"}
    # The next /64 is somebody else.
    assert post_hold(api, show, ["A4"], REMOTE_ADDR="2001:db8:1:3::1").status_code == 201
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "2/min"}
    ratelimit.reset()
    for n in (5, 6):
        post_hold(api, show, ["A1"], REMOTE_ADDR=f"2001:db8:9:9::{n}")
    limited = post_hold(api, show, ["A1"], REMOTE_ADDR="2001:db8:9:9::7")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


def test_the_prefix_lengths_are_settings(api, settings):
    settings.CLIENT_IPV4_PREFIX = 24
    settings.CLIENT_IPV6_PREFIX = 128
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "100/min"}
    for n in (1, 2):
        assert post_hold(api, show, [f"A{n}"], REMOTE_ADDR=f"198.51.100.{n}").status_code == 201
    assert post_hold(api, show, ["A3"], REMOTE_ADDR="198.51.100.3").status_code == 429
    for n in (4, 5, 6):  # /128: each IPv6 address on its own again
        assert post_hold(api, show, [f"A{n}"], REMOTE_ADDR=f"2001:db8::{n}").status_code == 201


@pytest.mark.parametrize("remote", ["", "not-an-address"])
def test_an_unknown_client_address_does_not_switch_the_caps_off(api, remote):
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    for n in (1, 2):
        assert post_hold(api, show, [f"A{n}"], REMOTE_ADDR=remote).status_code == 201
    assert post_hold(api, show, ["A3"], REMOTE_ADDR=remote).status_code == 429
    full = ShowFactory(hall=HallFactory(layout=["A: s"]))
    post_hold(api, full, ["A1"], REMOTE_ADDR="192.0.2.50")
    url = f"/api/v1/shows/{full.id}/waitlist"
    assert api.client.post(url, {"party_size": 1}, content_type="application/json",
                           REMOTE_ADDR=remote).status_code == 201
    assert api.client.post(url, {"party_size": 1}, content_type="application/json",
                           REMOTE_ADDR=remote).status_code == 429


def test_the_window_moves_so_a_burst_at_its_edge_gets_no_more(api, settings):
    """With fixed windows, 3 requests at the end of one minute and 3 at the start of the next
    all passed. In a moving window, any minute holds at most 3."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "3/min"}
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    bad = {"seats": []}
    with mock.patch("time.time", return_value=1_000_079.0):  # a fixed minute ends at 1_000_080
        for _ in range(3):
            assert api.post(f"/api/v1/shows/{show.id}/holds", bad).status_code == 400
    with mock.patch("time.time", return_value=1_000_081.0):  # two seconds later, the next one
        refused = api.post(f"/api/v1/shows/{show.id}/holds", bad)
    assert refused.status_code == 429 and 50 <= int(refused["Retry-After"]) <= 60


def test_scaled_out_the_counts_live_in_redis_for_every_process(api, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "holds": "2/min"}
    ratelimit.reset()
    show = ShowFactory(hall=HallFactory(layout=["A: ssssssss"]))
    bad = {"seats": []}
    for _ in range(2):
        assert api.post(f"/api/v1/shows/{show.id}/holds", bad).status_code == 400
    assert api.post(f"/api/v1/shows/{show.id}/holds", bad).status_code == 429
    import redis

    assert redis.Redis.from_url(settings.REDIS_URL).keys("LIMITS*")  # shared, not in memory
    ratelimit.reset()
