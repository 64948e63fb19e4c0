"""Reads for the risk pages, the API and other rooms, with the viewer's permission applied."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery

from governance.accounts.permissions import Perm, can
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.risk.methodology import KIND_IMPACT, Question, Spec
from governance.risk.models import (
    AssessmentStatus,
    Methodology,
    Risk,
    RiskAcceptance,
    RiskAssessment,
    RiskStatus,
    StaleMark,
    StatutoryAssessment,
)
from governance.risk.tiers import Tier

ASSESSMENT_RELATED = (
    "methodology__eu_classification",
    "eu_methodology",
    "deployment__model_version__system",
    "stale_mark",
    "created_by",
    "submitted_by",
    "supersedes",
)


HEAVY_METHODOLOGY_FIELDS = tuple(
    f"{relation}__{field}"
    for relation in ("methodology", "methodology__eu_classification", "eu_methodology")
    for field in ("source", "definition")
)


def _current_filter() -> Q:
    return Q(status=AssessmentStatus.SUBMITTED, superseded_by__isnull=True)


def current_assessment(deployment: Any) -> RiskAssessment | None:
    """The deployment's latest submitted, non-superseded assessment (one query), or None.

    The result carries `.tier`, `.level`, `.eu_class`, `.is_stale`, `.stale_since`,
    `.submitted_at` and `.methodology` (slug, version, sha256).
    """
    return (
        RiskAssessment.objects.filter(_current_filter(), deployment_id=deployment.pk)
        .select_related(*ASSESSMENT_RELATED)
        # The gate asks on every deploy: leave the methodology files' text behind.
        .defer(*HEAVY_METHODOLOGY_FIELDS)
        .order_by("-submitted_at")
        .first()
    )


def current_assessments(deployment_ids: Iterable[Any]) -> dict[Any, RiskAssessment]:
    """Current assessments of many deployments, keyed by deployment id, in one query."""
    ids = list(deployment_ids)
    if not ids:
        return {}
    rows = (
        RiskAssessment.objects.filter(_current_filter(), deployment_id__in=ids)
        .select_related(*ASSESSMENT_RELATED)
        .defer(*HEAVY_METHODOLOGY_FIELDS)
        .order_by("submitted_at")
    )
    # Ordered oldest first, so a (theoretical) second current row would be replaced by the newer.
    return {row.deployment_id: row for row in rows}


def methodologies_for(user: Any) -> QuerySet[Methodology]:
    if not can(user, Perm.VIEW):
        return Methodology.objects.none()
    return Methodology.objects.select_related("eu_classification", "loaded_by")


def impact_methodologies(user: Any) -> QuerySet[Methodology]:
    return methodologies_for(user).filter(kind=KIND_IMPACT).order_by("slug", "-created_at")


def methodology_by_version(user: Any, slug: str, version: str) -> Methodology | None:
    return methodologies_for(user).filter(slug=slug, version=version).first()


def assessments_for(user: Any) -> QuerySet[RiskAssessment]:
    if not can(user, Perm.VIEW):
        return RiskAssessment.objects.none()
    return RiskAssessment.objects.select_related(
        *ASSESSMENT_RELATED, "superseded_by", "carried_over_from"
    )


def deployment_assessments(user: Any, deployment: Any) -> QuerySet[RiskAssessment]:
    return assessments_for(user).filter(deployment=deployment).order_by("-created_at")


def risks_for(user: Any) -> QuerySet[Risk]:
    if not can(user, Perm.VIEW):
        return Risk.objects.none()
    return Risk.objects.select_related("deployment__model_version__system", "owner")


def acceptances_of(risk: Risk) -> QuerySet[RiskAcceptance]:
    return RiskAcceptance.objects.filter(risk=risk).select_related("accepted_by")


HeatCounts = dict[tuple[int, int], int]


def heat_map_counts(risks: QuerySet[Risk], *, basis: str = "residual") -> HeatCounts:
    """Open and accepted risks counted by (likelihood, impact), one grouped query."""
    if basis not in ("residual", "inherent"):
        raise ValueError("basis must be residual or inherent")
    likelihood, impact = f"{basis}_likelihood", f"{basis}_impact"
    rows = (
        risks.exclude(status=RiskStatus.CLOSED)
        .order_by()
        .values(likelihood, impact)
        .annotate(n=Count("id"))
    )
    return {(row[likelihood], row[impact]): row["n"] for row in rows}


def _current_subquery(field: str) -> Subquery:
    rows = RiskAssessment.objects.filter(_current_filter(), deployment_id=OuterRef("pk")).order_by(
        "-submitted_at"
    )
    return Subquery(rows.values(field)[:1])


def deployments_with_tiers(user: Any) -> QuerySet[Deployment]:
    """Deployments annotated with their current assessment's figures, for lists and filters."""
    from governance.inventory.selectors import deployments_for

    marked = StaleMark.objects.filter(assessment_id=OuterRef("risk_assessment_id"))
    return (
        deployments_for(user)
        .annotate(
            risk_assessment_id=_current_subquery("pk"),
            risk_tier=_current_subquery("tier"),
            risk_level=_current_subquery("level"),
            risk_eu_class=_current_subquery("eu_class"),
            risk_submitted_at=_current_subquery("submitted_at"),
            risk_fingerprint=_current_subquery("fingerprint"),
        )
        .annotate(risk_marked_stale=Exists(marked))
    )


