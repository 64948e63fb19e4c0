from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render

from governance.accounts.permissions import Perm, can, perm_required
from governance.core.views import list_page, save_form
from governance.inventory import selectors, services
from governance.inventory.choices import DeploymentStatus
from governance.inventory.filters import (
    AISystemFilter,
    DatasetFilter,
    DeploymentFilter,
    ModelVersionFilter,
)
from governance.inventory.forms import (
    AISystemForm,
    DatasetForm,
    DeploymentForm,
    ModelVersionForm,
    TransitionForm,
)
from governance.inventory.tabs import deployment_tabs, overview_panels, status_notes
from governance.inventory.transitions import status_menu
from governance.ledger.selectors import events_for_deployment, events_for_subject
from governance.ledger.views import history_page

# --- AI systems -------------------------------------------------------------------------


@perm_required(Perm.VIEW)
def system_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.systems_for(request.user),
        template="inventory/system_list.html",
        filterset_class=AISystemFilter,
        sort_fields={"name": "name", "area": "annex_iii_area", "created": "created_at"},
        default_sort="name",
        csv_columns=[
            ("name", lambda s: s.name),
            ("business_unit", lambda s: s.business_unit),
            ("sourcing", lambda s: s.get_sourcing_display()),
            ("vendor", lambda s: s.vendor_name),
            ("annex_iii_area", lambda s: s.get_annex_iii_area_display()),
            ("profiles_natural_persons", lambda s: s.profiles_natural_persons),
            ("versions", lambda s: s.version_count),
        ],
        csv_name="ai-systems.csv",
    )


@perm_required(Perm.VIEW)
def system_detail(request: HttpRequest, pk: str) -> HttpResponse:
    system = get_object_or_404(selectors.systems_for(request.user), pk=pk)
    versions = selectors.model_versions_for(request.user).filter(system=system)
    deployments = selectors.deployments_for(request.user).filter(model_version__system=system)
    return render(
        request,
        "inventory/system_detail.html",
        {"system": system, "versions": versions, "deployments": deployments, "tab": "overview"},
    )


@perm_required(Perm.VIEW)
def system_history(request: HttpRequest, pk: str) -> HttpResponseBase:
    system = get_object_or_404(selectors.systems_for(request.user), pk=pk)
    return history_page(
        request,
        events=events_for_subject(system),
        template="inventory/system_history.html",
        context={"system": system, "tab": "history"},
    )


@perm_required(Perm.INVENTORY_EDIT)
def system_edit(request: HttpRequest, pk: str | None = None) -> HttpResponse:
    system = get_object_or_404(selectors.systems_for(request.user), pk=pk) if pk else None
    form = AISystemForm(request.POST or None, instance=system)
    if request.method == "POST":
        if system is None:
            saved = save_form(form, lambda d: services.ai_system_create(actor=request.user, **d))
        else:
            saved = save_form(
                form,
                lambda d: services.ai_system_update(system=system, actor=request.user, fields=d),
            )
        if saved is not None:
            messages.success(request, f"AI system “{saved.name}” saved.")
            return redirect("inventory:system_detail", pk=saved.pk)
    return render(
        request, "inventory/form.html", {"form": form, "object": system, "kind": "AI system"}
    )


# --- Datasets ---------------------------------------------------------------------------


@perm_required(Perm.VIEW)
def dataset_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.datasets_for(request.user),
        template="inventory/dataset_list.html",
        filterset_class=DatasetFilter,
        sort_fields={"name": "name", "created": "created_at"},
        default_sort="name",
        csv_columns=[
            ("name", lambda d: d.name),
            ("source", lambda d: d.source),
            ("legal_basis", lambda d: d.get_legal_basis_display()),
            ("personal_data_categories", lambda d: "; ".join(d.personal_data_categories)),
            ("retention_days", lambda d: d.retention_days),
        ],
        csv_name="datasets.csv",
    )


@perm_required(Perm.VIEW)
def dataset_detail(request: HttpRequest, pk: str) -> HttpResponse:
    dataset = get_object_or_404(selectors.datasets_for(request.user), pk=pk)
    versions = selectors.model_versions_for(request.user).filter(training_datasets=dataset)
    return render(
        request,
        "inventory/dataset_detail.html",
        {"dataset": dataset, "versions": versions, "tab": "overview"},
    )


@perm_required(Perm.VIEW)
def dataset_history(request: HttpRequest, pk: str) -> HttpResponseBase:
    dataset = get_object_or_404(selectors.datasets_for(request.user), pk=pk)
    return history_page(
        request,
        events=events_for_subject(dataset),
        template="inventory/dataset_history.html",
        context={"dataset": dataset, "tab": "history"},
    )


