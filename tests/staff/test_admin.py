import html
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.utils import timezone

from catalog.models import Cinema, Hall, Movie, Show
from staff.models import CinemaStaff
from staff.timezones import staff_time_zone
from tests.factories import CinemaFactory, MovieFactory, ShowFactory
from tests.helpers import put_on_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("staff", "staff@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def test_admin_needs_staff_credentials(client):
    response = client.get("/admin/catalog/show/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    User.objects.create_user("visitor", password="pw-for-tests-only")
    client.login(username="visitor", password="pw-for-tests-only")
    assert client.get("/admin/catalog/show/").status_code == 302


@pytest.mark.parametrize("model", ["city", "cinema", "hall", "movie", "show"])
def test_changelists_with_search_and_filters(staff, model):
    show = ShowFactory()
    assert staff.get(f"/admin/catalog/{model}/").status_code == 200
    assert staff.get(f"/admin/catalog/{model}/?q=a").status_code == 200
    assert staff.get(f"/admin/catalog/{model}/{_pk(model, show)}/change/").status_code == 200


def _pk(model, show):
    return {"city": show.hall.cinema.city_id, "cinema": show.hall.cinema_id,
            "hall": show.hall_id, "movie": show.movie_id, "show": show.id}[model]


def test_show_filters_by_city_cinema_and_date(staff):
    show = ShowFactory()
    city, cinema = show.hall.cinema.city_id, show.hall.cinema_id
    day = show.starts_at.date()
    for query in (f"hall__cinema__city__id__exact={city}", f"hall__cinema__id__exact={cinema}",
                  f"starts_at__day={day.day}&starts_at__month={day.month}"
                  f"&starts_at__year={day.year}"):
        response = staff.get(f"/admin/catalog/show/?{query}")
        assert response.status_code == 200 and show.movie.title in response.content.decode()


def test_changelist_query_count_does_not_grow(staff, django_assert_max_num_queries):
    for _ in range(3):
        ShowFactory()
    with django_assert_max_num_queries(12):
        staff.get("/admin/catalog/show/")
    for _ in range(10):
        ShowFactory()
    with django_assert_max_num_queries(12):
        staff.get("/admin/catalog/show/")


def test_hall_editor_creates_seats_from_the_layout(staff):
    cinema = CinemaFactory()
    response = staff.post("/admin/catalog/hall/add/", {
        "cinema": cinema.id, "name": "Screen 7", "layout": "A: ss_ss\nB: pp_pa\n"})
    assert response.status_code == 302
    hall = Hall.objects.get(name="Screen 7")
    assert hall.layout == ["A: ss_ss", "B: pp_pa"]
    assert [s.label for s in hall.seats.all()] == ["A1", "A2", "A3", "A4",
                                                   "B1", "B2", "B3", "B4"]
    page = staff.get(f"/admin/catalog/hall/{hall.id}/change/").content.decode()
    assert "Row B, seat 4, accessible" in page  # the preview


def test_hall_editor_reports_bad_layout_by_row(staff):
    cinema = CinemaFactory()
    response = staff.post("/admin/catalog/hall/add/", {
        "cinema": cinema.id, "name": "Bad", "layout": "A: ss\nB: sq"})
    assert response.status_code == 200
    assert "row 2: unknown seat code &#x27;q&#x27;" in response.content.decode()
    assert not Hall.objects.filter(name="Bad").exists()


def test_hall_live_preview(staff):
    ok = staff.post("/admin/catalog/hall/preview/", {"layout": "A: s_p\nB: ax"})
    assert "Row A, seat 2, premium" in ok.content.decode()
    assert "1 standard · 1 premium · 1 accessible · 1 blocked" in ok.content.decode()
    bad = staff.post("/admin/catalog/hall/preview/", {"layout": "A: s?"})
    assert "row 1: unknown seat code" in bad.content.decode()


def test_hall_layout_is_locked_once_seats_are_held(staff):
    show = ShowFactory()
    put_on_hold(show, ["A1"])
    hall = show.hall
    response = staff.post(f"/admin/catalog/hall/{hall.id}/change/", {
        "cinema": hall.cinema_id, "name": hall.name, "layout": "A: ssss"})
    assert response.status_code == 200
    assert "cannot change" in response.content.decode()
    hall.refresh_from_db()
    assert hall.layout != ["A: ssss"]


def _show_form(show, start):
    local = timezone.localtime(start, show.hall.cinema.tz)  # typed as the cinema's clock reads
    return {"movie": show.movie_id, "hall": show.hall_id,
            "starts_at_0": local.strftime("%Y-%m-%d"), "starts_at_1": local.strftime("%H:%M:%S"),
            "currency": "USD", "price_standard": "10.00", "price_premium": "14.00",
            "price_accessible": "10.00", "format": "2d"}


def test_scheduling_an_overlapping_show_is_refused_clearly(staff):
    show = ShowFactory(movie=MovieFactory(title="First Feature", duration_minutes=100))
    response = staff.post("/admin/catalog/show/add/",
                          _show_form(show, show.starts_at + timedelta(minutes=114)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "overlaps First Feature in" in page and "15-minute cleaning gap" in page
    assert Show.objects.count() == 1
    response = staff.post("/admin/catalog/show/add/",
                          _show_form(show, show.starts_at + timedelta(minutes=115)))
    assert response.status_code == 302
    new = Show.objects.exclude(pk=show.pk).get()
    assert new.inventory.count() == new.hall.seats.count()


def test_scheduling_requires_prices_for_the_halls_categories(staff):
    show = ShowFactory()
    form = _show_form(show, show.starts_at + timedelta(days=1))
    form["price_premium"] = ""
    response = staff.post("/admin/catalog/show/add/", form)
    assert "a premium price is required" in response.content.decode()


def test_lengthening_a_movie_into_the_next_show_is_refused(staff):
    movie = MovieFactory(duration_minutes=100)
    first = ShowFactory(movie=movie)
    ShowFactory(hall=first.hall, starts_at=first.starts_at + timedelta(minutes=120))
    form = {"slug": movie.slug, "title": movie.title, "duration_minutes": 110, "rating": "",
            "genres": '["Drama"]', "synopsis": ""}
    response = staff.post(f"/admin/catalog/movie/{movie.id}/change/", form)
    assert response.status_code == 200 and "would overlap" in response.content.decode()
    assert Movie.objects.get(pk=movie.pk).duration_minutes == 100
    form["duration_minutes"] = 105
    assert staff.post(f"/admin/catalog/movie/{movie.id}/change/", form).status_code == 302
    first.refresh_from_db()
    assert first.ends_at == first.starts_at + timedelta(minutes=120)


def test_a_show_with_sales_cannot_move_in_the_admin(staff):
    show = ShowFactory()
    other = Hall.objects.create(cinema=show.hall.cinema, name="Screen 9", layout=["A: ss"])
    put_on_hold(show, ["A1"])
    form = _show_form(show, show.starts_at)
    form["hall"] = other.pk
    response = staff.post(f"/admin/catalog/show/{show.pk}/change/", form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "has seats held or booked, so its hall cannot change" in page
    assert "cancel the show" in page
    show.refresh_from_db()
    assert show.hall_id != other.pk


def test_a_shows_times_are_typed_and_shown_as_its_cinemas_clock_reads(staff):
    """Whoever edits it from where: 19:30 at a Tokyo cinema is 10:30 UTC."""
    CinemaFactory(timezone="America/Chicago")  # the chain spans zones: the admin's own is UTC
    tokyo = ShowFactory(hall__cinema__timezone="Asia/Tokyo").hall
    movie = MovieFactory()
    form = {"movie": movie.pk, "hall": tokyo.pk, "starts_at_0": "2030-12-20",
            "starts_at_1": "19:30:00", "on_sale_at_0": "2030-12-01", "on_sale_at_1": "10:00:00",
            "currency": "USD", "price_standard": "10.00", "price_premium": "14.00",
            "price_accessible": "10.00", "format": "2d"}
    assert staff.post("/admin/catalog/show/add/", form).status_code == 302
    show = Show.objects.get(movie=movie)
    assert show.starts_at == datetime(2030, 12, 20, 10, 30, tzinfo=UTC)
    assert show.on_sale_at == datetime(2030, 12, 1, 1, 0, tzinfo=UTC)
    page = staff.get(f"/admin/catalog/show/{show.pk}/change/").content.decode()
    assert 'value="2030-12-20"' in page and 'value="19:30:00"' in page
    assert 'value="10:00:00"' in page and "s own time; blank: on sale at once" in page


def test_the_admins_days_are_the_staff_members_own(staff):
    """The date filter's "Today" is today at the cinemas (all in Chicago here), not in UTC."""
    chicago = ZoneInfo("America/Chicago")
    today = timezone.localdate(timezone=chicago)

    def at(day, hour: int, minute: int) -> Show:
        return ShowFactory(starts_at=datetime.combine(
            day, time(hour, minute), tzinfo=chicago))

    today_shows = {at(today, 0, 30), at(today, 12, 0), at(today, 23, 30)}
    at(today + timedelta(days=1), 0, 30)
    at(today - timedelta(days=1), 23, 30)
    listing = staff.get("/admin/catalog/show/").content.decode()
    link = re.search(r'href="(\?starts_at__gte=[^"]+)"[^>]*>Today<', listing)[1]
    page = staff.get("/admin/catalog/show/" + html.unescape(link))
    shown = {int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"',
                                          page.content.decode())}
    assert shown == {show.pk for show in today_shows}


def test_a_staff_members_zone_is_their_cinemas(django_user_model):
    """The rule behind the admin's zone: their cinemas' shared zone, else the chain's, else
    none (UTC)."""
    tokyo = CinemaFactory(timezone="Asia/Tokyo")
    CinemaFactory(timezone="America/Chicago")
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    CinemaStaff.objects.create(user=clerk, cinema=tokyo, can_sell=True)
    boss = django_user_model.objects.create_superuser("boss", "b@example.com", "pw-x")
    assert staff_time_zone(clerk) == ZoneInfo("Asia/Tokyo")
    assert staff_time_zone(boss) is None  # the chain spans zones
    Cinema.objects.exclude(pk=tokyo.pk).delete()
    assert staff_time_zone(boss) == ZoneInfo("Asia/Tokyo")


def _form_at(show, day: str, clock: str, **changes) -> dict:
    return {"movie": show.movie_id, "hall": show.hall_id, "starts_at_0": day,
            "starts_at_1": clock, "currency": "USD", "price_standard": "10.00",
            "price_premium": "14.00", "price_accessible": "10.00", "format": "2d", **changes}


def test_times_are_read_on_the_cinemas_clock_not_the_admins(staff):
    """An admin in Lisbon types a Tokyo show's time: it is Tokyo's, even on the night Lisbon's
    clocks go back (01:30 happens twice in Lisbon, once in Tokyo)."""
    show = ShowFactory(hall__cinema__timezone="Asia/Tokyo")
    with mock.patch("staff.timezones.staff_time_zone", return_value=ZoneInfo("Europe/Lisbon")):
        saved = staff.post(f"/admin/catalog/show/{show.pk}/change/",
                           _form_at(show, "2030-10-27", "01:30:00"))
    assert saved.status_code == 302
    show.refresh_from_db()
    assert show.starts_at == datetime(2030, 10, 26, 16, 30, tzinfo=UTC)


def test_the_clocks_changing_neither_moves_a_show_nor_lets_one_be_typed_ambiguously(staff):
    chicago = ZoneInfo("America/Chicago")  # every cinema's here: the admin's zone too
    # The second 01:30 of the night Chicago's clocks go back.
    second = datetime(2030, 11, 3, 7, 30, tzinfo=UTC)
    assert second.astimezone(chicago).strftime("%H:%M") == "01:30"
    show = ShowFactory(starts_at=second)
    edited = staff.post(f"/admin/catalog/show/{show.pk}/change/",
                        _form_at(show, "2030-11-03", "01:30:00", price_standard="11.00"))
    assert edited.status_code == 302
    show.refresh_from_db()
    assert show.starts_at == second and show.price_standard == Decimal("11.00")
    other = ShowFactory(starts_at=second + timedelta(days=30))
    for day, clock, words in (("2030-11-03", "01:30:00", "happens twice in America/Chicago"),
                              ("2030-03-10", "02:30:00", "does not happen in America/Chicago")):
        refused = staff.post("/admin/catalog/show/add/", _form_at(other, day, clock))
        assert refused.status_code == 200 and words in refused.content.decode()
    assert Show.objects.count() == 2


def test_the_admin_answers_when_the_zone_cannot_be_read(staff):
    with mock.patch("staff.timezones.Cinema.objects.values_list",
                    side_effect=OperationalError("connection refused")):
        assert staff.get("/admin/catalog/show/").status_code == 200
