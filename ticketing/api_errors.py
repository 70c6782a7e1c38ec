"""Every API error as problem details (see ticketing/problems.py)."""

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ticketing.errors import DomainError
from ticketing.problems import (
    CONTENT_TYPE,
    domain_problem,
    domain_problem_headers,
    problem_body,
)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        response = Response(domain_problem(exc), status=exc.status, content_type=CONTENT_TYPE)
        for header, value in domain_problem_headers(exc).items():
            response[header] = value
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API exception: the outage middleware or handler500 answers
    data, extra = response.data, {}
    if isinstance(exc, exceptions.ValidationError):
        detail, code = "Some fields are invalid.", "invalid"
        extra["errors"] = data
    elif isinstance(data, dict) and "detail" in data:
        detail = str(data["detail"])
        code = getattr(data["detail"], "code", None) or _code(exc)
    else:
        detail, code = str(data), _code(exc)
    problem = _problem(response.status_code, code, detail, extra)
    for header in ("Retry-After", "WWW-Authenticate", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem


def _code(exc: Exception) -> str:
    return getattr(exc, "default_code", "error")


def _problem(status: int, code: str, detail: str, extra: dict) -> Response:
    return Response(problem_body(status, code, detail, **extra), status=status,
                    content_type=CONTENT_TYPE)
