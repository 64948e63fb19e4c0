"""Where each deployment stands: the gate's verdict and the requester's checklist, in bulk.

`approvals.gate.gate_evaluate` answers for one deployment and reads its facts as it goes
(several queries). Lists cannot afford that per row, so `standings_for` reads each fact for a
whole page of deployments at once (current assessments, accountable owners, the latest
approval request, the policies, and whatever the rooms registered in `panels`), fills one
`GateFacts` per deployment with them, and asks `approvals.gate.gate_verdict` — the reasoning
`gate_evaluate` itself uses — so the verdict and its words are the gate's. A test holds the two
answers equal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from governance.accounts.roles import Role
from governance.approvals.gate import gate_verdict, missing_approval_reason
from governance.approvals.gate_checks import GateFacts
from governance.approvals.models import (
    OPEN_STATUSES,
    ApprovalPolicy,
    ApprovalRequest,
    PolicyStage,
    RequestStatus,
)
from governance.approvals.selectors import SlaState, sla_state
from governance.dashboard.panels import ChecklistItem, checklist_sources, gate_fact_sources
from governance.liability.gate import ACCOUNTABLE_OWNER
from governance.liability.selectors import accountable_owners
from governance.risk.checks import CURRENT_ASSESSMENT
from governance.risk.selectors import current_assessments
from governance.risk.tiers import Tier


@dataclass
class Standing:
    deployment: Any
    assessment: Any
    owner: Any
    latest_request: ApprovalRequest | None
    gate_allowed: bool
    gate_reasons: list[str]
    checklist: list[ChecklistItem] = field(default_factory=list)
    sla: SlaState | None = None

    @property
    def tier(self) -> str:
        return self.assessment.tier if self.assessment is not None else ""

    @property
    def open_request(self) -> ApprovalRequest | None:
        latest = self.latest_request
        return latest if latest is not None and latest.status in OPEN_STATUSES else None

    @property
    def approval(self) -> ApprovalRequest | None:
        latest = self.latest_request
        return latest if latest is not None and latest.status == RequestStatus.APPROVED else None

    @property
    def outstanding(self) -> list[ChecklistItem]:
        return [item for item in self.checklist if not item.done]


def latest_requests(deployment_ids: Sequence[Any]) -> dict[uuid.UUID, ApprovalRequest]:
    """The newest approval request of each deployment, with its stage completions (2 queries)."""
    if not deployment_ids:
        return {}
    newest = (
        ApprovalRequest.objects.filter(deployment=OuterRef("deployment"))
        .order_by("-created_at")
        .values("pk")[:1]
    )
    rows = (
        ApprovalRequest.objects.filter(deployment_id__in=list(deployment_ids), pk=Subquery(newest))
        .select_related("policy")
        .prefetch_related("completions")
    )
    return {row.deployment_id: row for row in rows}


def _policies(requests: Sequence[ApprovalRequest]) -> tuple[dict[Any, Any], dict[str, Any]]:
    """Policies by id (those the requests use) and the current one of each tier (2 queries)."""
    used = {request.policy_id for request in requests}
    rows = ApprovalPolicy.objects.filter(Q(is_current=True) | Q(pk__in=used)).prefetch_related(
        Prefetch("stages", queryset=PolicyStage.objects.order_by("order"))
    )
    by_id = {policy.pk: policy for policy in rows}
    current = {policy.tier: policy for policy in by_id.values() if policy.is_current}
    return by_id, current


def standings_for(deployments: Sequence[Any], *, now: dt.datetime | None = None) -> list[Standing]:
    """The standing of each deployment, in the given order, in a constant number of queries.

    The deployments must come with `model_version__system` loaded (`deployments_for` does).
    """
    now = now or timezone.now()
    deployments = list(deployments)
    ids = [d.pk for d in deployments]
    assessments = current_assessments(ids)
    owners = accountable_owners(ids)
    latest = latest_requests(ids)
    policies, current_policies = _policies(list(latest.values()))
    extra = {key: source(deployments) for key, source in gate_fact_sources().items()}
    facts = {
        d.pk: _known_facts(
            d,
            {
                CURRENT_ASSESSMENT: assessments.get(d.pk),
                ACCOUNTABLE_OWNER: owners.get(d.pk),
                **{key: values.get(d.pk) for key, values in extra.items()},
            },
        )
        for d in deployments
    }
    registered: dict[Any, list[tuple[int, ChecklistItem]]] = {pk: [] for pk in ids}
    for order, source in checklist_sources():
        for pk, found in source(deployments, facts).items():
            registered[pk].extend((order, item) for item in found)

    standings = []
    for deployment in deployments:
        assessment = assessments.get(deployment.pk)
        owner = owners.get(deployment.pk)
        request = latest.get(deployment.pk)
        verdict = gate_verdict(deployment, latest=request, facts=facts[deployment.pk], now=now)
        policy = (
            policies.get(request.policy_id)
            if request is not None and request.status in OPEN_STATUSES
            else current_policies.get(assessment.tier)
            if assessment is not None
            else None
        )
        standing = Standing(
            deployment=deployment,
            assessment=assessment,
            owner=owner,
            latest_request=request,
            gate_allowed=not verdict.reasons,
            gate_reasons=verdict.reasons,
        )
        items: list[tuple[int, ChecklistItem]] = [
            (10, _assessment_item(deployment, assessment)),
            (20, _owner_item(deployment, owner)),
            *registered[deployment.pk],
            *(
                (90, step)
                for step in _approval_items(standing, policy, verdict.dossier_matches, now)
            ),
        ]
        standing.checklist = [entry for _, entry in sorted(items, key=lambda pair: pair[0])]
        standing.sla = _sla(request, policy, now)
        standings.append(standing)
    return standings


def _known_facts(deployment: Any, values: dict[str, Any]) -> GateFacts:
    """A gate evaluation's facts, already read: its checks find them and query nothing."""
    facts = GateFacts(deployment)
    for key, value in values.items():
        facts.memo(key, _constant(value))
    return facts


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def standing_of(deployment: Any, *, now: dt.datetime | None = None) -> Standing:
    return standings_for([deployment], now=now)[0]


