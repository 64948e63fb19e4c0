"""Reads for the dashboard pages, permission-scoped, in a constant number of queries.

The dashboard owns no records: it reads the rooms' selectors and models, and counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.permissions import Perm, can
from governance.approvals.models import (
    ApprovalRequest,
    GateDecision,
    PolicyStage,
    RequestStatus,
)
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.inventory.selectors import deployments_for
from governance.liability.models import Ownership
from governance.liability.selectors import orphaned
from governance.risk.selectors import deployments_with_tiers
from governance.risk.tiers import Tier

# Pending approvals by how long ago they were requested: (key, label, from days, to days).
WAITING_BUCKETS: list[tuple[str, str, int, int | None]] = [
    ("lt1d", "under a day", 0, 1),
    ("1to3d", "1–3 days", 1, 3),
    ("3to7d", "3–7 days", 3, 7),
    ("gt7d", "over 7 days", 7, None),
]
EXPIRY_HORIZONS = (30, 60)
GATE_DENIAL_DAYS = 7
NOT_ASSESSED = "none"


# --- Approval conditions shared by the overview's counts and the portfolio's filters ------


def waiting_q(key: str, now: dt.datetime) -> Q:
    """Pending requests asked for within the bucket's age range (on ApprovalRequest)."""
    _, _, low, high = next(b for b in WAITING_BUCKETS if b[0] == key)
    q = Q(status=RequestStatus.PENDING, created_at__lte=now - dt.timedelta(days=low))
    if high is not None:
        q &= Q(created_at__gt=now - dt.timedelta(days=high))
    return q


def expiring_q(days: int, now: dt.datetime) -> Q:
    """Approved requests whose re-certification date falls within `days` (not yet passed)."""
    return Q(
        status=RequestStatus.APPROVED,
        expires_at__gt=now,
        expires_at__lte=now + dt.timedelta(days=days),
    )


def sla_breached_requests(now: dt.datetime) -> QuerySet[ApprovalRequest]:
    """Pending requests whose current stage is past its SLA (`sla_state(...).overdue`).

    SLAs are per stage, in hours; there are few distinct values, so the condition is one
    comparison per value (one small query), which every database can run.
    """
    stage_sla = Subquery(
        PolicyStage.objects.filter(
            policy=OuterRef("policy"), order=OuterRef("current_stage")
        ).values("sla_hours")[:1]
    )
    hours = set(PolicyStage.objects.values_list("sla_hours", flat=True).distinct())
    overdue = Q(pk__in=[])
    for value in hours:
        overdue |= Q(stage_sla=value, stage_started_at__lt=now - dt.timedelta(hours=value))
    return (
        ApprovalRequest.objects.filter(status=RequestStatus.PENDING)
        .annotate(stage_sla=stage_sla)
        .filter(overdue)
    )


# --- The portfolio list -------------------------------------------------------------------


def portfolio_for(user: Any) -> QuerySet[Deployment]:
    """Deployments with what the portfolio filters and sorts by, from every room.

    `risk_tier` and the other `risk_*` figures come from the risk room; `approval_status` is
    the latest request's status and `approval_expires_at` the open approval's expiry date.
    """
    latest = ApprovalRequest.objects.filter(deployment=OuterRef("pk")).order_by("-created_at")
    approved = ApprovalRequest.objects.filter(
        deployment=OuterRef("pk"), status=RequestStatus.APPROVED
    )
    return deployments_with_tiers(user).annotate(
        approval_status=Subquery(latest.values("status")[:1]),
        approval_expires_at=Subquery(approved.values("expires_at")[:1]),
    )


def with_request(queryset: QuerySet[Deployment], requests: QuerySet[ApprovalRequest]) -> Any:
    return queryset.filter(Exists(requests.filter(deployment=OuterRef("pk"))))


def owned_by(queryset: QuerySet[Deployment], username: str) -> QuerySet[Deployment]:
    ownership = Ownership.objects.filter(
        deployment=OuterRef("pk"), ended_at__isnull=True, user__username__iexact=username
    )
    return queryset.filter(Exists(ownership))


