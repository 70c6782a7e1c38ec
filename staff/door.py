"""The door: a phone page that scans tickets and lets people in (booking.checkin does the
admitting). Staff sign in with their Django staff accounts; each cinema's door needs the
check-in role there (staff.models.CinemaStaff)."""

import json
from datetime import datetime, timedelta

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from booking.checkin import admit
from catalog.models import Show
from staff.permissions import cinemas_for, show_for

# The shows a door lists: those starting from a few hours ago to a day ahead.
DOOR_WINDOW = (timedelta(hours=4), timedelta(hours=24))


@require_GET
@staff_member_required
def door_home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    shows = (Show.objects.filter(hall__cinema__in=cinemas_for(request.user, "check_in"),
                                 starts_at__gte=now - DOOR_WINDOW[0],
                                 starts_at__lte=now + DOOR_WINDOW[1], cancelled_at__isnull=True)
             .select_related("movie", "hall__cinema").order_by("starts_at"))
    return render(request, "staff/door_home.html", {"shows": shows})


@require_GET
@staff_member_required
def door_page(request: HttpRequest, show_id: int) -> HttpResponse:
    return render(request, "staff/door.html",
                  {"show": show_for(request.user, "check_in", show_id)})


@require_POST
def door_admit(request: HttpRequest, show_id: int) -> JsonResponse:
    """``{"code", "door", "typed"?, "scanned_at"?}`` -> the admission, in words for the door
    screen. Its refusals are JSON too, so the page can tell "signed out" from "offline"."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return JsonResponse({"outcome": "signed_out", "message": "SIGNED OUT. Sign in again "
                             "to go on checking tickets."}, status=401)
    try:
        show = show_for(user, "check_in", show_id)
    except Http404:
        return JsonResponse({"outcome": "forbidden", "message": "NOT YOUR DOOR. You may not "
                             "check people in for this show."}, status=403)
    try:
        body = json.loads(request.body)
        code, door = body["code"], body.get("door", "")
        typed, scanned = body.get("typed", False), body.get("scanned_at")
        if (not isinstance(code, str) or not isinstance(door, str) or len(code) > 200
                or not isinstance(typed, bool) or "\x00" in code + door):
            raise TypeError
        scanned_at = datetime.fromisoformat(scanned) if scanned else None
        if scanned_at is not None and scanned_at.tzinfo is None:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"outcome": "error", "message": "Send code (text), door (text) "
                             "and optionally scanned_at (ISO 8601 with offset)."}, status=400)
    admission = admit(code=code, show=show, door=door.strip(), actor=user.get_username(),
                      typed=typed, scanned_at=scanned_at)
    return JsonResponse({
        "outcome": admission.outcome, "message": admission.message,
        "reference": admission.reference, "seats": admission.seats,
        "admitted": admission.admitted, "total": admission.total,
        "admitted_at": admission.admitted_at.isoformat() if admission.admitted_at else None,
        "door": admission.door, "ticket_types": admission.ticket_types,
    })
