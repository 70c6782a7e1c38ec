from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ticketing.metrics import StoreCollector

_registry = CollectorRegistry(auto_describe=False)
_registry.register(StoreCollector())


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint: the figures of every process, from the shared store."""
    return HttpResponse(generate_latest(_registry), content_type=CONTENT_TYPE_LATEST)
