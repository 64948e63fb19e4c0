"""Writes to risk assessments: drafts, submission (immutable afterwards), staleness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from governance.core.errors import Conflict, InvalidInput
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append, ledger_write_lock
from governance.risk.methodology import KIND_IMPACT, PREFILL_SOURCES, Spec
from governance.risk.models import (
    ASSESSMENT_TRANSITIONS,
    AssessmentStatus,
    Methodology,
    RiskAssessment,
    StaleMark,
)
from governance.risk.scoring import Answers, Evaluation, carry_over, clean_answers, evaluate
from governance.risk.signals import assessment_submitted


def specs_of(methodology: Methodology) -> tuple[Spec, Spec | None]:
    eu = methodology.eu_classification
    return methodology.spec, (eu.spec if eu is not None else None)


def evaluate_answers(methodology: Methodology, answers: Mapping[str, Any]) -> Evaluation:
    """Score and classify (partial) answers without saving anything: the live preview."""
    impact, eu = specs_of(methodology)
    cleaned = clean_answers(
        [s for s in (impact, eu) if s is not None], dict(answers), complete=False
    )
    return evaluate(impact, eu, cleaned)


def inventory_facts(methodology: Methodology, deployment: Deployment) -> dict[str, str]:
    """The inventory values behind the methodology's pre-filled questions."""
    facts: dict[str, str] = {}
    for spec in specs_of(methodology):
        for question in spec.questions if spec else ():
            if question.prefill:
                facts[question.prefill] = PREFILL_SOURCES[question.prefill].read(deployment)
    return facts


def _prefilled(methodology: Methodology, facts: Mapping[str, str], answers: Answers) -> Answers:
    filled = dict(answers)
    for spec in specs_of(methodology):
        for question in spec.questions if spec else ():
            if question.prefill and question.id not in filled:
                filled[question.id] = facts[question.prefill]
    return filled


def _apply(assessment: RiskAssessment, answers: Answers, evaluation: Evaluation) -> None:
    impact = evaluation.impact
    assessment.answers = answers
    assessment.raw_score = impact.raw_score
    assessment.max_raw_score = impact.max_raw_score
    assessment.mitigation_score = impact.mitigation_score
    assessment.max_mitigation_score = impact.max_mitigation_score
    assessment.deduction_applied = impact.deduction_applied
    assessment.score = impact.score
    assessment.score_pct = impact.score_pct
    assessment.level = impact.level
    assessment.breakdown = [section.as_dict() for section in impact.sections]
    classification = evaluation.classification
    assessment.eu_class = classification.eu_class if classification else ""
    assessment.eu_rule = classification.rule if classification else ""
    assessment.rationale = classification.rationale if classification else ""
    assessment.tier = evaluation.tier


def outputs(assessment: RiskAssessment) -> dict[str, Any]:
    """Every computed figure of an assessment, as the ledger and the API record them."""
    return {
        "raw_score": assessment.raw_score,
        "max_raw_score": assessment.max_raw_score,
        "mitigation_score": assessment.mitigation_score,
        "max_mitigation_score": assessment.max_mitigation_score,
        "deduction_applied": assessment.deduction_applied,
        "score": assessment.score,
        "score_pct": str(assessment.score_pct),
        "level": assessment.level,
        "eu_class": assessment.eu_class,
        "eu_rule": assessment.eu_rule,
        "rationale": assessment.rationale,
        "tier": assessment.tier,
    }


def _methodology_record(methodology: Methodology | None) -> dict[str, str] | None:
    if methodology is None:
        return None
    return {"slug": methodology.slug, "version": methodology.version, "sha256": methodology.sha256}


def _check_deployment_open(deployment: Deployment) -> None:
    if deployment.status == DeploymentStatus.RETIRED:
        raise Conflict(
            "The deployment is retired; it is no longer assessed.",
            fields={"deployment": "retired"},
        )


