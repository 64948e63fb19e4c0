"""The approvals room's part of a report (Annex IV §3, human oversight).

For a dossier: every approval request of the deployment with its policy's stages and every
signature manifestation as signed (printed name, date and time in UTC, the meaning read and
signed, the role signed as, conditions, comment, the signature hash and the dossier hash it
covers), and the deployment gate's verdict at the moment of the snapshot. For the portfolio:
approvals past a stage's SLA and approvals whose re-certification date is near or passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef

from audits.reports.charts import horizontal_bar_chart
from audits.reports.sections import Section, SnapshotContext
from governance.accounts.roles import Role
from governance.approvals.gate import gate_evaluate
from governance.approvals.models import ApprovalRequest, Decision, RequestStatus, SignOff
from governance.approvals.selectors import requests_for, requests_for_deployment, sla_state
from governance.approvals.services.notices import EXPIRY_NOTICE_DAYS
from governance.core.canonical import format_timestamp
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment

ATTENTION_CHART = "approvals-attention.svg"


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.display_name}


def _time(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value else None


def _signoff(signoff: SignOff) -> dict[str, Any]:
    return {
        "id": str(signoff.pk),
        "stage_order": signoff.stage_order,
        "stage_name": signoff.stage_name,
        "signed_as": signoff.signed_as,
        "signed_as_label": Role(signoff.signed_as).label,
        "signer_username": signoff.signer.get_username(),
        "printed_name": signoff.printed_name,
        "decision": signoff.decision,
        "decision_label": Decision(signoff.decision).label,
        "meaning": signoff.meaning,
        "comment": signoff.comment,
        "conditions": signoff.conditions,
        "signed_at": _time(signoff.signed_at),
        "dossier_hash": signoff.dossier_hash,
        "signature_hash": signoff.signature_hash,
    }


def _request(request: ApprovalRequest) -> dict[str, Any]:
    completed = {c.stage_order: c.completed_at for c in request.completions.all()}
    return {
        "id": str(request.pk),
        "status": request.status,
        "status_label": RequestStatus(request.status).label,
        "tier": request.tier,
        "policy_version": request.policy.version,
        "recertification_months": request.policy.recertification_months,
        "requested_by": _person(request.requested_by),
        "requested_at": _time(request.created_at),
        "reason": request.reason,
        "dossier_hash": request.dossier_hash,
        "assessment": str(request.assessment_id),
        "decided_at": _time(request.decided_at),
        "expires_at": _time(request.expires_at),
        "closed_reason": request.closed_reason,
        "stages": [
            {
                "order": stage.order,
                "name": stage.name,
                "required_role": Role(stage.required_role).label,
                "quorum": stage.quorum,
                "sla_hours": stage.sla_hours,
                "completed_at": _time(completed.get(stage.order)),
            }
            for stage in request.policy.stages.all()
        ],
        "signoffs": [_signoff(s) for s in request.signoffs.all()],
    }


def _gate(deployment: Deployment, now: dt.datetime) -> dict[str, Any]:
    result = gate_evaluate(deployment, now=now)
    conditions = [s.conditions for s in result.signoffs if s.conditions]
    return {
        "allowed": result.allowed,
        "reasons": result.reasons,
        "approval": str(result.approval.pk) if result.approval is not None else None,
        "expires_at": _time(result.expires_at),
        "fingerprint": result.fingerprint,
        "dossier_hash": result.dossier_hash,
        "conditions": conditions,
        "asked_at": _time(now),
    }


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    # The gate reads the system through the deployment: load it with the deployment.
    deployment = Deployment.objects.select_related("model_version__system").get(
        pk=ctx.deployment.pk
    )
    requests = [_request(r) for r in requests_for_deployment(ctx.viewer, deployment)]
    return {
        "requests": requests,
        "signature_count": sum(len(r["signoffs"]) for r in requests),
        "gate": _gate(deployment, ctx.taken_at),
    }


# --- Portfolio --------------------------------------------------------------------------


def _portfolio_row(request: ApprovalRequest) -> dict[str, Any]:
    version = request.deployment.model_version
    return {
        "request": str(request.pk),
        "deployment": str(request.deployment_id),
        "system": version.system.name,
        "version": version.version_label,
        "environment": request.deployment.environment,
        "tier": request.tier,
        "requested_by": _person(request.requested_by),
        "requested_at": _time(request.created_at),
    }


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    """Pending requests past their current stage's SLA, approvals expiring within the notice
    period, and approvals past their re-certification date that nothing has replaced.

    Three reads (and their prefetches) whatever the number of requests; the SLA rule is the
    approvals room's own `sla_state`, the horizon its expiry-notice period.
    """
    now = ctx.taken_at
    overdue = []
    pending = requests_for(ctx.viewer).filter(status=RequestStatus.PENDING).order_by("created_at")
    for request in pending:
        stage = next(
            (s for s in request.policy.stages.all() if s.order == request.current_stage), None
        )
        if stage is None:
            continue
        state = sla_state(request.stage_started_at, stage.sla_hours, now)
        if state.overdue:
            overdue.append(
                {
                    **_portfolio_row(request),
                    "stage": f"{stage.order}. {stage.name}",
                    "stage_role": Role(stage.required_role).label,
                    "stage_started_at": _time(request.stage_started_at),
                    "due_at": _time(state.due_at),
                    "overdue_hours": int((now - state.due_at).total_seconds() // 3600),
                    "signatures": len(request.signoffs.all()),
                }
            )
    horizon = now + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    approved = (
        requests_for(ctx.viewer)
        .filter(status=RequestStatus.APPROVED, expires_at__lte=horizon)
        .order_by("expires_at")
    )
    expiring, expired = [], []
    for request in approved:
        if request.expires_at is None:
            continue
        row = {**_portfolio_row(request), "expires_at": _time(request.expires_at)}
        if request.expires_at <= now:
            expired.append(row)
        else:
            row["days_left"] = (request.expires_at - now).days
            expiring.append(row)
    # Expired and not yet re-certified: the deployment's latest request is the expired one.
    newer = ApprovalRequest.objects.filter(
        deployment=OuterRef("deployment"), created_at__gt=OuterRef("created_at")
    )
    lapsed = (
        requests_for(ctx.viewer)
        .filter(status=RequestStatus.EXPIRED)
        .exclude(deployment__status=DeploymentStatus.RETIRED)
        .filter(~Exists(newer))
        .order_by("expires_at")
    )
    expired += [{**_portfolio_row(r), "expires_at": _time(r.expires_at)} for r in lapsed]
    expired.sort(key=lambda row: row["expires_at"] or "")
    return {
        "now": _time(now),
        "expiry_horizon_days": EXPIRY_NOTICE_DAYS,
        "overdue": overdue,
        "expiring": expiring,
        "expired": expired,
    }


def portfolio_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    rows = [
        ("Past a stage's SLA", len(data["overdue"])),
        (f"Expiring within {data['expiry_horizon_days']} days", len(data["expiring"])),
        ("Past re-certification", len(data["expired"])),
    ]
    chart = horizontal_bar_chart(rows, title="Approvals needing attention")
    return {ATTENTION_CHART: chart.encode()}


SECTION = Section(
    key="approvals",
    title="Human oversight: the approval chain and signatures",
    annex_iv=(3,),
    template="reports/sections/approvals.html",
    build=build_dossier,
)

PORTFOLIO_SECTION = Section(
    key="approvals",
    title="Approvals overdue or expiring",
    annex_iv=(3,),
    template="reports/sections/approvals_portfolio.html",
    build=build_portfolio,
    images=portfolio_images,
)
