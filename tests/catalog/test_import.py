import copy
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from booking.models import Hold, ShowSeat
from catalog.models import Cinema, City, Hall, Movie, Seat, Show

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

START = (timezone.now() + timedelta(days=3)).replace(microsecond=0)


def catalog() -> dict:
    return {
        "cities": [{"slug": "springfield", "name": "Springfield"}],
        "movies": [{"slug": "the-matrix", "title": "The Matrix", "duration_minutes": 136,
                    "rating": "R", "release_date": "1999-03-31", "genres": ["Action"],
                    "synopsis": "..."}],
        "cinemas": [{"slug": "plaza", "city": "springfield", "name": "Plaza",
                     "address": "1 Main St", "timezone": "America/Chicago",
                     "halls": [{"name": "Screen 1",
                                "layout": ["A: ss_ssss_ss", "B: aa_pppp_xa"]}]}],
        "shows": [{"movie": "the-matrix", "cinema": "plaza", "hall": "Screen 1",
                   "starts_at": START.isoformat(), "currency": "USD",
                   "prices": {"standard": "12.50", "premium": "16.00", "accessible": "12.50"}}],
    }


def load(tmp_path, document) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    from io import StringIO
    out = StringIO()
    call_command("load_catalog", str(path), stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        model.__name__: sorted(model.objects.values_list(*fields))
        for model, fields in [
            (City, ("slug", "name")),
            (Movie, ("slug", "title", "duration_minutes")),
            (Cinema, ("slug", "name", "timezone")),
            (Hall, ("name", "layout")),
            (Seat, ("id", "row_label", "number", "category", "blocked")),
            (Show, ("id", "starts_at", "ends_at", "currency", "price_standard")),
            (ShowSeat, ("id", "show_id", "seat_id")),
        ]
    }


def test_valid_file_loads_everything(tmp_path):
    out = load(tmp_path, catalog())
    assert "shows: 1 created" in out
    hall = Hall.objects.get(name="Screen 1")
    assert hall.seats.count() == 16
    b1 = hall.seats.get(row_label="B", number=1)
    assert b1.category == "accessible"
    assert hall.seats.get(row_label="B", number=7).blocked
    show = Show.objects.get()
    assert show.ends_at == START + timedelta(minutes=136 + 15)
    assert show.inventory.count() == 16
    assert str(show.price_premium) == "16.00"


def test_loading_twice_changes_nothing(tmp_path):
    load(tmp_path, catalog())
    before = snapshot()
    out = load(tmp_path, catalog())
    assert snapshot() == before
    assert "0 created, 0 updated" in out


def test_changed_file_updates_in_place(tmp_path):
    load(tmp_path, catalog())
    show_id = Show.objects.get().id
    seat_ids = set(Seat.objects.values_list("id", flat=True))
    changed = catalog()
    changed["movies"][0]["title"] = "The Matrix (4K)"
    changed["shows"][0]["prices"]["standard"] = "13.00"
    changed["cinemas"][0]["halls"][0]["layout"] = ["A: ss_ssss_ss", "B: aa_pppp_xa", "C: ssss"]
    load(tmp_path, changed)
    assert Movie.objects.get().title == "The Matrix (4K)"
    show = Show.objects.get()
    assert show.id == show_id and str(show.price_standard) == "13.00"
    assert seat_ids < set(Seat.objects.values_list("id", flat=True))  # old seats kept their ids
    assert show.inventory.count() == 20


def test_longer_movie_moves_show_ends(tmp_path):
    load(tmp_path, catalog())
    changed = catalog()
    changed["movies"][0]["duration_minutes"] = 150
    load(tmp_path, changed)
    assert Show.objects.get().ends_at == START + timedelta(minutes=165)


