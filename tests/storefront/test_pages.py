import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import CinemaFactory, CityFactory, HallFactory, MovieFactory, ShowFactory
from tests.helpers import book, put_on_hold

pytestmark = pytest.mark.django_db


def test_home_lists_cities_with_cinemas(client):
    CinemaFactory(city=CityFactory(name="Springfield", slug="springfield"))
    CityFactory(name="Ghost Town", slug="ghost-town")
    page = client.get("/").content.decode()
    assert "Springfield" in page and 'href="/springfield/"' in page
    assert "Ghost Town" not in page


def test_home_says_when_there_is_nothing(client):
    assert "No cinemas are open yet" in client.get("/").content.decode()


def test_city_page_lists_only_movies_with_upcoming_shows_there(client):
    city, elsewhere = CityFactory(slug="here"), CityFactory(slug="there")
    here_hall = HallFactory(cinema=CinemaFactory(city=city))
    ShowFactory(movie=MovieFactory(title="Upcoming Here"), hall=here_hall)
    ShowFactory(movie=MovieFactory(title="Already Started"), hall=here_hall,
                starts_at=timezone.now() - timedelta(minutes=1))
    ShowFactory(movie=MovieFactory(title="Only There"),
                hall=HallFactory(cinema=CinemaFactory(city=elsewhere)))
    page = client.get("/here/").content.decode()
    assert "Upcoming Here" in page
    assert "Already Started" not in page
    assert "Only There" not in page


def test_city_without_shows_says_so(client):
    CinemaFactory(city=CityFactory(slug="quiet", name="Quiet"))
    assert "No upcoming shows in Quiet" in client.get("/quiet/").content.decode()


def test_movie_page_groups_showtimes_by_cinema_and_local_day(client):
    city = CityFactory(slug="world")
    movie = MovieFactory(slug="film", title="Film")
    tokyo = HallFactory(cinema=CinemaFactory(city=city, name="Tokyo Screen",
                                             timezone="Asia/Tokyo"))
    chicago = HallFactory(cinema=CinemaFactory(city=city, name="Chicago Screen",
                                               timezone="America/Chicago"))
    next_year = timezone.now().year + 1
    # 20:00 UTC on 10 March is 05:00 on 11 March in Tokyo and 14:00 (CST) on 10 March in Chicago.
    start = datetime(next_year, 3, 10, 20, 0, tzinfo=UTC)
    ShowFactory(movie=movie, hall=tokyo, starts_at=start)
    ShowFactory(movie=movie, hall=chicago, starts_at=start)
    ShowFactory(movie=movie, hall=chicago, starts_at=timezone.now() - timedelta(hours=1))
    page = client.get("/world/film/").content.decode()
    tokyo_part = page[page.index("Tokyo Screen"):]
    chicago_part = page[page.index("Chicago Screen"):page.index("Tokyo Screen")]
    assert "Wednesday 11 March" in tokyo_part or "11 March" in tokyo_part
    assert ">05:00</time>" in tokyo_part
    assert "10 March" in chicago_part and ">14:00</time>" in chicago_part
    assert chicago_part.count("<time") == 1  # the started show is not listed
    assert f'datetime="{next_year}-03-11T05:00:00+09:00"' in tokyo_part


def test_movie_with_no_upcoming_shows_in_city_says_so(client):
    CityFactory(slug="c", name="C")
    MovieFactory(slug="m", title="M")
    assert "M has no upcoming shows in C" in client.get("/c/m/").content.decode()


def test_show_page_draws_the_hall_with_every_state(client):
    show = ShowFactory(hall=HallFactory(layout=["A: ss_ss", "B: pp_pa", "C: sx_ss"]))
    put_on_hold(show, ["A1"])
    put_on_hold(show, ["A2"], minutes=-1)  # expired, not swept: available
    book(show, ["B1", "B2"])
    page = client.get(f"/shows/{show.id}/").content.decode()
    labels = dict(re.findall(r'aria-label="Row (\w), seat (\d+), [a-z]+, (\w+)"', page) and
                  [((r + n), s) for r, n, s in
                   re.findall(r'aria-label="Row (\w), seat (\d+), [a-z]+, (\w+)"', page)])
    assert labels == {"A1": "held", "A2": "available", "A3": "available", "A4": "available",
                      "B1": "booked", "B2": "booked", "B3": "available", "B4": "available",
                      "C1": "available", "C2": "blocked", "C3": "available", "C4": "available"}
    assert 'aria-label="Row B, seat 4, accessible, available"' in page
    assert page.count('class="gap"') == 3  # one aisle per row
    assert "Screen" in page and "Legend" in page
    assert "$16.00" in page  # premium price in the legend
    assert "8 seats available" in page


def test_started_show_page_says_booking_is_closed(client):
    show = ShowFactory(starts_at=timezone.now() - timedelta(minutes=5))
    assert "booking is closed" in client.get(f"/shows/{show.id}/").content.decode()


@pytest.mark.parametrize("url", ["/nowhere/", "/nowhere/nothing/", "/shows/999999/"])
def test_unknown_things_are_404_pages(client, url):
    CityFactory(slug="real")
    response = client.get(url)
    assert response.status_code == 404
    assert "couldn't find that page" in response.content.decode()


def test_unknown_movie_in_known_city_is_404(client):
    CityFactory(slug="real")
    assert client.get("/real/nothing/").status_code == 404


def _grow(city, movie, cinemas: int, shows_per_cinema: int, layout=None):
    for _ in range(cinemas):
        hall = HallFactory(cinema=CinemaFactory(city=city), layout=layout)
        for i in range(shows_per_cinema):
            ShowFactory(movie=movie, hall=hall,
                        starts_at=timezone.now() + timedelta(days=1 + i))


def test_pages_run_a_fixed_number_of_queries(client, django_assert_num_queries):
    city, movie = CityFactory(slug="q"), MovieFactory(slug="m")
    _grow(city, movie, 1, 1)
    show_small = movie.shows.first()
    urls = ["/", "/q/", "/q/m/"]
    # The movie page: city, movie, what its showtimes can be chosen by, the showtimes.
    for url in urls:
        with django_assert_num_queries(1 if url == "/" else 2 if url == "/q/" else 4):
            assert client.get(url).status_code == 200
    with django_assert_num_queries(2):  # a first visit (a returning browser also reads its
        Client().get(f"/shows/{show_small.id}/")  # session: one query more)
    _grow(city, movie, 4, 3, layout=[f"{r}: " + "s" * 20 for r in "ABCDEFGHJK"])
    _grow(city, MovieFactory(), 2, 2)
    big_show = movie.shows.order_by("-id").first()
    for url in urls:
        with django_assert_num_queries(1 if url == "/" else 2 if url == "/q/" else 4):
            assert client.get(url).status_code == 200
    with django_assert_num_queries(2):
        response = Client().get(f"/shows/{big_show.id}/")
    assert response.content.decode().count("data-seat=") == 200
