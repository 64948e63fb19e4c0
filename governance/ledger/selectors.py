from __future__ import annotations

from django.db.models import Model, QuerySet

from governance.ledger.models import LedgerCheck, LedgerEvent


def events_for_subject(obj: Model) -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.filter(
        subject_type=obj._meta.label_lower, subject_id=str(obj.pk)
    ).order_by("-seq")


def events_for_deployment(deployment_id: object) -> QuerySet[LedgerEvent]:
    """Every event that concerns a deployment, whatever record it is about."""
    return LedgerEvent.objects.filter(deployment_id=str(deployment_id)).order_by("-seq")


def latest_check() -> LedgerCheck | None:
    return LedgerCheck.objects.order_by("-checked_at").first()


def recent_events(limit: int = 10) -> list[LedgerEvent]:
    return list(LedgerEvent.objects.order_by("-seq")[:limit])
