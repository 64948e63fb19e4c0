"""Filters of the user administration list."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Q

from governance.accounts.models import User
from governance.accounts.roles import Role


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    role = django_filters.ChoiceFilter(
        choices=[*Role.choices, ("none", "No role")],
        method="by_role",
        label="Role",
        empty_label="Any",
    )
    active = django_filters.ChoiceFilter(
        choices=[("yes", "Active"), ("no", "Deactivated"), ("invited", "Invited, no password yet")],
        method="by_state",
        label="Account",
        empty_label="Any",
    )

    class Meta:
        model = User
        fields = ("q", "role", "active")

    def search(self, queryset: Any, name: str, value: str) -> Any:
        for word in value.split()[:5]:
            queryset = queryset.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset

    def by_role(self, queryset: Any, name: str, value: str) -> Any:
        if value == "none":
            return queryset.filter(role_grants__isnull=True)
        # One grant per user and role (a database constraint): the join repeats no row.
        return queryset.filter(role_grants__role=value)

    def by_state(self, queryset: Any, name: str, value: str) -> Any:
        if value == "yes":
            return queryset.filter(is_active=True)
        if value == "no":
            return queryset.filter(is_active=False)
        if value == "invited":
            unusable = {"password__startswith": UNUSABLE_PASSWORD_PREFIX}
            return queryset.filter(is_active=True, **unusable)
        return queryset
