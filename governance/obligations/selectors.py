"""Reads of the obligations room, with the viewer's permissions applied and constant queries.

Pages and the API read the kept rows (`DeploymentObligation`, `ObligationSummary`); nothing
here evaluates evidence or applicability.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Prefetch, QuerySet, Sum

from governance.accounts.permissions import Perm, can
from governance.inventory.choices import DeploymentStatus
from governance.obligations.choices import ObligationStatus
from governance.obligations.models import (
    Assertion,
    DeploymentObligation,
    EvidenceDocument,
    EvidenceLink,
    Framework,
    ObligationSummary,
    Requirement,
)

S = ObligationStatus
HEAVY_REQUIREMENT_FIELDS = ("framework__document", "applicability", "evidence_rules", "summary")
APPLICABLE_STATUSES = (S.MET, S.PARTLY_MET, S.MISSING)


def obligations_of(user: Any, deployment: Any) -> QuerySet[DeploymentObligation]:
    """The deployment's kept rows for the current framework versions, in reading order."""
    if not can(user, Perm.VIEW):
        return DeploymentObligation.objects.none()
    return (
        DeploymentObligation.objects.filter(
            deployment=deployment, requirement__framework__is_current=True
        )
        .select_related("requirement__framework", "assertion__signed_by")
        # The framework's parsed file and the requirements' rules are large JSON that these
        # rows never show; reading them for every row cost most of the page's time.
        .defer(*(f"requirement__{name}" for name in HEAVY_REQUIREMENT_FIELDS))
        .prefetch_related(
            Prefetch(
                "requirement__counterparts",
                queryset=Requirement.objects.select_related("framework")
                .defer(*HEAVY_REQUIREMENT_FIELDS)
                .order_by("framework__slug", "position"),
            )
        )
        .order_by("requirement__framework__slug", "requirement__position")
    )


@dataclass
class FrameworkGroup:
    framework: Framework
    rows: list[DeploymentObligation] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def summary(self) -> list[tuple[str, int]]:
        return [(s.label.lower(), self.counts[s]) for s in ObligationStatus if self.counts[s]]


def grouped(rows: list[DeploymentObligation], *, show_all: bool) -> list[FrameworkGroup]:
    """Rows by framework; without `show_all`, only the requirements that apply."""
    groups: dict[Any, FrameworkGroup] = {}
    for row in rows:
        framework = row.requirement.framework
        group = groups.setdefault(framework.pk, FrameworkGroup(framework))
        group.counts[row.status] += 1
        if show_all or row.applies:
            group.rows.append(row)
    return list(groups.values())


def obligation_detail(user: Any, deployment: Any, requirement_id: Any) -> DeploymentObligation:
    return obligations_of(user, deployment).get(requirement_id=requirement_id)


def assertions_of(user: Any, deployment: Any) -> QuerySet[Assertion]:
    if not can(user, Perm.VIEW):
        return Assertion.objects.none()
    return (
        Assertion.objects.filter(deployment=deployment)
        .select_related("requirement", "signed_by", "withdrawn_by")
        .prefetch_related("documents")
        .order_by("-signed_at")
    )


# --- Coverage ---------------------------------------------------------------------------------

DIMENSIONS = {"business_unit": "Business unit", "tier": "Risk tier"}


@dataclass
class Cell:
    applicable: int = 0
    met: int = 0
    query: str = ""

    @property
    def share(self) -> int | None:
        return round(100 * self.met / self.applicable) if self.applicable else None


