"""The bias room's part of a report (Annex IV §4), and the bias-audit summary report kind.

- In a dossier: every final bias audit covering the deployment, each as its NYC LL144
  §5-303 public summary for a tool used in employment, or as a disparate-impact analysis
  under the four-fifths rule for any other use (audits/bias/framing.py): tables of
  applicants, rates and impact ratios per category, the unknown-category count, exclusions
  and their justification, with the impact-ratio chart, its freshness, and which audit the
  deployment gate relies on.
- As its own report kind (`bias_audit`): one final audit's public summary, framed the same
  way, with the auditor's independence statements.
- In the portfolio: bias audits that are legally stale, past their due date or due soon,
  and deployments that need an independent audit and have none.

The summaries are the bias room's own `public_summary`; the charts its own
`impact_ratio_chart_svg`, drawn from the frozen figures and served as generated images.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from audits.bias.choices import INDEPENDENCE_STATEMENTS, AuditStatus
from audits.bias.framing import is_employment_tool
from audits.bias.gate import needs_independent_audit
from audits.bias.models import BiasAudit, BiasAuditResult
from audits.bias.selectors import (
    audits_due_within,
    audits_for_deployment,
    freshness,
    latest_final_independent_audit,
    public_summary,
)
from audits.reports.charts import horizontal_bar_chart
from audits.reports.sections import SUBJECT_RESOLVERS, Section, SnapshotContext
from governance.core.canonical import format_timestamp
from governance.core.errors import InvalidInput
from governance.inventory.choices import AnnexIIIArea, DeploymentStatus
from governance.inventory.models import Deployment
from governance.inventory.selectors import deployments_for

DUE_WITHIN_DAYS = 30
ATTENTION_CHART = "bias-audits-attention.svg"
SUBJECT_PREFIX = "bias_audit:"


def _chart_name(audit_id: str, index: int) -> str:
    return f"bias-{audit_id}-{index}.svg"


def _dates(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def _summary(audit: BiasAudit, today: dt.date, superseded_by: str | None) -> dict[str, Any]:
    """One audit's §5-303 summary, its freshness on the snapshot's date, and its chart names."""
    summary = public_summary(audit)
    for index, table in enumerate(summary["tables"], start=1):
        table["chart"] = _chart_name(summary["audit_id"], index)
    summary["freshness"] = _dates(freshness(audit, today))
    summary["independence"] = [
        {"statement": text, "attested": bool(getattr(audit, name))}
        for name, text in INDEPENDENCE_STATEMENTS.items()
    ]
    deployment = audit.deployment
    summary["deployment"] = (
        {"id": str(deployment.pk), "environment": deployment.environment}
        if deployment is not None
        else None
    )
    summary["finalised_at"] = format_timestamp(audit.finalised_at) if audit.finalised_at else None
    summary["finalised_by"] = audit.finalised_by.display_name if audit.finalised_by else None
    summary["supersedes"] = str(audit.supersedes_id) if audit.supersedes_id else None
    summary["superseded_by"] = superseded_by
    return summary


def _charts(summaries: list[Mapping[str, Any]]) -> dict[str, bytes]:
    from audits.bias.charts import impact_ratio_chart_svg

    images = {}
    for summary in summaries:
        for table in summary["tables"]:
            title = f"Impact ratios: {table['dimension']}"
            images[table["chart"]] = impact_ratio_chart_svg(
                table["categories"], title=title
            ).encode()
    return images


def _results() -> Prefetch:
    return Prefetch("results", queryset=BiasAuditResult.objects.order_by("position"))


def _today(ctx: SnapshotContext) -> dt.date:
    return timezone.localdate(ctx.taken_at)


# --- Dossier ----------------------------------------------------------------------------


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    deployment = Deployment.objects.select_related("model_version__system").get(
        pk=ctx.deployment.pk
    )
    audits = list(audits_for_deployment(ctx.viewer, deployment).prefetch_related(_results()))
    final = [a for a in audits if a.status == AuditStatus.FINAL]
    successor = {str(a.supersedes_id): str(a.pk) for a in final if a.supersedes_id}
    # The audit the deployment gate relies on, asked exactly as the gate asks it.
    relied_on = latest_final_independent_audit(deployment)
    today = _today(ctx)
    required = needs_independent_audit(deployment)
    return {
        "required": required,
        "employment": is_employment_tool(deployment.model_version.system),
        "required_because": (
            "the AI system is used in employment (Annex III area 4)"
            if deployment.model_version.system.annex_iii_area == AnnexIIIArea.EMPLOYMENT
            else "the deployment is flagged for an independent bias audit"
            if required
            else ""
        ),
        "relied_on": str(relied_on.pk) if relied_on else None,
        "audits": [_summary(a, today, successor.get(str(a.pk))) for a in final],
        "drafts": len(audits) - len(final),
    }


def dossier_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    return _charts(data["audits"])


# --- The bias-audit summary kind ---------------------------------------------------------


def _final_audit(audit_id: str) -> BiasAudit:
    try:
        key = uuid.UUID(str(audit_id))
    except ValueError:
        raise InvalidInput(
            "Give the bias audit's id.", fields={"bias_audit": "not a valid id"}
        ) from None
    audit = (
        BiasAudit.objects.select_related(
            "model_version__system", "deployment", "finalised_by", "created_by"
        )
        .prefetch_related(_results())
        .filter(pk=key)
        .first()
    )
    if audit is None:
        raise InvalidInput("No such bias audit.", fields={"bias_audit": "no such bias audit"})
    if audit.status != AuditStatus.FINAL:
        raise InvalidInput(
            "Only a final bias audit can be summarised: a draft's figures may still change.",
            fields={"bias_audit": "not final"},
        )
    return audit


def resolve(audit_id: str) -> tuple[Deployment | None, str]:
    """The deployment a bias-audit summary belongs to (None for a model-version audit) and
    the report's title; refuses unknown ids and drafts (InvalidInput on `bias_audit`)."""
    audit = _final_audit(audit_id)
    version = audit.model_version
    title = (
        f"Bias audit summary: {version.system.name} {version.version_label}, "
        f"audit of {audit.audit_date:%Y-%m-%d}"
    )
    return audit.deployment, title


