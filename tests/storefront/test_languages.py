"""The moviegoer site, its emails and its API errors in English, Portuguese and Spanish: chosen
by Accept-Language or the switcher (remembered), prices and dates in the language's forms,
and no English left on any page in another language."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django.utils import timezone

from booking.models import Booking
from catalog.models import PriceCard, PriceCardPrice, Show, TicketType
from tests.booking_helpers import seat_ids
from tests.factories import CinemaFactory, CityFactory, HallFactory, MovieFactory, ShowFactory
from tests.helpers import put_on_hold
from waitingroom.models import Room

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LANGUAGES = ["pt", "es"]
# Words that would only be there if English were left on the page (none is Portuguese or
# Spanish); the site's name, "Reel Seats", is taken out first.
ENGLISH = {"the", "your", "you", "and", "seat", "seats", "hold", "choose", "pay", "booking",
           "waiting", "with", "for", "this", "show", "ticket", "tickets", "available", "row",
           "card", "price", "are", "is", "of", "to", "at", "by", "selected", "held", "booked",
           "screen", "find", "name", "back", "start", "cancel", "print", "add",
           "calendar", "leave", "join", "needed", "language", "change", "update", "release",
           "expired", "minute", "left", "skip", "content", "legend", "any", "not", "sale"}
PAYMENT = {"name": "Inês Sá", "email": "ines@example.com", "card_number": "4242 4242 4242 4242",
           "expiry": "12/31", "cvc": "123"}


class Words(HTMLParser):
    """The words a visitor reads or hears: text, and the attributes screen readers say."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.words.append(value)

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data) -> None:
        if not self._skip:
            self.words.append(data)


def english_in(text: str, *, html: bool = True) -> set[str]:
    if html:
        parser = Words()
        parser.feed(text)
        text = " ".join(parser.words)
    text = text.replace("Reel Seats", "")
    text = re.sub(r"https?://\S+", "", text)
    text = re.sub(r"\b[A-Z2-9]{8}\b", "", text)  # booking references (AT5MWVG8 is no "at")
    # Tokens and ids mix letters and digits: "17add1f9" holds no English "add".
    text = re.sub(r"\b\w*\d\w*\b", "", text)
    return {w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in ENGLISH}


def test_tokens_and_references_are_not_read_as_english():
    assert english_in("Entrada 17add1f942c512d994e7e870 AT5MWVG8 Reel Seats", html=False) == set()
    assert english_in("Entrada add 17 seats", html=False) == {"add", "seats"}


@pytest.fixture
def show():
    """A show of a Lisbon cinema on a card, its names in no particular language."""
    city = CityFactory(slug="lisboa", name="Lisboa")
    cinema = CinemaFactory(city=city, name="Cine Tejo", address="Rua Augusta 1",
                           timezone="Europe/Lisbon")
    normal = TicketType.objects.create(code="normal", name="Normal", position=0)
    junior = TicketType.objects.create(code="junior", name="Júnior", position=1,
                                       for_children=True)
    card = PriceCard.objects.create(name="Tarifa", currency="EUR")
    PriceCardPrice.objects.bulk_create(
        PriceCardPrice(card=card, ticket_type=t, category=c, amount=a)
        for t, a in ((normal, 9), (junior, 6)) for c in ("standard", "premium", "accessible"))
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    return ShowFactory(movie=MovieFactory(slug="mar-alto", title="Mar Alto", rating="M12",
                                          genres=["Drama"]),
                       hall=HallFactory(cinema=cinema, name="Sala 1",
                                        layout=["A: ss_ss", "B: pp_ca"]),
                       starts_at=start, price_card=card, audio_language="en",
                       subtitles="pt", captions=True)


