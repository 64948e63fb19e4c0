"""Every write to the inventory: systems, datasets, model versions, deployments, lifecycle."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.core.services import apply_changes, snapshot, validated_save
from governance.inventory.choices import DeploymentStatus
from governance.inventory.effects import material_effects
from governance.inventory.fingerprint import MATERIAL_FIELDS, compute_fingerprint
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion
from governance.inventory.signals import (
    deployment_material_change,
    deployment_transitioned,
)
from governance.inventory.transitions import ALLOWED_TRANSITIONS, MATERIAL_EDIT_STATES, refusals
from governance.ledger.services import changes, ledger_append, ledger_write_lock

SYSTEM_FIELDS = (
    "name",
    "purpose",
    "intended_use",
    "business_unit",
    "people_affected",
    "sourcing",
    "vendor_name",
    "annex_iii_area",
    "annex_iii_point",
    "profiles_natural_persons",
    "public_service",
    "nyc_employment_decisions",
)
DATASET_FIELDS = (
    "name",
    "source",
    "collection_purpose",
    "personal_data_categories",
    "legal_basis",
    "retention_days",
    "minimisation_notes",
)
MODEL_CARD_FIELDS = ("intended_use", "out_of_scope_uses", "limitations", "ethical_considerations")
# The artifact is what was trained and evaluated: a different artifact is a new version.
MODEL_VERSION_FIELDS = ("version_label", "artifact_uri", "artifact_sha256", *MODEL_CARD_FIELDS)
MODEL_VERSION_EDITABLE = ("evaluation_metrics", *MODEL_CARD_FIELDS)
DEPLOYMENT_FIELDS = (
    "model_version",
    "environment",
    "description",
    "hosting",
    "region",
    "data_residency",
    "rollout_pattern",
    "traffic_percent",
    "rollback_target",
    "requires_independent_bias_audit",
)
DEPLOYMENT_EDITABLE = tuple(f for f in DEPLOYMENT_FIELDS if f != "model_version")


# --- AI systems -------------------------------------------------------------------------


def ai_system_create(*, actor: Any, **fields: Any) -> AISystem:
    system = AISystem(created_by=actor, **fields)
    with transaction.atomic():
        validated_save(system)
        ledger_append(
            actor=actor,
            action="ai_system.created",
            subject=system,
            data=snapshot(system, SYSTEM_FIELDS),
        )
    return system


def ai_system_update(*, system: AISystem, actor: Any, fields: Mapping[str, Any]) -> AISystem:
    with transaction.atomic():
        locked = AISystem.objects.select_for_update().get(pk=system.pk)
        before = snapshot(locked, SYSTEM_FIELDS)
        if not apply_changes(locked, fields, editable=SYSTEM_FIELDS):
            return locked
        validated_save(locked)
        after = snapshot(locked, SYSTEM_FIELDS)
        ledger_append(
            actor=actor,
            action="ai_system.updated",
            subject=locked,
            data={"changes": changes(before, after)},
        )
    return locked


# --- Datasets ---------------------------------------------------------------------------


def _clean_categories(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidInput(
            "Personal-data categories must be a list of names.",
            fields={"personal_data_categories": "a list of non-empty strings"},
        )
    return sorted({v.strip() for v in value})


def dataset_create(*, actor: Any, **fields: Any) -> Dataset:
    fields["personal_data_categories"] = _clean_categories(
        fields.get("personal_data_categories", [])
    )
    dataset = Dataset(created_by=actor, **fields)
    with transaction.atomic():
        validated_save(dataset)
        ledger_append(
            actor=actor,
            action="dataset.created",
            subject=dataset,
            data=snapshot(dataset, DATASET_FIELDS),
        )
    return dataset


def dataset_update(*, dataset: Dataset, actor: Any, fields: Mapping[str, Any]) -> Dataset:
    updates = dict(fields)
    if "personal_data_categories" in updates:
        updates["personal_data_categories"] = _clean_categories(updates["personal_data_categories"])
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        before = snapshot(locked, DATASET_FIELDS)
        if not apply_changes(locked, updates, editable=DATASET_FIELDS):
            return locked
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="dataset.updated",
            subject=locked,
            data={"changes": changes(before, snapshot(locked, DATASET_FIELDS))},
        )
    return locked


# --- Model versions ---------------------------------------------------------------------


def clean_metrics(value: Any) -> dict[str, float | int]:
    """Evaluation metrics are a flat mapping of metric name to a finite number."""
    if not isinstance(value, dict):
        raise InvalidInput(
            "Evaluation metrics must be an object of name → number.",
            fields={"evaluation_metrics": "an object of name → number"},
        )
    cleaned: dict[str, float | int] = {}
    for name, number in value.items():
        valid_number = isinstance(number, int | float) and not isinstance(number, bool)
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(
                "Metric names must be non-empty text.", fields={"evaluation_metrics": "empty name"}
            )
        if not valid_number or not math.isfinite(number):
            raise InvalidInput(
                f"Metric {name!r} must be a finite number.",
                fields={"evaluation_metrics": f"{name}: not a finite number"},
            )
        cleaned[name.strip()] = number
    return cleaned


def model_version_create(
    *,
    actor: Any,
    system: AISystem,
    training_datasets: Iterable[Dataset] = (),
    evaluation_metrics: Any = None,
    **fields: Any,
) -> ModelVersion:
    if "artifact_sha256" in fields and isinstance(fields["artifact_sha256"], str):
        fields["artifact_sha256"] = fields["artifact_sha256"].strip().lower()
    version = ModelVersion(
        system=system,
        created_by=actor,
        evaluation_metrics=clean_metrics(evaluation_metrics or {}),
        **fields,
    )
    datasets = list(training_datasets)
    with transaction.atomic():
        validated_save(version)
        version.training_datasets.set(datasets)
        data = snapshot(version, MODEL_VERSION_FIELDS)
        data.update(
            system=str(system.pk),
            evaluation_metrics=version.evaluation_metrics,
            training_datasets=sorted(str(d.pk) for d in datasets),
        )
        ledger_append(actor=actor, action="model_version.created", subject=version, data=data)
    return version


def model_version_update(
    *,
    version: ModelVersion,
    actor: Any,
    fields: Mapping[str, Any],
    training_datasets: Iterable[Dataset] | None = None,
) -> ModelVersion:
    updates = dict(fields)
    if "evaluation_metrics" in updates:
        updates["evaluation_metrics"] = clean_metrics(updates["evaluation_metrics"])
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().get(pk=version.pk)
        before = snapshot(locked, MODEL_VERSION_EDITABLE)
        before["training_datasets"] = sorted(
            str(pk) for pk in locked.training_datasets.values_list("pk", flat=True)
        )
        changed = apply_changes(locked, updates, editable=MODEL_VERSION_EDITABLE)
        after = snapshot(locked, MODEL_VERSION_EDITABLE)
        after["training_datasets"] = before["training_datasets"]
        if training_datasets is not None:
            datasets = list(training_datasets)
            after["training_datasets"] = sorted(str(d.pk) for d in datasets)
            if after["training_datasets"] != before["training_datasets"]:
                locked.training_datasets.set(datasets)
                changed.append("training_datasets")
        if not changed:
            return locked
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="model_version.updated",
            subject=locked,
            data={"changes": changes(before, after)},
        )
    return locked


# --- Deployments ------------------------------------------------------------------------


def _check_rollback_target(deployment: Deployment) -> None:
    target = deployment.rollback_target
    if target is None:
        return
    if target.pk == deployment.pk:
        raise InvalidInput(
            "A deployment cannot roll back to itself.", fields={"rollback_target": "itself"}
        )
    if target.model_version.system_id != deployment.model_version.system_id:
        raise InvalidInput(
            "The rollback target must be a deployment of the same AI system.",
            fields={"rollback_target": "different AI system"},
        )
    if deployment.created_at and target.created_at >= deployment.created_at:
        raise InvalidInput(
            "The rollback target must be an earlier deployment.",
            fields={"rollback_target": "not earlier"},
        )


def _normalise_traffic(deployment: Deployment) -> None:
    # Full and shadow rollouts carry no traffic share; refusing instead of silently dropping
    # a number the user typed would be confusing, so the share is cleared for them.
    if deployment.rollout_pattern in ("full", "shadow"):
        deployment.traffic_percent = None
    elif deployment.traffic_percent is None:
        raise InvalidInput(
            "Canary and A/B rollouts need a traffic percentage between 1 and 99.",
            fields={"traffic_percent": "required for canary and A/B rollouts"},
        )


def deployment_create(*, actor: Any, model_version: ModelVersion, **fields: Any) -> Deployment:
    """Register a deployment in draft, with its material fingerprint."""
    deployment = Deployment(model_version=model_version, created_by=actor, **fields)
    _normalise_traffic(deployment)
    _check_rollback_target(deployment)
    deployment.fingerprint = compute_fingerprint(deployment)
    deployment.status_changed_at = timezone.now()
    with transaction.atomic():
        validated_save(deployment)
        data = snapshot(deployment, DEPLOYMENT_FIELDS)
        data.update(status=deployment.status, fingerprint=deployment.fingerprint)
        ledger_append(
            actor=actor,
            action="deployment.created",
            subject=deployment,
            deployment_id=deployment.pk,
            data=data,
        )
    return deployment


def _stage_update(deployment: Deployment, fields: Mapping[str, Any]) -> tuple[bool, bool]:
    """Apply an update's fields to the unsaved instance: (anything changed, material).

    Raises what the update refuses, so the preview of a change and the change itself refuse
    and decide materiality alike.
    """
    if deployment.status == DeploymentStatus.RETIRED:
        raise Conflict("A retired deployment cannot be changed.")
    old_fingerprint = deployment.fingerprint
    if not apply_changes(deployment, fields, editable=DEPLOYMENT_EDITABLE):
        return False, False
    _normalise_traffic(deployment)
    _check_rollback_target(deployment)
    deployment.fingerprint = compute_fingerprint(deployment)
    material = deployment.fingerprint != old_fingerprint
    if material and deployment.status not in MATERIAL_EDIT_STATES:
        raise Conflict(
            f"The deployment is {deployment.get_status_display().lower()}: its material "
            f"configuration ({', '.join(MATERIAL_FIELDS)}) cannot change. Suspend it and "
            "return it for rework, or register a new deployment.",
            fields={"status": deployment.status},
        )
    return True, material


def deployment_update_voids(*, deployment: Deployment, fields: Mapping[str, Any]) -> list[str]:
    """What saving these fields would void (approvals, signatures, the assessment); a read.

    Empty when the change is not material; raises what `deployment_update` would refuse.
    Pages show it and ask for confirmation first.
    """
    probe = (
        Deployment.objects.select_related("model_version__system").filter(pk=deployment.pk).first()
    )
    if probe is None:
        return []
    _, material = _stage_update(probe, fields)
    return material_effects(probe) if material else []


def deployment_update(
    *, deployment: Deployment, actor: Any, fields: Mapping[str, Any]
) -> Deployment:
    """Change a deployment's configuration.

    A change to a material field gives a new fingerprint: the current risk assessment turns
    stale and approvals covering the old fingerprint are invalidated, in this transaction.
    What it voids is ledgered with the change and left on the result as `voided`.
    """
    with transaction.atomic():
        ledger_write_lock()
        locked = (
            Deployment.objects.select_for_update()
            .select_related("model_version")
            .get(pk=deployment.pk)
        )
        before = snapshot(locked, DEPLOYMENT_FIELDS)
        old_fingerprint = locked.fingerprint
        changed, material = _stage_update(locked, fields)
        if not changed:
            return locked
        # Read before the rooms react, while what is about to be voided still stands.
        voided = material_effects(locked) if material else []
        validated_save(locked)
        after = snapshot(locked, DEPLOYMENT_FIELDS)
        data: dict[str, Any] = {"changes": changes(before, after)}
        if material:
            data["fingerprint"] = {"before": old_fingerprint, "after": locked.fingerprint}
            data["voided"] = voided
        locked.voided = voided
        ledger_append(
            actor=actor,
            action="deployment.updated",
            subject=locked,
            deployment_id=locked.pk,
            data=data,
        )
        if material:
            deployment_material_change.send(
                sender=Deployment,
                deployment=locked,
                actor=actor,
                before=old_fingerprint,
                after=locked.fingerprint,
            )
    return locked


def deployment_transition(
    *,
    deployment: Deployment,
    to_status: str,
    actor: Any,
    reason: str = "",
    workflow: bool = False,
) -> Deployment:
    """Move a deployment along its lifecycle.

    `workflow=True` is for workflow services (approvals) that own the non-manual steps; a
    person asking through a page or the API can only take manual transitions.
    """
    if to_status not in DeploymentStatus.values:
        raise InvalidInput(
            f"Unknown status {to_status!r}. Known: {', '.join(DeploymentStatus.values)}.",
            fields={"to": f"unknown status {to_status!r}"},
        )
    with transaction.atomic():
        ledger_write_lock()
        locked = (
            Deployment.objects.select_for_update()
            .select_related("model_version__system")
            .get(pk=deployment.pk)
        )
        from_status = locked.status
        transition = ALLOWED_TRANSITIONS.get((from_status, to_status))
        if transition is None:
            raise TransitionNotAllowed(
                f"A deployment cannot go from {from_status} to {to_status}.",
                fields={"to": f"not allowed from {from_status}"},
            )
        if not transition.manual and not workflow:
            raise TransitionNotAllowed(
                f"{from_status} → {to_status} happens only through the approval workflow "
                f"({transition.description}).",
                fields={"to": "workflow only"},
            )
        blocked = refusals(locked, to_status)
        if blocked:
            raise TransitionNotAllowed("; ".join(blocked), fields={"to": blocked})
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
        ledger_append(
            actor=actor,
            action="deployment.transitioned",
            subject=locked,
            deployment_id=locked.pk,
            data={"from": from_status, "to": to_status, "reason": reason},
        )
        deployment_transitioned.send(
            sender=Deployment,
            deployment=locked,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )
    return locked
