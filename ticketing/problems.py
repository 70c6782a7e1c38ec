"""Errors as RFC 9457 problem details: one shape for every error from an API URL.

``{"type", "title", "status", "detail", "code", ...}`` with ``application/problem+json``;
extension members carry specifics (the unavailable seats, the invalid fields, a reason).
"""

from http import HTTPStatus

from django.http import HttpRequest, JsonResponse

CONTENT_TYPE = "application/problem+json"


def problem_body(status: int, code: str, detail: str, **extra) -> dict:
    return {"type": f"/api/problems/{code}", "title": _title(status), "status": status,
            "detail": detail, "code": code, **extra}


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
