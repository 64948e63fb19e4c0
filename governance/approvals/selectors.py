"""Reads of the approvals room, permission-scoped, with constant query counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.permissions import Perm, can
from governance.approvals.gate import GateResult, gate_evaluate
from governance.approvals.models import (
    ApprovalPolicy,
    ApprovalRequest,
    GateDecision,
    PolicyStage,
    RequestStatus,
    SignOff,
)


def _requests(user: Any) -> QuerySet[ApprovalRequest]:
    if not can(user, Perm.VIEW):
        return ApprovalRequest.objects.none()
    return ApprovalRequest.objects.select_related(
        "deployment__model_version__system",
        "deployment__model_version__created_by",
        "policy",
        "requested_by",
    ).prefetch_related(
        Prefetch("policy__stages", queryset=PolicyStage.objects.order_by("order")),
        Prefetch(
            "signoffs", queryset=SignOff.objects.select_related("signer").order_by("signed_at")
        ),
        "completions",
    )


def requests_for(user: Any) -> QuerySet[ApprovalRequest]:
    return _requests(user)


def request_detail(user: Any, pk: Any) -> ApprovalRequest | None:
    return _requests(user).filter(pk=pk).first()


def requests_for_deployment(user: Any, deployment: Any) -> QuerySet[ApprovalRequest]:
    return _requests(user).filter(deployment=deployment).order_by("-created_at")


def _stage_field(name: str) -> Subquery:
    return Subquery(
        PolicyStage.objects.filter(
            policy=OuterRef("policy"), order=OuterRef("current_stage")
        ).values(name)[:1]
    )


def queue_for(user: Any) -> QuerySet[ApprovalRequest]:
    """Requests awaiting this person's signature, oldest first.

    Excludes what segregation of duties would refuse anyway: their own requests, deployments
    of model versions they registered, and requests they already signed.
    """
    if not can(user, Perm.APPROVAL_SIGN):
        return ApprovalRequest.objects.none()
    return (
        ApprovalRequest.objects.filter(status=RequestStatus.PENDING)
        .annotate(
            stage_role=_stage_field("required_role"),
            stage_name=_stage_field("name"),
            stage_sla_hours=_stage_field("sla_hours"),
        )
        .filter(stage_role__in=list(user.roles))
        .exclude(requested_by=user)
        .exclude(deployment__model_version__created_by=user)
        .exclude(signoffs__signer=user)
        .select_related("deployment__model_version__system", "requested_by")
        .order_by("stage_started_at")
    )


@dataclass(frozen=True)
class SlaState:
    due_at: dt.datetime
    overdue: bool
    label: str


def sla_state(started_at: dt.datetime, sla_hours: int, now: dt.datetime | None = None) -> SlaState:
    now = now or timezone.now()
    due = started_at + dt.timedelta(hours=sla_hours)
    remaining = due - now
    if remaining.total_seconds() < 0:
        hours = int(-remaining.total_seconds() // 3600)
        return SlaState(due, True, f"overdue by {hours} h")
    hours = int(remaining.total_seconds() // 3600)
    return SlaState(due, False, f"due in {hours} h")


def recent_decisions(user: Any, limit: int = 10) -> list[SignOff]:
    return list(
        SignOff.objects.filter(signer=user)
        .select_related("request__deployment__model_version__system")
        .order_by("-signed_at")[:limit]
    )


def eligible_signers(request: ApprovalRequest, stage: PolicyStage | None) -> list[User]:
    """Who may still sign the current stage (for the request page)."""
    if stage is None or request.status != RequestStatus.PENDING:
        return []
    signed = [s.signer_id for s in request.signoffs.all()]
    return list(
        User.objects.filter(is_active=True, role_grants__role=stage.required_role)
        .exclude(pk__in=[request.requested_by_id, request.deployment.model_version.created_by_id])
        .exclude(pk__in=signed)
        .order_by("username")
        .distinct()
    )


def current_policies() -> QuerySet[ApprovalPolicy]:
    return (
        ApprovalPolicy.objects.filter(is_current=True)
        .prefetch_related(Prefetch("stages", queryset=PolicyStage.objects.order_by("order")))
        .order_by("tier")
    )


def last_approved_request(deployment: Any, *, before: ApprovalRequest) -> ApprovalRequest | None:
    """The most recent earlier request that was approved (to diff dossiers against)."""
    return (
        ApprovalRequest.objects.filter(
            deployment=deployment,
            created_at__lt=before.created_at,
            status__in=[RequestStatus.APPROVED, RequestStatus.EXPIRED, RequestStatus.INVALIDATED],
            decided_at__isnull=False,
        )
        .order_by("-created_at")
        .first()
    )


def gate_denials_since(user: Any, since: dt.datetime) -> QuerySet[GateDecision]:
    if not can(user, Perm.VIEW):
        return GateDecision.objects.none()
    return GateDecision.objects.filter(allowed=False, asked_at__gte=since).select_related(
        "deployment__model_version__system", "asked_by"
    )


def page_gate(request: HttpRequest | None, deployment: Any) -> GateResult:
    """The gate's verdict for the page being built, evaluated once however many parts show it.

    Kept on the page's HttpRequest only, which no service ever receives: a write evaluates
    the gate afresh, and the next page (after its redirect) does too. The status note, the
    overview's gate panel and the approvals tab all read it here.
    """
    if request is None:
        return gate_evaluate(deployment)  # no page to share it with
    kept: dict[Any, GateResult] = request.__dict__.setdefault("_page_gate", {})
    if deployment.pk not in kept:
        kept[deployment.pk] = gate_evaluate(deployment)
    return kept[deployment.pk]
