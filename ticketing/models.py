"""The platform's own records."""

from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key, and the answer it got (for replays, 24 hours).

    The stored answer may hold tokens, so it is encrypted with a key derived from SECRET_KEY
    and the idempotency key itself: a copy of the database alone does not reveal it.
    """

    class State(models.TextChoices):
        RUNNING = "running"
        DONE = "done"

    scope = models.CharField(max_length=300)  # method and path
    key = models.CharField(max_length=100)  # SHA-256 of the Idempotency-Key, never the key
    fingerprint = models.CharField(max_length=64)  # body and credentials, hashed
    # The run that may write the answer: a retry that takes over a dead run's key replaces it.
    owner = models.CharField(max_length=32, blank=True, default="")
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "booking_idempotentrequest"  # where it was first made; the rows stay put
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_request_per_key")]

    def __str__(self) -> str:
        return f"{self.scope} [{self.key}] {self.state}"


class AuditEntry(models.Model):
    """One staff action (ticketing.audit): who, when, what, and to what. Never changed."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=150)  # a staff account's username, or a staff token's
    action = models.CharField(max_length=40, db_index=True)
    subject = models.CharField(max_length=100)  # "booking ABCD2345", "show 12"
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit trail"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject}"


class ChainHead(models.Model):
    """The end of one hash-chained log (ticketing.chain): its last record's number and hash.
    Appending locks this row, so records are numbered one at a time, in commit order."""

    stream = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.stream} @ {self.seq}"


class ChainRecord(models.Model):
    """One record of a hash-chained log, as published: ``body`` is its canonical JSON (seq,
    at, kind, data) and ``hash`` = SHA-256(previous record's hash + body). Never changed."""

    stream = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=32)
    body = models.TextField()
    prev = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["stream", "seq"]
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="one_record_per_seq")]

    def __str__(self) -> str:
        return f"{self.stream} #{self.seq} {self.kind}"
