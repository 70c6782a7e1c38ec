from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog import show_attributes
from catalog.models import Cinema, City, Movie, Show
from catalog.pricing import PriceList, price_list


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
        fields = ["id", "starts_at", "hall", "on_sale_at", "waiting_room", *ATTRIBUTE_FIELDS]


class CinemaShowtimesSerializer(serializers.Serializer):
    cinema = CinemaSerializer()
    shows = ShowtimeSerializer(many=True)


class TicketTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    prices = serializers.DictField(child=serializers.CharField(),
                                   help_text="All-in price per seat category")
    fee = serializers.CharField(help_text="The booking fee within each price")
    carer = serializers.BooleanField(help_text="Only with a wheelchair space, one per space")


class ShowSerializer(serializers.ModelSerializer):
    movie = MovieSerializer()
    cinema = CinemaSerializer(source="hall.cinema")
    hall = serializers.CharField(source="hall.name")
    starts_at = LocalStartField()
    prices = serializers.SerializerMethodField()
    accessibility = AccessibilityField()

    ticket_types = serializers.SerializerMethodField()
    default_ticket_type = serializers.SerializerMethodField()

    class Meta:
        model = Show
        fields = ["id", "movie", "cinema", "hall", "starts_at", "on_sale_at", "waiting_room",
                  "currency", "prices", "ticket_types", "default_ticket_type", *ATTRIBUTE_FIELDS]

    def _price_list(self, show: Show) -> PriceList | None:
        if not hasattr(show, "_price_list"):
            show._price_list = price_list(show)
        return show._price_list

    @extend_schema_field(TicketTypeSerializer(many=True))
    def get_ticket_types(self, show: Show) -> list[dict]:
        """Empty for a show that sells one kind of ticket (at ``prices``)."""
        prices = self._price_list(show)
        if prices is None:
            return []
        return [{"code": t.code, "name": t.name, "fee": str(prices.fee),
                 "carer": t.needs_wheelchair_space,
                 "prices": {category: str(p.amount) for (code, category), p in
                            prices.prices.items() if code == t.code}}
                for t in prices.types]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_default_ticket_type(self, show: Show) -> str | None:
        prices = self._price_list(show)
        return prices.default.code if prices else None

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"standard": "12.50", "premium": "16.00"}})
    def get_prices(self, show: Show) -> dict[str, str]:
        return {category: str(amount) for category, amount in show.prices.items()}
