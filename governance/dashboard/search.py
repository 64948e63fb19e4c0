"""Global search over AI systems, model versions, deployments and people.

Each section applies the same filter as the list it links to ("all 14 →"), so the number
shown is the number of rows that list will show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from governance.dashboard.filters import PeopleFilter
from governance.dashboard.selectors import people_for
from governance.inventory.filters import AISystemFilter, DeploymentFilter, ModelVersionFilter
from governance.inventory.selectors import deployments_for, model_versions_for, systems_for

MAX_QUERY_LENGTH = 100


@dataclass
class SearchSection:
    key: str
    title: str
    objects: list[Any]
    count: int
    more_url: str


SECTIONS: list[tuple[str, str, Any, Any, str, str]] = [
    # key, title, rows for the viewer, filter of the list, list URL name, ordering
    ("systems", "AI systems", systems_for, AISystemFilter, "inventory:system_list", "name"),
    (
        "versions",
        "Model versions",
        model_versions_for,
        ModelVersionFilter,
        "inventory:model_version_list",
        "system__name",
    ),
    (
        "deployments",
        "Deployments",
        deployments_for,
        DeploymentFilter,
        "dashboard:portfolio",
        "model_version__system__name",
    ),
    ("people", "People", people_for, PeopleFilter, "dashboard:people", "username"),
]


def search(user: Any, text: str, *, limit: int = 8) -> list[SearchSection]:
    """The first `limit` matches of each kind, with the total; two queries per kind."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    if not text:
        return []
    sections = []
    for key, title, rows_for, filter_class, list_url, ordering in SECTIONS:
        matches = filter_class({"q": text}, queryset=rows_for(user)).qs.order_by(ordering, "pk")
        sections.append(
            SearchSection(
                key=key,
                title=title,
                objects=list(matches[:limit]),
                count=matches.count(),
                more_url=f"{reverse(list_url)}?{urlencode({'q': text})}",
            )
        )
    return sections
