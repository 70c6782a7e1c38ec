"""The staff and partner API: tokens, catalog management, a show's bookings and line, and
calling a show off."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from booking.models import Hold, Payment
from catalog.models import Cinema, City, Hall, Movie, Show, StaffToken
from staff.auth import issue_staff_token
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import CinemaFactory, HallFactory, MovieFactory, ShowFactory
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    return issue_staff_token(name="box office")[1]


ENDPOINTS = [
    ("get", "/api/v1/staff/cities"), ("post", "/api/v1/staff/cities"),
    ("get", "/api/v1/staff/cinemas"), ("post", "/api/v1/staff/cinemas"),
    ("get", "/api/v1/staff/halls"), ("post", "/api/v1/staff/halls"),
    ("get", "/api/v1/staff/movies"), ("post", "/api/v1/staff/movies"),
    ("get", "/api/v1/staff/shows"), ("post", "/api/v1/staff/shows"),
    ("get", "/api/v1/staff/shows/{show}"), ("patch", "/api/v1/staff/shows/{show}"),
    ("get", "/api/v1/staff/shows/{show}/bookings"), ("get", "/api/v1/staff/shows/{show}/waitlist"),
    ("post", "/api/v1/staff/shows/{show}/cancel"),
    ("get", "/api/v1/staff/price-cards"), ("post", "/api/v1/staff/price-cards"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_staff_endpoint_needs_a_valid_token(api, method, path):
    show = ShowFactory()
    url = path.format(show=show.id)

    def call(url, headers=None):
        if method == "get":
            return api.client.get(url, headers=headers)
        return getattr(api.client, method)(url, data="{}", content_type="application/json",
                                           headers=headers)

    anonymous = call(url)
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"] == "application/problem+json"
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    forged = call(url, headers={"Authorization": "Bearer st_not-a-real-token"})
    assert forged.status_code == 401
    record, revoked = issue_staff_token(name="old")
    StaffToken.objects.filter(pk=record.pk).update(active=False)
    assert call(url, headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    assert Show.objects.get(pk=show.pk).cancelled_at is None


def test_a_moviegoers_hold_token_is_not_a_staff_token(api):
    show = ShowFactory()
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    assert api.get("/api/v1/staff/cities", token=hold["token"]).status_code == 401


def test_manage_the_catalog(api, token):
    assert api.post("/api/v1/staff/cities", {"slug": "ogdenville", "name": "Ogdenville"},
                    token=token).status_code == 201
    cinema = api.post("/api/v1/staff/cinemas", {
        "slug": "ogden-6", "city": "ogdenville", "name": "Ogden 6",
        "timezone": "America/Denver"}, token=token)
    assert cinema.status_code == 201, cinema.json()
    hall = api.post("/api/v1/staff/halls", {"cinema": "ogden-6", "name": "Screen 1",
                                            "layout": ["A: ss_ss", "B: pp_pa"]}, token=token)
    assert hall.status_code == 201 and Hall.objects.get().seats.count() == 8
    movie = api.post("/api/v1/staff/movies", {"slug": "m", "title": "M",
                                              "duration_minutes": 100}, token=token)
    assert movie.status_code == 201
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    show = api.post("/api/v1/staff/shows", {
        "movie": "m", "hall": hall.json()["id"], "starts_at": start.isoformat(),
        "currency": "USD", "prices": {"standard": "9.00", "premium": "12.00",
                                      "accessible": "9.00"}}, token=token)
    assert show.status_code == 201, show.json()
    assert show.json()["prices"] == {"standard": "9.00", "premium": "12.00",
                                     "accessible": "9.00"}
    assert Show.objects.get().inventory.count() == 8
    renamed = api.client.patch("/api/v1/staff/cities/ogdenville", {"name": "Ogden"},
                               content_type="application/json",
                               headers={"Authorization": f"Bearer {token}"})
    assert renamed.status_code == 200 and City.objects.get().name == "Ogden"
    assert Cinema.objects.get().halls.count() == 1 and Movie.objects.count() == 1


def test_catalog_rules_are_enforced_with_clear_field_errors(api, token):
    first = ShowFactory(movie=MovieFactory(duration_minutes=100))
    overlapping = api.post("/api/v1/staff/shows", {
        "movie": first.movie.slug, "hall": first.hall_id,
        "starts_at": (first.starts_at + timedelta(minutes=30)).isoformat(), "currency": "USD",
        "prices": {"standard": "9.00", "premium": "9.00", "accessible": "9.00"}}, token=token)
    assert overlapping.status_code == 400
    assert "overlaps" in str(overlapping.json()["errors"]["starts_at"])
    bad_layout = api.post("/api/v1/staff/halls", {"cinema": CinemaFactory().slug, "name": "X",
                                                  "layout": ["A: sq"]}, token=token)
    assert bad_layout.status_code == 400
    assert bad_layout.json()["errors"]["layout"] == ["row 1: unknown seat code 'q'"]
    bad_city = api.post("/api/v1/staff/cities", {"slug": "admin", "name": "Admin"},
                        token=token)
    assert bad_city.status_code == 400 and "reserved" in str(bad_city.json()["errors"])
    assert Show.objects.count() == 1 and Hall.objects.count() == 1


def test_a_shows_bookings_and_waiting_list(api, token):
    show = ShowFactory(hall=HallFactory(layout=["A: ss"]))
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    booking = api.post(f"/api/v1/holds/{hold['id']}/checkout", checkout_body(),
                       token=hold["token"]).json()
    api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A2")})
    api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 1})
    bookings = api.get(f"/api/v1/staff/shows/{show.id}/bookings", token=token).json()
    assert bookings["count"] == 1
    assert bookings["results"][0]["reference"] == booking["reference"]
    assert bookings["results"][0]["seats"] == ["A1"]
    line = api.get(f"/api/v1/staff/shows/{show.id}/waitlist", token=token).json()
    assert [(e["number"], e["state"]) for e in line["results"]] == [(1, "waiting")]


def test_cancelling_a_show_refunds_ends_and_tells_everyone(api, token, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    show = ShowFactory(hall=HallFactory(layout=["A: sss"]))
    paid = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    booking = api.post(f"/api/v1/holds/{paid['id']}/checkout", checkout_body(),
                       token=paid["token"]).json()
    held = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A2", "A3")})
    entry = api.post(f"/api/v1/shows/{show.id}/waitlist", {"party_size": 1}).json()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/staff/shows/{show.id}/cancel", token=token)
    assert response.json() == {"bookings_cancelled": 1, "holds_ended": 1,
                               "waiting_entries_ended": 1}
    assert Payment.objects.get().status == "refunded"
    assert Hold.objects.get(pk=held.json()["id"]).state == "released"
    assert WaitlistEntry.objects.get().state == "unfulfillable"
    assert [m.to for m in mailoutbox] == [["ada@example.com"]]
    assert "cancelled" in mailoutbox[0].subject.lower()
    assert api.get(f"/api/v1/bookings/{booking['reference']}",
                   token=booking["token"]).json()["state"] == "cancelled"
    assert api.get(f"/api/v1/waitlist/{entry['id']}",
                   token=entry["token"]).json()["state"] == "unfulfillable"
    # Off sale everywhere: no new holds, no joins, not listed, the page says so.
    assert api.post(f"/api/v1/shows/{show.id}/holds",
                    {"seats": seat_ids(show, "A1")}).status_code == 409
    assert not Show.objects.upcoming().filter(pk=show.pk).exists()
    assert "has been cancelled" in api.client.get(f"/shows/{show.id}/").content.decode()


def test_tokens_are_made_in_the_admin_and_shown_once(client):
    admin = User.objects.create_superuser("boss", "b@example.com", "pw-for-tests-only")
    client.force_login(admin)
    response = client.post("/admin/catalog/stafftoken/add/", {"name": "partner app"},
                           follow=True)
    page = response.content.decode()
    shown = page[page.index("st_"):].split("<")[0].strip()
    record = StaffToken.objects.get()
    assert record.name == "partner app" and shown not in record.token_hash
    assert client.get("/api/v1/staff/cities",
                      headers={"Authorization": f"Bearer {shown}"}).status_code == 200


def _patch(api, token, show, body):
    return api.client.patch(f"/api/v1/staff/shows/{show.id}", body,
                            content_type="application/json",
                            headers={"Authorization": f"Bearer {token}"})


def test_a_show_with_sales_keeps_its_hall_start_and_movie(api, token):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    other_hall = HallFactory(cinema=show.hall.cinema, layout=["A: ss", "B: ss"])
    api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")})
    before = sorted(show.inventory.values_list("seat_id", flat=True))
    for body in ({"hall": other_hall.id},
                 {"starts_at": (show.starts_at + timedelta(days=1)).isoformat()},
                 {"movie": MovieFactory().slug}):
        response = _patch(api, token, show, body)
        assert response.status_code == 409, response.json()
        problem = response.json()
        assert problem["code"] == "show_has_sales" and "cancel the show" in problem["detail"]
    show.refresh_from_db()
    assert sorted(show.inventory.values_list("seat_id", flat=True)) == before
    assert show.hall_id != other_hall.id
    # What tickets do not name can still change.
    assert _patch(api, token, show, {"prices": {"standard": "8.00"}}).status_code == 200


def test_moving_a_show_before_any_sale_gives_it_the_new_halls_seats(api, token):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    new_hall = HallFactory(cinema=show.hall.cinema, layout=["A: ss", "B: ss", "C: ss"])
    version = show.seat_map_state.version
    response = _patch(api, token, show, {"hall": new_hall.id})
    assert response.status_code == 200, response.json()
    show.refresh_from_db()
    assert set(show.inventory.values_list("seat__hall_id", flat=True)) == {new_hall.id}
    assert show.inventory.count() == 6
    assert show.seat_map_state.version > version  # every seat map of it is redrawn
    seats = api.get(f"/api/v1/shows/{show.id}/seats").json()
    assert sorted(f"{s['row']}{s['number']}" for s in seats["seats"]) == [
        "A1", "A2", "B1", "B2", "C1", "C2"]
