from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q

from governance.accounts.models import User
from governance.findings.choices import FindingState, Severity, SourceKind
from governance.findings.models import Finding
from governance.findings.selectors import needs_owner_q, open_q, overdue_q


class FindingFilter(django_filters.FilterSet):
    """Filters of the findings list page and of `GET /api/v1/findings/`."""

    q = django_filters.CharFilter(method="search", label="Search")
    # Columns of the finding itself: no join can repeat a row, so no DISTINCT (which would
    # make PostgreSQL compare every column of every matching row before counting them).
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, distinct=False)
    state = django_filters.MultipleChoiceFilter(choices=FindingState.choices, distinct=False)
    source_kind = django_filters.ChoiceFilter(choices=SourceKind.choices, label="Source")
    owner = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("first_name", "last_name", "username"), label="Owner"
    )
    deployment = django_filters.UUIDFilter(field_name="deployment")
    open = django_filters.ChoiceFilter(
        choices=[("yes", "Open (blocks as the gate counts it)"), ("no", "Not open")],
        method="only_open",
        label="Open",
        empty_label="Open or not",
    )
    overdue = django_filters.ChoiceFilter(
        choices=[("yes", "Overdue")], method="only_overdue", label="Due", empty_label="Any"
    )
    needs_owner = django_filters.ChoiceFilter(
        choices=[("yes", "Owner deactivated: needs a new owner")],
        method="only_needing_owner",
        label="Owner",
        empty_label="Any",
    )

    class Meta:
        model = Finding
        fields = (
            "q",
            "severity",
            "state",
            "source_kind",
            "owner",
            "deployment",
            "open",
            "overdue",
            "needs_owner",
        )

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(deployment__model_version__system__name__icontains=value)
            | Q(deployment__environment__icontains=value)
        )

    def only_open(self, queryset: Any, name: str, value: str) -> Any:
        if value == "yes":
            return queryset.filter(open_q())
        if value == "no":
            return queryset.exclude(open_q())
        return queryset

    def only_overdue(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(overdue_q()) if value == "yes" else queryset

    def only_needing_owner(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(needs_owner_q()) if value == "yes" else queryset
