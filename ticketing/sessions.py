"""Browser sessions: Django's database sessions, with one request of a session at a time where
it matters (``locked_session``).

Two tabs of one browser share one session. Django saves a session whole at the end of each
request, so two requests changing it at once would each write back what they read, and one
tab's change would be lost (for the site: a hold whose token is gone, unpayable, unreleasable,
still counted against the caps). Whatever must not be lost is changed under
``locked_session``: the session row is locked, re-read as the lock found it, changed and saved
before the lock is let go. The end of the request then saves nothing again (that copy could
overwrite what another tab saved in between) but still sends the cookie, as Django would.

Set as SESSION_ENGINE; the session middleware and Channels use it like any other engine.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest


class SessionStore(DatabaseSessionStore):
    _saved: tuple[str | None, dict] | None = None

    def save(self, must_create: bool = False) -> None:
        if self._saved == (self.session_key, self._session):
            return  # saved already (``save_now``), and unchanged since
        super().save(must_create=must_create)

    def save_now(self) -> None:
        """Save now; the end of the request sends the cookie but saves again only what
        changes after this."""
        super().save()
        self._saved = (self.session_key, copy.deepcopy(self._session))
        self.modified = True  # so the middleware sends (and refreshes) the cookie


@contextmanager
def locked_session(request: HttpRequest) -> Iterator[None]:
    """One request of a browser session at a time in here (see the module doc). A browser
    without a session yet has nothing to share with another tab, so nothing to lock (the pages
    that lead to a change make sure a session exists first: ``ensure_session``)."""
    session = request.session
    with transaction.atomic():
        key = session.session_key
        if key is not None and Session.objects.select_for_update().filter(
                session_key=key).exists():
            # Read again now that no other request of this session can be changing it.
            session._session_cache = session.load()
        yield
        if session.modified:
            session.save_now()


def ensure_session(request: HttpRequest) -> None:
    """Give a browser without a session one now, with this response's cookie, so that the
    tabs it opens share it from their first change on (two tabs that each began a session of
    their own would leave one of them with nothing).

    Only a browser that already carries our CSRF cookie needs it: without that cookie its tabs
    were each given a CSRF cookie of their own, and only the last one can post at all. So
    clients that keep no cookies (crawlers, load generators) never create sessions."""
    if request.session.session_key is None and settings.CSRF_COOKIE_NAME in request.COOKIES:
        request.session.save_now()
