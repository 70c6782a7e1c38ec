"""Idempotency-Key for every API POST that creates something.

The key is a secret only its client knows (as at Stripe): creating a hold or joining the line
carries no credentials, so whoever presents the key gets the stored answer, token included. A
key must therefore carry at least 128 bits of randomness: a UUID version 4, or 22 to 100
URL-safe base64 characters (``secrets.token_urlsafe(16)`` or more). Anything else is 400. We
cannot see how a key was made, only refuse what cannot be random; so, as a second wall, a
request without credentials is bound to the client's network (``_fingerprint``): a key that
leaked or was guessed gets anyone elsewhere a 422, never the token.

The same key with the same request replays the stored answer for 24 hours; the same key with a
different request (body, credentials or, without credentials, network) is 422; a duplicate
arriving while the first is still running is 409 with Retry-After. Only final answers are
stored: server errors (5xx), 429 and any answer carrying Retry-After (a refusal that may change
if the client waits) are not, so a retry runs again. A request that never finished (its
process died) holds its key for at most IDEMPOTENCY_LEASE_SECONDS; then a retry takes the key
over, and the old run, should it still be alive, can no longer write to it. Keys are scoped by
method and path and stored hashed; stored answers are encrypted with a key derived from
SECRET_KEY and the idempotency key itself, so a copy of the database alone reveals neither.
"""

import base64
import hashlib
import re
import uuid
from datetime import timedelta
from functools import wraps

from celery import shared_task
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ticketing.clients import client_id
from ticketing.i18n import _
from ticketing.models import IdempotentRequest
from ticketing.problems import problem_response

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 100
_URLSAFE = re.compile(r"[A-Za-z0-9_-]{22,100}")
# A key that is one character repeated, or nearly, is not random however long it is.
_MIN_DISTINCT_CHARACTERS = 8
KEY_RULE = ("Idempotency-Key must be a secret only you know: a random UUID (version 4) or 22 "
            "to 100 random URL-safe base64 characters (A-Z, a-z, 0-9, - and _).")
RETRY_SOON = 1  # seconds: how long to wait before retrying a key that is still running


def key_is_strong(key: str) -> bool:
    """Whether the key can carry 128 bits of randomness (we cannot see how it was made, only
    refuse what cannot be random enough)."""
    try:
        parsed = uuid.UUID(key)
    except ValueError:
        parsed = None
    if parsed is not None and len(key) == 36:
        return parsed.version == 4 and len(set(key.lower()) - {"-"}) >= _MIN_DISTINCT_CHARACTERS
    return bool(_URLSAFE.fullmatch(key)) and len(set(key)) >= _MIN_DISTINCT_CHARACTERS


def _cipher(scope: str, key: str) -> Fernet:
    secret = hashlib.sha256(f"{settings.SECRET_KEY}|{scope}|{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(secret))


def _stored_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _fingerprint(request: HttpRequest) -> str:
    """The request as a retry must repeat it: its body and credentials; without credentials
    (the answer hands out a token), also the client's network."""
    digest = hashlib.sha256(request.body)
    credentials = request.headers.get("Authorization", "")
    digest.update(b"\0" + credentials.encode())
    if not credentials:
        digest.update(b"\0" + client_id(request).encode())
    return digest.hexdigest()


def is_final(response: HttpResponse) -> bool:
    """An answer a retry would get again. Server errors, rate limits and caps, 202 Accepted
    (not finished: a payment awaiting the customer), and anything that tells the client to come
    back later, are not."""
    return (response.status_code < 500 and response.status_code not in (202, 429)
            and "Retry-After" not in response)


def idempotent(view):
    """Wrap a (DRF) view: put it outside ``@api_view`` so error answers are stored too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method != "POST":
            return view(request, *args, **kwargs)
        if not key_is_strong(key):
            return problem_response(400, "invalid", KEY_RULE, field="Idempotency-Key")
        scope = f"{request.method} {request.path}"
        record = _claim(scope, _stored_key(key), _fingerprint(request))
        if record is None:
            return _answer_again(scope, key, request)
        mine = IdempotentRequest.objects.filter(pk=record.pk, owner=record.owner,
                                                state=IdempotentRequest.State.RUNNING)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        except BaseException:
            mine.delete()
            raise
        if not is_final(response):
            mine.delete()  # not stored: a retry runs again
            return response
        # Only while still ours: had this run outlived its lease and a retry taken the key
        # over, the retry's answer is the one kept (this client still gets its own).
        mine.update(state=IdempotentRequest.State.DONE, status_code=response.status_code,
                    content_type=response.get("Content-Type", ""),
                    body=_cipher(scope, key).encrypt(response.content))
        return response

    return wrapper


def _claim(scope: str, stored_key: str, fingerprint: str) -> IdempotentRequest | None:
    """This request's record, made (or taken over from a run that died) by this request, with
    an owner only this request knows; or None when another request owns the key."""
    now = timezone.now()
    owner = uuid.uuid4().hex
    IdempotentRequest.objects.filter(scope=scope, key=stored_key,
                                     created_at__lt=now - TTL).delete()
    try:
        with transaction.atomic():
            return IdempotentRequest.objects.create(scope=scope, key=stored_key, owner=owner,
                                                    fingerprint=fingerprint, created_at=now)
    except IntegrityError:
        pass
    # A record still running past its lease was left by a process that died: take it over,
    # guarded so that of two retries arriving together only one does. The new owner fences
    # the old run off: whatever it writes later touches nothing.
    lease = timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)
    taken = IdempotentRequest.objects.filter(
        scope=scope, key=stored_key, fingerprint=fingerprint,
        state=IdempotentRequest.State.RUNNING, created_at__lt=now - lease,
    ).update(created_at=now, owner=owner)
    if taken:
        return IdempotentRequest.objects.filter(scope=scope, key=stored_key,
                                                owner=owner).first()
    return None


def _in_progress(detail: str) -> HttpResponse:
    response = problem_response(409, "idempotency_in_progress", detail,
                                retry_after=RETRY_SOON)
    response["Retry-After"] = str(RETRY_SOON)
    return response


def _answer_again(scope: str, key: str, request: HttpRequest) -> HttpResponse:
    record = IdempotentRequest.objects.filter(scope=scope, key=_stored_key(key)).first()
    if record is None:  # it failed and was removed a moment ago: tell the client to retry
        return _in_progress("A request with this Idempotency-Key just failed; retry it.")
    if record.fingerprint != _fingerprint(request):
        return problem_response(422, "idempotency_key_reused",
                                _("This Idempotency-Key was already used for a different "
                                  "request."))
    if record.state == IdempotentRequest.State.RUNNING:
        return _in_progress("A request with this Idempotency-Key is still being processed.")
    response = HttpResponse(_cipher(scope, key).decrypt(bytes(record.body)),
                            status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


@shared_task(name="ticketing.tasks.forget_old_idempotency_records", ignore_result=True)
def forget_old_requests() -> int:
    return IdempotentRequest.objects.filter(created_at__lt=timezone.now() - TTL).delete()[0]
