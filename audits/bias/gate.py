"""The deployment-gate check: employment-area tools need a fresh, final, independent audit."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from audits.bias.selectors import latest_final_independent_audit
from audits.bias.services import stale_since, valid_until
from governance.approvals.dossier import register_dossier_display, register_dossier_evidence
from governance.approvals.gate_checks import GateFacts, facts_for, register_gate_check
from governance.inventory.choices import AnnexIIIArea


def needs_independent_audit(deployment: Any) -> bool:
    system = deployment.model_version.system
    return bool(
        system.annex_iii_area == AnnexIIIArea.EMPLOYMENT
        or deployment.requires_independent_bias_audit
    )


LATEST_AUDIT = "bias.latest_final_independent_audit"


def _latest(deployment: Any, facts: GateFacts | None) -> Any:
    return facts_for(deployment, facts).memo(
        LATEST_AUDIT, lambda: latest_final_independent_audit(deployment)
    )


@register_gate_check("bias_audit", page="bias:deployment_audits")
def bias_audit_fresh(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    """LL144 §5-301(a): no use when the latest independent audit is more than a year old.

    An internal (not independent) audit or a draft never satisfies this. One query.
    """
    if not needs_independent_audit(deployment):
        return []
    audit = _latest(deployment, facts)
    if audit is None:
        return ["bias audit missing"]
    if timezone.localdate() > valid_until(audit.audit_date):
        return [f"bias audit stale since {stale_since(audit.audit_date):%Y-%m-%d}"]
    return []


@register_dossier_evidence("bias_audit")
def bias_audit_evidence(deployment: Any, facts: GateFacts | None = None) -> str | None:
    """The audit an approval relies on, where one is required; a newer one needs re-approval."""
    if not needs_independent_audit(deployment):
        return None
    audit = _latest(deployment, facts)
    return str(audit.pk) if audit is not None else None


@register_dossier_display("bias_audit")
def bias_audit_display(audit_id: Any) -> dict[str, Any] | None:
    """The audit a dossier relies on, as signers read it: who, when, and its results table."""
    from django.urls import reverse

    from audits.bias.models import BiasAudit

    audit = BiasAudit.objects.filter(pk=audit_id).first()
    if audit is None:
        return None
    rows = list(audit.results.order_by("is_intersection", "dimension", "position"))
    return {
        "summary": f"{audit.type_title} bias audit by {audit.auditor_name} "
        f"({audit.auditor_organisation}), dated {audit.audit_date:%Y-%m-%d}",
        "url": reverse("bias:audit_detail", kwargs={"pk": audit.pk}),
        "template": "bias/_dossier_evidence.html",
        "audit": audit,
        "rows": rows,
        "flagged": [row for row in rows if row.flagged],
    }
