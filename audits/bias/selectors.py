"""Reads of bias audits for pages, the API, the gate, the dashboard and reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from audits.bias.choices import AuditStatus
from audits.bias.framing import framing
from audits.bias.models import BiasAudit, BiasAuditResult
from audits.bias.services import RESULT_FIELDS, recompute, stale_since, valid_until
from governance.accounts.permissions import Perm, can
from governance.inventory.choices import DeploymentStatus


def audits_for(user: Any) -> QuerySet[BiasAudit]:
    if not can(user, Perm.VIEW):
        return BiasAudit.objects.none()
    return BiasAudit.objects.select_related(
        "deployment__model_version__system",
        "model_version__system",
        "created_by",
        "finalised_by",
        "supersedes",
    )


def _covering(deployment: Any) -> Q:
    # An audit covers a deployment when it names it, or names its model version without a
    # deployment (an audit of the version wherever it runs).
    return Q(deployment=deployment.pk) | Q(
        deployment__isnull=True, model_version=deployment.model_version_id
    )


def audits_for_deployment(user: Any, deployment: Any) -> QuerySet[BiasAudit]:
    return audits_for(user).filter(_covering(deployment)).order_by("-audit_date", "-created_at")


def audit_detail(user: Any, audit_id: Any) -> BiasAudit:
    """One audit with its results in display order; 404 when missing or not visible."""
    results = BiasAuditResult.objects.order_by("position")
    audit = (
        audits_for(user)
        .prefetch_related(Prefetch("results", queryset=results))
        .filter(pk=audit_id)
        .first()
    )
    if audit is None:
        raise Http404("No such bias audit.")
    return audit


def _not_superseded() -> Any:
    return ~Exists(BiasAudit.objects.filter(supersedes=OuterRef("pk"), status=AuditStatus.FINAL))


def latest_final_independent_audit(deployment: Any) -> BiasAudit | None:
    """The newest final audit by an independent auditor covering the deployment (one query)."""
    return (
        BiasAudit.objects.independent()
        .filter(_covering(deployment), _not_superseded(), status=AuditStatus.FINAL)
        .order_by("-audit_date", "-finalised_at")
        .first()
    )


def freshness(audit: BiasAudit, today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    until = valid_until(audit.audit_date)
    return {
        "valid_until": until,
        "stale": today > until,
        "stale_since": stale_since(audit.audit_date),
        "due": audit.next_due_date,
        "days_to_due": (audit.next_due_date - today).days,
        "days_overdue": max((today - audit.next_due_date).days, 0),
    }


def audits_due_within(days: int, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The latest final audit of each live deployment that is due within `days` or overdue.

    For the dashboard: each item has the audit, its deployment, the due date, the number of
    days left (negative when overdue) and whether it is legally stale. Two queries.
    """
    today = today or timezone.localdate()
    newer = BiasAudit.objects.filter(
        deployment=OuterRef("deployment"),
        status=AuditStatus.FINAL,
        audit_date__gt=OuterRef("audit_date"),
    )
    audits = (
        BiasAudit.objects.filter(
            status=AuditStatus.FINAL,
            deployment__isnull=False,
            next_due_date__lte=today + dt.timedelta(days=days),
        )
        .exclude(deployment__status=DeploymentStatus.RETIRED)
        .filter(~Exists(newer), _not_superseded())
        .select_related("deployment__model_version__system")
        .order_by("next_due_date")
    )
    return [
        {"audit": audit, "deployment": audit.deployment, **freshness(audit, today)}
        for audit in audits
    ]