def carry_over_source(deployment: Deployment, methodology: Methodology) -> RiskAssessment | None:
    """The deployment's latest submitted assessment with the same methodology slug, if any."""
    return (
        RiskAssessment.objects.filter(
            deployment_id=deployment.pk,
            status=AssessmentStatus.SUBMITTED,
            methodology__slug=methodology.slug,
        )
        .select_related("methodology__eu_classification")
        .order_by("-submitted_at")
        .first()
    )


def _carried(
    methodology: Methodology, previous: RiskAssessment, facts: Mapping[str, str]
) -> tuple[Answers, list[str]]:
    impact, eu = specs_of(methodology)
    carried, dropped = carry_over([s for s in (impact, eu) if s is not None], previous.answers)
    earlier_facts = previous.inventory_facts or {}
    for spec in (impact, eu):
        for question in spec.questions if spec else ():
            # The inventory moved on since the earlier answer: its current value is the better
            # starting point for a question it answers.
            if question.prefill and earlier_facts.get(question.prefill) != facts[question.prefill]:
                carried.pop(question.id, None)
    return carried, dropped


def _carry_record(previous: RiskAssessment | None) -> dict[str, Any] | None:
    if previous is None:
        return None
    return {
        "assessment": str(previous.pk),
        "submitted_at": previous.submitted_at.isoformat() if previous.submitted_at else None,
        "methodology": _methodology_record(previous.methodology),
    }


def risk_assessment_create(
    *,
    deployment: Deployment,
    methodology: Methodology,
    actor: Any,
    answers: Any = None,
    submit: bool = False,
    start_blank: bool = False,
) -> RiskAssessment:
    """Start an assessment of a deployment with an impact methodology (and its EU questionnaire).

    A re-assessment starts from the answers of the deployment's latest submitted assessment
    with the same methodology slug (unless `start_blank`): only answers whose question and
    options still exist in this version carry over, their ids are kept in `carried_over`
    until someone changes or confirms them, and the ledger event names the source.
    Given answers win over carried ones. Questions the inventory can answer (Annex III area,
    profiling) start from the inventory's values when nothing else answers them. With
    `submit=True` the assessment is submitted in the same transaction, so a refused
    submission leaves nothing behind.
    """
    if methodology.kind != KIND_IMPACT:
        raise InvalidInput(
            f"{methodology} is an EU AI Act questionnaire; start from an impact methodology, "
            "which includes it.",
            fields={"methodology": "not an impact methodology"},
        )
    _check_deployment_open(deployment)
    impact, eu = specs_of(methodology)
    specs = [s for s in (impact, eu) if s is not None]
    given = {} if answers is None else answers
    cleaned = clean_answers(specs, given, complete=False)
    facts = inventory_facts(methodology, deployment)
    previous = None if start_blank else carry_over_source(deployment, methodology)
    carried, dropped = _carried(methodology, previous, facts) if previous else ({}, [])
    # A question named in the given answers (even as null) is the caller's, never carried.
    carried = {qid: value for qid, value in carried.items() if qid not in given}
    cleaned = _prefilled(methodology, facts, {**carried, **cleaned})
    if submit:
        clean_answers(specs, cleaned, complete=True)
    assessment = RiskAssessment(
        deployment=deployment,
        methodology=methodology,
        eu_methodology=methodology.eu_classification,
        created_by=actor,
        inventory_facts=facts,
        carried_over_from=previous,
        carried_over=sorted(carried),
    )
    _apply(assessment, cleaned, evaluate(impact, eu, cleaned))
    with transaction.atomic():
        assessment.save()
        ledger_append(
            actor=actor,
            action="risk_assessment.created",
            subject=assessment,
            deployment_id=deployment.pk,
            data={
                "methodology": _methodology_record(methodology),
                "eu_methodology": _methodology_record(methodology.eu_classification),
                "answers": cleaned,
                "carried_over_from": _carry_record(previous),
                "carried_over": sorted(carried),
                "not_carried_over": dropped,
            },
        )
        if submit:
            assessment = risk_assessment_submit(assessment=assessment, actor=actor)
    return assessment


