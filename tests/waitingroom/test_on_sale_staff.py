"""Staff give shows an on-sale time and a waiting room: one show in the admin, every show of
a movie at a cinema or in a city in one step (the admin's action, the staff API), and the
import format."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.utils import timezone

from catalog.models import Show
from staff.auth import issue_staff_token
from tests.catalog.test_import import catalog, load
from tests.factories import CinemaFactory, HallFactory, MovieFactory, ShowFactory
from tests.helpers import book
from ticketing.models import AuditEntry
from waitingroom.models import Room

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
CHICAGO = ZoneInfo("America/Chicago")  # every factory-made cinema's


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("boss", "boss@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def soon(**delta):
    return (timezone.now() + timedelta(**delta)).replace(microsecond=0)


def test_the_admin_sets_one_on_sale_time_for_the_selected_shows(staff):
    movie = MovieFactory()
    shows = [ShowFactory(movie=movie, starts_at=soon(days=5, hours=h)) for h in range(2)]
    other = ShowFactory(starts_at=soon(days=5))
    url = "/admin/catalog/show/"
    selected = {"action": "put_on_sale_action", "_selected_action": [s.pk for s in shows]}
    form = staff.post(url, selected)
    assert form.status_code == 200 and b"Set the on-sale time" in form.content
    # Every cinema here is in Chicago: so is the admin, for everyone.
    assert b"Times here are in America/Chicago" in form.content
    done = staff.post(url, {**selected, "apply": "1", "on_sale_at": "2030-01-01 10:00",
                            "waiting_room": "on"}, follow=True)
    assert done.status_code == 200
    # 2030 is after the shows: refused, and nothing changed.
    assert b"Nothing changed" in done.content
    assert not Show.objects.filter(on_sale_at__isnull=False).exists()
    at = soon(days=2).replace(second=0)
    done = staff.post(url, {**selected, "apply": "1",
                            "on_sale_at": f"{timezone.localtime(at, CHICAGO):%Y-%m-%d %H:%M}",
                            "waiting_room": "on"}, follow=True)
    assert b"2 shows go on sale" in done.content
    assert {(s.on_sale_at, s.waiting_room) for s in Show.objects.filter(movie=movie)} == {
        (at, True)}
    assert Room.objects.filter(show__in=shows).count() == 2
    assert Show.objects.get(pk=other.pk).on_sale_at is None
    edit = staff.get(f"/admin/waitingroom/room/{shows[0].pk}/change/")
    assert edit.status_code == 200 and b"fairness" in edit.content


def test_the_staff_api_puts_a_movie_on_sale_in_a_city_in_one_step(api):
    token = issue_staff_token(name="planner")[1]
    movie = MovieFactory()
    cinema = CinemaFactory()
    near = CinemaFactory(city=cinema.city)
    far = CinemaFactory()
    here = [ShowFactory(movie=movie, hall=HallFactory(cinema=c), starts_at=soon(days=6))
            for c in (cinema, near)]
    elsewhere = ShowFactory(movie=movie, hall=HallFactory(cinema=far), starts_at=soon(days=6))
    at = soon(days=3)
    response = api.post("/api/v1/staff/on-sale", {
        "movie": movie.slug, "city": cinema.city.slug, "on_sale_at": at.isoformat(),
        "waiting_room": True}, token=token)
    assert response.status_code == 200, response.json()
    assert sorted(s["id"] for s in response.json()) == sorted(s.pk for s in here)
    assert all(s["waiting_room"] for s in response.json())
    assert Show.objects.get(pk=elsewhere.pk).on_sale_at is None
    assert AuditEntry.objects.filter(action="put_on_sale").count() == 1
    one = api.post("/api/v1/staff/on-sale", {"movie": movie.slug, "cinema": far.slug,
                                             "on_sale_at": None}, token=token)
    assert one.status_code == 200 and [s["id"] for s in one.json()] == [elsewhere.pk]
    for bad in [{"movie": movie.slug, "on_sale_at": None},
                {"movie": movie.slug, "city": "x", "cinema": "y", "on_sale_at": None},
                {"movie": "nope", "city": cinema.city.slug, "on_sale_at": None},
                {"movie": movie.slug, "city": cinema.city.slug, "on_sale_at": "soon"},
                {"movie": movie.slug, "city": cinema.city.slug,
                 "on_sale_at": soon(days=30).isoformat()},
                {"movie": movie.slug, "city": cinema.city.slug, "on_sale_at": None,
                 "waiting_room": True}]:
        refused = api.post("/api/v1/staff/on-sale", bad, token=token)
        assert refused.status_code == 400, (bad, refused.json())
    assert {s.on_sale_at for s in Show.objects.filter(pk__in=[s.pk for s in here])} == {at}
    assert api.post("/api/v1/staff/on-sale", {}, token=None).status_code == 401


def test_an_on_sale_time_is_fixed_once_seats_are_sold(api):
    token = issue_staff_token(name="planner")[1]
    show = ShowFactory(starts_at=soon(days=6))
    book(show, ["A1"])
    response = api.post("/api/v1/staff/on-sale", {
        "movie": show.movie.slug, "cinema": show.hall.cinema.slug,
        "on_sale_at": soon(days=2).isoformat()}, token=token)
    assert response.status_code == 409 and response.json()["code"] == "show_has_sales"
    assert Show.objects.get(pk=show.pk).on_sale_at is None


def test_the_import_format_carries_on_sale_times_and_waiting_rooms(tmp_path):
    document = catalog()
    on_sale = soon(days=1)
    document["shows"][0] |= {"on_sale_at": on_sale.isoformat(), "waiting_room": True}
    load(tmp_path, document)
    show = Show.objects.get()
    assert show.on_sale_at == on_sale and show.waiting_room
    assert Room.objects.filter(show=show).exists()
    for value, message in [("tomorrow", "on_sale_at"), (None, "waiting_room")]:
        bad = catalog()
        bad["shows"][0] |= ({"on_sale_at": value} if value else
                            {"on_sale_at": None, "waiting_room": True})
        with pytest.raises(CommandError, match=message):
            load(tmp_path, bad)
    bad = catalog()
    bad["shows"][0]["waiting_room"] = "yes"
    with pytest.raises(CommandError, match="waiting_room"):
        load(tmp_path, bad)
