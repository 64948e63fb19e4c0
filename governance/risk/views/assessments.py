"""Assessment pages: start, the sectioned wizard with its live preview, submit, result."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, perm_required
from governance.core.errors import DomainError
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.risk import selectors, services
from governance.risk.forms import AnswersForm, StartAssessmentForm
from governance.risk.methodology import PREFILL_SOURCES, Question
from governance.risk.models import RiskAssessment
from governance.risk.scoring import Answer, Evaluation
from governance.risk.services.assessments import evaluate_answers, specs_of


def _assessment(request: HttpRequest, pk: Any) -> RiskAssessment:
    return get_object_or_404(selectors.assessments_for(request.user), pk=pk)


def _steps(assessment: RiskAssessment) -> list[tuple[str, list[Question]]]:
    """Wizard steps: the impact sections, then the EU questionnaire's sections."""
    steps: list[tuple[str, list[Question]]] = []
    for spec in specs_of(assessment.methodology):
        if spec is None:
            continue
        for section in spec.sections:
            steps.append((section, [q for q in spec.questions if q.section == section]))
    return steps


def _step_number(request: HttpRequest, count: int) -> int:
    try:
        number = int(request.GET.get("step") or request.POST.get("step") or 1)
    except ValueError:
        number = 1
    # One step past the last section is the review page.
    return min(max(number, 1), count + 1)


def _context(request: HttpRequest, assessment: RiskAssessment, tab: str = "risk") -> dict[str, Any]:
    context = deployment_context(request, assessment.deployment, tab)
    context["assessment"] = assessment
    return context


def _refuse_submitted(request: HttpRequest, assessment: RiskAssessment) -> HttpResponse:
    context = _context(request, assessment)
    context["message"] = (
        "This assessment was submitted and can no longer change. Start a new assessment to "
        "record a different outcome; it will supersede this one."
    )
    return render(request, "risk/assessment_locked.html", context, status=409)


@perm_required(Perm.RISK_ASSESS)
@require_POST
def assessment_start(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    form = StartAssessmentForm(
        request.POST, methodologies=selectors.impact_methodologies(request.user)
    )
    if not form.is_valid():
        messages.error(request, "Choose a methodology to start the assessment.")
        return redirect("risk:deployment_risk", pk=deployment.pk)
    try:
        draft = services.risk_assessment_create(
            deployment=deployment, methodology=form.cleaned_data["methodology"], actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("risk:deployment_risk", pk=deployment.pk)
    return redirect("risk:assessment_wizard", pk=draft.pk)


def _preview_context(assessment: RiskAssessment, answers: dict[str, Any]) -> dict[str, Any]:
    try:
        evaluation: Evaluation | None = evaluate_answers(assessment.methodology, answers)
        error = ""
    except DomainError as exc:
        evaluation, error = None, exc.message
    return {"evaluation": evaluation, "preview_error": error, "assessment": assessment}


def _merged(assessment: RiskAssessment, step: dict[str, Answer | None]) -> dict[str, Any]:
    merged: dict[str, Any] = dict(assessment.answers)
    for qid, value in step.items():
        if value is None:
            merged.pop(qid, None)
        else:
            merged[qid] = value
    return merged


@perm_required(Perm.RISK_ASSESS)
def assessment_wizard(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    if assessment.is_submitted:
        if request.method == "POST":
            return _refuse_submitted(request, assessment)
        messages.info(request, "This assessment is submitted; here is its result.")
        return redirect("risk:assessment_detail", pk=assessment.pk)
    steps = _steps(assessment)
    number = _step_number(request, len(steps))
    questions = steps[number - 1][1] if number <= len(steps) else []
    form = AnswersForm(request.POST or None, questions=questions, answers=assessment.answers)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.risk_assessment_update(
                    assessment=assessment, actor=request.user, answers=form.step_answers()
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                go = request.POST.get("go", "save")
                target = {"next": number + 1, "back": number - 1}.get(go, number)
                # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
                if re.fullmatch(r"step-[0-9]+", go):
                    target = int(go[5:])
                if go == "save":
                    messages.success(request, "Draft saved.")
                url = reverse("risk:assessment_wizard", kwargs={"pk": assessment.pk})
                return redirect(f"{url}?step={min(max(target, 1), len(steps) + 1)}")
        status = 400
        answers = _merged(assessment, {})
    else:
        answers = assessment.answers
    context = _context(request, assessment)
    context.update(
        steps=[
            {
                "number": i,
                "title": title,
                "answered": sum(q.id in answers for q in qs),
                "count": len(qs),
            }
            for i, (title, qs) in enumerate(steps, start=1)
        ],
        step=number,
        step_count=len(steps),
        review=number > len(steps),
        section=steps[number - 1][0] if number <= len(steps) else "Review and submit",
        form=form,
        rows=_rows(form, assessment),
        summary=selectors.answer_sections(assessment) if number > len(steps) else [],
        **_preview_context(assessment, answers),
    )
    return render(request, "risk/assessment_wizard.html", context, status=status)


def _rows(form: AnswersForm, assessment: RiskAssessment) -> list[dict[str, Any]]:
    facts = assessment.inventory_facts or {}
    rows = form.rows()
    for row in rows:
        question: Question = row["question"]
        row["prefill_label"] = PREFILL_SOURCES[question.prefill].label if question.prefill else ""
        row["prefill_value"] = facts.get(question.prefill, "") if question.prefill else ""
    return rows


@perm_required(Perm.RISK_ASSESS)
@require_POST
def assessment_preview(request: HttpRequest, pk: Any) -> HttpResponse:
    """The live score for the answers on screen, merged with the saved ones; saves nothing."""
    assessment = _assessment(request, pk)
    if assessment.is_submitted:
        return render(
            request, "risk/_preview.html", {"preview_error": "Submitted: nothing to preview."}
        )
    steps = _steps(assessment)
    number = _step_number(request, len(steps))
    questions = steps[number - 1][1] if number <= len(steps) else []
    form = AnswersForm(request.POST, questions=questions, answers=assessment.answers)
    if not form.is_valid():
        context = {
            "preview_error": "Some answers are not among the options.",
            "assessment": assessment,
        }
        return render(request, "risk/_preview.html", context)
    merged = _merged(assessment, form.step_answers())
    return render(request, "risk/_preview.html", _preview_context(assessment, merged))


@perm_required(Perm.RISK_ASSESS)
@require_POST
def assessment_submit(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    if assessment.is_submitted:
        return _refuse_submitted(request, assessment)
    try:
        submitted = services.risk_assessment_submit(assessment=assessment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        url = reverse("risk:assessment_wizard", kwargs={"pk": assessment.pk})
        return redirect(f"{url}?step={len(_steps(assessment)) + 1}")
    messages.success(request, f"Assessment submitted: tier {submitted.tier}.")
    return redirect("risk:assessment_detail", pk=submitted.pk)


@perm_required(Perm.RISK_ASSESS)
@require_POST
def assessment_discard(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    if assessment.is_submitted:
        return _refuse_submitted(request, assessment)
    deployment_pk = assessment.deployment_id
    services.risk_assessment_discard(assessment=assessment, actor=request.user)
    messages.success(request, "Draft discarded.")
    return redirect("risk:deployment_risk", pk=deployment_pk)


@perm_required(Perm.VIEW)
def assessment_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    context = _context(request, assessment)
    context.update(sections=selectors.answer_sections(assessment))
    return render(request, "risk/assessment_detail.html", context)
