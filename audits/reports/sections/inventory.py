"""The inventory's part of a report: the AI system, the model card, datasets and provenance,
and the deployment's configuration with its fingerprint (Annex IV 1, 2 and the metrics of 4);
for the portfolio, every deployment by state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audits.reports.charts import horizontal_bar_chart
from audits.reports.sections import Section, SnapshotContext
from governance.core.canonical import format_timestamp
from governance.inventory.choices import DeploymentStatus
from governance.inventory.fingerprint import compute_fingerprint, material_configuration
from governance.inventory.models import Dataset, Deployment

STATUS_CHART = "deployments-by-status.svg"


def _person(user: Any) -> dict[str, str]:
    return {"username": user.get_username(), "name": user.display_name}


def _system(deployment: Deployment) -> dict[str, Any]:
    system = deployment.model_version.system
    return {
        "id": str(system.pk),
        "name": system.name,
        "purpose": system.purpose,
        "intended_use": system.intended_use,
        "business_unit": system.business_unit,
        "people_affected": system.people_affected,
        "sourcing": system.get_sourcing_display(),
        "vendor_name": system.vendor_name,
        "annex_iii_area": system.annex_iii_area,
        "annex_iii_area_label": system.get_annex_iii_area_display(),
        "profiles_natural_persons": system.profiles_natural_persons,
        "registered_by": _person(system.created_by),
        "registered_at": format_timestamp(system.created_at),
    }


def _dataset(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": str(dataset.pk),
        "name": dataset.name,
        "source": dataset.source,
        "collection_purpose": dataset.collection_purpose,
        "personal_data_categories": list(dataset.personal_data_categories),
        "legal_basis": dataset.get_legal_basis_display(),
        "retention_days": dataset.retention_days,
        "minimisation_notes": dataset.minimisation_notes,
        "registered_by": _person(dataset.created_by),
        "registered_at": format_timestamp(dataset.created_at),
    }


def _model_card(deployment: Deployment) -> dict[str, Any]:
    version = deployment.model_version
    metrics = version.evaluation_metrics or {}
    return {
        "id": str(version.pk),
        "version_label": version.version_label,
        "artifact_uri": version.artifact_uri,
        "artifact_sha256": version.artifact_sha256,
        "evaluation_metrics": [[name, metrics[name]] for name in sorted(metrics)],
        "intended_use": version.intended_use,
        "out_of_scope_uses": version.out_of_scope_uses,
        "limitations": version.limitations,
        "ethical_considerations": version.ethical_considerations,
        "registered_by": _person(version.created_by),
        "registered_at": format_timestamp(version.created_at),
    }


def _deployment(deployment: Deployment) -> dict[str, Any]:
    recomputed = compute_fingerprint(deployment)
    target = deployment.rollback_target
    return {
        "id": str(deployment.pk),
        "environment": deployment.environment,
        "description": deployment.description,
        "hosting": deployment.get_hosting_display(),
        "region": deployment.region,
        "data_residency": deployment.data_residency,
        "rollout_pattern": deployment.get_rollout_pattern_display(),
        "traffic_percent": deployment.traffic_percent,
        "rollback_target": (
            {"id": str(target.pk), "label": str(target)} if target is not None else None
        ),
        "requires_independent_bias_audit": deployment.requires_independent_bias_audit,
        "status": deployment.status,
        "status_label": deployment.get_status_display(),
        "status_changed_at": (
            format_timestamp(deployment.status_changed_at) if deployment.status_changed_at else None
        ),
        "material_configuration": material_configuration(deployment),
        "fingerprint": deployment.fingerprint,
        # Recomputed now, so a reader sees whether the stored fingerprint still describes it.
        "fingerprint_matches_configuration": recomputed == deployment.fingerprint,
        "registered_by": _person(deployment.created_by),
        "registered_at": format_timestamp(deployment.created_at),
    }


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    deployment = (
        Deployment.objects.select_related(
            "model_version__system__created_by",
            "model_version__created_by",
            "created_by",
            "rollback_target__model_version__system",
        )
        .prefetch_related("model_version__training_datasets__created_by")
        .get(pk=ctx.deployment.pk)
    )
    datasets = sorted(
        deployment.model_version.training_datasets.all(), key=lambda d: (d.name, str(d.pk))
    )
    return {
        "system": _system(deployment),
        "model_card": _model_card(deployment),
        "datasets": [_dataset(d) for d in datasets],
        "deployment": _deployment(deployment),
    }


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    rows = (
        Deployment.objects.select_related("model_version__system")
        .order_by("model_version__system__name", "model_version__version_label", "environment")
        .iterator(chunk_size=2000)
    )
    labels = dict(DeploymentStatus.choices)
    counts = dict.fromkeys(DeploymentStatus.values, 0)
    deployments = []
    for d in rows:
        counts[d.status] += 1
        deployments.append(
            {
                "id": str(d.pk),
                "system": d.model_version.system.name,
                "version": d.model_version.version_label,
                "environment": d.environment,
                "annex_iii_area": d.model_version.system.get_annex_iii_area_display(),
                "status": d.status,
                "status_label": labels[d.status],
                "status_changed_at": (
                    format_timestamp(d.status_changed_at) if d.status_changed_at else None
                ),
            }
        )
    return {
        "total": len(deployments),
        "by_status": [[labels[s], counts[s]] for s in DeploymentStatus.values],
        "deployments": deployments,
    }


def status_chart(data: Mapping[str, Any]) -> str:
    rows = [(label, count) for label, count in data["by_status"]]
    return horizontal_bar_chart(rows, title="Deployments by state")


def portfolio_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    return {STATUS_CHART: status_chart(data).encode()}


SECTION = Section(
    key="inventory",
    title="The AI system, its model and data, and the deployment",
    annex_iv=(1, 2, 4),
    template="reports/sections/inventory.html",
    build=build_dossier,
)

PORTFOLIO_SECTION = Section(
    key="inventory",
    title="Every deployment by state",
    annex_iv=(1,),
    template="reports/sections/inventory_portfolio.html",
    build=build_portfolio,
    images=portfolio_images,
)
