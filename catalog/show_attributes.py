"""What a showtime is besides its time: its format (2D, 3D, IMAX...), the language it is heard
in, its subtitles, and its accessibility (audio description, captions for deaf and
hard-of-hearing viewers, relaxed screenings). Each has words and a short symbol, so a showtime
says what it is to everyone, screen readers included; and each can filter the showtimes."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from babel import Locale

from catalog.validators import is_language, languages
from ticketing.errors import InvalidRequest
from ticketing.i18n import _, babel_locale

FORMATS = {"2d": "2D", "3d": "3D", "imax": "IMAX", "imax-3d": "IMAX 3D", "4dx": "4DX",
           "dolby": "Dolby Cinema", "screenx": "ScreenX"}
DEFAULT_FORMAT = "2d"
# field -> (symbol, words)
ACCESSIBILITY = {
    "audio_description": ("AD", _("audio description")),
    "captions": ("CC", _("captions for deaf and hard-of-hearing viewers")),
    "relaxed": ("R", _("relaxed screening: lights up, sound down")),
}
NO_SUBTITLES = "none"


def language_name(code: str) -> str:
    """The language's name in the reader's language ("French", "francês", "francés")."""
    return _language_names(babel_locale()).get(code) or languages().get(code, code)


@cache
def _language_names(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).languages)


def check_language(code: object, field: str) -> str:
    """A language code (ISO 639-1, "en"), or blank for none given; else a clear 400."""
    if code in ("", None):
        return ""
    if not is_language(code):
        raise InvalidRequest(
            _("{code!r} is not a language code such as en or fr", code=code), field=field
        )
    return code


@dataclass(frozen=True)
class Attribute:
    symbol: str
    words: str


def attributes(show) -> list[Attribute]:
    """The showtime's attributes in reading order, each with its symbol and its words."""
    found = []
    if show.format != DEFAULT_FORMAT:
        found.append(Attribute(FORMATS[show.format], FORMATS[show.format]))
    if show.audio_language:
        name = language_name(show.audio_language)
        found.append(Attribute(show.audio_language.upper(), str(_("in {language}", language=name))))
    if show.subtitles:
        name = language_name(show.subtitles)
        found.append(
            Attribute(
                str(_("{code} subs", code=show.subtitles.upper())),
                str(_("{language} subtitles", language=name)),
            )
        )
    for field, (symbol, words) in ACCESSIBILITY.items():
        if getattr(show, field):
            found.append(Attribute(symbol, words))
    return found


def accessibility_of(show) -> list[str]:
    return [field for field in ACCESSIBILITY if getattr(show, field)]


FILTERS = ("format", "audio", "subtitles", "accessibility")


def filter_shows(shows, params: Mapping[str, str]):
    """The shows matching ``?format=imax&audio=en&subtitles=fr&accessibility=captions`` (any
    of them; ``subtitles=none`` for none; accessibility is a comma list, all of which a show
    must have). An unknown value is a clear 400."""
    chosen = {name: params.get(name, "").strip() for name in FILTERS}
    if chosen["format"]:
        if chosen["format"] not in FORMATS:
            raise InvalidRequest(
                _("format must be one of {value}", value=", ".join(FORMATS)), field="format"
            )
        shows = shows.filter(format=chosen["format"])
    if chosen["audio"]:
        shows = shows.filter(audio_language=check_language(chosen["audio"], "audio"))
    if chosen["subtitles"] == NO_SUBTITLES:
        shows = shows.filter(subtitles="")
    elif chosen["subtitles"]:
        shows = shows.filter(subtitles=check_language(chosen["subtitles"], "subtitles"))
    for need in filter(None, chosen["accessibility"].split(",")):
        if need not in ACCESSIBILITY:
            raise InvalidRequest(
                _("accessibility takes {value}", value=", ".join(ACCESSIBILITY)),
                field="accessibility",
            )
        shows = shows.filter(**{need: True})
    return shows


def choices_for(shows) -> dict[str, list[tuple[str, str]]]:
    """What the shows offer to choose by: (value, words) of each filter, only as they occur."""
    rows = (
        shows.order_by()
        .values_list("format", "audio_language", "subtitles", *ACCESSIBILITY)
        .distinct()
    )
    formats, audio, subtitles, access = set(), set(), set(), set()
    for format_, heard, subs, *needs in rows:
        formats.add(format_)
        audio.update([heard] if heard else [])
        subtitles.add(subs or NO_SUBTITLES)
        access.update(field for field, has in zip(ACCESSIBILITY, needs, strict=True) if has)
    return {
        "format": [(code, FORMATS[code]) for code in FORMATS if code in formats],
        "audio": sorted(((code, language_name(code)) for code in audio), key=lambda c: c[1]),
        "subtitles": sorted(
            (
                (code, str(_("none")) if code == NO_SUBTITLES else language_name(code))
                for code in subtitles
            ),
            key=lambda c: (c[0] != NO_SUBTITLES, c[1]),
        ),
        "accessibility": [
            (field, ACCESSIBILITY[field][1]) for field in ACCESSIBILITY if field in access
        ],
    }
