from __future__ import annotations

import django_filters

from audits.reports.models import Export, JobStatus, Report, ReportKind


class ReportFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title")
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices)
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Report
        fields = ("q", "kind", "status")


class ExportFilter(django_filters.FilterSet):
    recipient = django_filters.CharFilter(lookup_expr="icontains")
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)

    class Meta:
        model = Export
        fields = ("recipient", "status")
