"""Checkout with Stripe in headless Chromium, against a live server with PAYMENT_GATEWAY=stripe
and localstripe standing in for Stripe (its API, its webhooks and its Stripe.js stand-in).

localstripe's Stripe.js stand-in has no createPaymentMethod (it returns nothing), and its
/v1/payment_methods takes only the secret key. The page calls Stripe.js as real Stripe.js is
called; the test gives the stand-in the one missing function, built on the stand-in's own
createToken (the card still goes from the browser to the Stripe server only; a token's card id
is a payment method localstripe accepts).
"""

import re
import time
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking, Payment
from tests.factories import HallFactory, ShowFactory
from tests.stripe_server import (
    CARD_3DS,
    CARD_OK,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
)

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_PAYMENT_METHOD = """
;(function () {
  const standIn = Stripe;
  Stripe = function (key) {
    const stripe = standIn(key);
    stripe.createPaymentMethod = async function (data) {
      const result = await stripe.createToken(data.card);
      if (result.error) return {error: result.error};
      return {paymentMethod: {id: result.token.card.id}};
    };
    return stripe;
  };
})();
"""


@pytest.fixture
def stripe_site(localstripe, tmp_path):
    from tests.storefront.browser.conftest import LiveServer

    server = LiveServer(tmp_path, PAYMENT_GATEWAY="stripe", STRIPE_SECRET_KEY=SECRET_KEY,
                        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
                        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=localstripe.url)
    # localstripe delivers Stripe's webhooks, signed, to the live server as Stripe would.
    httpx.post(f"{localstripe.url}/_config/webhooks/reelseats", data={
        "url": f"{server.url}/api/v1/payments/stripe/webhook", "secret": WEBHOOK_SECRET,
    }).raise_for_status()
    yield server
    server.stop()


@pytest.fixture
def show():
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    return ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]), starts_at=start)


def posted_to(page: Page, origin: str) -> list[str]:
    """Every request body the page sends to our own site, as it sends it."""
    bodies: list[str] = []
    page.on("request", lambda request: request.url.startswith(origin)
            and bodies.append(request.post_data or ""))
    return bodies


def hold_and_fill(page: Page, site_url: str, localstripe_url: str, show, card: str) -> None:
    page.route(f"{localstripe_url}/js.stripe.com/v3/", lambda route: route.fulfill(
        content_type="application/javascript",
        body=httpx.get(route.request.url).text + CREATE_PAYMENT_METHOD))
    page.goto(f"{site_url}/shows/{show.id}/")
    page.get_by_role("button", name="Row A, seat 2, standard, available").click()
    page.get_by_role("button", name="Hold seats").click()
    expect(page.locator("[data-clock]")).to_have_text(re.compile(r"^[45]:\d\d$"))
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    # The card fields are Stripe.js's (here the stand-in's), not ours.
    assert page.locator("input[name=card_number], input[name=cvc]").count() == 0
    frame = page.locator("#card-element")
    frame.get_by_placeholder("number").fill(card)
    frame.get_by_placeholder("exp_month").fill("12")
    frame.get_by_placeholder("exp_year").fill("34")
    frame.get_by_placeholder("cvc").fill("123")
    frame.get_by_placeholder("postal_code").fill("12345")
    page.get_by_role("button", name="Pay", exact=True).click()


def assert_no_card_data(bodies: list[str]) -> None:
    assert bodies, "the page posted nothing to the site"
    for body in bodies:
        assert not re.search(r"card_number|cvc|exp_month|exp_year|4242|3184", body), body


def test_paying_with_stripe_in_the_browser(stripe_site, localstripe, desktop, show):
    bodies = posted_to(desktop, stripe_site.url)
    hold_and_fill(desktop, stripe_site.url, localstripe.url, show, CARD_OK)
    expect(desktop.get_by_text("Booking reference")).to_be_visible()
    assert_no_card_data(bodies)
    assert any("payment_method=card_" in body for body in bodies)
    payment = Payment.objects.get()
    assert payment.status == "captured" and payment.card_last4 == "4242"
    assert localstripe.intent(payment.gateway_reference).status == "succeeded"
    # Stripe's webhook arrives after the browser's return (localstripe sends it a second
    # later): still one booking.
    desktop.wait_for_timeout(1500)
    assert Booking.objects.count() == 1


def test_a_3d_secure_challenge_in_the_browser(stripe_site, localstripe, desktop, show):
    bodies = posted_to(desktop, stripe_site.url)
    hold_and_fill(desktop, stripe_site.url, localstripe.url, show, CARD_3DS)
    expect(desktop.locator("#payment-awaiting")).to_contain_text("Your bank asks you")
    desktop.get_by_role("button", name="Complete authentication").click()
    expect(desktop.get_by_text("Booking reference")).to_be_visible()
    assert_no_card_data(bodies)
    assert Booking.objects.count() == 1


def test_stripes_own_webhook_books_when_the_browser_never_returns(stripe_site, localstripe,
                                                                  desktop, show):
    hold_and_fill(desktop, stripe_site.url, localstripe.url, show, CARD_3DS)
    expect(desktop.locator("#payment-awaiting")).to_be_visible()
    desktop.close()  # the customer completes the challenge, and the tab is gone
    payment = Payment.objects.get()
    intent = localstripe.intent(payment.gateway_reference)
    localstripe.authenticate(intent.id, intent.client_secret)
    deadline = time.monotonic() + 10
    while not Booking.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    payment.refresh_from_db()
    assert payment.status == "captured" and Booking.objects.count() == 1


def test_the_test_gateway_says_it_is_test_mode(site, desktop, show):
    desktop.goto(f"{site.url}/shows/{show.id}/")
    desktop.get_by_role("button", name="Row A, seat 2, standard, available").click()
    desktop.get_by_role("button", name="Hold seats").click()
    expect(desktop.get_by_role("note")).to_contain_text("Test mode: no real card is charged")
