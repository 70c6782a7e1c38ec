import itertools
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from booking import reports
from booking.inventory import SeatView, seat_grid
from catalog.layout import SEAT_CATEGORIES, LayoutError, parse_layout
from catalog.models import (
    Cinema,
    City,
    Hall,
    Movie,
    PriceCard,
    PriceCardPrice,
    PriceCardSurcharge,
    Rating,
    Show,
    StaffToken,
    TicketType,
)
from catalog.pricing import card_problems
from catalog.services import (
    ShowHasSales,
    check_show_change,
    layout_error_message,
    put_on_sale,
    reprice_shows,
    save_movie,
    save_show,
    set_hall_layout,
)
from staff.auth import issue_staff_token
from staff.forms import CinemaClockField, HallForm, LayoutField
from staff.models import CinemaStaff, SalesReport
from staff.permissions import cinemas_for
from staff.timezones import NotOnTheClock, on_clock
from ticketing.models import AuditEntry
from waitingroom.models import Room


def render_layout_preview(layout: list[str]) -> str:
    try:
        specs = parse_layout(layout)
    except LayoutError as exc:
        return format_html('<p class="errornote">{}</p>', layout_error_message(exc))
    seats = [
        SeatView(id=0, row=s.row_label, number=s.number, category=s.category,
                 state="blocked" if s.blocked else "available", grid_row=s.grid_row,
                 grid_col=s.grid_col, price=None)
        for s in specs
    ]
    counts = {c: sum(1 for s in specs if s.category == c and not s.blocked)
              for c in SEAT_CATEGORIES}
    return render_to_string(
        "admin/catalog/hall/preview.html",
        {"rows": seat_grid(seats), "columns": max(s.grid_col for s in specs) + 1,
         "counts": counts, "blocked": sum(1 for s in specs if s.blocked), "disabled": True},
    )


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Cinema)
class CinemaAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "timezone", "address"]
    list_filter = ["city"]
    list_select_related = ["city"]
    search_fields = ["name", "slug", "address", "city__name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    form = HallForm
    change_form_template = "admin/catalog/hall/change_form.html"
    list_display = ["name", "cinema", "city", "seat_count"]
    list_filter = ["cinema__city", "cinema"]
    list_select_related = ["cinema__city"]
    search_fields = ["name", "cinema__name"]
    readonly_fields = ["preview"]
    fields = ["cinema", "name", "layout", "preview"]

    @admin.display(ordering="cinema__city__name")
    def city(self, hall: Hall) -> str:
        return hall.cinema.city.name

    @admin.display(description="seats")
    def seat_count(self, hall: Hall) -> int:
        return len(parse_layout(hall.layout)) if hall.layout else 0

    @admin.display(description="Preview")
    def preview(self, hall: Hall) -> str:
        return render_layout_preview(hall.layout) if hall.layout else "Saved halls show a preview."

    def save_model(self, request: HttpRequest, obj: Hall, form, change: bool) -> None:
        set_hall_layout(hall=obj, layout=form.cleaned_data["layout"])
        obj.save()

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", preview, name="catalog_hall_preview"), *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Live preview for the editor: POST the layout text, get the drawn hall back."""
        layout = LayoutField().to_python(request.POST.get("layout", ""))
        return HttpResponse(render_layout_preview(layout))


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "duration_minutes", "rating", "release_date"]
    list_filter = ["rating"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}

    def save_model(self, request: HttpRequest, obj: Movie, form, change: bool) -> None:
        save_movie(movie=obj)


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["code", "children_allowed"]


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "position", "for_children", "needs_wheelchair_space"]
    list_editable = ["position"]
    prepopulated_fields = {"code": ["name"]}


