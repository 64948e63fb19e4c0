from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from governance.ledger.models import LedgerEvent


class LedgerEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith")
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Person")
    subject_type = django_filters.CharFilter()
    subject_id = django_filters.CharFilter()
    deployment = django_filters.CharFilter(field_name="deployment_id")
    since = django_filters.IsoDateTimeFilter(field_name="ts", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="ts", lookup_expr="lt")

    class Meta:
        model = LedgerEvent
        fields = ("action", "actor", "subject_type", "subject_id", "deployment", "since", "until")


SYSTEM_ACTOR = "system"


class HistoryFilter(django_filters.FilterSet):
    """The History tab of one record: its events by action, by person and by date.

    The choices are the actions and people that occur in this record's events, so the
    drop-downs stay short whatever the size of the whole ledger (two grouped queries over
    the record's own events).
    """

    action = django_filters.ChoiceFilter(label="Action", empty_label="Any action")
    person = django_filters.ChoiceFilter(label="Person", empty_label="Anyone", method="by_person")
    since = django_filters.DateFilter(
        field_name="ts",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="ts",
        lookup_expr="date__lte",
        label="Until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = LedgerEvent
        fields = ("action", "person", "since", "until")

    def __init__(self, data: Any = None, queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(data, queryset=queryset, **kwargs)
        events = self.queryset.order_by()
        actions = events.values_list("action", flat=True).distinct()
        self.filters["action"].extra["choices"] = [(a, a) for a in sorted(actions)]
        people: dict[str, str] = {}
        for actor_id, name in events.values_list("actor_id", "actor_name").distinct():
            people[actor_id or SYSTEM_ACTOR] = name or "the system"
        self.filters["person"].extra["choices"] = sorted(
            people.items(), key=lambda item: item[1].lower()
        )

    def by_person(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(actor_id="" if value == SYSTEM_ACTOR else value)
