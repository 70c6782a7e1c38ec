"""The moviegoer's experience in headless Chromium: phone and desktop, mouse and keyboard,
two people at once, the waiting list live, and automated accessibility checks."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from catalog.models import Show
from tests.factories import CinemaFactory, CityFactory, HallFactory, MovieFactory, ShowFactory

pytestmark = pytest.mark.django_db(transaction=True)

LAYOUT = ["A: ss_ssss_ss", "B: ss_ssss_ss", "C: aa_pppp_aa"]


@pytest.fixture
def show():
    city = CityFactory(slug="springfield", name="Springfield")
    cinema = CinemaFactory(city=city, name="Plaza Picturehouse", timezone="America/Chicago")
    movie = MovieFactory(slug="orbit-of-ashes", title="Orbit of Ashes")
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    return ShowFactory(movie=movie, hall=HallFactory(cinema=cinema, layout=LAYOUT),
                       starts_at=start)


def seat(page: Page, row: str, number: int):
    return page.locator(f'.seat[data-label="{row}{number}"]')


def fits(page: Page, width: int = 390) -> None:
    """Nothing on the page is wider than the screen (the seat map scrolls inside itself)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def pay(page: Page, card: str = "4242 4242 4242 4242") -> None:
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry (MM/YY)").fill("12/31")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay", exact=True).click()


def test_the_whole_flow_on_a_phone(site, phone, show):
    phone.goto(site.url)
    fits(phone)
    phone.get_by_role("link", name=re.compile("Springfield")).click()
    fits(phone)
    phone.get_by_role("link", name=re.compile("Orbit of Ashes")).click()
    fits(phone)
    phone.locator("a.showtime").first.click()
    fits(phone)
    expect(phone.get_by_role("heading", name="Orbit of Ashes")).to_be_visible()
    phone.get_by_role("button", name="Row B, seat 4, standard, available").click()
    first = seat(phone, "B", 4)
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(first).to_have_attribute("aria-label", "Row B, seat 4, standard, selected")
    phone.get_by_role("button", name="Row B, seat 5, standard, available").click()
    expect(phone.locator("#selection-summary")).to_contain_text("2 seats selected: B4, B5")
    phone.get_by_role("button", name="Hold seats").click()
    expect(phone.locator("[data-clock]")).to_have_text(re.compile(r"^[45]:\d\d$"))
    fits(phone)
    pay(phone)
    expect(phone.get_by_text("Booking reference")).to_be_visible()
    expect(phone.locator(".reference")).to_have_text(re.compile(r"^[A-Z0-9]{8}$"))
    expect(phone.locator(".qr svg")).to_be_visible()
    fits(phone)


def test_ten_seats_at_most_and_the_page_says_so(site, desktop, show):
    desktop.goto(f"{site.url}/shows/{show.id}/")
    labels = [("A", n) for n in range(1, 9)] + [("B", n) for n in range(1, 4)]
    for row, number in labels:
        seat(desktop, row, number).click()
    expect(desktop.locator("#selection-limit")).to_be_visible()
    expect(desktop.locator("#selection-limit")).to_contain_text("up to 10 seats")
    expect(desktop.locator('.seat[aria-pressed="true"]')).to_have_count(10)


def test_two_people_race_for_the_same_seat(site, desktop, other_desktop, show):
    for page in (desktop, other_desktop):
        page.goto(f"{site.url}/shows/{show.id}/")
        expect(page.locator("body")).to_have_attribute("data-seat-version", re.compile(r"\d"))
    token_a = desktop.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    token_b = other_desktop.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    seat_id = seat(desktop, "A", 3).get_attribute("data-seat")
    post = """([url, token, seat]) => { window.__result = fetch(url, {method: "POST",
        headers: {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": token},
        body: `seat=${seat}`, redirect: "manual"})
        .then(async (r) => [r.status, await r.text()]); }"""
    url = f"{site.url}/shows/{show.id}/hold"
    desktop.evaluate(post, [url, token_a, seat_id])  # both requests leave at once
    other_desktop.evaluate(post, [url, token_b, seat_id])
    results = [page.evaluate("window.__result") for page in (desktop, other_desktop)]
    statuses = sorted(status for status, _ in results)
    assert statuses[1] == 409 and statuses[0] in (0, 302)  # 0: an opaque redirect
    loser = next(page for page, (status, _) in zip((desktop, other_desktop), results,
                                                      strict=True) if status == 409)
    text = next(body for status, body in results if status == 409)
    assert "no longer available: A3" in text
    # The loser sees the seat taken on its map, live, without reloading.
    expect(seat(loser, "A", 3)).to_have_attribute("aria-label",
                                                   "Row A, seat 3, standard, held", timeout=2000)


