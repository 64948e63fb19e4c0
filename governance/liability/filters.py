from __future__ import annotations

from typing import Any

import django_filters

from governance.accounts.models import User
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.liability.choices import OfferStatus, PartyKind, Raci
from governance.liability.models import OwnershipOffer, Party


class MatrixFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    person = django_filters.ModelChoiceFilter(
        queryset=User.objects.order_by("first_name", "last_name", "username"),
        method="for_person",
        label="Person",
    )
    raci = django_filters.ChoiceFilter(
        choices=Raci.choices, method="noop", label="Their RACI role", empty_label="any"
    )
    status = django_filters.MultipleChoiceFilter(choices=DeploymentStatus.choices)
    orphaned = django_filters.ChoiceFilter(
        choices=[("yes", "No accepted owner")],
        empty_label="All deployments",
        method="only_orphaned",
        label="Ownership",
    )

    class Meta:
        model = Deployment
        fields = ("q", "person", "raci", "status", "orphaned")

    def search(self, queryset: Any, name: str, value: str) -> Any:
        from governance.inventory.selectors import search_deployments

        return search_deployments(queryset, value)

    def noop(self, queryset: Any, name: str, value: Any) -> Any:
        # Read by `for_person`: the role narrows what the person is matched on.
        return queryset

    def for_person(self, queryset: Any, name: str, value: Any) -> Any:
        from governance.liability.selectors import involving_person

        if value is None:
            return queryset
        return involving_person(queryset, value, self.form.cleaned_data.get("raci") or "")

    def only_orphaned(self, queryset: Any, name: str, value: str) -> Any:
        from governance.liability.selectors import orphaned

        if not value:
            return queryset
        return orphaned(queryset.exclude(status=DeploymentStatus.RETIRED))


class PartyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")
    kind = django_filters.ChoiceFilter(choices=PartyKind.choices)

    class Meta:
        model = Party
        fields = ("q", "kind")


class OfferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OfferStatus.choices)
    deployment = django_filters.UUIDFilter(field_name="deployment")
    to_user = django_filters.UUIDFilter(field_name="to_user")

    class Meta:
        model = OwnershipOffer
        fields = ("status", "deployment", "to_user")
