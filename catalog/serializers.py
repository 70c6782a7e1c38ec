from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog import show_attributes
from catalog.models import Cinema, City, Movie, Show


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["slug", "name"]


class MovieSerializer(serializers.ModelSerializer):
    class Meta:
        model = Movie
        fields = ["slug", "title", "duration_minutes", "rating", "release_date", "genres",
                  "synopsis"]


class CinemaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cinema
        fields = ["slug", "name", "address", "timezone"]


@extend_schema_field(OpenApiTypes.DATETIME)
class LocalStartField(serializers.Field):
    """A show's start as ISO 8601 with the cinema's own UTC offset."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, show: Show) -> str:
        return show.local_starts_at.isoformat()


@extend_schema_field({"type": "array", "items": {"enum": list(show_attributes.ACCESSIBILITY)}})
class AccessibilityField(serializers.Field):
    """The showtime's accessibility, as a list: audio_description, captions, relaxed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, show: Show) -> list[str]:
        return show_attributes.accessibility_of(show)


ATTRIBUTE_FIELDS = ["format", "audio_language", "subtitles", "accessibility"]


class ShowtimeSerializer(serializers.ModelSerializer):
    starts_at = LocalStartField()
    hall = serializers.CharField(source="hall.name")
    accessibility = AccessibilityField()

    class Meta:
        model = Show
        fields = ["id", "starts_at", "hall", *ATTRIBUTE_FIELDS]


class CinemaShowtimesSerializer(serializers.Serializer):
    cinema = CinemaSerializer()
    shows = ShowtimeSerializer(many=True)


class ShowSerializer(serializers.ModelSerializer):
    movie = MovieSerializer()
    cinema = CinemaSerializer(source="hall.cinema")
    hall = serializers.CharField(source="hall.name")
    starts_at = LocalStartField()
    prices = serializers.SerializerMethodField()
    accessibility = AccessibilityField()

    class Meta:
        model = Show
        fields = ["id", "movie", "cinema", "hall", "starts_at", "currency", "prices",
                  *ATTRIBUTE_FIELDS]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"standard": "12.50", "premium": "16.00"}})
    def get_prices(self, show: Show) -> dict[str, str]:
        return {category: str(amount) for category, amount in show.prices.items()}
