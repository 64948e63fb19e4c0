from __future__ import annotations

import django_filters

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