def break_(path: str, value, *, delete: bool = False):
    document = catalog()
    *parents, last = path.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key = int(last) if last.isdigit() else last
    if delete:
        del node[key]
    else:
        node[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (break_("cinemas.0.halls.0.layout.1", "B: aq_pppp_xa"),
         "cinemas[0].halls[0].layout[1]: unknown seat code 'q'"),
        (break_("cinemas.0.timezone", "Mars/Olympus"),
         "cinemas[0].timezone: unknown time zone 'Mars/Olympus'"),
        (break_("shows.0.currency", "XYZ"), "shows[0].currency: unknown currency 'XYZ'"),
        (break_("shows.0.prices.vip", "30.00"), "shows[0].prices.vip: unknown seat category"),
        (break_("shows.0.prices.premium", None, delete=True),
         "shows[0].prices.premium: this hall has premium seats, so a premium price is required"),
        (break_("shows.0.prices.standard", 12.5), "shows[0].prices.standard: must be a decimal"),
        (break_("shows.0.prices.standard", "12.505"),
         "shows[0].prices.standard: Ensure that there are no more than 2 decimal places"),
        (break_("shows.0.currency", "JPY"),
         "shows[0].prices.standard: 12.50 has more decimals than JPY allows"),
        (break_("shows.0.movie", "nope"), "shows[0].movie: no movie with slug 'nope'"),
        (break_("shows.0.cinema", "nope"), "shows[0].cinema: no cinema with slug 'nope'"),
        (break_("shows.0.hall", "Screen 9"), "shows[0].hall: no hall 'Screen 9' in cinema 'plaza'"),
        (break_("shows.0.starts_at", "2026-12-01T19:30:00"), "shows[0].starts_at: "),
        (break_("shows.0.starts_at", "tomorrow"), "shows[0].starts_at: 'tomorrow' is not"),
        (break_("cinemas.0.city", "shelbyville"),
         "cinemas[0].city: no city with slug 'shelbyville'"),
        (break_("movies.0.duration_minutes", "136"), "movies[0].duration_minutes: must be"),
        (break_("movies.0.duration_minutes", 0), "movies[0].duration_minutes: must be"),
        (break_("movies.0.release_date", "31/03/1999"), "movies[0].release_date: "),
        (break_("movies.0.title", None, delete=True), "movies[0].title: is required"),
        (break_("movies.0.genres", "Action"), "movies[0].genres: must be a list"),
        (break_("cities.0.slug", "Spring Field"), "cities[0].slug: 'Spring Field' is not a slug"),
        (break_("cities.0.slug", "admin"), "cities[0].slug: 'admin' is reserved"),
        (break_("cities.0.name", "x" * 101), "cities[0].name: Ensure this value has at most 100"),
        (break_("cinemas.0.halls", None, delete=True), "cinemas[0].halls: is required"),
        (break_("cinemas.0.color", "red"), "cinemas[0].color: unknown field"),
        (break_("cinemas", {}), "cinemas: must be a list"),
        (break_("shows.0", "x"), "shows[0]: must be an object"),
        ([1, 2], "must be an object"),
    ],
)
def test_invalid_files_fail_with_one_line_naming_the_place(tmp_path, document, message):
    with pytest.raises(CommandError) as info:
        load(tmp_path, document)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)
    assert City.objects.count() == 0 and Show.objects.count() == 0  # nothing written


def test_overlapping_show_in_file_is_refused_and_nothing_is_written(tmp_path):
    document = catalog()
    second = copy.deepcopy(document["shows"][0])
    second["starts_at"] = (START + timedelta(minutes=150)).isoformat()  # 136 + 15 gap > 150
    document["shows"].append(second)
    with pytest.raises(CommandError) as info:
        load(tmp_path, document)
    assert str(info.value).startswith("shows[1].starts_at: overlaps The Matrix in Screen 1")
    assert Show.objects.count() == 0 and City.objects.count() == 0


def test_back_to_back_show_after_the_cleaning_gap_is_fine(tmp_path):
    document = catalog()
    second = copy.deepcopy(document["shows"][0])
    second["starts_at"] = (START + timedelta(minutes=151)).isoformat()
    document["shows"].append(second)
    load(tmp_path, document)
    assert Show.objects.count() == 2


def test_not_json_and_missing_file(tmp_path):
    with pytest.raises(CommandError, match=r"not valid JSON: .* line 1 column"):
        load(tmp_path, "{nope")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("load_catalog", str(tmp_path / "missing.json"))