def test_a_selected_seat_taken_by_someone_else_is_deselected_with_a_message(
        site, desktop, other_desktop, show):
    for page in (desktop, other_desktop):
        page.goto(f"{site.url}/shows/{show.id}/")
        expect(page.locator("body")).to_have_attribute("data-seat-version", re.compile(r"\d"))
    seat(other_desktop, "A", 4).click()
    seat(desktop, "A", 4).click()
    desktop.get_by_role("button", name="Hold seats").click()
    expect(desktop).to_have_url(re.compile("/holds/"))
    taken = seat(other_desktop, "A", 4)
    expect(taken).to_have_attribute("aria-pressed", "false", timeout=1000)
    expect(other_desktop.locator("#selection-limit")).to_contain_text("A4 was just taken")


def test_a_hold_appears_on_another_screen_within_a_second(site, desktop,
                                                           other_desktop, show):
    other_desktop.goto(f"{site.url}/shows/{show.id}/")
    expect(other_desktop.locator("body")).to_have_attribute("data-seat-version",
                                                            re.compile(r"\d"))
    desktop.goto(f"{site.url}/shows/{show.id}/")
    seat(desktop, "C", 3).click()
    desktop.get_by_role("button", name="Hold seats").click()
    expect(seat(other_desktop, "C", 3)).to_have_attribute(
        "aria-label", "Row C, seat 3, premium, held", timeout=1000)
    expect(seat(other_desktop, "C", 3)).to_have_attribute("aria-disabled", "true")


@pytest.mark.parametrize("site", [{"HOLD_TTL_SECONDS": "4"}], indirect=True)
def test_the_waiting_list_turns_into_an_offer_live(site, desktop, other_desktop):
    small = ShowFactory(hall=HallFactory(layout=["A: ssss"]))
    desktop.goto(f"{site.url}/shows/{small.id}/")
    desktop.locator(".best-available select[name=count]").select_option("4")
    desktop.get_by_role("button", name="Best available").click()
    expect(desktop).to_have_url(re.compile("/holds/"))

    other_desktop.goto(f"{site.url}/shows/{small.id}/")
    other_desktop.locator(".waitlist-join select").select_option("2")
    other_desktop.get_by_role("button", name="Join the waiting list").click()
    expect(other_desktop.locator("#waitlist-panel")).to_contain_text(
        "You are number 1 in line for 2 seats")
    # The first hold runs out; the offer appears without a reload.
    expect(other_desktop.get_by_role("heading", name="Seats for you!")).to_be_visible(
        timeout=8000)
    other_desktop.get_by_role("link", name="Pay for these seats").click()
    pay(other_desktop)
    expect(other_desktop.get_by_text("Booking reference")).to_be_visible()


def test_keyboard_only(site, desktop, show):
    desktop.goto(f"{site.url}/shows/{show.id}/")
    first = desktop.locator('.seat[tabindex="0"]')
    expect(first).to_have_count(1)
    first.focus()
    assert desktop.evaluate("document.activeElement.dataset.label") == "A1"
    desktop.keyboard.press("ArrowRight")
    desktop.keyboard.press("ArrowRight")  # across the aisle
    assert desktop.evaluate("document.activeElement.dataset.label") == "A3"
    desktop.keyboard.press("Enter")
    desktop.keyboard.press("ArrowDown")
    assert desktop.evaluate("document.activeElement.dataset.label") == "B3"
    desktop.keyboard.press("Space")
    focus_ring = desktop.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring != "none"
    expect(desktop.locator("#selection-summary")).to_contain_text("A3, B3")
    desktop.keyboard.press("Tab")  # out of the map: one tab stop for all the seats
    assert desktop.evaluate("document.activeElement.id") == "hold-button"
    desktop.keyboard.press("Enter")
    expect(desktop).to_have_url(re.compile("/holds/"))
    desktop.get_by_label("Name").focus()
    for text in ["Ada Lovelace", "ada@example.com", "4242424242424242", "12/31", "123"]:
        desktop.keyboard.type(text)
        desktop.keyboard.press("Tab")
    assert desktop.evaluate("document.activeElement.textContent") == "Pay"
    desktop.keyboard.press("Enter")
    expect(desktop.get_by_text("Booking reference")).to_be_visible()


