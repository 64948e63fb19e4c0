"""What the bias-audit room shows on the dashboard (registered from `BiasConfig.ready()`).

- the overview panel: audits stale or due, and required audits missing;
- the portfolio filter behind each of those figures;
- the checklist item "independent bias audit" on deployments that need one;
- the latest final independent audit of many deployments at once, so the dashboard's bulk
  gate reads it in one query instead of one per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from audits.bias.choices import AuditStatus
from audits.bias.gate import LATEST_AUDIT, bias_audit_fresh, needs_independent_audit
from audits.bias.models import BiasAudit
from audits.bias.selectors import _not_superseded, audits_due_within
from audits.bias.services import valid_until
from governance.accounts.permissions import Perm, can
from governance.dashboard.panels import (
    ChecklistItem,
    OverviewPanel,
    PanelNumber,
    PortfolioFilter,
    register_checklist,
    register_gate_facts,
    register_overview_panel,
    register_portfolio_filter,
)
from governance.inventory.choices import AnnexIIIArea, DeploymentStatus

DUE_WITHIN_DAYS = 30
HEAVY_FIELDS = ("dimension_summaries", "library_versions", "column_mapping", "unknown_values")


def _due_deployment_ids(stale: bool) -> list[Any]:
    return [
        item["deployment"].pk
        for item in audits_due_within(DUE_WITHIN_DAYS)
        if item["stale"] == stale
    ]


def _requires_audit() -> Q:
    return Q(model_version__system__annex_iii_area=AnnexIIIArea.EMPLOYMENT) | Q(
        requires_independent_bias_audit=True
    )


def missing_audit(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Live deployments that need an independent audit and have no final one (gate: missing)."""
    covering = (
        BiasAudit.objects.independent()
        .filter(_not_superseded(), status=AuditStatus.FINAL)
        .filter(
            Q(deployment=OuterRef("pk"))
            | Q(deployment__isnull=True, model_version=OuterRef("model_version"))
        )
    )
    return (
        queryset.exclude(status=DeploymentStatus.RETIRED)
        .filter(_requires_audit())
        .filter(~Exists(covering))
    )


