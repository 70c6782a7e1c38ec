"""Take the README's screenshots of a running site (phone and desktop) with the system Chromium.

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]

It walks the demo: cities, a city, a movie, a show's seat map with seats selected, the hold
and payment page with a ticket type chosen, and the ticket; then the seat map and the hold page
in Portuguese. Images go to docs/screenshots/.
"""

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def walk(page: Page, base: str, name: str) -> None:
    page.goto(base)
    page.screenshot(path=OUT / f"{name}-1-cities.png")
    page.get_by_role("link", name="Springfield").click()
    page.screenshot(path=OUT / f"{name}-2-movies.png")
    page.locator(".cards a").first.click()
    page.screenshot(path=OUT / f"{name}-3-showtimes.png")
    page.locator("a.showtime").last.click()
    page.wait_for_function("document.body.dataset.seatVersion !== undefined")
    show_url = page.url
    free = page.locator('.seat.premium[data-state="available"]')
    free.nth(4).click()
    free.nth(5).click()
    page.screenshot(path=OUT / f"{name}-4-seats.png")
    page.get_by_role("button", name="Hold seats").click()
    # The second seat as a Senior ticket: the total changes at once.
    total = page.locator("#total-to-pay").inner_text()
    page.locator("#tickets select").nth(1).select_option("senior")
    page.wait_for_function("t => document.querySelector('#total-to-pay').innerText !== t",
                           arg=total)
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill("12/31")
    page.get_by_label("CVC").fill("123")
    page.screenshot(path=OUT / f"{name}-5-checkout.png")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/bookings/**")
    page.screenshot(path=OUT / f"{name}-6-ticket.png", full_page=True)
    # The same site in Portuguese (the switcher in the header).
    page.goto(show_url)
    page.select_option("#language", "pt")  # the page changes language at once
    page.wait_for_function("document.documentElement.lang === 'pt'")
    page.wait_for_function("document.body.dataset.seatVersion !== undefined")
    free = page.locator('.seat.standard[data-state="available"]')
    free.nth(6).click()
    free.nth(7).click()
    page.screenshot(path=OUT / f"{name}-7-seats-pt.png")


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, options in [("phone", {"viewport": {"width": 390, "height": 844},
                                         "is_mobile": True, "has_touch": True,
                                         "device_scale_factor": 2}),
                              ("desktop", {"viewport": {"width": 1280, "height": 860}})]:
            context = browser.new_context(**options)
            walk(context.new_page(), base, name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
