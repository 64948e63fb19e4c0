"""The tamper-evident audit trail.

Each event stores the hash of its predecessor and its own hash over (previous hash ||
canonical event). Ids are kept as strings so that the bytes hashed are exactly the bytes
stored, whatever the database backend.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from governance.core.models import ImmutableQuerySet, ImmutableRecordError

GENESIS_HASH = "0" * 64


class LedgerEvent(models.Model):
    seq = models.BigIntegerField(primary_key=True)
    ts = models.DateTimeField()
    actor_id = models.CharField(max_length=36, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    deployment_id = models.CharField(max_length=36, blank=True, db_index=True)
    data = models.TextField(help_text="Canonical JSON")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ("seq",)
        indexes = [
            models.Index(fields=("subject_type", "subject_id", "seq"), name="ledger_subject_idx"),
            models.Index(fields=("actor_id", "seq"), name="ledger_actor_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="ledger_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only ledger_append creates events, and nothing may change one afterwards.
        if not self._state.adding:
            raise ImmutableRecordError("ledger events are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("ledger events are never deleted")

    @property
    def payload(self) -> Any:
        return json.loads(self.data)


class LedgerHead(models.Model):
    """The single row that serialises appends and remembers the last sequence number and hash.

    Appenders lock this row, so concurrent writers queue instead of forking the chain; the
    verifier compares it with the last event, which exposes a truncated tail.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ledgerhead_singleton"),
        ]

    def __str__(self) -> str:
        return f"head #{self.seq}"


class LedgerCheck(models.Model):
    """Result of a scheduled or requested verification run (operational record, not evidence)."""

    id = models.BigAutoField(primary_key=True)
    checked_at = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField()
    event_count = models.BigIntegerField()
    head_hash = models.CharField(max_length=64, blank=True)
    first_bad_seq = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    seconds = models.FloatField()
    # A full check starts at genesis and holds the chain against the signed checkpoints; an
    # incremental one starts after the last event an earlier intact check verified.
    full = models.BooleanField(default=True)
    verified_from_seq = models.BigIntegerField(default=1)

    class Meta:
        ordering = ("-checked_at",)

    def __str__(self) -> str:
        return f"{'intact' if self.ok else 'BROKEN'} at {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def events_since(self) -> int:
        """Events appended after this check; needs the `head_seq` annotation (latest_check)."""
        head_seq = getattr(self, "head_seq", None) or 0
        return max(head_seq - self.event_count, 0)


class LedgerCheckpoint(models.Model):
    """The organisation's signature over the chain's head at one moment.

    Re-hashing every event after an edited one yields a chain that checks out on its own; a
    checkpoint signed before the edit does not match it. The same record is also appended to
    a log file outside the database (and optionally e-mailed), so deleting rows here is seen.
    The signature covers the canonical JSON of {head_hash, seq, ts} (checkpoints.payload).
    """

    seq = models.BigIntegerField(primary_key=True)
    head_hash = models.CharField(max_length=64)
    ts = models.DateTimeField()
    algorithm = models.CharField(max_length=32)
    signature = models.TextField(help_text="Base64 of the raw signature")
    certificate_sha256 = models.CharField(max_length=64)
    certificate = models.TextField(help_text="PEM of the signing certificate")

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ("seq",)
        constraints = [
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="checkpoint_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("ledger checkpoints are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("ledger checkpoints are never deleted")
