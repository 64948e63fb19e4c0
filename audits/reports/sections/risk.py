"""The risk room's part of a report (Annex IV §5, the risk-management system of Art 9).

For a dossier: the current risk assessment with every answer, figure and the methodology
that produced them (slug, version, SHA-256 of the file), the earlier assessments, and the
risk register with its acceptances and heat maps. For the portfolio: every deployment by
risk tier and lifecycle state.

The heat maps are the risk room's own SVG (`governance.risk.charts.heat_map_svg`), drawn from
the counts frozen in the evidence and served to the renderer as generated images.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import Prefetch

from audits.reports.charts import horizontal_bar_chart
from audits.reports.sections import Section, SnapshotContext
from governance.core.canonical import format_timestamp
from governance.inventory.choices import DeploymentStatus
from governance.risk.charts import heat_map_svg
from governance.risk.methodology import Spec
from governance.risk.models import (
    AssessmentStatus,
    Methodology,
    RiskAcceptance,
    RiskAssessment,
    RiskCategory,
    RiskStatus,
    Treatment,
)
from governance.risk.selectors import deployment_assessments, deployments_with_tiers, risks_for
from governance.risk.tiers import EUClass, Tier, tier_rank

HEAT_RESIDUAL = "risk-heat-map-residual.svg"
HEAT_INHERENT = "risk-heat-map-inherent.svg"
TIER_CHART = "deployments-by-tier.svg"
UNASSESSED = "unassessed"
STATUS_ORDER = [RiskStatus.OPEN, RiskStatus.ACCEPTED, RiskStatus.CLOSED]


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.display_name}


def _time(value: Any) -> str | None:
    return format_timestamp(value) if value else None


def _methodology(methodology: Methodology | None) -> dict[str, Any] | None:
    if methodology is None:
        return None
    return {
        "slug": methodology.slug,
        "version": methodology.version,
        "title": methodology.title,
        "kind": methodology.kind,
        "sha256": methodology.sha256,
    }


def _answers(spec: Spec, answers: Mapping[str, Any], facts: Mapping[str, Any]) -> list[Any]:
    """Every question of one methodology with the chosen options, grouped by section."""
    scored = spec.kind == "impact"
    sections = []
    for title in spec.sections:
        rows = []
        for question in (q for q in spec.questions if q.section == title):
            answer = answers.get(question.id)
            chosen = [answer] if isinstance(answer, str) else list(answer or [])
            options = [question.option_map[c] for c in chosen if c in question.option_map]
            fact = facts.get(question.prefill) if question.prefill else None
            rows.append(
                {
                    "id": question.id,
                    "question": question.text,
                    "answered": answer is not None,
                    "answer": [o.label for o in options],
                    "points": sum(o.points for o in options) if scored else None,
                    "max_points": question.max_points if scored else None,
                    "inventory_value": fact,
                    "differs_from_inventory": fact is not None
                    and answer is not None
                    and answer != fact,
                }
            )
        sections.append({"title": title, "scored": scored, "rows": rows})
    return sections


def _assessment(assessment: RiskAssessment) -> dict[str, Any]:
    methodology = assessment.methodology
    eu = assessment.eu_methodology or methodology.eu_classification
    facts = assessment.inventory_facts or {}
    answer_sections = _answers(methodology.spec, assessment.answers, facts)
    if eu is not None:
        answer_sections += _answers(eu.spec, assessment.answers, facts)
    mark = getattr(assessment, "stale_mark", None)
    return {
        "id": str(assessment.pk),
        "status": assessment.status,
        "methodology": _methodology(methodology),
        "eu_methodology": _methodology(eu),
        "deduction": (
            {
                "threshold": str(methodology.spec.threshold),
                "factor": str(methodology.spec.factor),
            }
            if methodology.spec.threshold is not None
            else None
        ),
        "raw_score": assessment.raw_score,
        "max_raw_score": assessment.max_raw_score,
        "mitigation_score": assessment.mitigation_score,
        "max_mitigation_score": assessment.max_mitigation_score,
        "deduction_applied": assessment.deduction_applied,
        "score": assessment.score,
        "score_pct": str(assessment.score_pct),
        "level": assessment.level,
        "eu_class": assessment.eu_class,
        "eu_class_label": EUClass(assessment.eu_class).label if assessment.eu_class else "",
        "eu_rule": assessment.eu_rule,
        "rationale": assessment.rationale,
        "tier": assessment.tier,
        "tier_label": Tier(assessment.tier).label,
        "breakdown": assessment.breakdown,
        "answers": answer_sections,
        "fingerprint": assessment.fingerprint,
        "stale": assessment.is_stale,
        "stale_marked_at": _time(mark.created_at) if mark is not None else None,
        "started_by": _person(assessment.created_by),
        "started_at": _time(assessment.created_at),
        "submitted_by": _person(assessment.submitted_by),
        "submitted_at": _time(assessment.submitted_at),
        "supersedes": str(assessment.supersedes_id) if assessment.supersedes_id else None,
    }


def _earlier(assessment: RiskAssessment) -> dict[str, Any]:
    return {
        "id": str(assessment.pk),
        "methodology": f"{assessment.methodology.slug} v{assessment.methodology.version}",
        "methodology_sha256": assessment.methodology.sha256,
        "submitted_at": _time(assessment.submitted_at),
        "submitted_by": _person(assessment.submitted_by),
        "score": assessment.score,
        "score_pct": str(assessment.score_pct),
        "level": assessment.level,
        "eu_class": assessment.eu_class,
        "tier": assessment.tier,
    }


def _risk(risk: Any) -> dict[str, Any]:
    return {
        "id": str(risk.pk),
        "title": risk.title,
        "category": risk.category,
        "category_label": RiskCategory(risk.category).label,
        "description": risk.description,
        "inherent": {
            "likelihood": risk.inherent_likelihood,
            "impact": risk.inherent_impact,
            "score": risk.inherent_likelihood * risk.inherent_impact,
        },
        "treatment": risk.treatment,
        "treatment_label": Treatment(risk.treatment).label,
        "control": risk.control_description,
        "residual": {
            "likelihood": risk.residual_likelihood,
            "impact": risk.residual_impact,
            "score": risk.residual_likelihood * risk.residual_impact,
        },
        "owner": _person(risk.owner),
        "due_date": risk.due_date.isoformat() if risk.due_date else None,
        "status": risk.status,
        "status_label": RiskStatus(risk.status).label,
        "acceptances": [
            {
                "accepted_by": risk_acceptance.accepted_by_name,
                "accepted_at": _time(risk_acceptance.created_at),
                "residual_score": risk_acceptance.residual_score,
                "executive_required": risk_acceptance.executive_required,
                "rationale": risk_acceptance.rationale,
            }
            for risk_acceptance in risk.acceptances.all()
        ],
    }


def _heat_counts(risks: list[dict[str, Any]], basis: str) -> list[list[int]]:
    """Open and accepted risks by (likelihood, impact), as the risk register's heat map counts."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for risk in risks:
        if risk["status"] != RiskStatus.CLOSED:
            counts[(risk[basis]["likelihood"], risk[basis]["impact"])] += 1
    return [[lk, im, n] for (lk, im), n in sorted(counts.items())]


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    assessments = list(
        deployment_assessments(ctx.viewer, ctx.deployment).filter(status=AssessmentStatus.SUBMITTED)
    )
    current = next(
        (a for a in assessments if getattr(a, "superseded_by", None) is None),
        None,
    )
    acceptances = RiskAcceptance.objects.order_by("created_at")
    risks = [
        _risk(risk)
        for risk in risks_for(ctx.viewer)
        .filter(deployment=ctx.deployment.pk)
        .prefetch_related(Prefetch("acceptances", queryset=acceptances))
        .order_by("-residual_score", "title", "pk")
    ]
    # Open risks first, then accepted, then closed; the highest residual score first in each.
    risks.sort(key=lambda r: STATUS_ORDER.index(r["status"]))
    return {
        "current": _assessment(current) if current is not None else None,
        "earlier": [_earlier(a) for a in assessments if a is not current],
        "risks": risks,
        "heat_map": {
            "residual": _heat_counts(risks, "residual"),
            "inherent": _heat_counts(risks, "inherent"),
        },
        "open_count": sum(1 for r in risks if r["status"] != RiskStatus.CLOSED),
    }