def _url(name: str, pk: Any) -> str:
    return reverse(name, kwargs={"pk": pk})


def _assessment_item(deployment: Any, assessment: Any) -> ChecklistItem:
    url = _url("risk:deployment_risk", deployment.pk)
    label = "Risk assessment submitted and current"
    if assessment is None:
        return ChecklistItem("assessment", label, False, "no submitted assessment yet", url)
    if assessment.tier == Tier.BLOCKED:
        return ChecklistItem(
            "assessment",
            label,
            False,
            "tier blocked (prohibited practice): cannot be approved",
            url,
        )
    if assessment.is_stale:
        return ChecklistItem(
            "assessment", label, False, "stale: the deployment changed after it was submitted", url
        )
    submitted = f"tier {assessment.tier}, submitted {assessment.submitted_at:%Y-%m-%d}"
    return ChecklistItem("assessment", label, True, submitted, url)


def _owner_item(deployment: Any, owner: Any) -> ChecklistItem:
    url = _url("liability:deployment_accountability", deployment.pk)
    label = "Accountable owner accepted"
    if owner is None:
        return ChecklistItem("owner", label, False, "nobody has accepted accountability", url)
    return ChecklistItem("owner", label, True, owner.display_name, url)


def _stage_label(stage: PolicyStage) -> str:
    quorum = f" ×{stage.quorum}" if stage.quorum > 1 else ""
    return f"Sign-off: {stage.name} ({Role(stage.required_role).label}{quorum})"


def _approval_items(
    standing: Standing, policy: Any, matches: bool, now: dt.datetime
) -> list[ChecklistItem]:
    deployment = standing.deployment
    request = standing.open_request
    tab = _url("approvals:deployment_approvals", deployment.pk)
    items = []
    if request is None:
        detail = missing_approval_reason(standing.latest_request)
        items.append(ChecklistItem("approval_request", "Approval requested", False, detail, tab))
        url = tab
    else:
        url = _url("approvals:request_detail", request.pk)
        detail = f"on {request.created_at:%Y-%m-%d}, tier {request.tier}"
        items.append(ChecklistItem("approval_request", "Approval requested", True, detail, url))
    completed = {c.stage_order: c for c in request.completions.all()} if request else {}
    for stage in policy.stages.all() if policy is not None else []:
        done = stage.order in completed
        note = ""
        if done:
            note = f"complete {completed[stage.order].completed_at:%Y-%m-%d}"
        elif request is not None and request.current_stage == stage.order:
            note = sla_state(request.stage_started_at, stage.sla_hours, now).label
        items.append(ChecklistItem(f"stage_{stage.order}", _stage_label(stage), done, note, url))
    approval = standing.approval
    if approval is not None:
        expired = approval.expires_at is not None and approval.expires_at <= now
        if expired:
            note = f"expired on {approval.expires_at:%Y-%m-%d}"
        elif not matches:
            note = "what was approved no longer matches the deployment"
        else:
            note = f"valid until {approval.expires_at:%Y-%m-%d}" if approval.expires_at else ""
        items.append(
            ChecklistItem(
                "approval_valid", "Approval still valid", not expired and matches, note, url
            )
        )
    return items


def _sla(request: ApprovalRequest | None, policy: Any, now: dt.datetime) -> SlaState | None:
    if request is None or request.status != RequestStatus.PENDING or policy is None:
        return None
    stage = next((s for s in policy.stages.all() if s.order == request.current_stage), None)
    return sla_state(request.stage_started_at, stage.sla_hours, now) if stage else None
