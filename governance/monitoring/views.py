"""Pages of the monitoring room: the deployment's Monitoring tab and incidents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, can, perm_required
from governance.core.views import list_page, save_form
from governance.inventory.selectors import deployments_for
from governance.inventory.views import deployment_context
from governance.monitoring import selectors
from governance.monitoring.forms import DeploymentActionForm, IncidentForm, IncidentTransitionForm
from governance.monitoring.services import incidents as services


@perm_required(Perm.VIEW)
def deployment_monitoring(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    context = deployment_context(request, deployment, "monitoring")
    context.update(selectors.monitoring_tab(deployment))
    return render(request, "monitoring/deployment_monitoring.html", context)


@perm_required(Perm.VIEW)
def incident_list(request: HttpRequest) -> HttpResponseBase:
    incidents = selectors.incidents_for(request.user).order_by("-aware_at")
    return list_page(
        request,
        queryset=incidents,
        template="monitoring/incident_list.html",
        context={"clocks": list(selectors.open_incident_clocks()[:20]), "now": timezone.now()},
    )


@perm_required(Perm.INCIDENT_REPORT)
def incident_new(request: HttpRequest, pk: Any) -> HttpResponse:
    deployment = get_object_or_404(deployments_for(request.user), pk=pk)
    form = IncidentForm(request.POST or None)
    if request.method == "POST":
        incident = save_form(
            form,
            lambda data: services.incident_report(
                deployment=deployment, actor=request.user, **data
            ),
        )
        if incident is not None:
            messages.success(request, "Incident recorded.")
            return redirect("monitoring:incident_detail", pk=incident.pk)
    return render(
        request, "monitoring/incident_form.html", {"form": form, "deployment": deployment}
    )


@perm_required(Perm.VIEW)
def incident_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    incident = get_object_or_404(selectors.incident_pages_for(request.user), pk=pk)
    manage = can(request.user, Perm.INCIDENT_MANAGE)
    return render(
        request,
        "monitoring/incident_detail.html",
        {
            "incident": incident,
            "transition_form": IncidentTransitionForm() if manage else None,
            "action_form": DeploymentActionForm() if manage else None,
        },
    )


@require_POST
@perm_required(Perm.INCIDENT_MANAGE)
def incident_transition(request: HttpRequest, pk: Any) -> HttpResponse:
    incident = get_object_or_404(selectors.incident_pages_for(request.user), pk=pk)
    form = IncidentTransitionForm(request.POST)
    done = save_form(
        form,
        lambda data: services.incident_transition(
            incident=incident,
            to_status=data["to"],
            actor=request.user,
            note=data["note"],
            reported_at=data["reported_at"],
            authority=data["authority"],
            authority_reference=data["authority_reference"],
            report_kind=data["report_kind"],
            corrective_action=data["corrective_action"],
        ),
    )
    if done is not None:
        messages.success(request, f"The incident is now {done.get_status_display().lower()}.")
        return redirect("monitoring:incident_detail", pk=incident.pk)
    return render(
        request,
        "monitoring/incident_detail.html",
        {"incident": incident, "transition_form": form, "action_form": DeploymentActionForm()},
        status=400,
    )


@require_POST
@perm_required(Perm.INCIDENT_MANAGE)
def incident_deployment_action(request: HttpRequest, pk: Any) -> HttpResponse:
    incident = get_object_or_404(selectors.incident_pages_for(request.user), pk=pk)
    form = DeploymentActionForm(request.POST)

    def act(data: dict[str, Any]) -> Any:
        take = (
            services.deployment_suspend
            if data["action"] == "suspend"
            else services.deployment_rollback
        )
        return take(
            deployment=incident.deployment,
            actor=request.user,
            reason=data["reason"],
            incident=incident,
        )

    if save_form(form, act) is not None:
        messages.success(request, "Recorded.")
        return redirect("monitoring:incident_detail", pk=incident.pk)
    return render(
        request,
        "monitoring/incident_detail.html",
        {"incident": incident, "transition_form": IncidentTransitionForm(), "action_form": form},
        status=400,
    )
