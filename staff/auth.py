"""Authentication for the staff and partner API: ``Authorization: Bearer st_…``."""

import secrets

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from catalog.models import StaffToken
from ticketing.tokens import bearer_token, hash_token

PREFIX = "st_"


def issue_staff_token(*, name: str) -> tuple[StaffToken, str]:
    token = PREFIX + secrets.token_urlsafe(32)
    record = StaffToken.objects.create(name=name, prefix=token[:10], token_hash=hash_token(token))
    return record, token


class StaffPrincipal:
    is_authenticated = True
    is_staff = True

    def __init__(self, token: StaffToken) -> None:
        self.token = token


class StaffTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = bearer_token(request)
        if not token:
            return None
        record = StaffToken.objects.filter(token_hash=hash_token(token), active=True).first()
        if record is None:
            raise exceptions.AuthenticationFailed("This staff token is not valid.")
        StaffToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
        return StaffPrincipal(record), record

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="staff"'


class IsStaffToken(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, StaffPrincipal)
