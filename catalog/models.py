from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from catalog import layout, show_attributes
from catalog.validators import (
    validate_amount,
    validate_city_slug,
    validate_currency,
    validate_language,
    validate_timezone,
)


class City(models.Model):
    slug = models.SlugField(unique=True, validators=[validate_city_slug])
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "cities"

    def __str__(self) -> str:
        return self.name


class Cinema(models.Model):
    slug = models.SlugField(unique=True)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="cinemas")
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(
        max_length=64, validators=[validate_timezone], help_text="IANA name, e.g. Europe/Paris"
    )
    # A hold may not leave a single seat on its own (booking.stranding); on unless turned off.
    no_stranded_seats = models.BooleanField(
        default=True, help_text="Refuse holds that would leave a single seat on its own")
    # A companion seat is held only with a wheelchair space (booking.companions), until this
    # long before the show, when whoever is left may have it; blank: never.
    companion_seats_open_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Companion seats go on sale to anyone this many "
        "minutes before the show; blank: only ever with a wheelchair space")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Hall(models.Model):
    cinema = models.ForeignKey(Cinema, on_delete=models.CASCADE, related_name="halls")
    name = models.CharField(max_length=100)
    layout = models.JSONField(default=list, help_text="One 'LABEL: cells' string per row")

    class Meta:
        ordering = ["cinema__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cinema", "name"], name="hall_name_unique_in_cinema")
        ]

    def __str__(self) -> str:
        return f"{self.cinema.name} · {self.name}"


class Seat(models.Model):
    class Category(models.TextChoices):
        STANDARD = layout.STANDARD, "Standard"
        PREMIUM = layout.PREMIUM, "Premium"
        ACCESSIBLE = layout.ACCESSIBLE, "Accessible"
        COMPANION = layout.COMPANION, "Companion"

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="seats")
    row_label = models.CharField(max_length=layout.MAX_ROW_LABEL_LENGTH)
    number = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=16, choices=Category.choices)
    grid_row = models.PositiveSmallIntegerField()
    grid_col = models.PositiveSmallIntegerField()
    blocked = models.BooleanField(default=False, help_text="Exists but is not for sale")

    class Meta:
        ordering = ["grid_row", "grid_col"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "row_label", "number"], name="seat_unique"),
            models.UniqueConstraint(fields=["hall", "grid_row", "grid_col"], name="seat_cell"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.row_label}{self.number}"


