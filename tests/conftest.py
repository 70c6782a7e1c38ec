import os
import subprocess
import sys

import httpx
import pytest
from django.db import connection
from django.test import Client

from tests.helpers import Api


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure happened."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _no_rate_limits_unless_asked(settings):
    """Most tests fire many requests from one address; the abuse-limit tests turn them on."""
    settings.RATE_LIMIT_ENABLED = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit windows and cached seat maps never leak from one test into the next."""
    from django.core.cache import cache

    from booking import api, hold_line
    from booking.inventory import recent as recent_seat_maps
    from storefront import browse
    from ticketing import lean, ratelimit

    cache.clear()
    ratelimit.reset()
    # Everything kept per show id and version: SQLite hands a rolled-back test's ids out again.
    for kept in (recent_seat_maps, api._seat_map_bodies, api.latest_seat_maps,
                 browse._rendered_maps, hold_line.versions, lean._answers):
        kept.clear()


@pytest.fixture
def serve():
    """Start real zero-setup server processes on the test database: ``serve(**env)`` returns
    (url, pid). Tests using it need ``django_db(transaction=True)`` so the server sees the data."""
    from bench.cluster import ROOT, database_url, free_port, wait_until

    started: list[subprocess.Popen] = []

    def start(**env: str) -> tuple[str, int]:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "ticketing.asgi:application", "--port", str(port),
             "--log-level", "warning"], cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
                 "DEBUG": "0", "SECRET_KEY": "test-server", "RATE_LIMIT_ENABLED": "0",
                 "HTTPS": "0", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                 "REDIS_URL": "", **env})
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), 30, "the server to answer")
        return url, process.pid

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Give pooled connections back before the test database is dropped (threads that ran
    consumers' reads leave theirs in the pool, and PostgreSQL will not drop a database in use)."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all():
            if hasattr(conn, "close_pool"):
                conn.close_pool()


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    from tests.stripe_server import LocalStripe

    server = LocalStripe(tmp_path_factory.mktemp("localstripe"))
    yield server
    server.stop()


@pytest.fixture
def stripe_mode(settings, localstripe):
    """PAYMENT_GATEWAY=stripe against the local Stripe-compatible server."""
    from tests import stripe_server

    settings.PAYMENT_GATEWAY = stripe_server.GATEWAY
    settings.STRIPE_SECRET_KEY = stripe_server.SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = stripe_server.PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_JS_URL = f"{localstripe.url}/js.stripe.com/v3/"
    return localstripe