def visitor(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def pay_form(page) -> dict:
    attempt = re.search(r'name="attempt" value="(\w+)"', page.content.decode())[1]
    return {**PAYMENT, "attempt": attempt}


def pages(client: Client, show) -> dict[str, str]:
    """Every page of the moviegoer site, as this visitor sees it."""
    put_on_hold(show, ["A4"])  # someone else's seat: the waiting list is offered
    seen = {path: client.get(path) for path in (
        "/", "/lisboa/", "/lisboa/mar-alto/", f"/shows/{show.id}/", "/bookings/find",
        "/bookings/open", "/nowhere/at/all/")}
    hold_url = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1", "A2")})
    seen["hold"] = client.get(hold_url["Location"])
    seen["show, holding"] = client.get(f"/shows/{show.id}/")
    seen["declined"] = client.post(hold_url["Location"] + "pay", {
        **pay_form(seen["hold"]), "card_number": "4000 0000 0000 0002"})
    seen["bad form"] = client.post(hold_url["Location"] + "pay",
                                   {**pay_form(seen["declined"]), "cvc": "1"})
    booked = client.post(hold_url["Location"] + "pay", pay_form(seen["bad form"]))
    assert booked.status_code == 302, booked.content.decode()[-1500:]
    seen["ticket"] = client.get(booked["Location"])
    client.post(booked["Location"] + "cancel")
    seen["cancelled"] = client.get(booked["Location"])
    second = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "B1")})["Location"]
    seen["tickets changed"] = client.post(second + "tickets", {
        f"type-{seat_ids(show, 'B1')[0]}": "junior"}, headers={"HX-Request": "true"})
    client.post(second + "release")
    seen["released"] = client.get(second)
    seen["opened wrong"] = client.post("/bookings/open", {"reference": "X", "token": "y"})
    seen["found"] = client.post("/bookings/find", {"reference": "X", "email": "a@b.pt"})
    seen["join refused"] = client.post(f"/shows/{show.id}/waitlist", {"party_size": "2"})
    full = ShowFactory(movie=show.movie, hall=show.hall, price_card=show.price_card,
                       starts_at=show.starts_at + timedelta(hours=3))
    put_on_hold(full, [seat.label for seat in full.hall.seats.filter(blocked=False)])
    joined = client.post(f"/shows/{full.id}/waitlist", {"party_size": "2"})
    assert joined.status_code == 302, joined.content.decode()[-1500:]
    seen["waiting"] = client.get(joined["Location"])
    # A premiere: on sale later, its waiting room before and after the opening, its report.
    premiere = ShowFactory(movie=show.movie, hall=show.hall, price_card=show.price_card,
                           starts_at=show.starts_at + timedelta(hours=6), waiting_room=True,
                           on_sale_at=timezone.now() + timedelta(minutes=10))
    later = ShowFactory(movie=show.movie, hall=show.hall, price_card=show.price_card,
                        starts_at=show.starts_at + timedelta(hours=9),
                        on_sale_at=timezone.now() + timedelta(days=1))
    seen["on sale later"] = client.get(f"/shows/{later.id}/")
    seen["listing, on sale later"] = client.get("/lisboa/mar-alto/")
    seen["room, before the opening"] = client.get(f"/shows/{premiere.id}/room")
    Show.objects.filter(pk=premiere.pk).update(on_sale_at=timezone.now())
    Room.objects.filter(pk=premiere.pk).update(choosing_at_once=1)
    Client().get(f"/shows/{premiere.id}/room")  # the opening: this visitor is let in first
    seen["show, your turn"] = client.get(f"/shows/{premiere.id}/")
    seen["room, waiting"] = visitor(client.cookies[settings.LANGUAGE_COOKIE_NAME].value).get(
        f"/shows/{premiere.id}/room")
    seen["fairness"] = client.get(f"/shows/{premiere.id}/fairness")
    return {name: response.content.decode() for name, response in seen.items()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_every_language_has_no_english_left(show, language):
    client = visitor(language)
    for name, page in pages(client, show).items():
        assert name == "tickets changed" or f'<html lang="{language}">' in page, name
        found = english_in(page)
        parser = Words()
        parser.feed(page)
        assert found == set(), (name, [w for w in parser.words
                                       if set(re.findall(r"[^\W\d_]+", w)) & found][:3])


def test_english_is_the_default_and_the_pages_are_english(show, client):
    page = client.get(f"/shows/{show.id}/").content.decode()
    assert '<html lang="en">' in page and "Hold seats" in page


def test_accept_language_chooses_and_the_switcher_is_remembered(show):
    client = Client(headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    page = client.get("/").content.decode()
    assert '<html lang="es">' in page and "¿Dónde" in page
    switched = client.post("/i18n/setlang/", {"language": "pt", "next": "/lisboa/"})
    assert switched.status_code == 302 and switched["Location"] == "/lisboa/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "pt"
    again = client.get("/lisboa/")  # Accept-Language still says Spanish: the choice wins
    assert '<html lang="pt">' in again.content.decode()
    assert again["Content-Language"] == "pt"


def test_prices_dates_and_names_take_the_languages_forms(show):
    pt = visitor("pt").get(f"/shows/{show.id}/").content.decode()
    assert "9,00\xa0€" in pt  # Portugal's way of writing a price
    assert 'data-price="9.00"' in pt  # and the script's: a number
    es = visitor("es").get("/lisboa/mar-alto/").content.decode()
    weekday = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    assert any(day in es for day in weekday)
    assert "subtítulos en portugués" in es.lower() or "portugués" in es
    en = Client().get(f"/shows/{show.id}/").content.decode()
    assert "€9.00" in en


def test_the_confirmation_email_speaks_the_language_of_the_booking(
        show, mailoutbox, django_capture_on_commit_callbacks):
    client = visitor("es")
    hold_url = client.post(f"/shows/{show.id}/hold", {"seat": seat_ids(show, "A1")})["Location"]
    page = client.get(hold_url).content.decode()
    form = {**PAYMENT, "attempt": re.search(r'name="attempt" value="(\w+)"', page)[1]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(hold_url + "pay", form)
    assert Booking.objects.get().language == "es"
    email = mailoutbox[0]
    assert english_in(email.subject + "\n" + email.body, html=False) == set()
    assert "Mar Alto" in email.subject and "9,00\xa0€" in email.body
    mailoutbox.clear()  # and the email saying it is cancelled
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/bookings/{Booking.objects.get().reference}/cancel")
    [cancelled] = mailoutbox
    assert english_in(cancelled.subject + "\n" + cancelled.body, html=False) == set()
    assert "queda cancelada, tal como pediste" in cancelled.body


@pytest.mark.parametrize("language, words", [("pt", "já não está disponível"),
                                             ("es", "ya no está disponible")])
def test_api_errors_in_the_language_asked_for(api, show, language, words):
    put_on_hold(show, ["A1"])
    response = api.client.post(f"/api/v1/shows/{show.id}/holds",
                               {"seats": seat_ids(show, "A1")}, content_type="application/json",
                               headers={"Accept-Language": language})
    assert response.status_code == 409
    assert words in response.json()["detail"] and response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    ok = api.client.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A2")},
                         content_type="application/json", headers={"Accept-Language": language})
    assert ok.status_code == 201 and not ok.has_header("Content-Language")  # data: no words


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogs_are_whole(language):
    """Every message has its translation, none is fuzzy, and each keeps its placeholders."""
    for domain in ("django", "djangojs"):
        with open(settings.LOCALE_PATHS[0] / language / "LC_MESSAGES" / f"{domain}.po",
                  "rb") as source:
            catalog = read_po(source)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (
                message.string,)
            assert all(strings) and not message.fuzzy, (language, message.id)
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            wanted = set(re.findall(r"\{\w+[^}]*\}|%\(\w+\)s", ids[-1]))
            for string in strings:
                assert set(re.findall(r"\{\w+[^}]*\}|%\(\w+\)s", string)) == wanted, (
                    language, message.id)