def _filter(queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
    if value == "missing":
        return missing_audit(queryset)
    return queryset.filter(pk__in=_due_deployment_ids(stale=value == "stale"))


register_portfolio_filter(
    PortfolioFilter(
        name="bias",
        label="Bias audit",
        choices=[
            ("stale", "Stale (over a year old)"),
            ("due", f"Due within {DUE_WITHIN_DAYS} days"),
            ("missing", "Required but missing"),
        ],
        apply=_filter,
    )
)


@register_overview_panel("bias_audits", order=40)
def bias_overview(user: Any) -> OverviewPanel | None:
    """Audits stale or due within 30 days (latest final audit per deployment), and missing ones."""
    if not can(user, Perm.VIEW):
        return None
    from governance.inventory.selectors import deployments_for

    due = audits_due_within(DUE_WITHIN_DAYS)
    stale = [item for item in due if item["stale"]]
    portfolio = reverse("dashboard:portfolio")
    missing = missing_audit(deployments_for(user)).count()

    def link(value: str) -> str:
        return f"{portfolio}?{urlencode({'bias': value})}"

    return OverviewPanel(
        title="Bias audits",
        help="NYC LL144 §5-301(a): a tool may not be used once its latest audit is over a year "
        "old.",
        numbers=[
            PanelNumber("stale (over a year old)", len(stale), link("stale"), "bad"),
            PanelNumber(
                f"due within {DUE_WITHIN_DAYS} days", len(due) - len(stale), link("due"), "warn"
            ),
            PanelNumber("required but missing", missing, link("missing"), "bad"),
        ],
        rows=[
            (
                str(item["deployment"]),
                reverse("bias:audit_detail", kwargs={"pk": item["audit"].pk}),
                f"stale since {item['stale_since']:%Y-%m-%d}"
                if item["stale"]
                else f"due {item['due']:%Y-%m-%d}",
            )
            for item in due[:5]
        ],
        empty=f"No audit is stale or due within {DUE_WITHIN_DAYS} days.",
    )


@register_gate_facts(LATEST_AUDIT)
def latest_final_independent_audits(deployments: Sequence[Any]) -> dict[Any, BiasAudit | None]:
    """`latest_final_independent_audit` for many deployments, in one query."""
    result: dict[Any, BiasAudit | None] = {d.pk: None for d in deployments}
    if not deployments:
        return result
    by_version: dict[Any, list[Any]] = {}
    for deployment in deployments:
        by_version.setdefault(deployment.model_version_id, []).append(deployment.pk)
    audits = (
        BiasAudit.objects.independent()
        .filter(_not_superseded(), status=AuditStatus.FINAL)
        .filter(
            Q(deployment__in=list(result))
            | Q(deployment__isnull=True, model_version__in=list(by_version))
        )
        .defer(*HEAVY_FIELDS)
        .order_by("audit_date", "finalised_at")
    )
    # Oldest first, so the newest covering audit is the one left for each deployment.
    for audit in audits:
        covered = (
            [audit.deployment_id] if audit.deployment_id else by_version[audit.model_version_id]
        )
        for pk in covered:
            result[pk] = audit
    return result


@register_checklist("bias_audit", order=30)
def bias_checklist(
    deployments: Sequence[Any], facts: Mapping[Any, Any]
) -> dict[Any, list[ChecklistItem]]:
    """Employment-area tools (or those marked so) need a final, independent, fresh audit."""
    today = timezone.localdate()
    items: dict[Any, list[ChecklistItem]] = {}
    for deployment in deployments:
        if not needs_independent_audit(deployment):
            continue
        known = facts[deployment.pk]
        reasons = bias_audit_fresh(deployment, known)
        audit = known.memo(LATEST_AUDIT, lambda: None)
        detail = reasons[0] if reasons else ""
        if audit is not None and not reasons:
            until = valid_until(audit.audit_date)
            detail = f"valid until {until:%Y-%m-%d} ({(until - today).days} days left)"
        items[deployment.pk] = [
            ChecklistItem(
                "bias_audit",
                "Independent bias audit, final and under a year old",
                not reasons,
                detail,
                reverse("bias:deployment_audits", kwargs={"pk": deployment.pk}),
            )
        ]
    return items


TREND_DEPLOYMENTS = 7  # lines a chart can tell apart


def lowest_ratio_history(user: Any) -> dict[str, list[tuple[Any, float | None]]] | None:
    """For each deployment with more than one final audit (corrected audits left out), its
    audits in date order with the lowest impact ratio of each (excluded categories left out).
    One query: the minimum is taken by the database."""
    if not can(user, Perm.VIEW):
        return None
    audits = (
        BiasAudit.objects.filter(
            _not_superseded(), status=AuditStatus.FINAL, deployment__isnull=False
        )
        .annotate(lowest=Min("results__impact_ratio", filter=Q(results__excluded=False)))
        .order_by("audit_date", "created_at")
        .values_list(
            "deployment__model_version__system__name",
            "deployment__model_version__version_label",
            "deployment__environment",
            "audit_date",
            "lowest",
        )
    )
    history: dict[str, list[tuple[Any, float | None]]] = {}
    for system, version, environment, audit_date, lowest in audits:
        history.setdefault(f"{system} {version} → {environment}", []).append((audit_date, lowest))
    return {deployment: rows for deployment, rows in history.items() if len(rows) > 1}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@register_overview_panel("trend_bias_lowest_ratio", order=84)
def bias_trend(user: Any) -> OverviewPanel | None:
    """The lowest impact ratio of each audit, audit after audit, per deployment audited again."""
    from governance.dashboard.trend_panels import series_panel

    history = lowest_ratio_history(user)
    if history is None:
        return None
    title = "Lowest impact ratio, audit after audit"
    if not history:
        return OverviewPanel(
            title=title,
            numbers=[],
            empty="No deployment has been audited more than once.",
            help="No deployment has been audited more than once yet.",
            rows=[("Bias audits", reverse("bias:audit_list"), "audit a deployment again")],
        )
    latest_first = sorted(history.items(), key=lambda item: item[1][-1][0], reverse=True)
    shown = latest_first[:TREND_DEPLOYMENTS]
    rounds = max(len(rows) for _, rows in shown)
    series = {
        deployment: [_rounded(rows[i][1]) if i < len(rows) else None for i in range(rounds)]
        for deployment, rows in shown
    }
    return series_panel(
        title=title,
        help="Per deployment audited more than once, the lowest impact ratio of each final "
        "audit in date order; below 0.80 fails the four-fifths rule. "
        f"The {TREND_DEPLOYMENTS} most recently audited deployments are shown.",
        x_title="Audit",
        x_labels=[f"Audit {i + 1}" for i in range(rounds)],
        series=series,
        kind="lines",
        threshold=(0.8, "0.80 four-fifths"),
    )
