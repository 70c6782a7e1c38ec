"""The staff and partner API: manage the catalog, see a show's bookings and waiting list,
call a show off. Token-authenticated (StaffToken); everything goes through the services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from booking import house_seats as house
from booking.models import Booking, BookingSeat
from catalog.importer import CatalogError, load_catalog
from catalog.layout import CATEGORIES, LayoutError
from catalog.models import PRICE_FIELDS, Cinema, City, Hall, Movie, PriceCard, Show
from catalog.services import put_on_sale, save_movie, save_show, set_hall_layout
from staff.auth import IsStaffToken, StaffTokenAuthentication
from staff.services import cancel_show
from ticketing import audit
from ticketing.errors import InvalidRequest
from waitlist.models import WaitlistEntry


def _django_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(
        error.message_dict if hasattr(error, "error_dict") else {"non_field_errors":
                                                                 error.messages})


class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   mixins.UpdateModelMixin, viewsets.GenericViewSet):
    authentication_classes = [StaffTokenAuthentication]
    permission_classes = [IsStaffToken]


class StaffCitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["slug", "name"]


class StaffCityViewSet(StaffViewSet):
    queryset = City.objects.order_by("name")
    serializer_class = StaffCitySerializer
    lookup_field = "slug"


class StaffCinemaSerializer(serializers.ModelSerializer):
    city = serializers.SlugRelatedField(slug_field="slug", queryset=City.objects.all())
    halls = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Cinema
        fields = ["slug", "city", "name", "address", "timezone", "no_stranded_seats",
                  "companion_seats_open_minutes", "halls"]


class StaffCinemaViewSet(StaffViewSet):
    queryset = Cinema.objects.select_related("city").prefetch_related("halls").order_by("name")
    serializer_class = StaffCinemaSerializer
    lookup_field = "slug"


class StaffHallSerializer(serializers.ModelSerializer):
    cinema = serializers.SlugRelatedField(slug_field="slug", queryset=Cinema.objects.all())
    layout = serializers.ListField(child=serializers.CharField(trim_whitespace=False),
                                   allow_empty=False)

    class Meta:
        model = Hall
        fields = ["id", "cinema", "name", "layout"]

    def save(self, **kwargs):
        data = {**self.validated_data, **kwargs}
        hall = self.instance or Hall()
        layout = data.pop("layout", hall.layout)
        for field, value in data.items():
            setattr(hall, field, value)
        try:
            set_hall_layout(hall=hall, layout=layout)
            hall.full_clean()
            hall.save()
        except LayoutError as exc:
            where = "" if exc.row is None else f"row {exc.row + 1}: "
            raise serializers.ValidationError({"layout": [where + exc.message]}) from None
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        self.instance = hall
        return hall


class StaffHallViewSet(StaffViewSet):
    queryset = Hall.objects.select_related("cinema").order_by("cinema__name", "name")
    serializer_class = StaffHallSerializer


class StaffMovieSerializer(serializers.ModelSerializer):
    class Meta:
        model = Movie
        fields = ["slug", "title", "duration_minutes", "rating", "release_date", "genres",
                  "synopsis"]

    def save(self, **kwargs):
        movie = self.instance or Movie()
        for field, value in {**self.validated_data, **kwargs}.items():
            setattr(movie, field, value)
        try:
            self.instance = save_movie(movie=movie)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return self.instance


class StaffMovieViewSet(StaffViewSet):
    queryset = Movie.objects.order_by("title")
    serializer_class = StaffMovieSerializer
    lookup_field = "slug"


class StaffShowSerializer(serializers.ModelSerializer):
    movie = serializers.SlugRelatedField(slug_field="slug", queryset=Movie.objects.all())
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.all())
    price_card = serializers.SlugRelatedField(
        slug_field="name", queryset=PriceCard.objects.all(), allow_null=True, required=False,
        help_text="A price card's name: the show then sells its ticket types, in its currency")
    prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=8, decimal_places=2), required=False,
        help_text="Without a price card: one kind of ticket, a price per seat category. With "
        "one: the default type's all-in prices (read only)")

    class Meta:
        model = Show
        fields = ["id", "movie", "hall", "starts_at", "ends_at", "price_card", "currency",
                  "prices", "format", "audio_language", "subtitles", "audio_description",
                  "captions", "relaxed", "on_sale_at", "waiting_room", "cancelled_at"]
        read_only_fields = ["ends_at", "cancelled_at"]
        extra_kwargs = {"currency": {"required": False}}

    def to_representation(self, show: Show) -> dict:
        data = super().to_representation(show)
        data["prices"] = {c: str(v) for c, v in show.prices.items()}
        return data

    def validate_prices(self, prices: dict) -> dict:
        unknown = sorted(set(prices) - set(CATEGORIES))
        if unknown:
            raise serializers.ValidationError(f"unknown seat category {unknown[0]!r}")
        return prices

    def save(self, **kwargs):
        show = self.instance or Show()
        data = {**self.validated_data, **kwargs}
        prices = data.pop("prices", None)
        for field, value in data.items():
            setattr(show, field, value)
        if prices is not None and show.price_card_id is None:
            for category, field in PRICE_FIELDS.items():
                setattr(show, field, prices.get(category))
        try:
            self.instance = save_show(show=show)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return self.instance


class StaffPriceCardSerializer(serializers.ModelSerializer):
    """A card in the import format's shape: prices per ticket type and seat category."""

    prices = serializers.SerializerMethodField()
    surcharges = serializers.SerializerMethodField()

    class Meta:
        model = PriceCard
        fields = ["id", "name", "currency", "booking_fee", "prices", "surcharges"]

    @extend_schema_field({"type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": {"type": "string"}},
        "example": {"adult": {"standard": "12.50"}, "child": {"standard": "8.50"}}})
    def get_prices(self, card: PriceCard) -> dict:
        prices: dict[str, dict[str, str]] = {}
        for row in card.prices.all():
            prices.setdefault(row.ticket_type.code, {})[row.category] = str(row.amount)
        return prices

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"3d": "2.00"}})
    def get_surcharges(self, card: PriceCard) -> dict:
        return {row.format: str(row.amount) for row in card.surcharges.all()}


class StaffPriceCardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Price cards. POST a whole card (the import format's object) to create it or replace
    the one of that name; its shows that have not started take the new prices."""

    authentication_classes = [StaffTokenAuthentication]
    permission_classes = [IsStaffToken]
    queryset = PriceCard.objects.prefetch_related("prices__ticket_type", "surcharges")
    serializer_class = StaffPriceCardSerializer

    @extend_schema(request=StaffPriceCardSerializer,
                   responses={200: StaffPriceCardSerializer, 201: StaffPriceCardSerializer})
    def create(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise InvalidRequest("The body must be a price card (a JSON object).")
        name = request.data.get("name")
        existed = isinstance(name, str) and PriceCard.objects.filter(name=name.strip()).exists()
        try:
            load_catalog({"price_cards": [request.data]})
        except CatalogError as exc:
            raise InvalidRequest(str(exc).removeprefix("price_cards[0]").lstrip(".: ")
                                 or str(exc)) from None
        card = self.get_queryset().get(name=request.data["name"].strip())
        return Response(self.get_serializer(card).data, status=200 if existed else 201)


class StaffTicketSerializer(serializers.Serializer):
    seat = serializers.CharField(source="seat.label")
    ticket_type = serializers.CharField(help_text="Blank for a show of one kind of ticket")
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    fee = serializers.DecimalField(max_digits=8, decimal_places=2)


class StaffBookingSerializer(serializers.ModelSerializer):
    seats = serializers.SerializerMethodField()
    tickets = StaffTicketSerializer(many=True)

    class Meta:
        model = Booking
        fields = ["reference", "state", "seats", "tickets", "total", "currency",
                  "customer_name", "customer_email", "created_at", "cancelled_at"]

    def get_seats(self, booking: Booking) -> list[str]:
        return [ticket.seat.label for ticket in booking.tickets.all()]


class StaffEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = WaitlistEntry
        fields = ["id", "number", "state", "party_size", "joined_at"]


class HouseSeatSerializer(serializers.Serializer):
    seat = serializers.CharField()
    reason = serializers.CharField()


class HouseSeatsRequestSerializer(serializers.Serializer):
    seats = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=500,
                                  help_text="seat labels, e.g. A1")
    reason = serializers.CharField(required=False, help_text="why (when taking out of sale)")


class StaffShowViewSet(StaffViewSet):
    queryset = Show.objects.select_related("movie", "hall__cinema").order_by("starts_at")
    serializer_class = StaffShowSerializer

    @extend_schema(responses=StaffBookingSerializer(many=True))
    @action(detail=True, methods=["get"])
    def bookings(self, request: Request, pk: str | None = None) -> Response:
        tickets = Prefetch("tickets", queryset=BookingSeat.objects.select_related("seat"))
        bookings = (Booking.objects.filter(show=self.get_object()).prefetch_related(tickets)
                    .order_by("created_at"))
        page = self.paginate_queryset(bookings)
        return self.get_paginated_response(StaffBookingSerializer(page, many=True).data)

    @extend_schema(responses=StaffEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def waitlist(self, request: Request, pk: str | None = None) -> Response:
        entries = WaitlistEntry.objects.filter(show=self.get_object()).order_by("number")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(StaffEntrySerializer(page, many=True).data)

    @extend_schema(request=None, responses=inline_serializer("ShowCancelled", {
        "bookings_cancelled": serializers.IntegerField(),
        "holds_ended": serializers.IntegerField(),
        "waiting_entries_ended": serializers.IntegerField()}))
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Call the show off: every booking refunded, every hold and entry ended, all told."""
        return Response(cancel_show(show=self.get_object(), actor=actor_of(request)))

    @extend_schema(methods=["GET"], responses=HouseSeatSerializer(many=True))
    @extend_schema(methods=["POST"], request=HouseSeatsRequestSerializer,
                   responses=HouseSeatSerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="house-seats")
    def house_seats(self, request: Request, pk: str | None = None) -> Response:
        """Seats taken out of sale for this show. POST ``{"seats": ["A1", ...], "reason"}``
        takes more out (409 names any that are held or booked: nothing changes)."""
        show = self.get_object()
        if request.method == "POST":
            body = _body(request)
            house.take_out_of_sale(show=show, seat_ids=seat_ids_for(show, body.get("seats")),
                                   reason=body.get("reason"), actor=actor_of(request))
        return Response([{"seat": label, "reason": reason}
                         for label, reason in house.house_seats(show)])

    @extend_schema(request=HouseSeatsRequestSerializer,
                   responses=HouseSeatSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="house-seats/return")
    def return_house_seats(self, request: Request, pk: str | None = None) -> Response:
        """Put house seats back on sale ``{"seats": ["A1", ...]}``; the waiting list may have
        them first. The answer: the seats still out of sale."""
        show = self.get_object()
        house.return_to_sale(show=show, seat_ids=seat_ids_for(show, _body(request).get("seats")),
                             actor=actor_of(request))
        return Response([{"seat": label, "reason": reason}
                         for label, reason in house.house_seats(show)])


def _body(request: Request) -> dict:
    if not isinstance(request.data, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return request.data


def actor_of(request: Request) -> str:
    token = getattr(request.user, "token", None)
    return f"staff token {token.name}" if token is not None else request.user.get_username()


def seat_ids_for(show: Show, labels: object) -> list[int]:
    """Seat labels ("A1") of the show's hall as seat ids; unknown labels are a 400."""
    if (not isinstance(labels, list) or not labels or len(labels) > 500
            or not all(isinstance(label, str) for label in labels)):
        raise InvalidRequest("seats must be a list of seat labels such as \"A1\"",
                             field="seats")
    by_label = {seat.label: seat.pk for seat in show.hall.seats.all()}
    unknown = [label for label in labels if label.strip().upper() not in by_label]
    if unknown:
        raise InvalidRequest(f"no seat {unknown[0]!r} in this hall", field="seats")
    return [by_label[label.strip().upper()] for label in labels]


class OnSaleRequestSerializer(serializers.Serializer):
    movie = serializers.SlugRelatedField(slug_field="slug", queryset=Movie.objects.all())
    cinema = serializers.SlugRelatedField(slug_field="slug", queryset=Cinema.objects.all(),
                                          required=False)
    city = serializers.SlugRelatedField(slug_field="slug", queryset=City.objects.all(),
                                        required=False)
    on_sale_at = serializers.DateTimeField(allow_null=True,
                                           help_text="null: on sale at once")
    waiting_room = serializers.BooleanField(default=False)

    def validate(self, data: dict) -> dict:
        if ("cinema" in data) == ("city" in data):
            raise serializers.ValidationError("give either cinema or city")
        return data


class OnSaleView(APIView):
    """Give every upcoming show of a movie at a cinema, or in a city, one on-sale time (and a
    waiting room for high demand): all of them or none."""

    authentication_classes = [StaffTokenAuthentication]
    permission_classes = [IsStaffToken]

    @extend_schema(request=OnSaleRequestSerializer, responses=StaffShowSerializer(many=True))
    def post(self, request: Request) -> Response:
        body = OnSaleRequestSerializer(data=_body(request))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        shows = Show.objects.upcoming().filter(movie=data["movie"]).select_related(
            "movie", "hall__cinema").order_by("starts_at")
        shows = (shows.filter(hall__cinema=data["cinema"]) if "cinema" in data
                 else shows.filter(hall__cinema__city=data["city"]))
        try:
            changed = put_on_sale(shows=list(shows), on_sale_at=data["on_sale_at"],
                                  waiting_room=data["waiting_room"])
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        audit.record(actor=actor_of(request), action="put_on_sale",
                     subject=f"movie {data['movie'].slug}", shows=[show.pk for show in changed],
                     on_sale_at=str(data["on_sale_at"]), waiting_room=data["waiting_room"])
        return Response(StaffShowSerializer(changed, many=True).data)