class Movie(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    rating = models.CharField(max_length=16, blank=True)
    release_date = models.DateField(null=True, blank=True)
    genres = models.JSONField(default=list, blank=True)
    synopsis = models.TextField(blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """A new duration moves the end of every show of the movie: refuse it if one would
        then overlap the next show in its hall."""
        if self.pk is None or not self.duration_minutes:
            return
        stored = Movie.objects.filter(pk=self.pk).values_list("duration_minutes", flat=True)
        if list(stored) == [self.duration_minutes]:
            return
        gap = timedelta(minutes=self.duration_minutes + settings.SHOW_CLEANING_GAP_MINUTES)
        for show in self.shows.select_related("hall__cinema"):
            clash = (
                Show.objects.overlapping(hall_id=show.hall_id, starts_at=show.starts_at,
                                         ends_at=show.starts_at + gap)
                .exclude(pk=show.pk)
                .select_related("movie")
                .first()
            )
            if clash is not None:
                tz = show.hall.cinema.tz
                raise ValidationError({"duration_minutes": (
                    f"at {self.duration_minutes} minutes the show at "
                    f"{timezone.localtime(show.starts_at, tz):%Y-%m-%d %H:%M} in {show.hall} "
                    f"would overlap {clash.movie.title} at "
                    f"{timezone.localtime(clash.starts_at, tz):%H:%M}"
                )})


class Rating(models.Model):
    """What a film's rating (``Movie.rating``, by its code) allows. A rating with no row here
    admits children."""

    code = models.CharField(max_length=16, unique=True, help_text="As on the movie, e.g. R")
    children_allowed = models.BooleanField(
        default=True, help_text="Child tickets may be sold for films with this rating")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class TicketType(models.Model):
    """A kind of ticket the chain sells (Adult, Child, Senior, Carer...): names, order and
    rules are data. The first type a price card offers that has neither rule is the default."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Listed in this order")
    for_children = models.BooleanField(
        default=False, help_text="Not sold for films whose rating does not admit children")
    needs_wheelchair_space = models.BooleanField(
        default=False, help_text="A carer's ticket: only with a wheelchair space in the same "
                                 "booking, one for each space, on a seat that is not the space")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def restricted(self) -> bool:
        return self.for_children or self.needs_wheelchair_space


class PriceCard(models.Model):
    """The prices of a set of shows: one per seat category and ticket type, a surcharge per
    format, and the booking fee per ticket that every price shown already includes."""

    name = models.CharField(max_length=100, unique=True)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    booking_fee = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Charged per ticket and included in every price shown")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceCardPrice(models.Model):
    card = models.ForeignKey(PriceCard, on_delete=models.CASCADE, related_name="prices")
    ticket_type = models.ForeignKey(TicketType, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=16, choices=[
        (c, label) for c, label in Seat.Category.choices if c in layout.CATEGORIES])
    amount = models.DecimalField(max_digits=8, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))],
                                 help_text="Before the format's surcharge and the booking fee")

    class Meta:
        ordering = ["ticket_type__position", "ticket_type_id", "category"]
        constraints = [models.UniqueConstraint(fields=["card", "ticket_type", "category"],
                                               name="one_price_per_type_and_category")]

    def __str__(self) -> str:
        return f"{self.card}: {self.ticket_type} {self.category} {self.amount}"


class PriceCardSurcharge(models.Model):
    card = models.ForeignKey(PriceCard, on_delete=models.CASCADE, related_name="surcharges")
    format = models.CharField(max_length=10, choices=list(show_attributes.FORMATS.items()))
    amount = models.DecimalField(max_digits=8, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["card", "format"],
                                               name="one_surcharge_per_format")]

    def __str__(self) -> str:
        return f"{self.card}: {self.format} +{self.amount}"


class ShowQuerySet(models.QuerySet["Show"]):
    def upcoming(self, now: datetime | None = None) -> "ShowQuerySet":
        """Shows that have not started (and were not cancelled): the only ones on sale."""
        return self.filter(starts_at__gt=now or timezone.now(), cancelled_at__isnull=True)

    def with_map_state(self) -> "ShowQuerySet":
        """Read each show's seat-map version and line state in the same query."""
        return self.annotate(map_version=models.F("seat_map_state__version"),
                             map_waiting=models.F("seat_map_state__waiting"))

    def for_seats(self) -> "ShowQuerySet":
        """Just what holding seats and drawing the seat map read of a show, with the map's
        state: the hottest reads skip the joins and columns they do not use."""
        return self.with_map_state().only("id", "starts_at", "cancelled_at", "currency",
                                          "on_sale_at", "waiting_room", *PRICE_FIELDS.values())

    def in_city(self, city: City) -> "ShowQuerySet":
        return self.filter(hall__cinema__city=city)

    def overlapping(self, *, hall_id: int, starts_at: datetime, ends_at: datetime):
        return self.filter(hall_id=hall_id, starts_at__lt=ends_at, ends_at__gt=starts_at)


PRICE_FIELDS = {
    layout.STANDARD: "price_standard",
    layout.PREMIUM: "price_premium",
    layout.ACCESSIBLE: "price_accessible",
}


class Show(models.Model):
    movie = models.ForeignKey(Movie, on_delete=models.PROTECT, related_name="shows")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="shows")
    starts_at = models.DateTimeField(db_index=True)
    # Derived on save: start + duration + cleaning gap. Stored so overlap checks are one query.
    ends_at = models.DateTimeField(editable=False)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    price_standard = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    price_premium = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    price_accessible = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # With a card, the show sells its ticket types and the price fields above are the default
    # type's all-in prices, filled from the card on save (catalog.pricing).
    price_card = models.ForeignKey(PriceCard, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="shows")
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What the showtime is besides its time (catalog.show_attributes).
    format = models.CharField(max_length=10, choices=list(show_attributes.FORMATS.items()),
                              default=show_attributes.DEFAULT_FORMAT)
    audio_language = models.CharField(
        max_length=8, blank=True, validators=[validate_language],
        help_text="The language it is heard in (ISO 639-1, e.g. en); blank if not stated")
    subtitles = models.CharField(max_length=8, blank=True, validators=[validate_language],
                                 help_text="The subtitles' language (e.g. fr); blank for none")
    audio_description = models.BooleanField(default=False)
    captions = models.BooleanField(
        default=False, help_text="Captions for deaf and hard-of-hearing viewers")
    relaxed = models.BooleanField(default=False, help_text="Lights up, sound down")
    # Before this instant the show is listed and its map shown, but nobody may hold seats.
    on_sale_at = models.DateTimeField(
        null=True, blank=True, help_text="When seats can first be held; blank: at once")
    # High demand: visitors wait in a room (waitingroom) from before on_sale_at, get a random
    # place at that instant and are let in to choose seats a few at a time.
    waiting_room = models.BooleanField(
        default=False, help_text="High demand: a waiting room opens before the on-sale time "
        "and lets people in to choose seats in a fair, verifiable order")

    objects = ShowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "starts_at"], name="show_unique_start"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="show_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(on_sale_at__isnull=True)
                | models.Q(on_sale_at__lt=models.F("starts_at")),
                name="show_on_sale_before_start"),
            models.CheckConstraint(
                condition=models.Q(waiting_room=False) | models.Q(on_sale_at__isnull=False),
                name="show_waiting_room_has_on_sale_time"),
        ]

    def __str__(self) -> str:
        return f"{self.movie} @ {self.hall} {self.local_starts_at:%Y-%m-%d %H:%M %Z}"

    def save(self, *args, **kwargs) -> None:
        self.ends_at = self.compute_ends_at()
        super().save(*args, **kwargs)

    @property
    def prices(self) -> dict[str, Decimal]:
        return {
            category: getattr(self, field)
            for category, field in PRICE_FIELDS.items()
            if getattr(self, field) is not None
        }

    def price_for(self, category: str) -> Decimal:
        return getattr(self, PRICE_FIELDS[layout.price_category(category)])

    def compute_ends_at(self) -> datetime:
        gap = settings.SHOW_CLEANING_GAP_MINUTES
        return self.starts_at + timedelta(minutes=self.movie.duration_minutes + gap)

    @property
    def local_starts_at(self) -> datetime:
        return timezone.localtime(self.starts_at, self.hall.cinema.tz)

    def has_started(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or timezone.now())

    def on_sale(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (self.cancelled_at is None and not self.has_started(now)
                and not self.sale_opens_later(now))

    def sale_opens_later(self, now: datetime | None = None) -> bool:
        """Whether the on-sale time is still to come (holds are refused until then)."""
        return self.on_sale_at is not None and (now or timezone.now()) < self.on_sale_at

    @property
    def local_on_sale_at(self) -> datetime | None:
        return (None if self.on_sale_at is None
                else timezone.localtime(self.on_sale_at, self.hall.cinema.tz))

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.movie_id is None or self.hall_id is None or self.starts_at is None:
            return  # field validation reports what is missing
        if self.currency:
            for field in PRICE_FIELDS.values():
                amount = getattr(self, field)
                if amount is not None:
                    try:
                        validate_amount(amount, self.currency)
                    except ValidationError as exc:
                        errors.setdefault(field, []).extend(exc.messages)
        categories = {layout.price_category(category) for category in
                      Seat.objects.filter(hall_id=self.hall_id, blocked=False)
                      .values_list("category", flat=True).distinct()}
        if self.price_card_id is not None:
            card = self.price_card
            if self.currency and self.currency != card.currency:
                errors.setdefault("currency", []).append(
                    f"the price card {card.name} is in {card.currency}")
            priced = set(card.prices.values_list("category", flat=True))
            for category in sorted(categories - priced):
                errors.setdefault("price_card", []).append(
                    f"this hall has {category} seats, which {card.name} does not price")
        for category in sorted(categories if self.price_card_id is None else ()):
            if getattr(self, PRICE_FIELDS[category]) is None:
                errors.setdefault(PRICE_FIELDS[category], []).append(
                    f"this hall has {category} seats, so a {category} price is required"
                )
        if self.on_sale_at is not None and self.on_sale_at >= self.starts_at:
            errors.setdefault("on_sale_at", []).append("must be before the show starts")
        if self.waiting_room and self.on_sale_at is None:
            errors.setdefault("waiting_room", []).append(
                "a waiting room opens before an on-sale time: set one")
        self.ends_at = self.compute_ends_at()
        clash = (
            Show.objects.overlapping(
                hall_id=self.hall_id, starts_at=self.starts_at, ends_at=self.ends_at
            )
            .exclude(pk=self.pk)
            .select_related("movie")
            .first()
        )
        if clash is not None:
            tz = self.hall.cinema.tz
            errors.setdefault("starts_at", []).append(
                f"overlaps {clash.movie.title} in {self.hall.name} from "
                f"{timezone.localtime(clash.starts_at, tz):%Y-%m-%d %H:%M} to "
                f"{timezone.localtime(clash.ends_at, tz):%H:%M} (including the "
                f"{settings.SHOW_CLEANING_GAP_MINUTES}-minute cleaning gap)"
            )
        if errors:
            raise ValidationError(errors)


class StaffToken(models.Model):
    """A token for the staff and partner API, made in the admin. Shown once, stored hashed."""

    name = models.CharField(max_length=100, help_text="Who or what uses it")
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
