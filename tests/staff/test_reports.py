"""Sales reports against a known data set: the admin's figures and its streamed CSV exports."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from booking import house_seats
from booking.models import Booking, BookingSeat, ShowSeat
from booking.reports import day_totals, figures, with_figures
from catalog.models import Show
from tests.factories import CinemaFactory, HallFactory, ShowFactory, price_card
from tests.helpers import book, put_on_hold

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def sold(show, labels, *, admitted=False, cancelled=False):
    made = book(show, labels)
    rows = ShowSeat.objects.filter(booking=made).select_related("seat")
    BookingSeat.objects.bulk_create(
        BookingSeat(booking=made, show_seat=row, seat=row.seat,
                    price=show.price_for(row.seat.category), active=not cancelled,
                    admitted_at=timezone.now() if admitted else None) for row in rows)
    if cancelled:
        Booking.objects.filter(pk=made.pk).update(state=Booking.State.CANCELLED)
        rows.update(booking=None)
    return made


@pytest.fixture
def shows():
    """Two shows a day apart at one cinema, and one elsewhere: 10 seats each, one blocked."""
    cinema = CinemaFactory(name="Plaza", timezone="Europe/London")
    hall = HallFactory(cinema=cinema, layout=["A: sssss", "B: ppppx"])
    start = (timezone.now() + timedelta(days=3)).replace(hour=18, minute=0, second=0,
                                                         microsecond=0)
    first = ShowFactory(hall=hall, starts_at=start)
    second = ShowFactory(hall=hall, starts_at=start + timedelta(days=1))
    elsewhere = ShowFactory(hall=HallFactory(cinema=CinemaFactory(name="Odeon"),
                                             layout=["A: ss"]), starts_at=start)
    sold(first, ["A1", "A2", "B1"], admitted=True)  # 12.50 + 12.50 + 16.00
    sold(first, ["B2"])  # 16.00
    sold(first, ["A5"], cancelled=True)  # not counted
    put_on_hold(first, ["A3"])
    house_seats.take_out_of_sale(show=first, seat_ids=[
        s.pk for s in first.hall.seats.filter(row_label="A", number=4)], reason="Broken",
        actor="test")
    sold(second, ["A1"])
    return first, second, elsewhere


def test_a_shows_figures(shows):
    first = with_figures(Show.objects.filter(pk=shows[0].pk)).get()
    f = figures(first)
    assert (f.seats, f.sold, f.held, f.blocked, f.free, f.checked_in) == (10, 4, 1, 2, 3, 3)
    assert f.revenue == Decimal("57.00")
    assert f.revenue_by_category == {"standard": Decimal("25.00"), "premium": Decimal("32.00"),
                                     "accessible": Decimal("0")}
    assert f.occupancy == 4 / 8


def test_per_cinema_and_day(shows):
    totals = list(day_totals(Show.objects.all()))
    city = shows[0].hall.cinema.city.name
    odeon_city = shows[2].hall.cinema.city.name
    assert [(cinema, total.sold, total.revenue) for cinema, _, _, total in totals] == [
        (f"Odeon, {odeon_city}", 0, Decimal("0")), (f"Plaza, {city}", 4, Decimal("57.00")),
        (f"Plaza, {city}", 1, Decimal("12.50"))]
    assert totals[1][1] == timezone.localtime(shows[0].starts_at, shows[0].hall.cinema.tz).date()


@pytest.fixture
def admin_client():
    User.objects.create_superuser("boss", password="x")
    client = Client()
    client.login(username="boss", password="x")
    return client


def test_the_admin_shows_the_figures_and_sums_per_day(admin_client, shows):
    page = admin_client.get("/admin/staff/salesreport/").content.decode()
    assert 'id="day-totals"' in page and "57.00 USD" in page and "50%" in page
    filtered = admin_client.get(
        f"/admin/staff/salesreport/?hall__cinema__id__exact={shows[2].hall.cinema_id}")
    assert "57.00 USD" not in filtered.content.decode()


def read_csv(response):
    assert response.streaming and response["Content-Type"] == "text/csv"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_exports_stream_with_the_admins_filters(admin_client, shows):
    rows = read_csv(admin_client.get("/admin/staff/salesreport/export/shows.csv"))
    header, body = rows[0], rows[1:]
    assert header[:6] == ["show", "cinema", "hall", "movie", "starts", "currency"]
    first = next(dict(zip(header, row, strict=True)) for row in body
                 if row[0] == str(shows[0].pk))
    assert (first["sold"], first["held"], first["free"], first["blocked"],
            first["checked_in"], first["occupancy"], first["revenue"]) == (
        "4", "1", "3", "2", "3", "0.500", "57.00")
    assert first["revenue_premium"] == "32.00"
    plaza = shows[0].hall.cinema_id
    days = read_csv(admin_client.get(
        f"/admin/staff/salesreport/export/days.csv?hall__cinema__id__exact={plaza}"))
    assert [row[0].split(",")[0] for row in days[1:]] == ["Plaza", "Plaza"]
    assert [row[days[0].index("sold")] for row in days[1:]] == ["4", "1"]


def test_reports_need_staff(shows):
    assert Client().get("/admin/staff/salesreport/export/shows.csv").status_code == 302
    assert Client().get("/admin/staff/salesreport/").status_code == 302


def test_staff_see_only_their_cinemas_reports(shows):
    from staff.models import CinemaStaff

    manager = User.objects.create_user("manager", password="x", is_staff=True)
    CinemaStaff.objects.create(user=manager, cinema=shows[2].hall.cinema, can_report=True)
    usher = User.objects.create_user("usher", password="x", is_staff=True)
    CinemaStaff.objects.create(user=usher, cinema=shows[0].hall.cinema)
    client = Client()
    client.force_login(manager)
    rows = read_csv(client.get("/admin/staff/salesreport/export/shows.csv"))
    assert [row[0] for row in rows[1:]] == [str(shows[2].pk)]
    assert "57.00 USD" not in client.get("/admin/staff/salesreport/").content.decode()
    client.force_login(usher)
    assert client.get("/admin/staff/salesreport/").status_code == 403
    assert client.get("/admin/staff/salesreport/export/shows.csv").status_code == 404


def test_a_bad_export_filter_is_a_400(admin_client, shows):
    response = admin_client.get("/admin/staff/salesreport/export/shows.csv?starts_at__gte=x")
    assert response.status_code == 400


def test_two_cinemas_with_one_name_are_two_rows(shows):
    twin = ShowFactory(hall=HallFactory(cinema=CinemaFactory(name="Plaza")),
                       starts_at=shows[0].starts_at)
    plaza_days = [t for t in day_totals(Show.objects.filter(pk__in=[shows[0].pk, twin.pk]))]
    assert len(plaza_days) == 2


def test_revenue_by_ticket_type_in_the_admin_and_the_exports(admin_client):
    show = ShowFactory(price_card=price_card(fee="0.50"))
    made = book(show, ["A1", "A2", "B1"])
    rows = {row.seat.label: row for row in
            ShowSeat.objects.filter(booking=made).select_related("seat")}
    BookingSeat.objects.bulk_create([
        BookingSeat(booking=made, show_seat=rows["A1"], seat=rows["A1"].seat,
                    price=Decimal("12.50"), ticket_type="Adult", fee=Decimal("0.50")),
        BookingSeat(booking=made, show_seat=rows["A2"], seat=rows["A2"].seat,
                    price=Decimal("8.50"), ticket_type="Child", fee=Decimal("0.50")),
        BookingSeat(booking=made, show_seat=rows["B1"], seat=rows["B1"].seat,
                    price=Decimal("15.50"), ticket_type="Adult", fee=Decimal("0.50"))])
    f = figures(with_figures(Show.objects.filter(pk=show.pk)).get())
    assert f.revenue_by_type == {"Adult": Decimal("28.00"), "Child": Decimal("8.50"),
                                 "Senior": Decimal("0.00"), "Carer": Decimal("0.00")}
    page = admin_client.get("/admin/staff/salesreport/").content.decode()
    assert "Adult 28.00 · Child 8.50" in page
    for kind in ("shows", "days"):
        header, row = read_csv(admin_client.get(
            f"/admin/staff/salesreport/export/{kind}.csv"))[:2]
        line = dict(zip(header, row, strict=True))
        assert (line["revenue_Adult"], line["revenue_Child"], line["revenue_Carer"]) == (
            "28.00", "8.50", "0.00")
