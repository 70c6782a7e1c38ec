from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import CinemaFactory, CityFactory, HallFactory, MovieFactory, ShowFactory
from tests.helpers import book, put_on_hold

pytestmark = pytest.mark.django_db


def test_cities(client):
    CinemaFactory(city=CityFactory(slug="springfield", name="Springfield"))
    CityFactory(slug="empty")
    body = client.get("/api/v1/cities").json()
    assert body["count"] == 1
    assert body["results"] == [{"slug": "springfield", "name": "Springfield"}]


def test_movies_in_city_are_only_those_with_upcoming_shows_there(client):
    city = CityFactory(slug="here")
    hall = HallFactory(cinema=CinemaFactory(city=city))
    ShowFactory(movie=MovieFactory(slug="on", title="On"), hall=hall)
    ShowFactory(movie=MovieFactory(slug="past"), hall=hall,
                starts_at=timezone.now() - timedelta(hours=1))
    ShowFactory(movie=MovieFactory(slug="away"))
    body = client.get("/api/v1/cities/here/movies").json()
    assert [m["slug"] for m in body["results"]] == ["on"]
    assert set(body["results"][0]) >= {"slug", "title", "duration_minutes", "rating",
                                       "release_date", "genres", "synopsis"}


def test_shows_of_a_movie_grouped_by_cinema_with_local_offsets(client):
    city = CityFactory(slug="c")
    movie = MovieFactory(slug="m")
    cinema = CinemaFactory(city=city, slug="tokyo", name="Tokyo", timezone="Asia/Tokyo")
    hall = HallFactory(cinema=cinema, name="Screen 1")
    start = datetime(timezone.now().year + 1, 6, 1, 10, 0, tzinfo=UTC)
    show = ShowFactory(movie=movie, hall=hall, starts_at=start)
    ShowFactory(movie=movie, hall=hall, starts_at=timezone.now() - timedelta(hours=3))
    body = client.get("/api/v1/cities/c/movies/m/shows").json()
    assert body["results"] == [{
        "cinema": {"slug": "tokyo", "name": "Tokyo", "address": "1 Main St",
                   "timezone": "Asia/Tokyo"},
        "shows": [{"id": show.id, "starts_at": f"{start.year}-06-01T19:00:00+09:00",
                   "hall": "Screen 1", "on_sale_at": None, "waiting_room": False,
                   "format": "2d", "audio_language": "", "subtitles": "",
                   "accessibility": []}],
    }]


def test_show_detail(client):
    show = ShowFactory()
    body = client.get(f"/api/v1/shows/{show.id}").json()
    assert body["id"] == show.id
    assert body["movie"]["slug"] == show.movie.slug
    assert body["cinema"]["timezone"] == "America/Chicago"
    assert body["currency"] == "USD"
    assert body["prices"] == {"standard": "12.50", "premium": "16.00", "accessible": "12.50"}
    assert datetime.fromisoformat(body["starts_at"]) == show.starts_at


def test_seat_map_states(client):
    show = ShowFactory(hall=HallFactory(layout=["A: ss_ss", "B: pp_pa", "C: sx_ss"]))
    put_on_hold(show, ["A1"])
    put_on_hold(show, ["A2"], minutes=-1)
    book(show, ["B2"])
    body = client.get(f"/api/v1/shows/{show.id}/seats").json()
    assert body["show"] == show.id
    states = {f"{s['row']}{s['number']}": s["state"] for s in body["seats"]}
    assert states["A1"] == "held" and states["A2"] == "available"
    assert states["B2"] == "booked" and states["C2"] == "blocked"
    b4 = next(s for s in body["seats"] if s["row"] == "B" and s["number"] == 4)
    assert b4 == {"id": b4["id"], "row": "B", "number": 4, "category": "accessible",
                  "state": "available", "grid_row": 1, "grid_col": 4}


@pytest.mark.parametrize("url", [
    "/api/v1/cities/nowhere/movies",
    "/api/v1/cities/nowhere/movies/x/shows",
    "/api/v1/shows/424242",
    "/api/v1/shows/424242/seats",
])
def test_unknown_is_404_json(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "No " in response.json()["detail"]


def test_api_runs_a_fixed_number_of_queries(client):
    city, movie = CityFactory(slug="q"), MovieFactory(slug="m")
    urls = ["/api/v1/cities", "/api/v1/cities/q/movies", "/api/v1/cities/q/movies/m/shows"]

    def measure() -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        counts = {}
        for url in [*urls, f"/api/v1/shows/{movie.shows.last().id}",
                    f"/api/v1/shows/{movie.shows.last().id}/seats"]:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts[url.replace(f"/shows/{movie.shows.last().id}", "/shows/ID")] = len(
                ctx.captured_queries)
        return counts

    ShowFactory(movie=movie, hall=HallFactory(cinema=CinemaFactory(city=city)))
    small = measure()
    for _ in range(3):
        hall = HallFactory(cinema=CinemaFactory(city=city),
                           layout=[f"{r}: " + "s" * 15 for r in "ABCDEFGH"])
        for day in range(3):
            ShowFactory(movie=movie, hall=hall, starts_at=timezone.now() + timedelta(days=day + 1))
    assert measure() == small


def test_schema_and_docs(client):
    schema = client.get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/shows/{show_id}/seats" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
