from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import queries, show_attributes
from catalog.models import City, Movie, Show
from catalog.serializers import (
    CinemaShowtimesSerializer,
    CitySerializer,
    MovieSerializer,
    ShowSerializer,
)
from ticketing.i18n import _


def _city(slug: str) -> City:
    city = City.objects.filter(slug=slug).first()
    if city is None:
        raise NotFound(_("No city with slug {slug!r}.", slug=slug))
    return city


def _movie(slug: str) -> Movie:
    movie = Movie.objects.filter(slug=slug).first()
    if movie is None:
        raise NotFound(_("No movie with slug {slug!r}.", slug=slug))
    return movie


def show_or_404(show_id: int) -> Show:
    show = (Show.objects.select_related("movie", "hall__cinema").with_map_state()
            .filter(pk=show_id).first())
    if show is None:
        raise NotFound(_("No show with id {show_id}.", show_id=show_id))
    return show


class CityList(generics.ListAPIView):
    """Cities with at least one of our cinemas."""

    serializer_class = CitySerializer

    def get_queryset(self) -> QuerySet[City]:
        return queries.cities_with_cinemas().order_by("name")


class CityMovieList(generics.ListAPIView):
    """Movies with upcoming shows in the city."""

    serializer_class = MovieSerializer

    def get_queryset(self) -> QuerySet[Movie]:
        return queries.movies_showing_in(_city(self.kwargs["city"]))


class _NoFormatOverride:
    URL_FORMAT_OVERRIDE = None


class ShowtimeNegotiation(DefaultContentNegotiation):
    """Here ``?format=`` chooses IMAX or 3D, not the answer's media type (always JSON)."""

    settings = _NoFormatOverride


class MovieShowList(generics.GenericAPIView):
    """Cinemas in the city showing the movie, each with its upcoming shows; ``format``,
    ``audio``, ``subtitles`` and ``accessibility`` choose among them."""

    serializer_class = CinemaShowtimesSerializer
    content_negotiation_class = ShowtimeNegotiation

    @extend_schema(parameters=[
        OpenApiParameter("format", str, enum=list(show_attributes.FORMATS)),
        OpenApiParameter("audio", str, description="the language heard, e.g. en"),
        OpenApiParameter("subtitles", str, description="the subtitles' language, or none"),
        OpenApiParameter("accessibility", str, description="comma list, all required: "
                         + ", ".join(show_attributes.ACCESSIBILITY))])
    def get(self, request: Request, city: str, movie: str) -> Response:
        shows = show_attributes.filter_shows(
            queries.upcoming_shows(_city(city), _movie(movie)), request.query_params)
        grouped = queries.showtimes_by_cinema(shows)
        entries = [{"cinema": g.cinema, "shows": [s for d in g.days for s in d.shows]}
                   for g in grouped]
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ShowDetail(APIView):
    @extend_schema(responses=ShowSerializer)
    def get(self, request: Request, show_id: int) -> Response:
        return Response(ShowSerializer(show_or_404(show_id)).data)
