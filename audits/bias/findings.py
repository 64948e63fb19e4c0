"""Findings raised when a bias audit is finalised: one per category that fails four-fifths.

Every non-excluded category (intersectional ones included) whose impact ratio is below 0.80
becomes a finding linked to its result row: high when the difference is significant (z-test
or Fisher's exact p < 0.05), medium otherwise. An audit of a model version wherever deployed
raises one per live deployment of that version. Re-running never duplicates: the findings
room keeps one automatic finding per (source kind, source ref).
"""

from __future__ import annotations

from typing import Any

from audits.bias.models import BiasAudit, BiasAuditResult
from governance.findings.choices import Severity, SourceKind
from governance.findings.services import default_owner, finding_raise_automatic
from governance.inventory.choices import DeploymentStatus

SIGNIFICANCE = 0.05


def severity_of(result: BiasAuditResult) -> str:
    p_values = [p for p in (result.p_value_z, result.p_value_fisher) if p is not None]
    significant = any(p < SIGNIFICANCE for p in p_values)
    return Severity.HIGH if significant else Severity.MEDIUM


def _deployments(audit: BiasAudit) -> list[Any]:
    if audit.deployment is not None:
        return [audit.deployment]
    return list(
        audit.model_version.deployments.exclude(status=DeploymentStatus.RETIRED).select_related(
            "created_by", "model_version__system"
        )
    )


def _describe(audit: BiasAudit, result: BiasAuditResult) -> str:
    p_z = "n/a" if result.p_value_z is None else f"{result.p_value_z:.4f}"
    p_f = "n/a" if result.p_value_fisher is None else f"{result.p_value_fisher:.4f}"
    return (
        f"The bias audit of {audit.audit_date:%Y-%m-%d} by {audit.auditor_name} "
        f"({audit.auditor_organisation}) found an impact ratio of {result.impact_ratio:.3f} for "
        f"“{result.category}” ({result.dimension}), below the four-fifths threshold of 0.80. "
        f"{result.selected} of {result.n} selected; z-test p = {p_z}, Fisher's exact p = {p_f}."
    )


def raise_findings_for(audit: BiasAudit, *, actor: Any) -> list[Any]:
    """Raise the audit's findings inside the finalising transaction; returns those made now."""
    failing = list(audit.results.filter(flagged=True, excluded=False).order_by("position"))
    if not failing:
        return []
    raised = []
    for deployment in _deployments(audit):
        owner = default_owner(deployment, fallback=actor)
        for result in failing:
            ref = str(result.pk) if audit.deployment_id else f"{result.pk}:{deployment.pk}"
            finding = finding_raise_automatic(
                deployment=deployment,
                source_kind=SourceKind.BIAS_AUDIT,
                source_ref=ref,
                severity=severity_of(result),
                title=(
                    f"Impact ratio {result.impact_ratio:.2f} for {result.category} "
                    f"({result.dimension})"
                ),
                description=_describe(audit, result),
                owner=owner,
            )
            if finding is not None:
                raised.append(finding)
    return raised
