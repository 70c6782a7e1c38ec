"""Site-wide 404/500 handlers and the request-size limit: problem details for API URLs,
friendly pages for everything else."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found, server_error

from ticketing.i18n import _
from ticketing.problems import is_api, problem_response, server_error_problem


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return problem_response(404, "not_found", _("There is nothing at this address."))
    return page_not_found(request, exception)


def server_failure(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return server_error_problem()
    return server_error(request)


class ApiProblemsMiddleware:
    """Whatever answers an API URL with an error that is not JSON (Django's debug pages with
    DEBUG on, its CSRF or bad-host refusals, a middleware's plain text) is turned into problem
    details, so an API client sees one shape in every mode. JSON answers pass as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request):
            return response
        if "json" in response.get("Content-Type", ""):
            return response
        if response.status_code == 404:
            problem = problem_response(404, "not_found", _("There is nothing at this address."))
        elif response.status_code >= 500:
            problem = server_error_problem(response.status_code)
        else:
            problem = problem_response(response.status_code, "error", _status_phrase(response))
        # Everything else the answer carried (request id, security headers, cookies) stays.
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                problem[header] = value
        problem.cookies = response.cookies
        return problem


def _status_phrase(response: HttpResponse) -> str:
    return getattr(response, "reason_phrase", "") or "The request was refused."


class BodySizeLimitMiddleware:
    """Refuse request bodies over MAX_REQUEST_BODY_BYTES with 413 before reading them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BODY_BYTES
        if length > limit:
            detail = f"The request body is {length} bytes; the limit is {limit}."
            if is_api(request):
                return problem_response(413, "too_large", detail)
            return HttpResponse(detail, status=413, content_type="text/plain")
        return self.get_response(request)