@perm_required(Perm.INVENTORY_EDIT)
def dataset_edit(request: HttpRequest, pk: str | None = None) -> HttpResponse:
    dataset = get_object_or_404(selectors.datasets_for(request.user), pk=pk) if pk else None
    form = DatasetForm(request.POST or None, instance=dataset)
    if request.method == "POST":
        if dataset is None:
            saved = save_form(form, lambda d: services.dataset_create(actor=request.user, **d))
        else:
            saved = save_form(
                form,
                lambda d: services.dataset_update(dataset=dataset, actor=request.user, fields=d),
            )
        if saved is not None:
            messages.success(request, f"Dataset “{saved.name}” saved.")
            return redirect("inventory:dataset_detail", pk=saved.pk)
    return render(
        request, "inventory/form.html", {"form": form, "object": dataset, "kind": "dataset"}
    )


# --- Model versions ---------------------------------------------------------------------


@perm_required(Perm.VIEW)
def model_version_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.model_versions_for(request.user),
        template="inventory/model_version_list.html",
        filterset_class=ModelVersionFilter,
        sort_fields={"system": "system__name", "version": "version_label", "created": "created_at"},
        default_sort="-created",
        csv_columns=[
            ("system", lambda v: v.system.name),
            ("version", lambda v: v.version_label),
            ("artifact_uri", lambda v: v.artifact_uri),
            ("artifact_sha256", lambda v: v.artifact_sha256),
            ("created_by", lambda v: v.created_by.username),
            ("created_at", lambda v: v.created_at.isoformat()),
        ],
        csv_name="model-versions.csv",
    )


@perm_required(Perm.VIEW)
def model_version_detail(request: HttpRequest, pk: str) -> HttpResponse:
    version = get_object_or_404(selectors.model_versions_for(request.user), pk=pk)
    deployments = selectors.deployments_for(request.user).filter(model_version=version)
    return render(
        request,
        "inventory/model_version_detail.html",
        {"version": version, "deployments": deployments, "tab": "overview"},
    )


@perm_required(Perm.VIEW)
def model_version_history(request: HttpRequest, pk: str) -> HttpResponseBase:
    version = get_object_or_404(selectors.model_versions_for(request.user), pk=pk)
    return history_page(
        request,
        events=events_for_subject(version),
        template="inventory/model_version_history.html",
        context={"version": version, "tab": "history"},
    )


@perm_required(Perm.INVENTORY_EDIT)
def model_version_edit(request: HttpRequest, pk: str | None = None) -> HttpResponse:
    version = get_object_or_404(selectors.model_versions_for(request.user), pk=pk) if pk else None
    initial = {"system": request.GET.get("system")} if version is None else None
    form = ModelVersionForm(request.POST or None, instance=version, initial=initial)
    if request.method == "POST":
        if version is None:
            saved = save_form(
                form, lambda d: services.model_version_create(actor=request.user, **d)
            )
        else:

            def update(data: dict[str, Any]) -> Any:
                datasets = data.pop("training_datasets", None)
                editable = {k: v for k, v in data.items() if k in services.MODEL_VERSION_EDITABLE}
                return services.model_version_update(
                    version=version,
                    actor=request.user,
                    fields=editable,
                    training_datasets=datasets,
                )

            saved = save_form(form, update)
        if saved is not None:
            messages.success(request, f"Model version “{saved}” saved.")
            return redirect("inventory:model_version_detail", pk=saved.pk)
    return render(
        request, "inventory/form.html", {"form": form, "object": version, "kind": "model version"}
    )


# --- Deployments ------------------------------------------------------------------------

DEPLOYMENT_CSV = [
    ("id", lambda d: d.pk),
    ("system", lambda d: d.model_version.system.name),
    ("version", lambda d: d.model_version.version_label),
    ("environment", lambda d: d.environment),
    ("status", lambda d: d.status),
    ("hosting", lambda d: d.get_hosting_display()),
    ("region", lambda d: d.region),
    ("rollout", lambda d: d.get_rollout_pattern_display()),
    ("traffic_percent", lambda d: d.traffic_percent),
    ("fingerprint", lambda d: d.fingerprint),
    ("created_at", lambda d: d.created_at.isoformat()),
]


