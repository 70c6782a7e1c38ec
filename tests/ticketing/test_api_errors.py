"""Every error from an API URL is problem details; bodies over the limit are refused."""

from unittest import mock

import pytest

from booking.models import Hold
from tests.booking_helpers import seat_ids
from tests.factories import ShowFactory
from tests.helpers import put_on_hold

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"/api/problems/{code}"
    assert body["title"] and body["detail"]
    return body


def test_conflict_names_the_seats_as_problem_details(api):
    show = ShowFactory()
    put_on_hold(show, ["A1"])
    response = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")})
    body = assert_problem(response, 409, "seats_unavailable")
    assert body["title"] == "Conflict"
    assert body["seats"] == [{"id": seat_ids(show, "A1")[0], "label": "A1", "state": "held"}]


def test_unknown_api_address_and_wrong_method(api, client):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(client.get("/api/v1/shows/abc"), 404, "not_found")
    response = client.put("/api/v1/cities")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_malformed_json_and_validation(api):
    show = ShowFactory()
    assert_problem(api.post(f"/api/v1/shows/{show.id}/holds", raw="{oops"), 400, "parse_error")
    body = assert_problem(api.post(f"/api/v1/shows/{show.id}/holds", {"seats": []}),
                          400, "invalid")
    assert body["field"] == "seats"


def test_a_server_error_is_a_problem_never_a_traceback(client):
    client.raise_request_exception = False
    with mock.patch("catalog.api.queries.cities_with_cinemas", side_effect=RuntimeError("x")):
        response = client.get("/api/v1/cities")
    body = assert_problem(response, 500, "server_error")
    assert "Traceback" not in response.content.decode() and "RuntimeError" not in str(body)


def test_pages_keep_their_html_errors(client):
    response = client.get("/no-such-city/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_bodies_over_the_limit_are_413_and_change_nothing(api, settings):
    settings.MAX_REQUEST_BODY_BYTES = 2048
    show = ShowFactory()
    huge = {"seats": seat_ids(show, "A1"), "padding": "x" * 5000}
    assert_problem(api.post(f"/api/v1/shows/{show.id}/holds", huge), 413, "too_large")
    assert Hold.objects.count() == 0
    page = api.client.post(f"/shows/{show.id}/hold", {"seat": "1", "x": "y" * 5000})
    assert page.status_code == 413


@pytest.mark.parametrize("debug", [False, True])
def test_every_api_error_is_problem_details_with_debug_on_or_off(client, settings, debug):
    """With DEBUG on, Django answers resolver misses and crashes with its HTML debug pages;
    under /api/ they are problem details all the same."""
    settings.DEBUG = debug
    client.raise_request_exception = False
    assert_problem(client.get("/api/v1/shows/null,null"), 404, "not_found")
    assert_problem(client.get("/api/v1/nothing/here/at/all"), 404, "not_found")
    with mock.patch("catalog.api.CityList.get_queryset", side_effect=RuntimeError("boom")):
        body = assert_problem(client.get("/api/v1/cities"), 500, "server_error")
    assert "boom" not in body["detail"] and "Traceback" not in str(body)
    bad_host = client.get("/api/v1/cities", HTTP_HOST="evil.example")
    assert_problem(bad_host, 400, "error")


def test_a_converted_error_keeps_the_answers_other_headers(client, settings):
    settings.DEBUG = True
    response = client.get("/api/v1/no/such/thing", headers={"X-Request-ID": "keep-me"})
    assert_problem(response, 404, "not_found")
    assert response["X-Request-ID"] == "keep-me"
    assert response["X-Content-Type-Options"] == "nosniff"