def tier_counts(user: Any) -> dict[str, int]:
    """How many live (not retired) deployments sit in each tier, plus unassessed and stale."""
    if not can(user, Perm.VIEW):
        return {}
    current = RiskAssessment.objects.filter(_current_filter()).exclude(
        deployment__status=DeploymentStatus.RETIRED
    )
    counts = dict.fromkeys(Tier.values, 0)
    for row in current.order_by().values("tier").annotate(n=Count("id")):
        counts[row["tier"]] = row["n"]
    counts["stale"] = (
        current.filter(Q(stale_mark__isnull=False) | ~Q(fingerprint=F("deployment__fingerprint")))
        .distinct()
        .count()
    )
    live = Deployment.objects.exclude(status=DeploymentStatus.RETIRED)
    counts["unassessed"] = live.exclude(
        Exists(RiskAssessment.objects.filter(_current_filter(), deployment_id=OuterRef("pk")))
    ).count()
    return counts


def assessment_by_id(pk: Any) -> RiskAssessment | None:
    return (
        RiskAssessment.objects.filter(pk=pk)
        .select_related(*ASSESSMENT_RELATED)
        .select_related("submitted_by")
        .first()
    )


def answer_sections(assessment: RiskAssessment) -> list[dict[str, Any]]:
    """Every question with the chosen options and their points, grouped by section."""
    from governance.risk.services.assessments import specs_of

    sections: list[dict[str, Any]] = []
    facts = assessment.inventory_facts or {}
    carried = set(assessment.carried_over or [])
    for spec in specs_of(assessment.methodology):
        if spec is None:
            continue
        for section in spec.sections:
            rows = [
                _answer_row(spec, q, assessment.answers.get(q.id), facts)
                | {"carried_over": q.id in carried}
                for q in spec.questions
                if q.section == section
            ]
            # Sections come in wizard order, so the position is the step that asks them.
            sections.append(
                {
                    "title": section,
                    "rows": rows,
                    "scored": spec.kind == "impact",
                    "step": len(sections) + 1,
                }
            )
    return sections


def _answer_row(
    spec: Spec, question: Question, answer: Any, facts: dict[str, Any]
) -> dict[str, Any]:
    chosen = [answer] if isinstance(answer, str) else list(answer or [])
    options = [question.option_map[c] for c in chosen if c in question.option_map]
    fact = facts.get(question.prefill) if question.prefill else None
    return {
        "question": question,
        "answered": answer is not None,
        "labels": [o.label for o in options],
        "points": sum(o.points for o in options) if spec.kind == "impact" else None,
        "max_points": question.max_points if spec.kind == "impact" else None,
        "inventory_value": fact,
        "differs": fact is not None and answer is not None and answer != fact,
    }


# --- Assessments the law names (FRIA, DPIA) ---------------------------------------------

STATUTORY_RELATED = (
    "methodology",
    "deployment__model_version__system",
    "created_by",
    "submitted_by",
    "signed_by",
    "supersedes",
    "superseded_by",
)


def statutory_for(user: Any) -> QuerySet[StatutoryAssessment]:
    if not can(user, Perm.VIEW):
        return StatutoryAssessment.objects.none()
    return StatutoryAssessment.objects.select_related(*STATUTORY_RELATED)


def deployment_statutory(user: Any, deployment: Any) -> QuerySet[StatutoryAssessment]:
    """Every version of the deployment's FRIA and DPIA, newest first within each kind."""
    return statutory_for(user).filter(deployment=deployment).order_by("kind", "-version")


def statutory_sections(assessment: StatutoryAssessment) -> list[dict[str, Any]]:
    """The questions by section with the answer as people read it (option labels, text)."""
    spec = assessment.methodology.spec
    sections = []
    for title in spec.sections:
        rows = []
        for question in (q for q in spec.questions if q.section == title):
            answer = assessment.answers.get(question.id)
            if question.is_text or answer is None:
                shown = [answer] if answer else []
            else:
                chosen = [answer] if isinstance(answer, str) else list(answer)
                shown = [question.option_map[c].label for c in chosen if c in question.option_map]
            rows.append(
                {
                    "id": question.id,
                    "reference": question.reference,
                    "question": question.text,
                    "required": question.required,
                    "text": question.is_text,
                    "answer": shown,
                }
            )
        sections.append({"title": title, "rows": rows})
    return sections
