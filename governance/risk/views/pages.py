"""Portfolio, tiers, the deployment's Risk tab, and the methodology pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from governance.accounts.permissions import Perm, can, perm_required
from governance.core.views import list_page
from governance.inventory.choices import DeploymentStatus
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.risk import selectors
from governance.risk.charts import heat_map_svg
from governance.risk.filters import MethodologyFilter, RiskFilter
from governance.risk.forms import StartAssessmentForm
from governance.risk.models import AssessmentStatus
from governance.risk.tiers import Tier

REGISTER_CSV = [
    ("id", lambda r: r.pk),
    ("system", lambda r: r.deployment.model_version.system.name),
    ("environment", lambda r: r.deployment.environment),
    ("category", lambda r: r.get_category_display()),
    ("title", lambda r: r.title),
    ("description", lambda r: r.description),
    ("inherent_likelihood", lambda r: r.inherent_likelihood),
    ("inherent_impact", lambda r: r.inherent_impact),
    ("inherent_score", lambda r: r.inherent_score),
    ("treatment", lambda r: r.get_treatment_display()),
    ("control", lambda r: r.control_description),
    ("residual_likelihood", lambda r: r.residual_likelihood),
    ("residual_impact", lambda r: r.residual_impact),
    ("residual_score", lambda r: r.residual_score),
    ("owner", lambda r: r.owner.display_name),
    ("due_date", lambda r: r.due_date.isoformat() if r.due_date else ""),
    ("status", lambda r: r.status),
]
REGISTER_SORT = {
    "residual": "residual_score",
    "inherent": "inherent_score",
    "system": "deployment__model_version__system__name",
    "category": "category",
    "due": "due_date",
    "status": "status",
}


def _cell_link(base: str, extra: dict[str, str] | None = None) -> Any:
    def link(likelihood: int, impact: int) -> str:
        query: dict[str, Any] = {**(extra or {}), "likelihood": likelihood, "impact": impact}
        return f"{base}?{urlencode(query)}"

    return link


@perm_required(Perm.VIEW)
def portfolio(request: HttpRequest) -> HttpResponseBase:
    """The whole register, its heat map and how many deployments sit in each tier."""
    risks = selectors.risks_for(request.user)
    url = reverse("risk:portfolio")
    svg = heat_map_svg(
        selectors.heat_map_counts(risks),
        title="Residual risk, all deployments",
        chart_id="portfolio-heat-map",
        link=_cell_link(url),
    )
    counts = selectors.tier_counts(request.user)
    tiles = [
        {"key": tier.value, "label": tier.label, "count": counts.get(tier.value, 0)}
        for tier in Tier
    ]
    return list_page(
        request,
        queryset=risks,
        template="risk/portfolio.html",
        filterset_class=RiskFilter,
        sort_fields=REGISTER_SORT,
        default_sort="-residual",
        csv_columns=REGISTER_CSV,
        csv_name="risk-register.csv",
        context={
            "heat_map": svg,
            "tiles": tiles,
            "stale_count": counts.get("stale", 0),
            "unassessed_count": counts.get("unassessed", 0),
        },
    )


TIERS_CSV = [
    ("deployment_id", lambda d: d.pk),
    ("system", lambda d: d.model_version.system.name),
    ("version", lambda d: d.model_version.version_label),
    ("environment", lambda d: d.environment),
    ("status", lambda d: d.status),
    ("tier", lambda d: d.risk_tier or ""),
    ("impact_level", lambda d: d.risk_level or ""),
    ("eu_class", lambda d: d.risk_eu_class or ""),
    ("assessed_at", lambda d: d.risk_submitted_at.isoformat() if d.risk_submitted_at else ""),
    ("stale", lambda d: _is_stale(d)),
]


def _is_stale(deployment: Any) -> bool:
    if not deployment.risk_assessment_id:
        return False
    return (
        bool(deployment.risk_marked_stale) or deployment.fingerprint != deployment.risk_fingerprint
    )


@perm_required(Perm.VIEW)
def tiers(request: HttpRequest) -> HttpResponseBase:
    """Live deployments with their current tier, impact level and EU class."""
    queryset = selectors.deployments_with_tiers(request.user).exclude(
        status=DeploymentStatus.RETIRED
    )
    tier = request.GET.get("tier", "")
    # risk_tier is an annotation from the selector, so the filters name it by string.
    if tier == "none":
        queryset = queryset.filter(**{"risk_tier__isnull": True})
    elif tier in Tier.values:
        queryset = queryset.filter(**{"risk_tier": tier})
    else:
        tier = ""
    return list_page(
        request,
        queryset=queryset,
        template="risk/tiers.html",
        sort_fields={
            "system": "model_version__system__name",
            "environment": "environment",
            "tier": "risk_tier",
            "assessed": "risk_submitted_at",
        },
        default_sort="system",
        csv_columns=TIERS_CSV,
        csv_name="risk-tiers.csv",
        context={"tier": tier, "tier_choices": [*Tier.choices, ("none", "Not assessed")]},
    )


@perm_required(Perm.VIEW)
def deployment_risk(request: HttpRequest, pk: Any) -> HttpResponse:
    """The Risk tab: current assessment, drafts, history, register and heat map."""
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    assessments = list(selectors.deployment_assessments(request.user, deployment)[:50])
    current = next(
        (a for a in assessments if a.status == AssessmentStatus.SUBMITTED and not _superseded(a)),
        None,
    )
    risks = list(
        selectors.risks_for(request.user)
        .filter(deployment=deployment)
        .order_by("status", "-residual_score", "-created_at")
    )
    counts: dict[tuple[int, int], int] = {}
    for risk in risks:
        if risk.status != "closed":
            key = (risk.residual_likelihood, risk.residual_impact)
            counts[key] = counts.get(key, 0) + 1
    context = deployment_context(request, deployment, "risk")
    can_assess = (
        can(request.user, Perm.RISK_ASSESS) and deployment.status != DeploymentStatus.RETIRED
    )
    context.update(
        current=current,
        drafts=[a for a in assessments if a.status == AssessmentStatus.DRAFT],
        history=[a for a in assessments if a.status == AssessmentStatus.SUBMITTED],
        risks=risks,
        heat_map=heat_map_svg(
            counts,
            title="Residual risk of this deployment",
            chart_id="deployment-heat-map",
            link=_cell_link(reverse("risk:portfolio"), {"deployment": str(deployment.pk)}),
        ),
        start_form=(
            StartAssessmentForm(methodologies=selectors.impact_methodologies(request.user))
            if can_assess
            else None
        ),
        can_edit_register=can(request.user, Perm.RISK_REGISTER_EDIT)
        and deployment.status != DeploymentStatus.RETIRED,
    )
    return render(request, "risk/deployment_risk.html", context)


def _superseded(assessment: Any) -> bool:
    try:
        assessment.superseded_by  # noqa: B018 - loaded by select_related
    except type(assessment).DoesNotExist:
        return False
    return True


METHODOLOGY_CSV = [
    ("slug", lambda m: m.slug),
    ("version", lambda m: m.version),
    ("kind", lambda m: m.kind),
    ("title", lambda m: m.title),
    ("sha256", lambda m: m.sha256),
    ("loaded_at", lambda m: m.created_at.isoformat()),
]


@perm_required(Perm.VIEW)
def methodology_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        # The list shows neither the file's text nor its parsed definition.
        queryset=selectors.methodologies_for(request.user).defer("source", "definition"),
        template="risk/methodology_list.html",
        filterset_class=MethodologyFilter,
        sort_fields={"slug": "slug", "kind": "kind", "loaded": "created_at"},
        default_sort="slug",
        csv_columns=METHODOLOGY_CSV,
        csv_name="risk-methodologies.csv",
    )


@perm_required(Perm.VIEW)
def methodology_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    methodology = get_object_or_404(selectors.methodologies_for(request.user), pk=pk)
    spec = methodology.spec
    sections = [
        {"title": section, "questions": [q for q in spec.questions if q.section == section]}
        for section in spec.sections
    ]
    return render(
        request,
        "risk/methodology_detail.html",
        {"methodology": methodology, "spec": spec, "sections": sections},
    )
