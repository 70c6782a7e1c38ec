"""Read-side queries shared by the pages and the JSON API, each a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from django.db.models import Count, Min, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from catalog.models import Cinema, City, Movie, Show


def cities_with_cinemas() -> QuerySet[City]:
    return City.objects.annotate(cinema_count=Count("cinemas")).filter(cinema_count__gt=0)


def movies_showing_in(city: City, now: datetime | None = None) -> QuerySet[Movie]:
    """Movies with at least one upcoming show in the city, with their next start."""
    upcoming = Q(shows__hall__cinema__city=city, shows__starts_at__gt=now or timezone.now())
    return (
        Movie.objects.annotate(
            next_show=Min("shows__starts_at", filter=upcoming),
            cinema_count=Count("shows__hall__cinema", filter=upcoming, distinct=True),
        )
        .filter(next_show__isnull=False)
        .order_by("title")
    )


def upcoming_shows(city: City, movie: Movie, now: datetime | None = None) -> QuerySet[Show]:
    return (
        Show.objects.upcoming(now)
        .in_city(city)
        .filter(movie=movie)
        .select_related("hall__cinema")
        .order_by("hall__cinema__name", "hall__cinema_id", "starts_at")
    )


@dataclass
class ShowDay:
    day: date
    shows: list[Show]


@dataclass
class CinemaShowtimes:
    cinema: Cinema
    days: list[ShowDay]


def showtimes_by_cinema(shows: QuerySet[Show]) -> list[CinemaShowtimes]:
    """Group shows by cinema, then by day in that cinema's own time zone."""
    result = []
    for _, cinema_shows in groupby(shows, key=lambda show: show.hall.cinema_id):
        cinema_shows = list(cinema_shows)
        cinema = cinema_shows[0].hall.cinema
        days = [
            ShowDay(day=day, shows=list(day_shows))
            for day, day_shows in groupby(cinema_shows, key=lambda s: s.local_starts_at.date())
        ]
        result.append(CinemaShowtimes(cinema=cinema, days=days))
    return result


def get_show(show_id: int) -> Show:
    return get_object_or_404(
        Show.objects.select_related("movie", "hall__cinema__city").with_map_state(), pk=show_id)
