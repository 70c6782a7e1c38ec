import json

import pytest
from django.test import Client


@pytest.fixture
def client() -> Client:
    return Client()


class Api:
    """A JSON client for the API, with the bearer token as a keyword."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def _headers(self, token, headers):
        extra = dict(headers or {})
        if token is not None:
            extra["Authorization"] = f"Bearer {token}"
        return extra

    def get(self, url, *, token=None, headers=None):
        return self.client.get(url, headers=self._headers(token, headers))

    def post(self, url, body=None, *, token=None, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(url, data=data, content_type="application/json",
                                headers=self._headers(token, headers))

    def delete(self, url, *, token=None):
        return self.client.delete(url, headers=self._headers(token, None))


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

    cache.clear()
