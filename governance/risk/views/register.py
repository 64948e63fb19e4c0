"""Risk register pages: add, view, edit, accept, close, reopen, delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, can, perm_required
from governance.core.errors import DomainError
from governance.core.views import save_form
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.ledger.describe import describe_events
from governance.ledger.selectors import events_for_subject
from governance.risk import selectors, services
from governance.risk.forms import AcceptForm, ReasonForm, RiskForm
from governance.risk.models import RISK_TRANSITIONS, Risk, RiskStatus


def _risk(request: HttpRequest, pk: Any) -> Risk:
    return get_object_or_404(selectors.risks_for(request.user).select_related("created_by"), pk=pk)


def _can_accept(user: Any) -> bool:
    return can(user, Perm.RISK_REGISTER_EDIT) or can(user, Perm.RISK_ACCEPT_HIGH)


@perm_required(Perm.RISK_REGISTER_EDIT)
def risk_create(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    form = RiskForm(request.POST or None, initial={"owner": request.user.pk})
    status = 200
    if request.method == "POST":
        saved = save_form(
            form, lambda d: services.risk_create(deployment=deployment, actor=request.user, **d)
        )
        if saved is not None:
            messages.success(request, f"Risk “{saved.title}” added to the register.")
            return redirect("risk:deployment_risk", pk=deployment.pk)
        status = 400
    context = deployment_context(request, deployment, "risk")
    context.update(form=form, risk=None)
    return render(request, "risk/risk_form.html", context, status=status)


@perm_required(Perm.RISK_REGISTER_EDIT)
def risk_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    risk = _risk(request, pk)
    form = RiskForm(request.POST or None, instance=risk)
    status = 200
    if request.method == "POST":
        saved = save_form(
            form, lambda d: services.risk_update(risk=risk, actor=request.user, fields=d)
        )
        if saved is not None:
            if risk.status == RiskStatus.ACCEPTED and saved.status == RiskStatus.OPEN:
                messages.warning(
                    request, "The change reopened the risk: accept it again if it still is."
                )
            messages.success(request, "Risk saved.")
            return redirect("risk:risk_detail", pk=risk.pk)
        status = 400
    context = deployment_context(request, risk.deployment, "risk")
    context.update(form=form, risk=risk)
    return render(request, "risk/risk_form.html", context, status=status)


@perm_required(Perm.VIEW)
def risk_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    risk = _risk(request, pk)
    context = deployment_context(request, risk.deployment, "risk")
    targets = {to for (frm, to) in RISK_TRANSITIONS if frm == risk.status}
    context.update(
        risk=risk,
        acceptances=selectors.acceptances_of(risk),
        events=describe_events(events_for_subject(risk)[:50]),
        accept_form=AcceptForm()
        if RiskStatus.ACCEPTED in targets and _can_accept(request.user)
        else None,
        can_edit=can(request.user, Perm.RISK_REGISTER_EDIT),
        can_close=RiskStatus.CLOSED in targets,
        can_reopen=RiskStatus.OPEN in targets,
    )
    return render(request, "risk/risk_detail.html", context)


@perm_required(Perm.VIEW)
@require_POST
def risk_accept(request: HttpRequest, pk: Any) -> HttpResponse:
    if not _can_accept(request.user):
        raise PermissionDenied("Your roles do not allow accepting risks.")
    risk = _risk(request, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the residual risk is acceptable.")
        return redirect("risk:risk_detail", pk=risk.pk)
    try:
        services.risk_accept(
            risk=risk, actor=request.user, rationale=form.cleaned_data["rationale"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Residual risk accepted.")
    return redirect("risk:risk_detail", pk=risk.pk)


def _move(request: HttpRequest, pk: Any, service: Any, done: str) -> HttpResponse:
    risk = _risk(request, pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        service(risk=risk, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("risk:risk_detail", pk=risk.pk)


@perm_required(Perm.RISK_REGISTER_EDIT)
@require_POST
def risk_close(request: HttpRequest, pk: Any) -> HttpResponse:
    return _move(request, pk, services.risk_close, "Risk closed.")


@perm_required(Perm.RISK_REGISTER_EDIT)
@require_POST
def risk_reopen(request: HttpRequest, pk: Any) -> HttpResponse:
    return _move(request, pk, services.risk_reopen, "Risk reopened.")


@perm_required(Perm.RISK_REGISTER_EDIT)
@require_POST
def risk_delete(request: HttpRequest, pk: Any) -> HttpResponse:
    risk = _risk(request, pk)
    deployment_pk = risk.deployment_id
    try:
        services.risk_delete(risk=risk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("risk:risk_detail", pk=risk.pk)
    messages.success(request, "Risk deleted from the register.")
    return redirect("risk:deployment_risk", pk=deployment_pk)