def test_inline_validation_and_countdown(site, desktop, show):
    desktop.goto(f"{site.url}/shows/{show.id}/")
    seat(desktop, "A", 1).click()
    desktop.get_by_role("button", name="Hold seats").click()
    expect(desktop).to_have_url(re.compile("/holds/"))
    # htmx wires the fields' checks as the page loads; a test typing sooner than any person
    # could (CI, busy) left the field before they were listening.
    desktop.wait_for_load_state("load")
    desktop.get_by_label("Email").fill("not an email")
    desktop.get_by_label("Card number").focus()  # leaving the field validates it
    expect(desktop.locator("#email-error")).to_contain_text("valid email address")
    desktop.get_by_label("Email").fill("ada@example.com")
    desktop.get_by_label("Card number").focus()
    expect(desktop.locator("#email-error")).to_have_text("")
    expect(desktop.locator("[data-clock]")).to_have_text(re.compile(r"^4:5\d$"),
                                                         timeout=15000)


@pytest.mark.parametrize("site", [{"HOLD_TTL_SECONDS": "2"}], indirect=True)
def test_an_expired_hold_says_so_and_releases_the_seats(site, desktop, show):
    desktop.goto(f"{site.url}/shows/{show.id}/")
    seat(desktop, "A", 1).click()
    desktop.get_by_role("button", name="Hold seats").click()
    expect(desktop.locator("#hold-expired")).to_be_visible(timeout=5000)
    expect(desktop.get_by_role("button", name="Pay", exact=True)).to_be_disabled()
    expect(desktop.locator(".tickets")).to_have_class(re.compile("released"))


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations(site, desktop, phone, show):
    pages = ["/", "/springfield/", "/springfield/orbit-of-ashes/", f"/shows/{show.id}/",
             "/bookings/find"]
    for page in (desktop, phone):
        for path in pages:
            page.goto(site.url + path)
            assert serious(page) == [], path
    desktop.goto(f"{site.url}/shows/{show.id}/")
    seat(desktop, "A", 1).click()
    desktop.get_by_role("button", name="Hold seats").click()
    assert serious(desktop) == [], "hold page"
    pay(desktop)
    expect(desktop.get_by_text("Booking reference")).to_be_visible()
    assert serious(desktop) == [], "ticket page"


def test_the_staff_pages_and_showtime_choices_are_accessible(site, desktop, phone, show):
    from django.contrib.auth.models import User

    from staff.models import CinemaStaff

    Show.objects.filter(pk=show.pk).update(format="imax", subtitles="es", captions=True)
    ShowFactory(movie=show.movie, hall=show.hall, starts_at=show.starts_at + timedelta(hours=4))
    user = User.objects.create_user("usher", password="door-pass-1", is_staff=True)
    CinemaStaff.objects.create(user=user, cinema=show.hall.cinema, can_sell=True)
    for page in (desktop, phone):
        page.goto(site.url + "/springfield/orbit-of-ashes/")
        expect(page.get_by_label("Format")).to_be_visible()
        assert serious(page) == [], "movie page with choices"
    desktop.goto(f"{site.url}/admin/login/?next=/staff/door/")
    desktop.get_by_label("Username").fill("usher")
    desktop.get_by_label("Password").fill("door-pass-1")
    desktop.get_by_role("button", name="Log in").click()
    for path in ("/staff/door/", f"/staff/door/shows/{show.id}/", "/staff/box-office/",
                 f"/staff/box-office/shows/{show.id}/"):
        desktop.goto(site.url + path)
        assert serious(desktop) == [], path