def _locked_draft(assessment: RiskAssessment) -> RiskAssessment:
    # Lock only the assessment row: PostgreSQL cannot lock the nullable side of the outer join
    # to the optional EU questionnaire, and the related rows are immutable or locked elsewhere.
    locked = (
        RiskAssessment.objects.select_for_update(of=("self",))
        .select_related("methodology__eu_classification", "deployment__model_version__system")
        .get(pk=assessment.pk)
    )
    # Only a status with a way out can change; a submitted assessment has none.
    if not any(frm == locked.status for frm, _ in ASSESSMENT_TRANSITIONS):
        when = locked.submitted_at.strftime("%Y-%m-%d %H:%M UTC") if locked.submitted_at else ""
        raise Conflict(
            f"This assessment was submitted {when} and can no longer change. "
            "Start a new assessment to record a different outcome.",
            fields={"status": locked.status},
        )
    return locked


def _checked_confirm(specs: list[Spec], confirm: Any) -> set[str]:
    known = {q.id for spec in specs for q in spec.questions}
    if not isinstance(confirm, list | tuple | set) or not all(isinstance(q, str) for q in confirm):
        raise InvalidInput(
            "Confirm takes a list of question ids.", fields={"confirm": "expected a list of ids"}
        )
    unknown = sorted(set(confirm) - known)
    if unknown:
        raise InvalidInput(
            f"Unknown question {unknown[0]!r} to confirm.",
            fields={"confirm": [f"Unknown question {qid!r}." for qid in unknown]},
        )
    return set(confirm)


def risk_assessment_update(
    *,
    assessment: RiskAssessment,
    actor: Any,
    answers: Any,
    replace: bool = False,
    confirm: Any = (),
) -> RiskAssessment:
    """Change a draft's answers (merged into the saved ones unless `replace`) and re-score it.

    A carried-over answer loses its mark when it changes or when its question id is in
    `confirm` (the person looked at it and it still holds).
    """
    with transaction.atomic():
        locked = _locked_draft(assessment)
        impact, eu = specs_of(locked.methodology)
        specs = [s for s in (impact, eu) if s is not None]
        incoming = clean_answers(specs, answers, complete=False)
        confirmed = _checked_confirm(specs, confirm)
        if replace:
            merged = dict(incoming)
        else:
            merged = dict(locked.answers)
            merged.update(incoming)
            # An explicit null clears an answer.
            for qid, value in (answers or {}).items():
                if value is None:
                    merged.pop(qid, None)
        before = dict(locked.answers)
        marked = list(locked.carried_over or [])
        still_marked = [
            qid for qid in marked if qid not in confirmed and merged.get(qid) == before.get(qid)
        ]
        if merged == before and still_marked == marked:
            return locked
        _apply(locked, merged, evaluate(impact, eu, merged))
        locked.inventory_facts = inventory_facts(locked.methodology, locked.deployment)
        locked.carried_over = still_marked
        locked.save()
        changed = sorted(set(before) | set(merged))
        ledger_append(
            actor=actor,
            action="risk_assessment.updated",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "answers": {
                    qid: {"before": before.get(qid), "after": merged.get(qid)}
                    for qid in changed
                    if before.get(qid) != merged.get(qid)
                },
                "confirmed": sorted(
                    qid for qid in marked if qid in confirmed and merged.get(qid) == before.get(qid)
                ),
                "carried_over": still_marked,
                "tier": locked.tier,
            },
        )
    return locked


def _current_submitted(deployment_id: Any) -> QuerySet[RiskAssessment]:
    # NOT EXISTS rather than a join on the reverse one-to-one, so rows can be locked with
    # FOR UPDATE on PostgreSQL (which refuses to lock the nullable side of an outer join).
    newer = RiskAssessment.objects.filter(supersedes=OuterRef("pk"))
    return RiskAssessment.objects.filter(
        deployment_id=deployment_id, status=AssessmentStatus.SUBMITTED
    ).filter(~Exists(newer))


