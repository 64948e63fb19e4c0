"""Pages of the assessments the law names: the Art 27 FRIA and the GDPR Art 35 DPIA.

From the deployment's Risk tab: each kind's signed, open and earlier versions; a version's
answers, filled in on one page; submit for sign-off; sign with the password; send back to
draft; discard a draft.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, can, perm_required
from governance.core.errors import DomainError
from governance.core.views import save_form
from governance.inventory.choices import DeploymentStatus
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.risk import selectors
from governance.risk.forms import (
    AnswersForm,
    StartStatutoryForm,
    StatutoryReopenForm,
    StatutorySignForm,
)
from governance.risk.models import StatutoryAssessment, StatutoryKind, StatutoryStatus
from governance.risk.services import statutory as services

# Why each assessment is owed, shown above its versions.
WHY = {
    StatutoryKind.FRIA: (
        "EU AI Act Art 27: before first use, by deployers of high-risk systems that are public "
        "bodies or provide public services, and by deployers of systems under Annex III 5(b) "
        "(credit scoring) and 5(c) (life and health insurance pricing)."
    ),
    StatutoryKind.DPIA: (
        "GDPR Art 35: before processing likely to result in a high risk to people's rights and "
        "freedoms; EU AI Act Art 26(9) asks deployers to use the provider's information for it."
    ),
}


def _assessment(request: HttpRequest, pk: Any) -> StatutoryAssessment:
    return get_object_or_404(selectors.statutory_for(request.user), pk=pk)


@perm_required(Perm.VIEW)
def statutory_list(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    versions = list(selectors.deployment_statutory(request.user, deployment))
    kinds = []
    for kind in StatutoryKind:
        mine = [v for v in versions if v.kind == kind]
        kinds.append(
            {
                "kind": kind,
                "label": kind.label,
                "why": WHY[kind],
                "current": next(
                    (v for v in mine if v.is_signed and not hasattr(v, "superseded_by")), None
                ),
                "open": next((v for v in mine if not v.is_signed), None),
                "versions": mine,
            }
        )
    context = deployment_context(request, deployment, "risk")
    context.update(
        kinds=kinds,
        can_start=can(request.user, Perm.RISK_ASSESS)
        and deployment.status != DeploymentStatus.RETIRED,
    )
    return render(request, "risk/statutory_list.html", context)


@perm_required(Perm.RISK_ASSESS)
@require_POST
def statutory_start(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    form = StartStatutoryForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose which assessment to start.")
        return redirect("risk:statutory_list", pk=deployment.pk)
    try:
        draft = services.statutory_assessment_start(
            deployment=deployment, kind=form.cleaned_data["kind"], actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("risk:statutory_list", pk=deployment.pk)
    return redirect("risk:statutory_edit", pk=draft.pk)


def _detail_context(request: HttpRequest, assessment: StatutoryAssessment) -> dict[str, Any]:
    context = deployment_context(request, assessment.deployment, "risk")
    context.update(
        assessment=assessment,
        sections=selectors.statutory_sections(assessment),
        meaning=(
            services.signature_meaning(assessment)
            if assessment.status == StatutoryStatus.SUBMITTED
            else ""
        ),
        can_edit=can(request.user, Perm.RISK_ASSESS),
        can_sign=can(request.user, Perm.APPROVAL_SIGN),
    )
    context.setdefault(
        "sign_form", StatutorySignForm(initial={"answers_sha256": assessment.answers_sha256})
    )
    context.setdefault("reopen_form", StatutoryReopenForm())
    return context


@perm_required(Perm.VIEW)
def statutory_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    return render(request, "risk/statutory_detail.html", _detail_context(request, assessment))


@perm_required(Perm.RISK_ASSESS)
def statutory_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    if not assessment.is_draft:
        if request.method == "POST":
            context = _detail_context(request, assessment)
            context["error"] = (
                f"Version {assessment.version} is {assessment.get_status_display().lower()}; "
                "its answers no longer change."
            )
            return render(request, "risk/statutory_detail.html", context, status=409)
        return redirect("risk:statutory_detail", pk=assessment.pk)
    questions = list(assessment.methodology.spec.questions)
    form = AnswersForm(request.POST or None, questions=questions, answers=assessment.answers)
    if request.method == "POST":
        saved = save_form(
            form,
            lambda _: services.statutory_assessment_update(
                assessment=assessment, actor=request.user, answers=form.step_answers()
            ),
        )
        if saved is not None:
            messages.success(request, "Answers saved.")
            if request.POST.get("go") == "submit":
                return _submit(request, saved)
            return redirect("risk:statutory_edit", pk=assessment.pk)
    context = deployment_context(request, assessment.deployment, "risk")
    sections: dict[str, list[Any]] = {}
    for row in form.rows():
        sections.setdefault(row["question"].section, []).append(row)
    context.update(assessment=assessment, form=form, sections=sections)
    status = 400 if request.method == "POST" else 200
    return render(request, "risk/statutory_edit.html", context, status=status)


def _submit(request: HttpRequest, assessment: StatutoryAssessment) -> HttpResponse:
    try:
        services.statutory_assessment_submit(assessment=assessment, actor=request.user)
    except DomainError as exc:
        problems = [str(message) for errors in exc.fields.values() for message in errors]
        messages.error(request, exc.message if len(problems) <= 1 else "; ".join(problems))
        return redirect("risk:statutory_edit", pk=assessment.pk)
    messages.success(request, "Submitted for sign-off; the answers are frozen.")
    return redirect("risk:statutory_detail", pk=assessment.pk)


@perm_required(Perm.RISK_ASSESS)
@require_POST
def statutory_submit(request: HttpRequest, pk: Any) -> HttpResponse:
    return _submit(request, _assessment(request, pk))


@perm_required(Perm.APPROVAL_SIGN)
@require_POST
def statutory_sign(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    form = StatutorySignForm(request.POST)
    signed = save_form(
        form,
        lambda data: services.statutory_assessment_sign(
            assessment=assessment,
            signer=request.user,
            password=data["password"],
            http_request=request,
            answers_sha256=data["answers_sha256"],
        ),
    )
    if signed is not None:
        messages.success(request, f"Signed. Version {signed.version} is now the current one.")
        return redirect("risk:statutory_detail", pk=assessment.pk)
    context = _detail_context(request, assessment)
    context["sign_form"] = form
    return render(request, "risk/statutory_detail.html", context, status=400)


@perm_required(Perm.RISK_ASSESS)
@require_POST
def statutory_reopen(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    form = StatutoryReopenForm(request.POST)
    reopened = save_form(
        form,
        lambda data: services.statutory_assessment_reopen(
            assessment=assessment, actor=request.user, reason=data["reason"]
        ),
    )
    if reopened is not None:
        messages.success(request, "Sent back to draft.")
        return redirect("risk:statutory_edit", pk=assessment.pk)
    context = _detail_context(request, assessment)
    context["reopen_form"] = form
    return render(request, "risk/statutory_detail.html", context, status=400)


@perm_required(Perm.RISK_ASSESS)
@require_POST
def statutory_discard(request: HttpRequest, pk: Any) -> HttpResponse:
    assessment = _assessment(request, pk)
    try:
        services.statutory_assessment_discard(assessment=assessment, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("risk:statutory_detail", pk=assessment.pk)
    messages.success(request, "Draft discarded.")
    return redirect("risk:statutory_list", pk=assessment.deployment_id)
