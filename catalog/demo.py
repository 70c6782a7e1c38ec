"""A realistic, deterministic demo chain, written in the catalog import format.

The same date always gives the same document, so seeding twice on one day changes nothing.
The last two days of shows go on sale later (at 10:00 two days before), and one show, the
premiere (tomorrow's last show in the Plaza's first hall), is high demand: it has a waiting
room, and goes on sale at ``premiere_at`` (tomorrow at 10:00 unless given).
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

CITIES = [
    ("springfield", "Springfield", "America/Chicago", "USD", "12.50"),
    ("lisbon", "Lisbon", "Europe/Lisbon", "EUR", "8.50"),
    ("tokyo", "Tokyo", "Asia/Tokyo", "JPY", "1900"),
    ("melbourne", "Melbourne", "Australia/Melbourne", "AUD", "19.00"),
    ("new-york", "New York", "America/New_York", "USD", "17.00"),
]

CINEMAS = [
    ("plaza", "springfield", "Plaza Picturehouse", "1 Main St"),
    ("riverside", "springfield", "Riverside 6", "480 River Rd"),
    ("sao-jorge", "lisbon", "Cinema São Jorge", "Av. da Liberdade 175"),
    ("alvalade", "lisbon", "Alvalade Screens", "Av. de Roma 100"),
    ("shinjuku-lumiere", "tokyo", "Shinjuku Lumière", "3-15-15 Shinjuku"),
    ("ebisu-garden", "tokyo", "Ebisu Garden Cinema", "4-20 Ebisu"),
    ("astor", "melbourne", "The Astor", "1 Chapel St, St Kilda"),
    ("nova-carlton", "melbourne", "Nova Carlton", "380 Lygon St"),
    ("metrograph", "new-york", "Metrograph Downtown", "7 Ludlow St"),
    ("film-forum", "new-york", "Film Forum", "209 W Houston St"),
]


def _rows(labels: str, pattern: str) -> list[str]:
    return [f"{label}: {pattern}" for label in labels]


# Hall shapes: (name, layout). Gaps for aisles, premium rows, accessible places, blocked seats.
HALLS = {
    "grand": [
        "A: ac_ssssssssssss_ca",
        *_rows("BCDEF", "ss_ssssssssssss_ss"),
        *_rows("GHJ", "pp_pppppppppppp_pp"),
        *_rows("KLM", "ss_ssssssssssss_ss"),
        "N: ssssssssssssssssss",
    ],
    "studio": [
        "A: a_ssssss_a",
        *_rows("BCDE", "s_ssssss_s"),
        "F: pppppppppp",
    ],
    "stadium": [
        "A: ___ssssssss___",
        "B: __ssssssssss__",
        "C: _ssssssssssss_",
        *_rows("DEF", "ssssss__ssssss"),
        *_rows("GH", "pppppp__pppppp"),
        "J: aa_ssxxss_aa__",
    ],
    "lounge": [
        "A: pp_pp_pp_pp",
        "B: pp_pp_pp_pp",
        "C: a__pp_pp__a",
    ],
}

CINEMA_HALLS = {
    "plaza": [("Screen 1", "grand"), ("Screen 2", "studio"), ("Lounge", "lounge")],
    "riverside": [("Screen 1", "stadium"), ("Screen 2", "studio")],
    "sao-jorge": [("Sala Manoel de Oliveira", "grand"), ("Sala 2", "studio")],
    "alvalade": [("Sala 1", "stadium"), ("Sala 2", "studio")],
    "shinjuku-lumiere": [("Screen 1", "grand"), ("Screen 2", "stadium")],
    "ebisu-garden": [("Garden", "lounge"), ("Screen 2", "studio")],
    "astor": [("The Astor", "grand")],
    "nova-carlton": [("Cinema 1", "stadium"), ("Cinema 2", "studio"), ("Gold Class", "lounge")],
    "metrograph": [("Theater 1", "stadium"), ("Theater 2", "lounge")],
    "film-forum": [("Theater 1", "studio"), ("Theater 2", "studio")],
}

MOVIES = [
    ("the-long-tide", "The Long Tide", 128, "PG-13", ["Drama"]),
    ("orbit-of-ashes", "Orbit of Ashes", 142, "PG-13", ["Science fiction", "Action"]),
    ("paper-lanterns", "Paper Lanterns", 104, "PG", ["Animation", "Family"]),
    ("the-ninth-witness", "The Ninth Witness", 117, "R", ["Thriller", "Crime"]),
    ("salt-and-vinegar", "Salt & Vinegar", 96, "PG-13", ["Comedy"]),
    ("the-cartographer", "The Cartographer", 155, "PG-13", ["Adventure"]),
    ("midnight-in-lagos", "Midnight in Lagos", 112, "R", ["Romance", "Drama"]),
    ("iron-meadow", "Iron Meadow", 133, "R", ["War", "Drama"]),
    ("the-quiet-engine", "The Quiet Engine", 99, "PG", ["Documentary"]),
    ("kites-over-kyoto", "Kites over Kyoto", 108, "G", ["Family", "Drama"]),
    ("nightshift", "Nightshift", 121, "R", ["Horror"]),
    ("a-summer-of-foxes", "A Summer of Foxes", 101, "PG", ["Coming of age"]),
    ("the-glass-heist", "The Glass Heist", 126, "PG-13", ["Crime", "Comedy"]),
    ("northern-lights", "Northern Lights", 138, "PG-13", ["Romance"]),
    ("deep-field", "Deep Field", 165, "PG-13", ["Science fiction"]),
    ("the-understudy", "The Understudy", 109, "R", ["Drama", "Music"]),
    ("tin-soldiers", "Tin Soldiers", 94, "G", ["Animation"]),
    ("last-train-to-porto", "Last Train to Porto", 118, "PG-13", ["Mystery"]),
    ("the-beekeepers-daughter", "The Beekeeper's Daughter", 131, "PG", ["Drama"]),
    ("overdrive", "Overdrive", 147, "PG-13", ["Action"]),
]

# Three slots a day fit the longest movie plus the cleaning gap.
SLOTS = (time(13, 0), time(16, 30), time(20, 0))
PREMIUM_SUPPLEMENT = {"USD": "4.00", "EUR": "3.00", "JPY": "600", "AUD": "6.00"}


# The chain's ticket types, in order: (code, name, for children, carer's ticket, share of
# the adult price).
TICKET_TYPES = [("adult", "Adult", False, False, Decimal("1")),
                ("child", "Child", True, False, Decimal("0.7")),
                ("senior", "Senior", False, False, Decimal("0.8")),
                ("student", "Student", False, False, Decimal("0.85")),
                ("carer", "Carer", False, True, Decimal("0"))]
# Films of these ratings are not for children: no child tickets.
ADULTS_ONLY = ("R",)
BOOKING_FEE = {"USD": "0.75", "EUR": "0.50", "JPY": "100", "AUD": "1.00"}
SURCHARGES = {"3d": Decimal("0.2"), "imax": Decimal("0.3"), "imax-3d": Decimal("0.4")}  # of adult


def _price_card(city: str, currency: str, base: str, premium: str) -> dict:
    """A city's card: each type a share of the adult price, the big formats a surcharge."""
    step = Decimal("1") if currency == "JPY" else Decimal("0.01")
    prices = {
        code: {category: str((Decimal(adult) * share).quantize(step))
               for category, adult in (("standard", base), ("premium", premium),
                                       ("accessible", base))}
        for code, _, _, _, share in TICKET_TYPES}
    surcharges = {format_: str((Decimal(base) * share).quantize(step))
                  for format_, share in SURCHARGES.items()}
    return {"name": f"{city} standard", "currency": currency,
            "booking_fee": BOOKING_FEE[currency], "prices": prices, "surcharges": surcharges}


