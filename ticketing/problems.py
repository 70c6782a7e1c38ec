"""Errors as RFC 9457 problem details: one shape for every error from an API URL.

``{"type", "title", "status", "detail", "code", ...}`` with ``application/problem+json``;
extension members carry specifics (the unavailable seats, the invalid fields, a reason).
"""

from http import HTTPStatus

from django.http import HttpRequest, JsonResponse
from django.utils.functional import Promise

from ticketing.errors import DomainError
from ticketing.i18n import _

CONTENT_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 5  # what a 503 asks a client to wait while the database is away


def problem_body(status: int, code: str, detail: str | Promise, **extra) -> dict:
    return {"type": f"/api/problems/{code}", "title": _title(status), "status": status,
            "detail": str(detail), "code": code, **extra}  # a lazy message: in words now


def domain_problem(exc: DomainError) -> dict:
    """A service's refusal as problem details (its extension members included)."""
    return problem_body(exc.status, exc.code, exc.message, **exc.extra)


def domain_problem_headers(exc: DomainError) -> dict[str, str]:
    return {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else {}


def problem_response(status: int, code: str, detail: str, **extra) -> JsonResponse:
    return JsonResponse(problem_body(status, code, detail, **extra), status=status,
                        content_type=CONTENT_TYPE)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def unavailable_problem() -> JsonResponse:
    """The API's answer while the database cannot be reached (the Django path's middleware
    and the lean path give the same)."""
    response = problem_response(
        503, "unavailable", _("The service is briefly unavailable. Please try again in a few "
                              "seconds."))
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error_problem(status: int = 500) -> JsonResponse:
    """The API's answer when something failed on our side (never a traceback)."""
    return problem_response(status, "server_error",
                            _("Something went wrong on our side. Please try again."))
