"""Liveness and readiness for load balancers and orchestrators."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from ticketing.db import discard_dead_connections


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive (touches nothing else)."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready for traffic: the database answers, and Redis too when the site uses it."""
    checks = {"database": _database()}
    if settings.REDIS_URL:
        checks["redis"] = _redis()
    ready = all(value == "ok" for value in checks.values())
    response = JsonResponse({"status": "ok" if ready else "unavailable", **checks},
                            status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "5"
    return response


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        connection.close_if_unusable_or_obsolete()
        discard_dead_connections()
        return "unavailable"


def _redis() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1,
                                      socket_timeout=1)
        client.ping()
        return "ok"
    except redis.RedisError:
        return "unavailable"