def live(queryset: QuerySet[Deployment]) -> QuerySet[Deployment]:
    return queryset.exclude(status=DeploymentStatus.RETIRED)


# --- The compliance overview --------------------------------------------------------------


@dataclass
class Overview:
    tier_rows: list[dict[str, Any]]
    statuses: list[tuple[str, str]]
    status_totals: list[int]
    total: int
    pending_total: int
    waiting: list[dict[str, Any]]
    sla_breached: int
    expiring: list[dict[str, Any]]
    orphaned: int
    blocked: int
    gate_denials: int
    gate_denied_deployments: int
    # Filled in by the page: the URL of each figure's list, and labels.
    status_links: list[dict[str, Any]] = field(default_factory=list)
    denials_label: str = ""


def tier_status_counts(user: Any) -> dict[tuple[str, str], int]:
    """Deployments counted by (current risk tier or "none", status): one grouped query."""
    rows = (
        deployments_with_tiers(user)
        .order_by()
        # `risk_tier` is the risk room's annotation.
        .values(*("risk_tier", "status"))
        .annotate(n=Count("id"))
    )
    return {(row["risk_tier"] or NOT_ASSESSED, row["status"]): row["n"] for row in rows}


def overview(user: Any, now: dt.datetime | None = None) -> Overview | None:
    """Every figure of the compliance overview; None for someone who may not read records."""
    if not can(user, Perm.VIEW):
        return None
    now = now or timezone.now()
    counts = tier_status_counts(user)
    statuses = list(DeploymentStatus.choices)
    tiers = [*Tier.choices, (NOT_ASSESSED, "Not assessed")]
    tier_rows = [
        {
            "tier": tier,
            "label": label,
            "cells": [(status, counts.get((tier, status), 0)) for status, _ in statuses],
            "total": sum(counts.get((tier, status), 0) for status, _ in statuses),
        }
        for tier, label in tiers
    ]
    status_totals = [sum(counts.get((t, s), 0) for t, _ in tiers) for s, _ in statuses]
    pending = ApprovalRequest.objects.aggregate(
        total=Count("pk", filter=Q(status=RequestStatus.PENDING)),
        **{key: Count("pk", filter=waiting_q(key, now)) for key, *_ in WAITING_BUCKETS},
        **{f"d{days}": Count("pk", filter=expiring_q(days, now)) for days in EXPIRY_HORIZONS},
    )
    denials = GateDecision.objects.filter(
        allowed=False, asked_at__gte=now - dt.timedelta(days=GATE_DENIAL_DAYS)
    ).aggregate(n=Count("pk"), deployments=Count("deployment", distinct=True))
    live_statuses = [s for s, _ in statuses if s != DeploymentStatus.RETIRED]
    return Overview(
        tier_rows=tier_rows,
        statuses=statuses,
        status_totals=status_totals,
        total=sum(counts.values()),
        pending_total=pending["total"],
        waiting=[
            {"key": key, "label": label, "count": pending[key]}
            for key, label, *_ in WAITING_BUCKETS
        ],
        sla_breached=sla_breached_requests(now).count(),
        expiring=[{"days": days, "count": pending[f"d{days}"]} for days in EXPIRY_HORIZONS],
        orphaned=orphaned(live(deployments_for(user))).count(),
        blocked=sum(counts.get((Tier.BLOCKED, s), 0) for s in live_statuses),
        gate_denials=denials["n"],
        gate_denied_deployments=denials["deployments"],
    )


# --- Gate decisions, people ----------------------------------------------------------------


def gate_decisions_for(user: Any) -> QuerySet[GateDecision]:
    if not can(user, Perm.VIEW):
        return GateDecision.objects.none()
    return GateDecision.objects.select_related("deployment__model_version__system", "asked_by")


def people_for(user: Any) -> QuerySet[User]:
    """Everyone with an account, their roles, and how many deployments they own now."""
    if not can(user, Perm.VIEW):
        return User.objects.none()
    return User.objects.prefetch_related("role_grants").annotate(
        owned=Count("ownerships", filter=Q(ownerships__ended_at__isnull=True), distinct=True)
    )
