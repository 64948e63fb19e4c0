"""The deployment gate: may this deployment go live, right now?

Open only when an approved request covers the deployment's current dossier hash, that
approval has not expired, and every registered check (risk tier not blocked, assessment
current, accepted accountable owner, fresh bias audit where required, …) passes. Every
failing condition is listed in plain words, and every answer is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from governance.approvals import context
from governance.approvals.dossier import build_dossier, dossier_differences, dossier_hash
from governance.approvals.gate_checks import GateFacts, failing_reasons
from governance.approvals.models import ApprovalRequest, GateDecision, RequestStatus
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerHead


@dataclass
class GateResult:
    deployment: Any
    allowed: bool
    reasons: list[str]
    approval: ApprovalRequest | None
    fingerprint: str
    dossier_hash: str
    expires_at: dt.datetime | None = None
    signoffs: list[Any] = field(default_factory=list)
    lapse: str | None = None  # why the deployment's approval no longer holds (see GateVerdict)


def missing_approval_reason(latest: ApprovalRequest | None) -> str:
    if latest is None:
        return "no approval has been requested"
    status = latest.status
    if status == RequestStatus.PENDING:
        return f"approval pending at stage {latest.current_stage}"
    if status == RequestStatus.INVALIDATED:
        return f"approval invalidated: {latest.closed_reason}"
    if status == RequestStatus.EXPIRED:
        return f"approval expired on {latest.expires_at:%Y-%m-%d}"
    if status == RequestStatus.REJECTED:
        return "approval rejected"
    if status == RequestStatus.CHANGES_REQUESTED:
        return "changes requested by a signer"
    return "approval withdrawn"


@dataclass
class GateVerdict:
    reasons: list[str]
    approval: ApprovalRequest | None
    dossier_hash: str
    dossier_matches: bool  # an approval covers exactly the current dossier
    # Why a deployment past review (approved, active, suspended) no longer has an approval
    # that holds, or None. Such a deployment can ask for approval again without a change.
    lapse: str | None = None


# Past review: the deployment was approved once. When that approval stops holding (an
# evidence change, expiry, an invalidation while live), a new request starts from here.
REAPPROVAL_STATES = frozenset(
    {DeploymentStatus.APPROVED, DeploymentStatus.ACTIVE, DeploymentStatus.SUSPENDED}
)


def mismatch_reason(approved: dict[str, Any], current: dict[str, Any]) -> str:
    changed = [row["label"] for row in dossier_differences(approved, current)]
    what = ", ".join(changed) if changed else "the dossier's contents"
    return f"what was approved no longer matches: {what} changed"


def approval_lapse(
    deployment: Any,
    *,
    latest: ApprovalRequest | None,
    current: dict[str, Any],
    current_hash: str,
    now: dt.datetime,
) -> str | None:
    """Why the approval of a deployment past review no longer holds; None if it holds."""
    if deployment.status not in REAPPROVAL_STATES:
        return None
    if latest is not None and latest.status == RequestStatus.PENDING:
        return None  # a new request is already on its way
    if latest is None or latest.status != RequestStatus.APPROVED:
        return missing_approval_reason(latest)
    if latest.expires_at is not None and latest.expires_at <= now:
        return f"approval expired on {latest.expires_at:%Y-%m-%d}"
    if latest.dossier_hash != current_hash:
        return mismatch_reason(latest.dossier, current)
    return None


def gate_verdict(
    deployment: Any, *, latest: ApprovalRequest | None, facts: GateFacts, now: dt.datetime
) -> GateVerdict:
    """The gate's reasoning, given the latest request and the evaluation's facts.

    `gate_evaluate` reads the facts as it goes; the dashboard fills `facts` for a whole page
    of deployments at once and calls this, so lists give the gate's own words.
    """
    assessment = context.current_assessment(deployment, facts)
    owner = context.accountable_owner(deployment, facts)
    current = build_dossier(deployment, assessment=assessment, owner=owner, facts=facts)
    current_hash = dossier_hash(current)
    reasons: list[str] = []
    approval = latest if latest is not None and latest.status == RequestStatus.APPROVED else None
    matches = approval is not None and approval.dossier_hash == current_hash
    if deployment.status == DeploymentStatus.RETIRED:
        reasons.append("the deployment is retired")
    if approval is None:
        reasons.append(missing_approval_reason(latest))
    else:
        if approval.expires_at is not None and approval.expires_at <= now:
            reasons.append(f"approval expired on {approval.expires_at:%Y-%m-%d}")
        if not matches:
            reasons.append(mismatch_reason(approval.dossier, current))
    for reason in failing_reasons(deployment, facts):
        if reason not in reasons:
            reasons.append(reason)
    lapse = approval_lapse(
        deployment, latest=latest, current=current, current_hash=current_hash, now=now
    )
    return GateVerdict(reasons, approval, current_hash, matches, lapse)


def gate_evaluate(deployment: Any, *, now: dt.datetime | None = None) -> GateResult:
    now = now or timezone.now()
    latest = (
        ApprovalRequest.objects.filter(deployment=deployment)
        .select_related("policy")
        .order_by("-created_at")
        .first()
    )
    verdict = gate_verdict(deployment, latest=latest, facts=GateFacts(deployment), now=now)
    approval = verdict.approval
    return GateResult(
        deployment=deployment,
        allowed=not verdict.reasons,
        reasons=verdict.reasons,
        approval=approval,
        fingerprint=deployment.fingerprint,
        dossier_hash=verdict.dossier_hash,
        expires_at=approval.expires_at if approval else None,
        signoffs=list(approval.signoffs.all()) if approval else [],
        lapse=verdict.lapse,
    )


def gate_record(result: GateResult, *, asked_by: Any) -> GateDecision:
    """Record an evaluation made outside the API (the API records its reusable answers)."""
    answer = GateAnswer(
        payload={},
        allowed=result.allowed,
        reasons=result.reasons,
        fingerprint=result.fingerprint,
        approval_id=result.approval.pk if result.approval is not None else None,
    )
    return gate_record_answer(result.deployment.pk, answer, asked_by=asked_by)


# How long an answer may be reused when nothing recorded has changed. Only the passing of
# time can change the gate without a ledger event (an approval reaching its expiry, a bias
# audit turning a year old), so answers are also cut off at the approval's expiry.
GATE_ANSWER_SECONDS = 60


@dataclass(frozen=True)
class GateAnswer:
    """What the gate API returns and records, reusable across requests."""

    payload: dict[str, Any]
    allowed: bool
    reasons: list[str]
    fingerprint: str
    approval_id: Any
    head: int = 0  # the ledger head's sequence number the answer was computed at
    until: float = 0.0  # POSIX time after which the answer must be computed again


# Finding the deployment and reading the ledger head are one statement: pipelines ask the
# gate far more often than anything changes, and building two ORM queries cost more than
# running them.
_DEPLOYMENT_AND_HEAD_SQL = f"""
    SELECT d.id, (SELECT h.seq FROM {LedgerHead._meta.db_table} h WHERE h.id = 1)
    FROM {Deployment._meta.db_table} d WHERE d.id = %s
