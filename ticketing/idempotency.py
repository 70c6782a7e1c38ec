"""Idempotency-Key for every API POST that creates something.

The same key with the same request replays the stored answer for 24 hours; the same key with a
different request (body or credentials) is 422; a duplicate arriving while the first is still
running is 409. Server errors (5xx) are not stored, so a retry runs again. Keys are scoped by
method and path; clients should use unguessable keys (UUIDs).
"""

import base64
import hashlib
from datetime import timedelta
from functools import wraps

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from booking.models import IdempotentRequest
from ticketing.problems import problem_response

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 100


def _cipher(scope: str, key: str) -> Fernet:
    secret = hashlib.sha256(f"{settings.SECRET_KEY}|{scope}|{key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(secret))


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(request.body)
    digest.update(b"\0" + request.headers.get("Authorization", "").encode())
    return digest.hexdigest()


def idempotent(view):
    """Wrap a (DRF) view: put it outside ``@api_view`` so error answers are stored too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method != "POST":
            return view(request, *args, **kwargs)
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            return problem_response(400, "invalid", "Idempotency-Key must be 1 to "
                                    f"{MAX_KEY_LENGTH} printable characters.")
        scope = f"{request.method} {request.path}"
        fingerprint = _fingerprint(request)
        IdempotentRequest.objects.filter(scope=scope, key=key,
                                         created_at__lt=timezone.now() - TTL).delete()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(scope=scope, key=key,
                                                          fingerprint=fingerprint)
        except IntegrityError:
            return _answer_again(scope, key, fingerprint)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()  # not stored: a retry runs again
            return response
        record.state = IdempotentRequest.State.DONE
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = _cipher(scope, key).encrypt(response.content)
        record.save(update_fields=["state", "status_code", "content_type", "body"])
        return response

    return wrapper


def _answer_again(scope: str, key: str, fingerprint: str) -> HttpResponse:
    record = IdempotentRequest.objects.filter(scope=scope, key=key).first()
    if record is None:  # it failed and was removed a moment ago: tell the client to retry
        return problem_response(409, "idempotency_in_progress",
                                "A request with this Idempotency-Key just failed; retry it.")
    if record.fingerprint != fingerprint:
        return problem_response(422, "idempotency_key_reused",
                                "This Idempotency-Key was already used for a different request.")
    if record.state == IdempotentRequest.State.RUNNING:
        return problem_response(409, "idempotency_in_progress",
                                "A request with this Idempotency-Key is still being processed.")
    response = HttpResponse(_cipher(scope, key).decrypt(bytes(record.body)),
                            status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def forget_old_requests() -> int:
    return IdempotentRequest.objects.filter(created_at__lt=timezone.now() - TTL).delete()[0]
