"""Reads for pages and the API, with the viewer's permission applied and relations loaded.

Everyone who may read the governance records (`Perm.VIEW`, auditors included) may read every
report and export: they are renderings of records those people can already see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from audits.reports.models import Export, Report
from governance.accounts.permissions import Perm, can


def reports_for(user: Any) -> QuerySet[Report]:
    if not can(user, Perm.VIEW):
        return Report.objects.none()
    return Report.objects.select_related(
        "requested_by",
        "deployment__model_version__system",
        "supersedes",
        "superseded_by",
        "export",
    )


def reports_for_deployment(user: Any, deployment: Any) -> QuerySet[Report]:
    return reports_for(user).filter(deployment=deployment).order_by("-created_at")


def exports_for(user: Any) -> QuerySet[Export]:
    if not can(user, Perm.VIEW):
        return Export.objects.none()
    return Export.objects.select_related("requested_by").prefetch_related(
        "deployments__model_version__system"
    )