"""  # noqa: S608 - table names from the models' metadata, the id is a parameter


def gate_answer(
    deployment_id: Any, *, render: Callable[[GateResult], dict[str, Any]]
) -> GateAnswer | None:
    """The gate's answer for pipelines, computed once per recorded change; None if no such
    deployment.

    Every change that can move the gate goes through a service that appends to the ledger,
    so the ledger head's sequence number versions the whole state: an answer kept under
    (deployment, head) stays exact until the next recorded change. Pipelines ask far more
    often than anything changes, so most answers cost one short read instead of a full
    evaluation.
    """
    pk_value = Deployment._meta.get_field("id").get_db_prep_value(deployment_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(_DEPLOYMENT_AND_HEAD_SQL, [pk_value])
        row = cursor.fetchone()
    if row is None:
        return None
    head = row[1] or 0
    key = f"gate-answer:{deployment_id}:{head}"
    now = timezone.now()
    kept = cache.get(key)
    if kept is not None and kept[0] > now.timestamp():
        return kept[1]
    deployment = Deployment.objects.select_related("model_version__system").get(pk=deployment_id)
    result = gate_evaluate(deployment, now=now)
    until = now + dt.timedelta(seconds=GATE_ANSWER_SECONDS)
    if result.expires_at is not None and result.expires_at > now:
        until = min(until, result.expires_at)
    answer = GateAnswer(
        payload=render(result),
        allowed=result.allowed,
        reasons=result.reasons,
        fingerprint=result.fingerprint,
        approval_id=result.approval.pk if result.approval is not None else None,
        head=head,
        until=until.timestamp(),
    )
    cache.set(key, (answer.until, answer), timeout=GATE_ANSWER_SECONDS)
    return answer


def gate_record_answer(deployment_id: Any, answer: GateAnswer, *, asked_by: Any) -> GateDecision:
    """Keep the answer: the dashboard shows recent denials, auditors see who asked."""
    return GateDecision.objects.create(
        deployment_id=deployment_id,
        asked_by=asked_by if getattr(asked_by, "is_authenticated", False) else None,
        allowed=answer.allowed,
        reasons=answer.reasons,
        fingerprint=answer.fingerprint,
        approval_id=answer.approval_id,
    )


def activation_guard(deployment: Any, to_status: str) -> str | None:
    """Going live needs an open gate (registered as an inventory transition guard)."""
    if to_status != DeploymentStatus.ACTIVE:
        return None
    result = gate_evaluate(deployment)
    if result.allowed:
        return None
    return "the deployment gate is closed: " + "; ".join(result.reasons)
