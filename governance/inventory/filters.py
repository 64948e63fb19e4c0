from __future__ import annotations

from typing import Any

import django_filters

from governance.inventory.choices import (
    AnnexIIIArea,
    AnnexIIIPoint,
    DeploymentStatus,
    Hosting,
    RolloutPattern,
)
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion


class AISystemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")
    annex_iii_area = django_filters.ChoiceFilter(choices=AnnexIIIArea.choices)
    annex_iii_point = django_filters.ChoiceFilter(choices=AnnexIIIPoint.choices)

    class Meta:
        model = AISystem
        fields = (
            "q",
            "annex_iii_area",
            "annex_iii_point",
            "sourcing",
            "business_unit",
            "profiles_natural_persons",
            "public_service",
            "nyc_employment_decisions",
        )


class DatasetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")

    class Meta:
        model = Dataset
        fields = ("q", "legal_basis")


class ModelVersionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")

    system = django_filters.UUIDFilter(field_name="system")

    class Meta:
        model = ModelVersion
        fields = ("q", "system")

    def search(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(version_label__icontains=value) | queryset.filter(
            system__name__icontains=value
        )


class DeploymentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=DeploymentStatus.choices)
    hosting = django_filters.ChoiceFilter(choices=Hosting.choices)
    rollout_pattern = django_filters.ChoiceFilter(choices=RolloutPattern.choices)
    # Ids rather than drop-downs: a select listing every record would not scale.
    system = django_filters.UUIDFilter(field_name="model_version__system")
    model_version = django_filters.UUIDFilter(field_name="model_version")
    environment = django_filters.CharFilter(lookup_expr="iexact")
    annex_iii_area = django_filters.ChoiceFilter(
        field_name="model_version__system__annex_iii_area", choices=AnnexIIIArea.choices
    )

    class Meta:
        model = Deployment
        fields = (
            "q",
            "status",
            "environment",
            "hosting",
            "rollout_pattern",
            "system",
            "model_version",
            "annex_iii_area",
        )

    def search(self, queryset: Any, name: str, value: str) -> Any:
        from governance.inventory.selectors import search_deployments

        return search_deployments(queryset, value)