def public_summary(audit: BiasAudit) -> dict[str, Any]:
    """What LL144 §5-303 requires to be published, as JSON-safe data, with its `framing`:
    the LL144 wording for an employment tool, a four-fifths-rule analysis for any other use.

    Date of the audit, source and explanation of the data, the unknown-category count, per
    category the applicants, the selection or scoring rate and the impact ratio, the
    exclusions with their justification, and the tool's distribution date.
    """
    scoring = audit.audit_type == "scoring"
    results = list(audit.results.all())
    results.sort(key=lambda r: r.position)
    summaries = {s["dimension"]: s for s in audit.dimension_summaries}
    tables = []
    for dimension in [s["dimension"] for s in audit.dimension_summaries]:
        rows = [r for r in results if r.dimension == dimension]
        tables.append(
            {
                "dimension": dimension,
                "is_intersection": summaries[dimension]["is_intersection"],
                "unknown_count": summaries[dimension]["unknown"],
                "categories": [
                    {
                        "category": r.category,
                        "applicants": r.n,
                        "selected": r.selected,
                        "rate": r.rate,
                        "impact_ratio": r.impact_ratio,
                        "flagged": r.flagged,
                        "excluded": r.excluded,
                    }
                    for r in rows
                ],
            }
        )
    return {
        "audit_id": str(audit.pk),
        "status": audit.status,
        "tool": audit.model_version.system.name,
        "framing": framing(audit.model_version.system),
        "model_version": audit.model_version.version_label,
        "audit_type": audit.audit_type,
        "rate_kind": "scoring rate" if scoring else "selection rate",
        "audit_date": audit.audit_date.isoformat(),
        "next_due_date": audit.next_due_date.isoformat(),
        "distribution_date": audit.distribution_date.isoformat(),
        "auditor": {
            "name": audit.auditor_name,
            "organisation": audit.auditor_organisation,
            "independent": audit.is_independent,
        },
        "data": {
            "source": audit.data_source,
            "source_label": audit.get_data_source_display(),
            "explanation": audit.data_description,
            "test_data_explanation": audit.test_data_explanation,
            "period_start": audit.data_period_start.isoformat(),
            "period_end": audit.data_period_end.isoformat(),
            "total_count": audit.total_count,
            "file_sha256": audit.file_sha256,
        },
        "unknown_count": audit.unknown_count,
        "median_score": audit.median_score,
        "tables": tables,
        "exclusions": [
            {
                "dimension": r.dimension,
                "category": r.category,
                "applicants": r.n,
                "rate": r.rate,
                "justification": r.exclusion_justification,
            }
            for r in results
            if r.excluded
        ],
    }


def recomputation_check(audit: BiasAudit) -> dict[str, Any]:
    """Compute the audit again from its stored file and list every figure that differs."""
    import hashlib

    try:
        with audit.data_file.open("rb") as stream:
            digest = hashlib.sha256()
            while chunk := stream.read(1024 * 1024):
                digest.update(chunk)
        figures, summaries = recompute(audit)
    except OSError:
        return {
            "identical": False,
            "file_sha256_matches": False,
            "differences": [],
            "error": "The stored file cannot be read.",
        }
    stored = {(r.dimension, r.category): r for r in audit.results.all()}
    differences: list[dict[str, Any]] = []
    for figure in figures:
        row = stored.pop((figure.dimension, figure.category), None)
        if row is None:
            differences.append(
                {
                    "dimension": figure.dimension,
                    "category": figure.category,
                    "field": "(missing from the stored results)",
                }
            )
            continue
        for name in RESULT_FIELDS:
            if getattr(row, name) != getattr(figure, name):
                differences.append(
                    {
                        "dimension": figure.dimension,
                        "category": figure.category,
                        "field": name,
                        "stored": getattr(row, name),
                        "recomputed": getattr(figure, name),
                    }
                )
    for dimension, category in stored:
        differences.append(
            {
                "dimension": dimension,
                "category": category,
                "field": "(not in the recomputed results)",
            }
        )
    if summaries != audit.dimension_summaries:
        differences.append({"field": "dimension_summaries"})
    sha_ok = digest.hexdigest() == audit.file_sha256
    return {
        "identical": sha_ok and not differences,
        "file_sha256_matches": sha_ok,
        "differences": differences[:100],
    }