def dossier_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    def chart(basis: str, title: str) -> bytes:
        counts = {(lk, im): n for lk, im, n in data["heat_map"][basis]}
        return str(heat_map_svg(counts, title=title, chart_id=f"heat-{basis}")).encode()

    return {
        HEAT_RESIDUAL: chart("residual", "Residual risk (after controls)"),
        HEAT_INHERENT: chart("inherent", "Inherent risk (before controls)"),
    }


# --- Portfolio --------------------------------------------------------------------------

TIER_ORDER = [*Tier.values, UNASSESSED]


def _tier_key(tier: str) -> int:
    return -tier_rank(tier) if tier != UNASSESSED else 0


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    """Every deployment with its current tier and state: one query whatever the portfolio."""
    # Annotated by the risk room (risk_tier, risk_eu_class, …): typed as Any for that.
    rows: Iterator[Any] = (
        deployments_with_tiers(ctx.viewer)
        .select_related(None)
        .select_related("model_version__system")
        .order_by("model_version__system__name", "model_version__version_label", "environment")
        .iterator(chunk_size=2000)
    )
    states = list(DeploymentStatus.values)
    matrix = {tier: dict.fromkeys(states, 0) for tier in TIER_ORDER}
    deployments = []
    for d in rows:
        tier: str = d.risk_tier or UNASSESSED
        matrix[tier][d.status] += 1
        stale = bool(d.risk_tier) and (d.risk_marked_stale or d.risk_fingerprint != d.fingerprint)
        deployments.append(
            {
                "id": str(d.pk),
                "system": d.model_version.system.name,
                "version": d.model_version.version_label,
                "environment": d.environment,
                "status": d.status,
                "status_label": DeploymentStatus(d.status).label,
                "tier": tier,
                "eu_class": d.risk_eu_class or "",
                "assessed_at": _time(d.risk_submitted_at),
                "stale": stale,
            }
        )
    deployments.sort(key=lambda row: _tier_key(row["tier"]))  # stable: names stay in order
    labels = {**dict(Tier.choices), UNASSESSED: "Not assessed"}
    return {
        "states": [[s, DeploymentStatus(s).label] for s in states],
        "tiers": [
            {
                "tier": tier,
                "label": labels[tier],
                "by_state": [matrix[tier][s] for s in states],
                "total": sum(matrix[tier].values()),
            }
            for tier in TIER_ORDER
        ],
        "stale_count": sum(1 for d in deployments if d["stale"]),
        "deployments": deployments,
    }


CHART_LABELS = {Tier.BLOCKED: "Blocked", UNASSESSED: "Not assessed"}


def portfolio_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    rows = [(CHART_LABELS.get(row["tier"], row["label"]), row["total"]) for row in data["tiers"]]
    return {TIER_CHART: horizontal_bar_chart(rows, title="Deployments by risk tier").encode()}


SECTION = Section(
    key="risk",
    title="Risk assessment and risk register",
    annex_iv=(5,),
    template="reports/sections/risk.html",
    build=build_dossier,
    images=dossier_images,
)

PORTFOLIO_SECTION = Section(
    key="risk",
    title="Every deployment by risk tier and state",
    annex_iv=(5,),
    template="reports/sections/risk_portfolio.html",
    build=build_portfolio,
    images=portfolio_images,
)