class PriceCardPrices(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        card = self.instance
        kept = [form.cleaned_data for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        problems = card_problems(
            currency=card.currency, booking_fee=card.booking_fee or Decimal(0),
            amounts=[(row["ticket_type"], row["category"], row["amount"]) for row in kept])
        if problems:
            raise forms.ValidationError(problems)


class PriceInline(admin.TabularInline):
    model = PriceCardPrice
    formset = PriceCardPrices
    extra = 0


class SurchargeInline(admin.TabularInline):
    model = PriceCardSurcharge
    extra = 0


@admin.register(PriceCard)
class PriceCardAdmin(admin.ModelAdmin):
    """Prices per ticket type and seat category, a surcharge per format, a booking fee per
    ticket. Saving gives the card's shows that have not started its new prices."""

    list_display = ["name", "currency", "booking_fee"]
    inlines = [PriceInline, SurchargeInline]

    def get_readonly_fields(self, request: HttpRequest, obj: PriceCard | None = None):
        # Shows are sold in the card's currency: it is fixed once a show uses the card.
        return ["currency"] if obj is not None and obj.shows.exists() else []

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        changed = reprice_shows(card=form.instance)
        if changed:
            self.message_user(request, f"{changed} upcoming show(s) now sell at these prices.")


class ShowAdminForm(forms.ModelForm):
    # Typed and shown as the show's cinema's clock reads them, whoever edits them from where.
    starts_at = CinemaClockField(label="Starts at", help_text="The cinema's own time")
    on_sale_at = CinemaClockField(label="On sale at", required=False,
                                  help_text="The cinema's own time; blank: on sale at once")
    CINEMA_TIMES = ("starts_at", "on_sale_at")

    class Meta:
        model = Show
        fields = ["movie", "hall", "starts_at", "price_card", "currency",
                  "price_standard", "price_premium", "price_accessible", "on_sale_at",
                  "waiting_room"]
        help_texts = {"currency": "Taken from the price card when there is one",
                      "price_standard": "Without a price card: one kind of ticket per category"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False
        if self.instance.pk:
            zone = self.instance.hall.cinema.tz
            for name in self.CINEMA_TIMES:
                if (value := getattr(self.instance, name)) is not None:
                    self.initial[name] = timezone.make_naive(value, zone)

    def clean(self) -> dict:
        data = super().clean()
        hall = data.get("hall")
        zone = hall.cinema.tz if hall is not None else timezone.get_current_timezone()
        same_clock = self.instance.pk is not None and "hall" not in self.changed_data
        for name in self.CINEMA_TIMES:
            if (typed := data.get(name)) is None:
                continue
            if same_clock and name not in self.changed_data:
                # Untouched: exactly as stored (in the hour the clocks repeat, the one it was).
                data[name] = getattr(self.instance, name)
                continue
            try:
                data[name] = on_clock(typed, zone)
            except NotOnTheClock as exc:
                self.add_error(name, str(exc))
        card = data.get("price_card")
        if card is not None:
            data["currency"] = card.currency
            self.instance.price_card = card
        elif not data.get("currency"):
            self.add_error("currency", "Give a currency, or a price card")
        return data

    def _post_clean(self) -> None:
        super()._post_clean()  # the instance now carries the submitted values
        try:
            check_show_change(self.instance)
        except ShowHasSales as exc:
            self.add_error(None, exc.message)


class OnSaleForm(forms.Form):
    on_sale_at = forms.DateTimeField(
        required=False, help_text="One instant for every show, e.g. 2026-12-04 10:00, in "
        "the time zone named above; blank: on sale at once")
    waiting_room = forms.BooleanField(
        required=False, help_text="High demand: a waiting room opens before the on-sale time")


@admin.register(Show)
class ShowAdmin(admin.ModelAdmin):
    form = ShowAdminForm
    list_display = ["movie", "cinema", "hall", "local_start", "format", "price_card", "currency"]
    list_filter = [
        "hall__cinema__city",
        "hall__cinema",
        ("starts_at", admin.DateFieldListFilter),
        "format",
    ]
    list_select_related = ["movie", "hall__cinema__city"]
    search_fields = ["movie__title", "hall__cinema__name", "hall__name"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["movie"]
    fields = ["movie", "hall", "starts_at", "price_card", "currency",
              "price_standard", "price_premium", "price_accessible",
              "format", "audio_language", "subtitles", "audio_description", "captions",
              "relaxed", "on_sale_at", "waiting_room"]
    actions = ["put_on_sale_action"]

    @admin.action(description="Set the on-sale time of the selected shows")
    def put_on_sale_action(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """One on-sale time (and waiting room) for every selected show: filter the list by
        city or cinema and movie, select all, and set it in one step (all or none)."""
        form = OnSaleForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            shows = list(queryset.select_related("movie", "hall__cinema"))
            try:
                put_on_sale(shows=shows, on_sale_at=form.cleaned_data["on_sale_at"],
                            waiting_room=form.cleaned_data["waiting_room"])
            except ValidationError as exc:
                self.message_user(request, "Nothing changed: " + "; ".join(
                    f"{name}: {' '.join(errors)}" for name, errors in exc.message_dict.items()),
                    level=messages.ERROR)
            except ShowHasSales as exc:
                self.message_user(request, f"Nothing changed: {exc.message}",
                                  level=messages.ERROR)
            else:
                self.message_user(request, f"{len(shows)} shows go on sale at "
                                  f"{form.cleaned_data['on_sale_at'] or 'once'}.")
            return None
        return TemplateResponse(request, "admin/catalog/show/put_on_sale.html", {
            **self.admin_site.each_context(request), "title": "Set the on-sale time",
            "form": form, "shows": queryset.select_related("movie", "hall__cinema"),
            "action": "put_on_sale_action", "opts": self.model._meta,
            "zone": timezone.get_current_timezone_name(),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)})

    @admin.display(ordering="hall__cinema__name")
    def cinema(self, show: Show) -> str:
        return show.hall.cinema.name

    @admin.display(description="starts (cinema time)", ordering="starts_at")
    def local_start(self, show: Show) -> str:
        return f"{show.local_starts_at:%Y-%m-%d %H:%M %Z}"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "hall":
            kwargs["queryset"] = Hall.objects.select_related("cinema")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Show, form, change: bool) -> None:
        try:
            save_show(show=obj)
        except ShowHasSales as exc:  # a seat was sold between the form's check and the save
            self.message_user(request, f"Not saved: {exc.message}", level=messages.ERROR)


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin):
    """Tokens for the staff and partner API. A new token is shown once, then only its hash
    is kept; turn one off with "active" (or delete it)."""

    list_display = ["name", "prefix", "active", "created_at", "last_used_at"]
    list_filter = ["active"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: StaffToken, form, change: bool) -> None:
        if change:
            obj.save()
            return
        record, token = issue_staff_token(name=obj.name)
        obj.pk, obj.prefix, obj.token_hash = record.pk, record.prefix, record.token_hash
        messages.warning(request, f"Copy this token now; it will not be shown again: {token}")


@admin.register(CinemaStaff)
class CinemaStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "cinema", "can_check_in", "can_sell", "can_report"]
    list_filter = ["cinema", "can_check_in", "can_sell", "can_report"]
    list_select_related = ["user", "cinema"]
    search_fields = ["user__username", "cinema__name"]
    autocomplete_fields = ["cinema"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen, never added to, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit trail: read only, for everyone who may see it; nobody edits history."""

    list_display = ["at", "actor", "action", "subject"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor", "subject"]
    date_hierarchy = "at"
    readonly_fields = ["at", "actor", "action", "subject", "detail"]


@admin.register(SalesReport)
class SalesReportAdmin(ReadOnlyAdmin):
    """Per show: seats sold, held, free and blocked, revenue by seat category, check-ins and
    occupancy; filtered by cinema and date, and exported as CSV (per show, or summed per
    cinema and day), streamed, so a year of shows never sits in memory."""

    change_list_template = "admin/staff/salesreport/change_list.html"
    list_display = ["movie", "cinema", "local_start", "sold", "held", "free", "blocked",
                    "checked_in", "occupancy", "revenue", "by_ticket_type"]
    list_filter = ["hall__cinema__city", "hall__cinema", ("starts_at", admin.DateFieldListFilter)]
    list_select_related = ["movie", "hall__cinema"]
    search_fields = ["movie__title", "hall__cinema__name"]
    date_hierarchy = "starts_at"

    def get_queryset(self, request: HttpRequest):
        shows = super().get_queryset(request).filter(
            hall__cinema__in=cinemas_for(request.user, "report"))
        return reports.with_figures(shows)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        """Superusers, and staff with the report role at a cinema (they see only theirs)."""
        return cinemas_for(request.user, "report").exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(ordering="hall__cinema__name")
    def cinema(self, show) -> str:
        return show.hall.cinema.name

    @admin.display(description="starts (cinema time)", ordering="starts_at")
    def local_start(self, show) -> str:
        return f"{show.local_starts_at:%Y-%m-%d %H:%M}"

    @admin.display(ordering="f_sold")
    def sold(self, show) -> int:
        return show.f_sold

    @admin.display(ordering="f_held")
    def held(self, show) -> int:
        return show.f_held

    @admin.display()
    def free(self, show) -> int:
        return reports.figures(show).free

    @admin.display(ordering="f_blocked")
    def blocked(self, show) -> int:
        return show.f_blocked

    @admin.display(description="checked in", ordering="f_checked_in")
    def checked_in(self, show) -> int:
        return show.f_checked_in

    @admin.display()
    def occupancy(self, show) -> str:
        return f"{reports.figures(show).occupancy:.0%}"

    @admin.display(ordering="f_revenue")
    def revenue(self, show) -> str:
        return f"{reports.figures(show).revenue} {show.currency}"

    @admin.display(description="by ticket type")
    def by_ticket_type(self, show) -> str:
        return " · ".join(f"{name} {amount}" for name, amount in
                          reports.figures(show).revenue_by_type.items() if amount)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # the same filters, summed per cinema and day (a page's)
            shows = Show.objects.filter(pk__in=changelist.queryset.values("pk"))
            response.context_data["day_totals"] = list(
                itertools.islice(reports.day_totals(shows), 100))
        return response

    def get_urls(self):
        export = self.admin_site.admin_view(self.export)
        return [path("export/<str:kind>.csv", export, name="staff_salesreport_export"),
                *super().get_urls()]

    def export(self, request: HttpRequest, kind: str) -> StreamingHttpResponse:
        if kind not in ("shows", "days") or not self.has_view_permission(request):
            raise Http404("No such export")
        try:
            shows = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("That filter is not one of the report's.")
        shows = Show.objects.filter(pk__in=shows.values("pk"))  # the filters, without figures
        rows = reports.show_rows(shows) if kind == "shows" else reports.day_rows(shows)
        response = StreamingHttpResponse(reports.csv_lines(rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="sales-{kind}.csv"'
        return response


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """A high-demand show's waiting room (made when the show is marked "waiting room"): how
    early it opens, how many choose seats at once, how fast people are let in."""

    list_display = ["show", "opens_minutes", "choosing_at_once", "admit_per_minute",
                    "revealed_at", "admitted", "sold_out_at", "fairness_report"]
    list_select_related = ["show__movie", "show__hall__cinema"]
    fields = ["show", "opens_minutes", "choosing_at_once", "admit_per_minute", "pass_minutes",
              "commitment", "revealed_at", "drawn", "admitted", "sold_out_at", "fairness_report"]
    readonly_fields = ["show", "commitment", "revealed_at", "drawn", "admitted", "sold_out_at",
                       "fairness_report"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with its show

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a new room would draw from a new seed: the commitment must stand

    @admin.display(description="fairness report")
    def fairness_report(self, room: Room) -> str:
        return format_html('<a href="/shows/{}/fairness">report</a>', room.pk)