def build_summary(ctx: SnapshotContext) -> dict[str, Any]:
    subject = ctx.report.subject_key
    if not subject.startswith(SUBJECT_PREFIX):
        raise ValueError("a bias-audit summary needs a bias audit")
    audit = _final_audit(subject.removeprefix(SUBJECT_PREFIX))
    newer = (
        BiasAudit.objects.filter(supersedes=audit, status=AuditStatus.FINAL)
        .values_list("pk", flat=True)
        .first()
    )
    return _summary(audit, _today(ctx), str(newer) if newer else None)


def summary_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    return _charts([data])


# --- Portfolio --------------------------------------------------------------------------


def _row(deployment: Deployment) -> dict[str, Any]:
    return {
        "deployment": str(deployment.pk),
        "system": deployment.model_version.system.name,
        "version": deployment.model_version.version_label,
        "environment": deployment.environment,
        "status_label": DeploymentStatus(deployment.status).label,
    }


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    """Latest final audits stale, overdue or due within 30 days, and required audits missing.

    Three queries whatever the portfolio: the bias room's due list, and the live deployments
    that need an independent audit without any final independent audit covering them.
    """
    today = _today(ctx)
    stale, overdue, due = [], [], []
    for item in audits_due_within(DUE_WITHIN_DAYS, today):
        audit = item["audit"]
        row = {
            **_row(item["deployment"]),
            "audit": str(audit.pk),
            "audit_date": audit.audit_date.isoformat(),
            "auditor": audit.auditor_name,
            "independent": audit.is_independent,
            "due": item["due"].isoformat(),
            "valid_until": item["valid_until"].isoformat(),
            "days_to_due": item["days_to_due"],
        }
        if item["stale"]:
            stale.append({**row, "stale_since": item["stale_since"].isoformat()})
        elif item["days_to_due"] < 0:
            overdue.append(row)
        else:
            due.append(row)
    covering = (
        BiasAudit.objects.independent()
        .filter(status=AuditStatus.FINAL)
        .filter(
            Q(deployment=OuterRef("pk"))
            | Q(deployment__isnull=True, model_version=OuterRef("model_version"))
        )
    )
    missing = (
        deployments_for(ctx.viewer)
        .exclude(status=DeploymentStatus.RETIRED)
        .filter(
            Q(model_version__system__annex_iii_area=AnnexIIIArea.EMPLOYMENT)
            | Q(requires_independent_bias_audit=True)
        )
        .filter(~Exists(covering))
        .order_by("model_version__system__name", "environment", "pk")
    )
    return {
        "today": today.isoformat(),
        "due_within_days": DUE_WITHIN_DAYS,
        "stale": stale,
        "overdue": overdue,
        "due": due,
        "missing": [_row(d) for d in missing],
    }


def portfolio_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    rows = [
        ("Stale (over a year old)", len(data["stale"])),
        ("Past the due date", len(data["overdue"])),
        (f"Due within {data['due_within_days']} days", len(data["due"])),
        ("Required, none on record", len(data["missing"])),
    ]
    return {ATTENTION_CHART: horizontal_bar_chart(rows, title="Bias audits").encode()}


SUBJECT_RESOLVERS["bias_audit"] = resolve

SECTION = Section(
    key="bias",
    title="Bias audits",
    annex_iv=(4,),
    template="reports/sections/bias.html",
    build=build_dossier,
    images=dossier_images,
)

SUMMARY_SECTION = Section(
    key="bias",
    title="Bias audit summary",
    annex_iv=(4,),
    template="reports/sections/bias_summary.html",
    build=build_summary,
    images=summary_images,
)

PORTFOLIO_SECTION = Section(
    key="bias",
    title="Stale bias audits",
    annex_iv=(4,),
    template="reports/sections/bias_portfolio.html",
    build=build_portfolio,
    images=portfolio_images,
)
