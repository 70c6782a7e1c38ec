"""The audit trail: who did what, to what, and when, for every staff action (check-ins,
box-office sales, house seats, cancellations). Written in the same transaction as the action,
so the trail has an entry exactly when the action happened."""

from ticketing.models import AuditEntry


def record(*, actor: str, action: str, subject: str, **detail: object) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor[:150], action=action, subject=subject[:100],
                                     detail=detail)
