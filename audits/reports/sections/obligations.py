"""The obligations room's part of a report: duties, their proof and the signatures behind it.

- `STANDARDS_SECTION` (Annex IV §7 and §8): the standards, common specifications or other
  solutions applied, from the evidence documents of kind test report and EU declaration of
  conformity, the frameworks the deployment's duties are mapped to and the signed statements
  (assertions) of how requirements are met; and the EU declaration of conformity itself. What
  is not on record is said plainly.
- `MATRIX_SECTION`: the obligations matrix of a dossier, every requirement that applies to
  the deployment with its kept status, the evidence found and the assertion with its signer.
- `SELF_ASSESSMENT_SECTION`: the conformity self-assessment, the same requirements grouped
  by framework with a count per status, the reasons they apply, and the ones that do not.
- `STATUTORY_SECTION`: the current signed Art 27 fundamental-rights impact assessment and
  GDPR Art 35 data protection impact assessment with every answer and their signatures.

Statuses are read from the kept `DeploymentObligation` rows (refreshed by the obligations
room when their inputs change), never recomputed here, so the report states what the pages
showed at the snapshot's instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q

from audits.reports.sections import Section, SnapshotContext
from governance.accounts.permissions import Perm, can
from governance.core.canonical import format_timestamp
from governance.inventory.models import Deployment
from governance.obligations.choices import AssertionVerdict, DocumentKind, ObligationStatus
from governance.obligations.models import DeploymentObligation, EvidenceDocument
from governance.risk.models import StatutoryAssessment, StatutoryKind, StatutoryStatus
from governance.risk.selectors import statutory_sections

STATUS_ORDER = [
    ObligationStatus.MISSING,
    ObligationStatus.PARTLY_MET,
    ObligationStatus.MET,
    ObligationStatus.NOT_YET_IN_FORCE,
    ObligationStatus.NOT_APPLICABLE,
]
# The documents that name the standards and specifications a system was built and tested to.
STANDARD_DOCUMENTS = (DocumentKind.TEST_REPORT, DocumentKind.DECLARATION_OF_CONFORMITY)


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.display_name}


def _time(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value else None


def _obligations(ctx: SnapshotContext) -> list[DeploymentObligation]:
    if ctx.deployment is None or not can(ctx.viewer, Perm.VIEW):
        return []
    return list(
        DeploymentObligation.objects.filter(
            deployment=ctx.deployment, requirement__framework__is_current=True
        )
        .select_related("requirement__framework", "assertion__signed_by")
        .order_by("requirement__framework__slug", "requirement__position")
    )


def _assertion(row: DeploymentObligation) -> dict[str, Any] | None:
    assertion = row.assertion
    if assertion is None:
        return None
    return {
        "verdict": assertion.verdict,
        "verdict_label": AssertionVerdict(assertion.verdict).label,
        "justification": assertion.justification,
        "signed_by": _person(assertion.signed_by),
        "signed_at": _time(assertion.signed_at),
        "meaning": assertion.signature_meaning,
        "expires_at": _time(assertion.expires_at),
        "withdrawn_at": _time(assertion.withdrawn_at),
    }


def _proof(item: Any) -> dict[str, Any]:
    # The obligations room keeps each proof as {kind, label, satisfied, detail, url}.
    if not isinstance(item, Mapping):
        return {"label": str(item), "satisfied": None, "detail": "", "kind": ""}
    return {
        "kind": str(item.get("kind", "")),
        "label": str(item.get("label") or item.get("kind") or ""),
        "satisfied": item.get("satisfied"),
        "detail": str(item.get("detail", "")),
    }


def _requirement_row(row: DeploymentObligation) -> dict[str, Any]:
    requirement = row.requirement
    return {
        "ref": requirement.ref,
        "identifier": requirement.identifier,
        "title": requirement.title,
        "group": requirement.group,
        "applies_from": requirement.applies_from.isoformat() if requirement.applies_from else None,
        "in_force": row.in_force,
        "why": row.why,
        "status": row.status,
        "status_label": ObligationStatus(row.status).label,
        "evidence": [_proof(item) for item in row.evidence or []],
        "gaps": [
            str(gap.get("label", gap)) if isinstance(gap, Mapping) else str(gap)
            for gap in row.gaps or []
        ],
        "assertion": _assertion(row),
        "evaluated_at": _time(row.evaluated_at),
    }


def _framework(row: DeploymentObligation) -> dict[str, str]:
    framework = row.requirement.framework
    return {
        "slug": framework.slug,
        "name": framework.name,
        "short_name": framework.short_name,
        "version": framework.version,
        "sha256": framework.content_sha256,
    }


def _by_framework(rows: Iterable[DeploymentObligation]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = row.requirement.framework.slug
        group = groups.setdefault(
            key,
            {
                "framework": _framework(row),
                "requirements": [],
                "counts": dict.fromkeys(STATUS_ORDER, 0),
            },
        )
        group["requirements"].append(_requirement_row(row))
        group["counts"][row.status] = group["counts"].get(row.status, 0) + 1
    for group in groups.values():
        group["counts"] = [
            {"status": s.value, "label": s.label, "count": group["counts"].get(s, 0)}
            for s in STATUS_ORDER
            if s != ObligationStatus.NOT_APPLICABLE
        ]
    return list(groups.values())


def _totals(rows: list[DeploymentObligation]) -> dict[str, int]:
    return {
        "applicable": len(rows),
        "in_force": sum(1 for r in rows if r.in_force),
        "met": sum(1 for r in rows if r.status == ObligationStatus.MET),
        "partly_met": sum(1 for r in rows if r.status == ObligationStatus.PARTLY_MET),
        "missing": sum(1 for r in rows if r.status == ObligationStatus.MISSING),
        "not_yet_in_force": sum(1 for r in rows if r.status == ObligationStatus.NOT_YET_IN_FORCE),
        "asserted": sum(1 for r in rows if r.assertion_id is not None),
    }


# --- Annex IV §7 and §8 -------------------------------------------------------------------


def _documents(deployment: Deployment, kinds: Iterable[str]) -> list[EvidenceDocument]:
    """Current versions of documents of these kinds for the deployment's system, or linked
    to the deployment, or linked for every deployment."""
    system_id = deployment.model_version.system_id
    active = Q(links__unlinked_at__isnull=True)
    mine = (
        Q(system_id=system_id)
        | (active & Q(links__deployment=deployment))
        | (active & Q(links__deployment__isnull=True, system__isnull=True))
    )
    return list(
        EvidenceDocument.objects.filter(mine, kind__in=list(kinds), superseded_by__isnull=True)
        .select_related("uploaded_by")
        .distinct()
        .order_by("kind", "title", "-version")
    )


def _document(document: EvidenceDocument, today: dt.date) -> dict[str, Any]:
    if document.valid_until is not None and document.valid_until < today:
        validity = f"expired on {document.valid_until.isoformat()}"
    elif document.valid_from > today:
        validity = f"valid from {document.valid_from.isoformat()} (not yet)"
    else:
        until = document.valid_until.isoformat() if document.valid_until else "no end date"
        validity = f"valid from {document.valid_from.isoformat()}, until {until}"
    return {
        "id": str(document.pk),
        "title": document.title,
        "kind": document.kind,
        "kind_label": DocumentKind(document.kind).label,
        "description": document.description,
        "version": document.version,
        "file_name": document.file_name,
        "sha256": document.sha256,
        "valid": document.valid_from <= today
        and (document.valid_until is None or document.valid_until >= today),
        "validity": validity,
        "uploaded_by": _person(document.uploaded_by),
        "uploaded_at": _time(document.created_at),
    }


def build_standards(ctx: SnapshotContext) -> dict[str, Any]:
    deployment = ctx.deployment
    if deployment is None or not can(ctx.viewer, Perm.VIEW):
        return {"documents": [], "declarations": [], "frameworks": [], "assertions": []}
    today = ctx.taken_at.date()
    documents = [_document(d, today) for d in _documents(deployment, STANDARD_DOCUMENTS)]
    rows = [r for r in _obligations(ctx) if r.applies]
    frameworks: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = frameworks.setdefault(
            row.requirement.framework.slug, {**_framework(row), "applicable": 0, "met": 0}
        )
        entry["applicable"] += 1
        entry["met"] += row.status == ObligationStatus.MET
    assertions = [
        {"ref": row.requirement.ref, "title": row.requirement.title, **(_assertion(row) or {})}
        for row in rows
        if row.assertion is not None and row.assertion.verdict == AssertionVerdict.MET
    ]
    declaration_duties = [
        {
            "ref": row.requirement.ref,
            "title": row.requirement.title,
            "status_label": ObligationStatus(row.status).label,
        }
        for row in rows
        if "Art 47" in row.requirement.ref
    ]
    return {
        "documents": documents,
        "declarations": [
            d for d in documents if d["kind"] == DocumentKind.DECLARATION_OF_CONFORMITY
        ],
        "frameworks": list(frameworks.values()),
        "assertions": assertions,
        "declaration_duties": declaration_duties,
        "as_of": today.isoformat(),
    }


STANDARDS_SECTION = Section(
    key="standards",
    title="Standards applied and EU declaration of conformity",
    annex_iv=(7, 8),
    template="reports/sections/standards.html",
    build=build_standards,
)


# --- The obligations matrix (dossier) and the self-assessment ----------------------------


def build_matrix(ctx: SnapshotContext) -> dict[str, Any]:
    rows = _obligations(ctx)
    applicable = [r for r in rows if r.applies]
    return {
        "frameworks": _by_framework(applicable),
        "totals": _totals(applicable),
        "not_applicable": len(rows) - len(applicable),
        "evaluated": bool(rows),
        "statutory": _statutory_summary(ctx),
    }


MATRIX_SECTION = Section(
    key="obligations",
    title="Obligations matrix",
    annex_iv=(),
    template="reports/sections/obligations.html",
    build=build_matrix,
)


def build_self_assessment(ctx: SnapshotContext) -> dict[str, Any]:
    rows = _obligations(ctx)
    applicable = [r for r in rows if r.applies]
    return {
        "frameworks": _by_framework(applicable),
        "totals": _totals(applicable),
        "not_applicable": [
            {
                "ref": r.requirement.ref,
                "title": r.requirement.title,
                "why": r.why,
                "assertion": _assertion(r),
            }
            for r in rows
            if not r.applies
        ],
        "evaluated": bool(rows),
        "as_of": ctx.taken_at.date().isoformat(),
    }


SELF_ASSESSMENT_SECTION = Section(
    key="self_assessment",
    title="Requirements that apply, their evidence and signatures",
    annex_iv=(),
    template="reports/sections/self_assessment.html",
    build=build_self_assessment,
)


# --- The assessments the law names ---------------------------------------------------------


def _current_statutory(ctx: SnapshotContext) -> dict[str, StatutoryAssessment]:
    if ctx.deployment is None or not can(ctx.viewer, Perm.VIEW):
        return {}
    rows = StatutoryAssessment.objects.filter(
        deployment=ctx.deployment, status=StatutoryStatus.SIGNED, superseded_by__isnull=True
    ).select_related("methodology", "signed_by", "submitted_by", "deployment")
    return {row.kind: row for row in rows}


def _statutory(assessment: StatutoryAssessment, *, answers: bool) -> dict[str, Any]:
    methodology = assessment.methodology
    data: dict[str, Any] = {
        "id": str(assessment.pk),
        "version": assessment.version,
        "methodology": {
            "slug": methodology.slug,
            "version": methodology.version,
            "title": methodology.title,
            "sha256": methodology.sha256,
        },
        "answers_sha256": assessment.answers_sha256,
        "submitted_by": _person(assessment.submitted_by),
        "submitted_at": _time(assessment.submitted_at),
        "signed_by": _person(assessment.signed_by),
        "signer_name": assessment.signer_name,
        "signed_at": _time(assessment.signed_at),
        "meaning": assessment.signature_meaning,
        "changed_since_signed": assessment.changed_since_signed,
    }
    if answers:
        data["sections"] = statutory_sections(assessment)
    return data


def _statutory_summary(ctx: SnapshotContext) -> list[dict[str, Any]]:
    current = _current_statutory(ctx)
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "current": _statutory(current[kind], answers=False) if kind in current else None,
        }
        for kind in StatutoryKind
    ]


def build_statutory(ctx: SnapshotContext) -> dict[str, Any]:
    current = _current_statutory(ctx)
    return {
        "assessments": [
            {
                "kind": kind.value,
                "label": kind.label,
                "current": _statutory(current[kind], answers=True) if kind in current else None,
            }
            for kind in StatutoryKind
        ]
    }


STATUTORY_SECTION = Section(
    key="statutory",
    title="Fundamental-rights and data protection impact assessments",
    annex_iv=(),
    template="reports/sections/statutory.html",
    build=build_statutory,
)
