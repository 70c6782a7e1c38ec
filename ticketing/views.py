import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ticketing import metrics as figures
from ticketing.clients import client_ip, in_networks
from ticketing.tokens import bearer_token


def may_scrape(request: HttpRequest) -> bool:
    """The figures say how the business is doing: only METRICS_TOKEN (as a bearer token) or a
    client in METRICS_ALLOWED_IPS (loopback by default) may read them. A request that says it
    was relayed (X-Forwarded-For, Forwarded, X-Real-IP) by a proxy we do not trust counts by
    token only. A proxy on this host that says nothing makes every visitor look local: put it
    in TRUSTED_PROXIES (it then has to say), or empty METRICS_ALLOWED_IPS and use the token."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest((bearer_token(request) or "").encode(), token.encode()):
        return True
    address = client_ip(request)
    relayed = any(header in request.META for header in
                  ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"))
    if relayed and address == request.META.get("REMOTE_ADDR", ""):
        return False  # relayed, but not by a proxy in TRUSTED_PROXIES
    return in_networks(address, settings.METRICS_ALLOWED_IPS)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint: the figures of every process on this host."""
    if not may_scrape(request):
        response = HttpResponse("Metrics are only served to allowed addresses or with the "
                                "metrics token.\n", status=403, content_type="text/plain")
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(figures.registry()), content_type=CONTENT_TYPE_LATEST)