# Where films are shown in their original English with local subtitles.
SUBTITLED = {"lisbon": "pt", "tokyo": "ja"}


def _attributes(city: str, hall_index: int, day: int, slot_index: int) -> dict:
    """What a demo showtime is besides its time: the first hall's evenings in IMAX (3D on
    alternate days), English with local subtitles where that is the custom, captions on every
    third afternoon, audio description on alternate evenings, a relaxed matinee each week."""
    attributes: dict = {}
    if hall_index == 0 and slot_index == 2:
        attributes["format"] = "imax-3d" if day % 2 else "imax"
    if city in SUBTITLED:
        attributes.update(audio_language="en", subtitles=SUBTITLED[city])
    needs = [need for need, wanted in (
        ("audio_description", slot_index == 2 and day % 2 == 0),
        ("captions", slot_index == 1 and day % 3 == 0),
        ("relaxed", slot_index == 0 and day % 7 == 6)) if wanted]
    if needs:
        attributes["accessibility"] = needs
    return attributes


PREMIERE = ("plaza", 0, 1)  # cinema, hall index, day: its last show


def build_demo_catalog(today: date, days: int = 14, seed: int = 7,
                       premiere_at: datetime | None = None) -> dict:
    rng = random.Random(seed)
    city_info = {slug: (tz, currency, price) for slug, _, tz, currency, price in CITIES}
    city_names = {slug: name for slug, name, *_ in CITIES}
    document: dict = {
        "ticket_types": [{"code": code, "name": name, "for_children": kids, "carer": carer}
                         for code, name, kids, carer, _ in TICKET_TYPES],
        "ratings": [{"code": rating, "children_allowed": False} for rating in ADULTS_ONLY],
        "price_cards": [
            _price_card(name, currency, price,
                        str(Decimal(price) + Decimal(PREMIUM_SUPPLEMENT[currency])))
            for _, name, _, currency, price in CITIES],
        "cities": [{"slug": slug, "name": name} for slug, name, *_ in CITIES],
        "movies": [
            {
                "slug": slug, "title": title, "duration_minutes": minutes, "rating": rating,
                "release_date": (date(2026, 1, 9) + timedelta(days=17 * i)).isoformat(),
                "genres": genres,
                "synopsis": f"{title}: a {genres[0].lower()} story, in cinemas now.",
            }
            for i, (slug, title, minutes, rating, genres) in enumerate(MOVIES)
        ],
        "cinemas": [],
        "shows": [],
    }
    for slug, city, name, address in CINEMAS:
        tz = city_info[city][0]
        halls = [{"name": hall, "layout": HALLS[shape]} for hall, shape in CINEMA_HALLS[slug]]
        document["cinemas"].append(
            {"slug": slug, "city": city, "name": name, "address": address, "timezone": tz,
             "halls": halls}
        )
        tz_info = ZoneInfo(tz)
        # Each cinema runs a rotating line-up of eight of the twenty movies.
        lineup = rng.sample(MOVIES, 8)
        for hall_index, (hall, _) in enumerate(CINEMA_HALLS[slug]):
            for day in range(days):
                for slot_index, slot in enumerate(SLOTS):
                    movie = lineup[(day + slot_index * 3 + hall_index * 5) % len(lineup)]
                    local = datetime.combine(today + timedelta(days=day), slot, tz_info)
                    show = {
                        "movie": movie[0], "cinema": slug, "hall": hall,
                        "starts_at": local.isoformat(),
                        "price_card": f"{city_names[city]} standard",
                        **_attributes(city, hall_index, day, slot_index),
                    }
                    if days >= 4 and day >= days - 2:
                        show["on_sale_at"] = datetime.combine(
                            today + timedelta(days=day - 2), time(10), tz_info).isoformat()
                    if (slug, hall_index, day) == PREMIERE and slot_index == len(SLOTS) - 1:
                        opens = premiere_at or datetime.combine(
                            today + timedelta(days=1), time(10), tz_info)
                        show |= {"on_sale_at": opens.isoformat(), "waiting_room": True}
                    document["shows"].append(show)
    return document
