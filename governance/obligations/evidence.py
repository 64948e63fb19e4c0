"""Evidence rules: what the product already holds that proves a requirement, read in bulk.

A requirement's `evidence_rules` (from its framework file) is a list of
`{kind: ..., label: ..., **params}`. Each kind has a loader, which reads what it needs for a
batch of deployments in a constant number of queries, and a judge, which says for one
deployment and one rule whether the evidence is there and still good. Stale evidence does not
count: a superseded or stale risk assessment, a bias audit older than the rule allows, a
document past its validity.

Rooms register the kinds they own (`register_evidence_kind`); the kinds of the governance
rooms are registered below, the audit rooms register `bias_audit` and `dossier` from their
`AppConfig.ready()` (governance never imports audits).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from governance.obligations.models import EvidenceDocument, EvidenceLink, Requirement


@dataclass(frozen=True)
class Target:
    """A deployment as the evaluators see it."""

    id: uuid.UUID
    system_id: uuid.UUID
    model_version_id: uuid.UUID
    fingerprint: str


@dataclass(frozen=True)
class Proof:
    """One evidence rule judged for one deployment: found or not, and what was found."""

    kind: str
    label: str
    satisfied: bool
    detail: str
    url: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Judgement:
    satisfied: bool
    detail: str
    url: str = ""


Loader = Callable[[Sequence[Target], Sequence[Requirement], dt.date], Mapping[uuid.UUID, Any]]
Judge = Callable[[Any, Mapping[str, Any], Requirement, Target, dt.date], Judgement]


@dataclass(frozen=True)
class EvidenceKind:
    kind: str
    label: str
    load: Loader
    judge: Judge


_KINDS: dict[str, EvidenceKind] = {}


def register_evidence_kind(kind: str, *, label: str, load: Loader, judge: Judge) -> None:
    """Declare how rules of `kind` are judged: `load` reads a batch, `judge` decides one."""
    _KINDS[kind] = EvidenceKind(kind, label, load, judge)


def known_kinds() -> list[str]:
    return sorted(_KINDS)


def _targets(deployment_ids: Iterable[Any]) -> list[Target]:
    from governance.inventory.models import Deployment

    rows = Deployment.objects.filter(pk__in=list(deployment_ids)).values_list(
        "pk", "model_version__system_id", "model_version_id", "fingerprint"
    )
    return [Target(*row) for row in rows]


def evaluate_evidence(
    requirements: Sequence[Requirement],
    deployment_ids: Iterable[Any],
    *,
    today: dt.date | None = None,
) -> dict[tuple[uuid.UUID, uuid.UUID], list[Proof]]:
    """Judge every evidence rule of `requirements` for every deployment, in bulk.

    Returns proofs keyed by (deployment id, requirement id), in the order of the rules. One
    query for the deployments, then one load per evidence kind the requirements use, whatever
    the number of deployments or requirements.
    """
    today = today or timezone.localdate()
    targets = _targets(deployment_ids)
    used = {rule.get("kind", "") for req in requirements for rule in req.evidence_rules or []}
    loaded = {
        kind: _KINDS[kind].load(targets, requirements, today) for kind in used if kind in _KINDS
    }
    result: dict[tuple[uuid.UUID, uuid.UUID], list[Proof]] = {}
    for target in targets:
        for requirement in requirements:
            result[(target.id, requirement.pk)] = [
                _judge(rule, requirement, target, loaded, today)
                for rule in requirement.evidence_rules or []
            ]
    return result


def _judge(
    rule: Mapping[str, Any],
    requirement: Requirement,
    target: Target,
    loaded: Mapping[str, Mapping[uuid.UUID, Any]],
    today: dt.date,
) -> Proof:
    kind = str(rule.get("kind", ""))
    source = _KINDS.get(kind)
    if source is None:
        # A framework file may name evidence this installation does not record (yet): it is
        # simply not found, and says so, rather than failing the whole evaluation.
        return Proof(kind, str(rule.get("label") or kind), False, f"No record of kind {kind!r}.")
    label = str(rule.get("label") or source.label)
    found = source.judge(loaded[kind].get(target.id), rule, requirement, target, today)
    return Proof(kind, label, found.satisfied, found.detail, found.url)


def _url(name: str, **kwargs: Any) -> str:
    return reverse(name, kwargs=kwargs)


def _date(value: Any) -> str:
    return f"{value:%d %b %Y}".lstrip("0")


# --- risk_assessment ------------------------------------------------------------------------


def _load_assessments(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    from governance.risk.models import StaleMark
    from governance.risk.selectors import current_assessments

    found = current_assessments([t.id for t in targets])
    marked = set(
        StaleMark.objects.filter(assessment__in=[a.pk for a in found.values()]).values_list(
            "assessment_id", flat=True
        )
    )
    fingerprints = {t.id: t.fingerprint for t in targets}
    return {
        pk: (assessment, assessment.pk in marked or assessment.fingerprint != fingerprints[pk])
        for pk, assessment in found.items()
    }


def _judge_assessment(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("risk:deployment_risk", pk=target.id)
    if found is None:
        return Judgement(False, "No submitted risk assessment.", url)
    assessment, stale = found
    submitted = _date(assessment.submitted_at)
    if stale:
        # The deployment changed after the assessment: it no longer describes what runs.
        return Judgement(False, f"The assessment submitted {submitted} is stale.", url)
    return Judgement(True, f"Tier {assessment.tier}, submitted {submitted}.", url)


# --- approval ---------------------------------------------------------------------------------


def _load_approvals(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    from governance.approvals.models import ApprovalRequest, Decision, RequestStatus

    rows = (
        ApprovalRequest.objects.filter(
            deployment_id__in=[t.id for t in targets], status=RequestStatus.APPROVED
        )
        .annotate(
            human_signoffs=Count("signoffs", filter=Q(signoffs__decision=Decision.APPROVE)),
        )
        .values_list("deployment_id", "decided_at", "human_signoffs")
    )
    return {pk: (decided_at, signoffs) for pk, decided_at, signoffs in rows}


def _judge_approval(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("approvals:deployment_approvals", pk=target.id)
    if found is None:
        return Judgement(False, "No current approval.", url)
    decided_at, signoffs = found
    if not signoffs:
        return Judgement(False, "The current approval carries no human sign-off.", url)
    when = f", approved {_date(decided_at)}" if decided_at else ""
    return Judgement(True, f"{signoffs} human sign-off(s){when}.", url)


# --- ledger -----------------------------------------------------------------------------------


def _load_ledger(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    from governance.ledger.models import LedgerEvent

    by_text = {str(t.id): t.id for t in targets}
    rows = (
        LedgerEvent.objects.filter(deployment_id__in=list(by_text))
        .values("deployment_id")
        .annotate(events=Count("seq"), last=Max("ts"))
        .values_list("deployment_id", "events", "last")
    )
    return {by_text[text]: (events, last) for text, events, last in rows}


def _judge_ledger(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("inventory:deployment_history", pk=target.id)
    if found is None:
        return Judgement(False, "The audit trail holds no events of this deployment.", url)
    events, last = found
    return Judgement(True, f"{events} events in the audit trail, latest {_date(last)}.", url)


# --- accountable_owner and raci ---------------------------------------------------------------


def _load_owners(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    from governance.liability.selectors import accountable_owners

    return {pk: owner for pk, owner in accountable_owners([t.id for t in targets]).items() if owner}


def _judge_owner(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("liability:deployment_accountability", pk=target.id)
    if found is None:
        return Judgement(False, "No active accountable owner.", url)
    return Judgement(True, f"Accountable owner: {found.get_full_name() or found}.", url)


def _load_raci(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    from governance.liability.models import AccountabilityAssignment

    ids = [t.id for t in targets]
    systems = {t.system_id for t in targets}
    rows = (
        AccountabilityAssignment.objects.current(today)
        .filter(Q(deployment_id__in=ids) | Q(deployment__isnull=True, system_id__in=systems))
        .values_list("deployment_id", "system_id")
    )
    own: dict[Any, int] = defaultdict(int)
    inherited: dict[Any, int] = defaultdict(int)
    for deployment_id, system_id in rows:
        if deployment_id is not None:
            own[deployment_id] += 1
        else:
            inherited[system_id] += 1
    return {t.id: own[t.id] + inherited[t.system_id] for t in targets}


def _judge_raci(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("liability:deployment_accountability", pk=target.id)
    if not found:
        return Judgement(False, "No accountability (RACI) assignments in force.", url)
    return Judgement(True, f"{found} accountability assignment(s) in force.", url)


# --- monitoring_plan and incident_reporting ---------------------------------------------------


def _load_monitoring(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    from governance.monitoring.models import Incident, MonitoringPlan

    ids = [t.id for t in targets]
    plans = dict(
        MonitoringPlan.objects.filter(deployment_id__in=ids, is_current=True).values_list(
            "deployment_id", "version"
        )
    )
    late: dict[Any, int] = defaultdict(int)
    overdue = Incident.objects.filter(
        deployment_id__in=ids,
        serious=True,
        reported_at__isnull=True,
        report_due_at__lt=timezone.now(),
    ).values_list("deployment_id", flat=True)
    for pk in overdue:
        late[pk] += 1
    return {t.id: (plans.get(t.id), late[t.id]) for t in targets}


def _judge_plan(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("monitoring:deployment_monitoring", pk=target.id)
    version = found[0] if found else None
    if version is None:
        return Judgement(False, "No active post-market monitoring plan.", url)
    return Judgement(True, f"Monitoring plan version {version} is active.", url)


def _judge_incidents(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    url = _url("monitoring:deployment_monitoring", pk=target.id)
    version, late = found if found else (None, 0)
    if version is None:
        return Judgement(False, "No active monitoring plan to catch incidents.", url)
    if late:
        return Judgement(False, f"{late} serious incident(s) past their reporting deadline.", url)
    return Judgement(True, "Monitoring active; no serious incident is overdue for reporting.", url)


# --- document ---------------------------------------------------------------------------------


def document_is_valid(document: EvidenceDocument, today: dt.date) -> bool:
    return document.valid_from <= today and (
        document.valid_until is None or document.valid_until >= today
    )


def _load_documents(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    """Per deployment: requirement id → the current versions of the documents linked to it."""
    ids = [t.id for t in targets]
    wanted = [
        r.pk
        for r in requirements
        if any(x.get("kind") == "document" for x in r.evidence_rules or [])
    ]
    links = list(
        EvidenceLink.objects.filter(requirement_id__in=wanted, unlinked_at__isnull=True)
        .filter(Q(deployment_id__in=ids) | Q(deployment__isnull=True))
        .values_list("requirement_id", "deployment_id", "document__series")
    )
    # A link names the version that was linked; a newer version of the same document takes
    # its place (and its validity), so replacing an expired certificate needs no new link.
    current = {
        doc.series: doc
        for doc in EvidenceDocument.objects.filter(
            series__in={series for _, _, series in links}, superseded_by__isnull=True
        )
    }
    everywhere: dict[Any, list[EvidenceDocument]] = defaultdict(list)
    own: dict[tuple[Any, Any], list[EvidenceDocument]] = defaultdict(list)
    for requirement_id, deployment_id, series in links:
        document = current.get(series)
        if document is None:
            continue
        if deployment_id is None:
            everywhere[requirement_id].append(document)
        else:
            own[(deployment_id, requirement_id)].append(document)
    result: dict[uuid.UUID, dict[Any, list[EvidenceDocument]]] = {}
    for target in targets:
        per_requirement = {}
        for requirement_id in wanted:
            documents = own.get((target.id, requirement_id), []) + [
                d
                for d in everywhere.get(requirement_id, [])
                if d.system_id in (None, target.system_id)
            ]
            if documents:
                per_requirement[requirement_id] = documents
        result[target.id] = per_requirement
    return result


def _judge_document(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    wanted_kind = rule.get("document_kind")
    documents = [
        d for d in (found or {}).get(req.pk, []) if not wanted_kind or d.kind == wanted_kind
    ]
    if not documents:
        return Judgement(False, "No document linked.")
    valid = [d for d in documents if document_is_valid(d, today)]
    if not valid:
        newest = max(documents, key=lambda d: d.valid_from)
        ended = f" on {_date(newest.valid_until)}" if newest.valid_until else ""
        return Judgement(False, f"{newest.title} v{newest.version} is no longer valid{ended}.")
    best = max(valid, key=lambda d: (d.valid_until or dt.date.max, d.version))
    until = f", valid until {_date(best.valid_until)}" if best.valid_until else ""
    return Judgement(
        True,
        f"{best.title} v{best.version}{until}.",
        _url("obligations:document_detail", pk=best.pk),
    )


register_evidence_kind(
    "risk_assessment",
    label="Current risk assessment",
    load=_load_assessments,
    judge=_judge_assessment,
)
register_evidence_kind(
    "approval", label="Approval with human sign-offs", load=_load_approvals, judge=_judge_approval
)
register_evidence_kind("ledger", label="Audit trail", load=_load_ledger, judge=_judge_ledger)
register_evidence_kind(
    "accountable_owner", label="Accountable owner", load=_load_owners, judge=_judge_owner
)
register_evidence_kind(
    "raci", label="Accountability assignments", load=_load_raci, judge=_judge_raci
)
register_evidence_kind(
    "monitoring_plan", label="Monitoring plan", load=_load_monitoring, judge=_judge_plan
)
register_evidence_kind(
    "incident_reporting",
    label="Serious incidents reported on time",
    load=_load_monitoring,
    judge=_judge_incidents,
)
register_evidence_kind(
    "document", label="Evidence document", load=_load_documents, judge=_judge_document
)
