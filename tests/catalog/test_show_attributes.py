"""Showtimes people choose by: format, language, subtitles and accessibility, shown next to each
showtime in symbols and words, filterable on the movie page and in the API, and carried by the
import format, the admin and the staff API."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from catalog.importer import CatalogError, load_catalog
from staff.auth import issue_staff_token
from tests.factories import CinemaFactory, CityFactory, HallFactory, MovieFactory, ShowFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def shows():
    city = CityFactory(slug="lisbon")
    movie = MovieFactory(slug="orbit")
    hall = HallFactory(cinema=CinemaFactory(city=city))
    soon = timezone.now() + timedelta(days=1)
    return {
        "plain": ShowFactory(movie=movie, hall=hall, starts_at=soon),
        "imax": ShowFactory(movie=movie, hall=hall, starts_at=soon + timedelta(hours=3),
                            format="imax", audio_language="en", subtitles="pt"),
        "captioned": ShowFactory(movie=movie, hall=hall, starts_at=soon + timedelta(hours=6),
                                 audio_language="en", captions=True, audio_description=True),
    }


def ids(body):
    return sorted(s["id"] for entry in body["results"] for s in entry["shows"])


def test_the_api_says_what_each_showtime_is_and_filters_by_it(client, shows):
    url = "/api/v1/cities/lisbon/movies/orbit/shows"
    every = client.get(url).json()
    imax = next(s for e in every["results"] for s in e["shows"] if s["id"] == shows["imax"].id)
    assert (imax["format"], imax["audio_language"], imax["subtitles"], imax["accessibility"]) \
        == ("imax", "en", "pt", [])
    assert ids(client.get(url + "?format=imax&subtitles=pt").json()) == [shows["imax"].id]
    assert ids(client.get(url + "?subtitles=none").json()) == sorted(
        [shows["plain"].id, shows["captioned"].id])
    assert ids(client.get(url + "?audio=en&accessibility=captions,audio_description").json()) \
        == [shows["captioned"].id]
    detail = client.get(f"/api/v1/shows/{shows['captioned'].id}").json()
    assert detail["accessibility"] == ["audio_description", "captions"]


@pytest.mark.parametrize("query", ["format=8k", "audio=english", "subtitles=xx",
                                   "accessibility=wheelchair"])
def test_an_unknown_filter_value_is_a_clear_400(client, shows, query):
    response = client.get(f"/api/v1/cities/lisbon/movies/orbit/shows?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == query.split("=")[0]


def test_the_movie_page_shows_them_in_symbols_and_words_and_filters(client, shows):
    page = client.get("/lisbon/orbit/").content.decode()
    assert '<span aria-hidden="true">IMAX</span><span class="visually-hidden">IMAX</span>' in page
    assert '<span class="visually-hidden">Portuguese subtitles</span>' in page
    assert '<span aria-hidden="true">CC</span><span class="visually-hidden">captions for ' in page
    assert '<option value="imax">IMAX</option>' in page  # only what is on is offered
    assert '<option value="3d">' not in page
    filtered = client.get("/lisbon/orbit/?accessibility=captions").content.decode()
    assert f"/shows/{shows['captioned'].id}/" in filtered
    assert f"/shows/{shows['plain'].id}/" not in filtered
    bad = client.get("/lisbon/orbit/?format=8k")
    assert bad.status_code == 400 and "format must be one of" in bad.content.decode()


def test_the_import_format_carries_them_and_refuses_bad_values(shows):
    show = shows["plain"]
    item = {"movie": show.movie.slug, "cinema": show.hall.cinema.slug, "hall": show.hall.name,
            "starts_at": show.local_starts_at.isoformat(), "currency": "USD",
            "prices": {"standard": "12.50", "premium": "16.00", "accessible": "12.50"}}
    load_catalog({"shows": [{**item, "format": "3d", "audio_language": "fr",
                             "subtitles": "en", "accessibility": ["relaxed"]}]})
    show.refresh_from_db()
    assert (show.format, show.audio_language, show.subtitles, show.relaxed) == (
        "3d", "fr", "en", True)
    for bad, where in (({"format": "8k"}, "format"), ({"subtitles": "english"}, "subtitles"),
                       ({"accessibility": "captions"}, "accessibility")):
        with pytest.raises(CatalogError) as raised:
            load_catalog({"shows": [{**item, **bad}]})
        assert str(raised.value).startswith(f"shows[0].{where}: ")
    show.refresh_from_db()
    assert show.format == "3d"


def test_the_admin_and_the_staff_api_carry_them(api, shows):
    User.objects.create_superuser("boss", password="x")
    admin = Client()
    admin.login(username="boss", password="x")
    form = admin.get(f"/admin/catalog/show/{shows['imax'].id}/change/").content.decode()
    assert 'name="format"' in form and 'name="captions"' in form
    token = issue_staff_token(name="partner")[1]
    body = api.get(f"/api/v1/staff/shows/{shows['imax'].id}", token=token).json()
    assert (body["format"], body["subtitles"]) == ("imax", "pt")


def test_the_demo_has_them():
    from catalog.demo import build_demo_catalog

    shows = build_demo_catalog(timezone.localdate())["shows"]
    assert {s.get("format", "2d") for s in shows} >= {"2d", "imax", "imax-3d"}
    assert any("captions" in s.get("accessibility", []) for s in shows)
    assert any(s.get("subtitles") == "pt" for s in shows)