def risk_assessment_submit(*, assessment: RiskAssessment, actor: Any) -> RiskAssessment:
    """Submit a draft: every required question answered, figures recomputed and frozen.

    The new assessment supersedes the deployment's current one and records the deployment's
    fingerprint, so a later material change shows it as stale. Sends `assessment_submitted`
    inside the transaction.
    """
    with transaction.atomic():
        ledger_write_lock()
        deployment = Deployment.objects.select_for_update().get(pk=assessment.deployment_id)
        _check_deployment_open(deployment)
        locked = _locked_draft(assessment)
        impact, eu = specs_of(locked.methodology)
        specs = [s for s in (impact, eu) if s is not None]
        answers = clean_answers(specs, locked.answers, complete=True)
        previous = (
            _current_submitted(deployment.pk).select_for_update().order_by("-submitted_at").first()
        )
        _apply(locked, answers, evaluate(impact, eu, answers))
        locked.inventory_facts = inventory_facts(locked.methodology, locked.deployment)
        locked.status = AssessmentStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submitted_by = actor
        locked.fingerprint = deployment.fingerprint
        locked.supersedes = previous
        locked.save()
        ledger_append(
            actor=actor,
            action="risk_assessment.submitted",
            subject=locked,
            deployment_id=deployment.pk,
            data={
                "methodology": _methodology_record(locked.methodology),
                "eu_methodology": _methodology_record(locked.eu_methodology),
                "answers": answers,
                "inventory_facts": locked.inventory_facts,
                "outputs": outputs(locked),
                "fingerprint": locked.fingerprint,
                "supersedes": str(previous.pk) if previous else None,
                "previous_tier": previous.tier if previous else None,
                # Answers submitted as carried over, never changed or confirmed by anyone.
                "carried_over": list(locked.carried_over or []),
                "carried_over_from": (
                    str(locked.carried_over_from_id) if locked.carried_over_from_id else None
                ),
            },
        )
        assessment_submitted.send(
            sender=RiskAssessment, assessment=locked, previous=previous, actor=actor
        )
    return locked


def risk_assessment_discard(*, assessment: RiskAssessment, actor: Any) -> None:
    """Delete a draft that will not be submitted; submitted assessments are kept forever."""
    with transaction.atomic():
        locked = _locked_draft(assessment)
        data = {"methodology": _methodology_record(locked.methodology), "answers": locked.answers}
        pk = locked.pk
        locked.delete()
        locked.pk = pk  # Django clears the key on delete; the event still names the draft.
        ledger_append(
            actor=actor,
            action="risk_assessment.discarded",
            subject=locked,
            deployment_id=locked.deployment_id,
            data=data,
        )


def risk_assessment_mark_stale(
    *, deployment: Deployment, before: str, after: str, actor: Any
) -> StaleMark | None:
    """Mark the deployment's current assessment stale after its fingerprint changed.

    Called from the inventory's `deployment_material_change` signal, inside its transaction.
    Nothing happens when there is no submitted assessment or it is already marked.
    """
    with transaction.atomic():
        current = (
            _current_submitted(deployment.pk).select_for_update().order_by("-submitted_at").first()
        )
        if current is None or StaleMark.objects.filter(assessment=current).exists():
            return None
        mark = StaleMark.objects.create(
            assessment=current,
            fingerprint_before=before,
            fingerprint_after=after,
            marked_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        ledger_append(
            actor=actor,
            action="risk_assessment.marked_stale",
            subject=current,
            deployment_id=deployment.pk,
            data={
                "fingerprint_before": before,
                "fingerprint_after": after,
                "assessment_fingerprint": current.fingerprint,
                "tier": current.tier,
            },
        )
    return mark
