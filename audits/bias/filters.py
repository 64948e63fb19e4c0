from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q

from audits.bias.choices import AuditStatus, AuditType, DataSource
from audits.bias.models import BiasAudit


class BiasAuditFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=AuditStatus.choices)
    audit_type = django_filters.ChoiceFilter(choices=AuditType.choices)
    data_source = django_filters.ChoiceFilter(choices=DataSource.choices)
    independent = django_filters.BooleanFilter(
        method="filter_independent",
        label="Independent",
        widget=forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")]),
    )
    # Ids rather than drop-downs: a select listing every record would not scale.
    deployment = django_filters.UUIDFilter(field_name="deployment")
    model_version = django_filters.UUIDFilter(field_name="model_version")

    class Meta:
        model = BiasAudit
        fields = (
            "q",
            "status",
            "audit_type",
            "data_source",
            "independent",
            "deployment",
            "model_version",
        )

    def search(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(
            Q(model_version__system__name__icontains=value)
            | Q(auditor_organisation__icontains=value)
            | Q(auditor_name__icontains=value)
        )

    def filter_independent(self, queryset: Any, name: str, value: bool | None) -> Any:
        if value is None:
            return queryset
        independent = queryset.independent()
        return independent if value else queryset.exclude(pk__in=independent.values("pk"))