def test_layout_cannot_change_once_seats_are_held(tmp_path):
    load(tmp_path, catalog())
    show = Show.objects.get()
    seat = show.inventory.first()
    hold = Hold.objects.create(show=show, token_hash="x", expires_at=timezone.now()
                               + timedelta(minutes=5), total=0, currency="USD")
    ShowSeat.objects.filter(pk=seat.pk).update(hold=hold, held_until=hold.expires_at)
    before = snapshot()
    changed = catalog()
    changed["cinemas"][0]["halls"][0]["layout"] = ["A: ssss"]
    with pytest.raises(CommandError) as info:
        load(tmp_path, changed)
    assert str(info.value).startswith("cinemas[0].halls[0].layout: the layout of Screen 1 "
                                      "cannot change")
    assert snapshot() == before


def test_seed_demo_is_realistic_and_deterministic():
    call_command("seed_demo", days=2)
    assert City.objects.count() >= 4
    assert Cinema.objects.count() >= 10
    assert Cinema.objects.values("timezone").distinct().count() > 1
    assert Movie.objects.count() >= 20
    assert Seat.objects.filter(category="premium").exists()
    assert Seat.objects.filter(category="accessible").exists()
    assert Seat.objects.filter(blocked=True).exists()
    assert Show.objects.upcoming().exists()
    before = snapshot()
    call_command("seed_demo", days=2)
    assert snapshot() == before
    call_command("seed_demo", days=2, if_empty=True)
    assert snapshot() == before


def test_two_entries_for_one_show_are_an_error_naming_both(tmp_path):
    document = catalog()
    document["movies"].append({"slug": "heat", "title": "Heat", "duration_minutes": 170})
    twin = dict(document["shows"][0], movie="heat")
    document["shows"].append(twin)
    with pytest.raises(CommandError) as info:
        load(tmp_path, document)
    message = str(info.value)
    assert message.startswith("shows[1]: the same show (hall 'Screen 1' of 'plaza' at ")
    assert message.endswith(" as shows[0]: give each show once") and "\n" not in message
    assert Show.objects.count() == 0 and Movie.objects.count() == 0  # nothing written


def test_an_update_cannot_change_the_movie_of_a_show_with_sales(tmp_path):
    load(tmp_path, catalog())
    show = Show.objects.get()
    hold = Hold.objects.create(show=show, token_hash="x", expires_at=timezone.now()
                               + timedelta(minutes=5), total=0, currency="USD")
    ShowSeat.objects.filter(pk=show.inventory.first().pk).update(
        hold=hold, held_until=hold.expires_at)
    changed = catalog()
    changed["movies"].append({"slug": "heat", "title": "Heat", "duration_minutes": 100})
    changed["shows"][0]["movie"] = "heat"
    before = snapshot()
    with pytest.raises(CommandError) as info:
        load(tmp_path, changed)
    assert str(info.value).startswith("shows[0].movie: This show has seats held or booked, so "
                                      "its movie cannot change")
    assert snapshot() == before and Show.objects.get().movie.slug == "the-matrix"
    assert not Movie.objects.filter(slug="heat").exists()  # all or nothing


@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_deeply_nested_json_is_a_one_line_error(tmp_path, depth):
    with pytest.raises(CommandError) as info:
        load(tmp_path, "[" * depth + "]" * depth)
    assert "nested too deeply" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("kind", "message"), [
    ("cities", "cities[1]: the same city ('springfield') as cities[0]: give each city once"),
    ("movies", "movies[1]: the same movie ('the-matrix') as movies[0]: give each movie once"),
    ("cinemas", "cinemas[1]: the same cinema ('plaza') as cinemas[0]: give each cinema once"),
])
def test_two_entries_for_one_city_movie_or_cinema_are_an_error(tmp_path, kind, message):
    document = catalog()
    twin = copy.deepcopy(document[kind][0])
    twin["name" if kind != "movies" else "title"] = "Another name"
    document[kind].append(twin)
    with pytest.raises(CommandError) as info:
        load(tmp_path, document)
    assert str(info.value) == message
    assert City.objects.count() == 0
