"""Typed readers for settings from the environment.

Every reader fails loudly (ImproperlyConfigured) on a value it cannot understand, so a typo in a
deployment stops the process at start-up instead of silently running with a default.
"""

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


MISSING_SECRET_KEY = "SECRET_KEY must be set when DEBUG is off"  # noqa: S105 - a message
EMAIL_NOT_CHOSEN = (
    "EMAIL_BACKEND is not set, and with DEBUG off booking emails (and the links in them) would "
    "only be printed to the console. Set EMAIL_BACKEND to your mail backend (with EMAIL_HOST "
    "and friends), or to django.core.mail.backends.console.EmailBackend if that is what you "
    "want.")


def kept_secret_key(path: Path) -> str:
    """The key in ``path``, made there (random, readable by this user only) the first time.
    For zero-setup mode: one machine, so one file is enough to share it across restarts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a file of our own, then linked into place: two processes starting
        # at once (uvicorn --workers 2) both end up reading the one key that won.
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path} holds no usable secret key: delete it")
    return key


def require_serving_settings() -> None:
    """Called where the site starts serving (the ASGI app, the Celery worker and beat): a
    process that would sign with no key, or mail booking links to its console without being
    told to, does not start."""
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's own guard against an empty key
        key = ""
    if not key:
        raise ImproperlyConfigured(MISSING_SECRET_KEY)
    if (not settings.DEBUG and not settings.EMAIL_BACKEND_CHOSEN
            and settings.EMAIL_BACKEND == settings.CONSOLE_EMAIL_BACKEND):
        raise ImproperlyConfigured(EMAIL_NOT_CHOSEN)
