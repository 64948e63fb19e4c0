from __future__ import annotations

from typing import Any

import django_filters

from governance.risk.models import (
    AssessmentStatus,
    Methodology,
    MethodologyKind,
    Risk,
    RiskAssessment,
    RiskCategory,
    RiskStatus,
    StatutoryAssessment,
    StatutoryKind,
    StatutoryStatus,
    Treatment,
)
from governance.risk.tiers import Tier

SCORES = [(n, str(n)) for n in range(1, 26)]
LEVELS = [(n, str(n)) for n in range(1, 6)]


class RiskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    category = django_filters.MultipleChoiceFilter(choices=RiskCategory.choices)
    status = django_filters.MultipleChoiceFilter(choices=RiskStatus.choices)
    treatment = django_filters.ChoiceFilter(choices=Treatment.choices)
    # Plain choice filters (not typed ones) so each select starts empty; the database casts.
    min_residual = django_filters.ChoiceFilter(
        field_name="residual_score",
        lookup_expr="gte",
        choices=SCORES,
        label="Residual score at least",
    )
    # The heat map links to its cells with these two.
    likelihood = django_filters.ChoiceFilter(
        field_name="residual_likelihood", choices=LEVELS, label="Residual likelihood"
    )
    impact = django_filters.ChoiceFilter(
        field_name="residual_impact", choices=LEVELS, label="Residual impact"
    )
    deployment = django_filters.UUIDFilter(field_name="deployment")

    class Meta:
        model = Risk
        fields = ("q", "category", "status", "treatment", "min_residual", "deployment")

    def search(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(title__icontains=value) | queryset.filter(
            deployment__model_version__system__name__icontains=value
        )


class AssessmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AssessmentStatus.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)

    class Meta:
        model = RiskAssessment
        fields = ("status", "tier")


class StatutoryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=StatutoryKind.choices)
    status = django_filters.ChoiceFilter(choices=StatutoryStatus.choices)

    class Meta:
        model = StatutoryAssessment
        fields = ("kind", "status")


class MethodologyFilter(django_filters.FilterSet):
    slug = django_filters.CharFilter()
    kind = django_filters.ChoiceFilter(choices=MethodologyKind.choices)

    class Meta:
        model = Methodology
        fields = ("slug", "kind")
