"""Schemathesis against our own OpenAPI schema, in-process: a bounded number of generated
requests per operation, with every check on."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from tests.factories import ShowFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def catalog(transactional_db):
    """Something real to find, so not every generated request ends at a 404."""
    return ShowFactory()


@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_contract(case, catalog):
    case.call_and_validate()
