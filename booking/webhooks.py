"""The payment provider's webhooks (Stripe's): verified by signature, then settled from the
provider's own state, so a duplicate, late or out-of-order event changes nothing more."""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from booking import checkout
from booking.payments import GatewayUnavailable, get_gateway
from booking.stripe_gateway import METADATA_APP, InvalidWebhook, StripeGateway
from ticketing.problems import problem_response

log = logging.getLogger(__name__)
# The events that can change a payment; anything else is acknowledged and left alone.
PAYMENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed",
                            "payment_intent.canceled", "payment_intent.processing",
                            "payment_intent.requires_action"})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    gateway = get_gateway()
    if not isinstance(gateway, StripeGateway):
        return problem_response(404, "not_found", "Payments here do not go through Stripe.")
    try:
        event = gateway.verified_event(payload=request.body,
                                       signature=request.headers.get("Stripe-Signature", ""))
    except InvalidWebhook as exc:
        log.warning("stripe webhook refused: %s", exc)
        return problem_response(400, "invalid_signature", "The Stripe-Signature header does "
                                "not verify for this body, or is too old to accept.")
    data = event.get("data")
    intent = data.get("object") if isinstance(data, dict) else None
    if not isinstance(intent, dict) or not isinstance(intent.get("id"), str):
        return problem_response(400, "invalid_event", "The event has no data.object.id.")
    metadata = intent.get("metadata")
    ours = isinstance(metadata, dict) and metadata.get("app") == METADATA_APP
    if event.get("type") not in PAYMENT_EVENTS or not ours:
        # Another of the account's payments (a shop's, a terminal's), or an event that
        # changes no payment: acknowledged, and left alone.
        return JsonResponse({"received": True})
    payment_id = metadata.get("payment")
    try:
        checkout.settle_by_reference(
            reference=intent["id"],
            payment_id=int(payment_id) if str(payment_id).isdigit() else None)
    except GatewayUnavailable:
        # Stripe sends the event again later: nothing is lost by answering 503 now.
        return problem_response(503, "payment_unavailable", "Stripe could not be asked "
                                "about this payment; send the event again later.")
    return JsonResponse({"received": True})
