"""The languages the moviegoer site, its emails and its API errors speak, and messages that
are translated when they are read rather than when they are made.

A refusal may be made in a batch thread or in another web process (the hold line decides for
everyone), where the asker's language is not active: so services' messages are lazy, and the
page, the email or the problem details turn them into words in the reader's language.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise, lazy
from django.utils.translation import (
    get_language,
    get_language_from_request,
    gettext,
    gettext_lazy,
    ngettext,
)

# Django's language code -> the locale Babel formats numbers and prices in
BABEL_LOCALES = {"en": "en_US", "pt": "pt_PT", "es": "es_ES"}


def _words(message: str, params: dict) -> str:
    # Always formatted, so {{ and }} are braces whether or not there are placeholders.
    return gettext(message).format(**params)


def _plural_words(singular: str, plural: str, count: int, params: dict) -> str:
    return ngettext(singular, plural, count).format(count=count, **params)


# Made once: Django's ngettext_lazy builds a new proxy class on every call, which was most of
# the time of deciding a rush's refusals (docs/performance.md).
_lazy_words = lazy(_words, str)
_lazy_plural_words = lazy(_plural_words, str)


def _(message: str, /, **params: object) -> Promise:
    """``message`` in the reader's language, with ``{name}`` placeholders filled in (the
    extraction keyword is ``_``, as gettext's own)."""
    return _lazy_words(message, params)


def n_(singular: str, plural: str, count: int, /, **params: object) -> Promise:
    """As ``_``, with the form for ``count`` ({count} is filled in too); extraction keyword
    ``n_:1,2`` (ticketing/management/commands/makemessages.py)."""
    return _lazy_plural_words(singular, plural, count, params)


CATEGORY_NAMES = {"standard": gettext_lazy("standard"), "premium": gettext_lazy("premium"),
                  "accessible": gettext_lazy("accessible"),
                  "companion": gettext_lazy("companion")}


def category_name(category: str) -> Promise | str:
    """A seat category's name, in the reader's language."""
    return CATEGORY_NAMES.get(category, category)


def babel_locale(language: str | None = None) -> str:
    code = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return BABEL_LOCALES.get(code, "en_US")


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's: the language from the switcher's cookie, then Accept-Language. An API answer
    that words nothing (any success: data) says no language, as the lean path's answers do, so
    the two paths answer alike; its errors do (``Content-Language``, ``Vary``)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path.startswith("/api/") and response.status_code < 400:
            return response
        return super().process_response(request, response)


def say_language(response: HttpResponse, language: str) -> HttpResponse:
    """The headers LocaleMiddleware gives an answer in ``language`` (for the lean path)."""
    patch_vary_headers(response, ("Accept-Language",))
    response.headers.setdefault("Content-Language", language)
    return response


def language_of(request: HttpRequest) -> str:
    """The language a request asks for (its cookie, then Accept-Language), as LocaleMiddleware
    chooses it: for answers made outside Django's middleware (the lean path)."""
    return get_language_from_request(request)
