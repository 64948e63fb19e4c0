from __future__ import annotations

import string
from typing import Any

import django_filters
from django import forms
from django.apps import apps
from django.db.models import Q

from governance.ledger.describe import action_label, event_sentences, record_type_label
from governance.ledger.models import LedgerEvent

# The rooms whose records events are about (not Django's own tables).
RECORD_PACKAGES = ("governance.", "audits.")


def record_type_choices() -> list[tuple[str, str]]:
    """Every kind of record an event can be about, by its human name (no query)."""
    choices = {
        model._meta.label_lower: record_type_label(model._meta.label_lower)
        for model in apps.get_models()
        if model.__module__.startswith(RECORD_PACKAGES) and model._meta.app_label != "ledger"
    }
    return sorted(choices.items(), key=lambda item: item[1].lower())


def _plain_words(template: str) -> str:
    """A sentence template without its placeholders, for matching what a person types."""
    return " ".join(text for text, *_ in string.Formatter().parse(template)).lower()


def kinds_matching(text: str) -> list[str]:
    words = text.lower().split()
    return sorted(
        kind
        for kind, template in event_sentences().items()
        if all(word in _plain_words(template) or word in kind for word in words)
    )


class LedgerEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(
        method="by_action",
        label="Action",
        help_text="Words of what happened (“approved”, “bias audit”) or an event code.",
    )
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label="Person")
    subject_type = django_filters.ChoiceFilter(
        label="Record type", empty_label="Any record", choices=record_type_choices
    )
    subject_id = django_filters.CharFilter(label="Record id")
    deployment = django_filters.CharFilter(field_name="deployment_id", label="Deployment id")
    since = django_filters.IsoDateTimeFilter(
        field_name="ts",
        lookup_expr="gte",
        label="From (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="ts",
        lookup_expr="lt",
        label="To (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = LedgerEvent
        fields = ("action", "actor", "subject_type", "subject_id", "deployment", "since", "until")

    def by_action(self, queryset: Any, name: str, value: str) -> Any:
        # An event code (or its prefix) still works, so links and habits keep working.
        return queryset.filter(Q(action__startswith=value) | Q(action__in=kinds_matching(value)))


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
        self.filters["action"].extra["choices"] = sorted(
            ((a, action_label(a)) for a in actions), key=lambda item: item[1].lower()
        )
        people: dict[str, str] = {}
        for actor_id, name in events.values_list("actor_id", "actor_name").distinct():
            people[actor_id or SYSTEM_ACTOR] = name or "the system"
        self.filters["person"].extra["choices"] = sorted(
            people.items(), key=lambda item: item[1].lower()
        )

    def by_person(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(actor_id="" if value == SYSTEM_ACTOR else value)
