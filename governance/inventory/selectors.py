"""Reads for pages and the API, with the viewer's permission applied and relations loaded."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from governance.accounts.permissions import Perm, can
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion


def systems_for(user: Any) -> QuerySet[AISystem]:
    if not can(user, Perm.VIEW):
        return AISystem.objects.none()
    return AISystem.objects.select_related("created_by").annotate(
        version_count=Count("versions", distinct=True)
    )


def datasets_for(user: Any) -> QuerySet[Dataset]:
    if not can(user, Perm.VIEW):
        return Dataset.objects.none()
    return Dataset.objects.select_related("created_by")


def model_versions_for(user: Any) -> QuerySet[ModelVersion]:
    if not can(user, Perm.VIEW):
        return ModelVersion.objects.none()
    return ModelVersion.objects.select_related("system", "created_by").prefetch_related(
        "training_datasets"
    )


def may_see_deployments(user: Any) -> bool:
    """Deployments are visible all or none; the gate relies on it to look one up by id alone.

    Row-level visibility, if it ever comes, belongs here and in `deployments_for` together.
    """
    return can(user, Perm.VIEW)


def deployments_for(user: Any) -> QuerySet[Deployment]:
    if not may_see_deployments(user):
        return Deployment.objects.none()
    return Deployment.objects.select_related(
        "model_version__system", "created_by", "rollback_target__model_version"
    )


def search_deployments(queryset: QuerySet[Deployment], text: str) -> QuerySet[Deployment]:
    text = text.strip()
    if not text:
        return queryset
    return queryset.filter(
        Q(model_version__system__name__icontains=text)
        | Q(model_version__version_label__icontains=text)
        | Q(environment__icontains=text)
        | Q(region__icontains=text)
    )


def deployment_counts_by_status(user: Any) -> dict[str, int]:
    from django.db.models import Count

    from governance.inventory.choices import DeploymentStatus

    counts = dict.fromkeys(DeploymentStatus.values, 0)
    rows = deployments_for(user).order_by().values("status").annotate(n=Count("id"))
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts
