"""The door page on a phone, in headless Chromium with a synthetic camera that shows a ticket's
QR code: it scans and admits, and scans made offline are sent when the connection is back."""

import os
import time

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from playwright.sync_api import expect, sync_playwright

from booking.models import Booking, BookingSeat, ShowSeat
from booking.ticket_codes import ticket_code
from staff.models import CinemaStaff
from tests.factories import HallFactory, ShowFactory
from tests.helpers import book
from tests.staff.camera import qr_video
from tests.storefront.browser.conftest import CHROMIUM_ARGS, chromium_path

pytestmark = pytest.mark.django_db(transaction=True)


def booked(show, labels, reference):
    made = book(show, labels)
    Booking.objects.filter(pk=made.pk).update(reference=reference)
    BookingSeat.objects.bulk_create(
        BookingSeat(booking=made, show_seat=row, seat=row.seat, price=12)
        for row in ShowSeat.objects.filter(booking=made).select_related("seat"))
    return reference


@pytest.fixture
def camera(tmp_path, django_db_blocker):
    """A phone page whose camera plays ``camera.video`` (write the clip before opening)."""
    video = tmp_path / "camera.y4m"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=[
                *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
            context = browser.new_context(viewport={"width": 390, "height": 844},
                                          is_mobile=True, has_touch=True,
                                          permissions=["camera"])
            page = context.new_page()
            page.video_file = video
            yield page
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_scanning_a_ticket_at_the_door_on_a_phone(site, camera):
    show = ShowFactory(hall=HallFactory(layout=["A: ssss", "B: ssss"]))
    reference = booked(show, ["A1", "A2", "A3"], "SCAN2345")
    later = booked(show, ["B1"], "LATE2345")
    user = User.objects.create_user("usher", password="door-pass-1", is_staff=True)
    CinemaStaff.objects.create(user=user, cinema=show.hall.cinema)
    with override_settings(SECRET_KEY="browser-tests"):  # the live server's key signs codes
        qr_video(ticket_code(reference), camera.video_file)

    camera.goto(f"{site.url}/admin/login/?next=/staff/door/shows/{show.id}/")
    camera.get_by_label("Username").fill("usher")
    camera.get_by_label("Password").fill("door-pass-1")
    camera.get_by_role("button", name="Log in").click()
    result = camera.locator("#door-result")
    expect(result).to_contain_text("ADMIT 3 OF 3.", timeout=15000)
    expect(result).to_contain_text("Seats A1, A2, A3")
    assert BookingSeat.objects.filter(booking__reference=reference,
                                      admitted_at__isnull=False).count() == 3

    # The connection drops: a typed reference is kept on the phone and sent when it is back.
    camera.context.set_offline(True)
    camera.get_by_label("Or type the booking reference").fill(later)
    camera.get_by_role("button", name="Check").click()
    expect(result).to_contain_text("SAVED: no connection")
    expect(camera.locator("#door-queue")).to_have_text("1 scan waiting to be sent")
    time.sleep(0.5)
    assert not BookingSeat.objects.filter(booking__reference=later,
                                          admitted_at__isnull=False).exists()
    camera.context.set_offline(False)
    expect(camera.locator("#door-queue")).to_be_hidden(timeout=10000)
    expect(camera.locator("#door-log")).to_contain_text(f"{later}: ADMIT 1 OF 1.")
    assert BookingSeat.objects.get(booking__reference=later).admitted_at is not None