def coverage(user: Any, *, by: str = "business_unit") -> dict[str, Any]:
    """Frameworks × business units (or tiers): applicable in-force requirements met, summed
    from the kept summaries of deployments in service (one query, plus one for frameworks)."""
    if not can(user, Perm.VIEW):
        return {"frameworks": [], "rows": [], "by": by}
    column = "deployment__model_version__system__business_unit" if by == "business_unit" else "tier"
    sums = (
        ObligationSummary.objects.filter(framework__is_current=True)
        .exclude(deployment__status=DeploymentStatus.RETIRED)
        .values_list(column, "framework_id")
        .annotate(applicable=Sum("applicable"), met=Sum("met"))
        .order_by()
    )
    frameworks = list(Framework.objects.filter(is_current=True).order_by("slug"))
    cells: dict[str, dict[Any, Cell]] = defaultdict(dict)
    for key, framework_id, applicable, met in sums:
        cells[key or ""][framework_id] = Cell(applicable or 0, met or 0)
    rows = []
    for key in sorted(cells):
        row = []
        for framework in frameworks:
            cell = cells[key].get(framework.pk, Cell())
            cell.query = urlencode({"framework": framework.slug, "by": by, "key": key})
            row.append(cell)
        rows.append({"key": key, "cells": row})
    return {"frameworks": frameworks, "rows": rows, "by": by}


def coverage_rows(
    user: Any, *, framework_slug: str, by: str, key: str, status: str = ""
) -> QuerySet[DeploymentObligation]:
    """The kept rows behind one cell of the coverage page."""
    if not can(user, Perm.VIEW):
        return DeploymentObligation.objects.none()
    rows = DeploymentObligation.objects.filter(
        requirement__framework__slug=framework_slug,
        requirement__framework__is_current=True,
        status__in=[status] if status in APPLICABLE_STATUSES else APPLICABLE_STATUSES,
    ).exclude(deployment__status=DeploymentStatus.RETIRED)
    if by == "tier":
        rows = rows.filter(
            deployment__obligation_summaries__tier=key,
            deployment__obligation_summaries__framework__slug=framework_slug,
        )
    else:
        rows = rows.filter(deployment__model_version__system__business_unit=key)
    return (
        rows.select_related("requirement__framework", "deployment__model_version__system")
        .defer(*(f"requirement__{name}" for name in HEAVY_REQUIREMENT_FIELDS))
        .order_by("status", "deployment__model_version__system__name", "requirement__position")
    )


# --- Evidence documents -----------------------------------------------------------------------


def documents_for(user: Any) -> QuerySet[EvidenceDocument]:
    if not can(user, Perm.VIEW):
        return EvidenceDocument.objects.none()
    return EvidenceDocument.objects.select_related("uploaded_by", "system", "superseded_by")


def current_documents(user: Any) -> QuerySet[EvidenceDocument]:
    return documents_for(user).filter(superseded_by__isnull=True).order_by("title", "-version")


def versions_of(document: EvidenceDocument) -> QuerySet[EvidenceDocument]:
    return (
        EvidenceDocument.objects.filter(series=document.series)
        .select_related("uploaded_by")
        .order_by("-version")
    )


def where_used(document: EvidenceDocument) -> dict[str, Any]:
    """Active links of any version of the document, and the assertions that cite it."""
    links = (
        EvidenceLink.objects.filter(document__series=document.series, unlinked_at__isnull=True)
        .select_related(
            "requirement__framework", "deployment__model_version__system", "document", "linked_by"
        )
        .order_by("requirement__framework__slug", "requirement__position")
    )
    assertions = (
        Assertion.objects.filter(documents__series=document.series)
        .select_related("requirement", "deployment__model_version__system", "signed_by")
        .distinct()
        .order_by("-signed_at")
    )
    return {"links": list(links), "assertions": list(assertions)}


def links_of(deployment: Any) -> dict[Any, list[EvidenceLink]]:
    """Per requirement id: the documents linked for this deployment or for all (one query)."""
    from django.db.models import Q

    rows = (
        EvidenceLink.objects.filter(unlinked_at__isnull=True)
        .filter(Q(deployment=deployment) | Q(deployment__isnull=True))
        .select_related("document")
    )
    result: dict[Any, list[EvidenceLink]] = defaultdict(list)
    for link in rows:
        result[link.requirement_id].append(link)
    return result