@perm_required(Perm.VIEW)
def deployment_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.deployments_for(request.user),
        template="inventory/deployment_list.html",
        filterset_class=DeploymentFilter,
        sort_fields={
            "system": "model_version__system__name",
            "environment": "environment",
            "status": "status",
            "changed": "status_changed_at",
            "created": "created_at",
        },
        default_sort="-created",
        csv_columns=DEPLOYMENT_CSV,
        csv_name="deployments.csv",
        context={"statuses": DeploymentStatus.choices},
    )


def _deployment(request: HttpRequest, pk: str) -> Any:
    return get_object_or_404(selectors.deployments_for(request.user), pk=pk)


def deployment_context(request: HttpRequest, deployment: Any, tab: str) -> dict[str, Any]:
    """What every tab of the deployment page needs: the record, its tab and its actions."""
    return {
        "deployment": deployment,
        "tab": tab,
        "tabs": deployment_tabs(deployment, tab),
        "status_notes": status_notes(request, deployment),
    }


def _transition_form(request: HttpRequest, deployment: Any) -> tuple[TransitionForm, list[Any]]:
    """The status menu offers only what may happen now; refused steps are listed with why."""
    menu = status_menu(deployment) if can(request.user, Perm.DEPLOYMENT_TRANSITION) else []
    offered = [entry for entry in menu if not entry.refused]
    form = TransitionForm(
        request.POST if request.method == "POST" else None,
        targets=[(entry.to, entry.label) for entry in offered],
        irreversible=frozenset(entry.to for entry in offered if entry.irreversible),
    )
    return form, menu


def _overview(request: HttpRequest, deployment: Any) -> dict[str, Any]:
    context = deployment_context(request, deployment, "overview")
    form, menu = _transition_form(request, deployment)
    context["transition_form"] = form
    context["transition_offered"] = [entry for entry in menu if not entry.refused]
    context["transition_refused"] = [entry for entry in menu if entry.refused]
    context["overview_panels"] = overview_panels(request, deployment)
    return context


@perm_required(Perm.VIEW)
def deployment_detail(request: HttpRequest, pk: str) -> HttpResponse:
    deployment = _deployment(request, pk)
    return render(request, "inventory/deployment_detail.html", _overview(request, deployment))


@perm_required(Perm.VIEW)
def deployment_history(request: HttpRequest, pk: str) -> HttpResponseBase:
    deployment = _deployment(request, pk)
    return history_page(
        request,
        events=events_for_deployment(deployment.pk),
        template="inventory/deployment_history.html",
        context=deployment_context(request, deployment, "history"),
    )


@perm_required(Perm.INVENTORY_EDIT)
def deployment_edit(request: HttpRequest, pk: str | None = None) -> HttpResponse:
    deployment = _deployment(request, pk) if pk else None
    initial = {"model_version": request.GET.get("model_version")} if deployment is None else None
    form = DeploymentForm(request.POST or None, instance=deployment, initial=initial)
    voids: list[str] = []
    if request.method == "POST":
        if deployment is None:
            saved = save_form(form, lambda d: services.deployment_create(actor=request.user, **d))
        else:
            # A material change voids approvals and the assessment: the first submit shows
            # what it would void, and only a second one carrying the confirmation saves it.
            confirmed = request.POST.get("confirm_voiding") == "yes"

            def update(data: dict[str, Any]) -> Any:
                data.pop("model_version", None)
                if not confirmed:
                    voids[:] = services.deployment_update_voids(deployment=deployment, fields=data)
                    if voids:
                        return None
                return services.deployment_update(
                    deployment=deployment, actor=request.user, fields=data
                )

            saved = save_form(form, update)
        if saved is not None:
            done = "Deployment saved."
            if saved.voided:
                done += " Voided: " + " ".join(saved.voided)
            messages.success(request, done)
            return redirect("inventory:deployment_detail", pk=saved.pk)
    return render(
        request,
        "inventory/form.html",
        {"form": form, "object": deployment, "kind": "deployment", "voids": voids},
    )


@perm_required(Perm.DEPLOYMENT_TRANSITION)
def deployment_transition(request: HttpRequest, pk: str) -> HttpResponse:
    deployment = _deployment(request, pk)
    if request.method != "POST":
        return redirect("inventory:deployment_detail", pk=pk)
    context = _overview(request, deployment)
    form = context["transition_form"]
    saved = save_form(
        form,
        lambda d: services.deployment_transition(
            deployment=deployment, to_status=d["to"], reason=d["reason"], actor=request.user
        ),
    )
    if saved is not None:
        messages.success(request, f"Deployment is now {saved.get_status_display().lower()}.")
        return redirect("inventory:deployment_detail", pk=pk)
    return render(request, "inventory/deployment_detail.html", context, status=400)
