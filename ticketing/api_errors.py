"""One shape for every API error: ``{"detail", "code", ...}`` with the right status."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from booking.errors import BookingError


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, BookingError):
        return Response({"detail": exc.message, "code": exc.code, **exc.extra},
                        status=exc.status)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data["code"] = getattr(response.data["detail"], "code", "error")
    return response
