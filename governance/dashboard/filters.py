"""Filters of the dashboard's lists. Every figure on the overview links to one of these."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.approvals.models import ApprovalRequest, GateDecision, RequestStatus
from governance.dashboard import selectors
from governance.dashboard.panels import portfolio_filters
from governance.inventory.choices import AnnexIIIArea, DeploymentStatus
from governance.inventory.models import Deployment
from governance.liability.selectors import orphaned
from governance.risk.tiers import Tier

TIER_CHOICES = [*Tier.choices, (selectors.NOT_ASSESSED, "Not assessed")]
APPROVAL_CHOICES = [("none", "Never requested"), *RequestStatus.choices]


class PortfolioFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=DeploymentStatus.choices)
    live = django_filters.ChoiceFilter(
        choices=[("yes", "Live (not retired)")],
        empty_label="All, retired too",
        method="only_live",
        label="Lifecycle",
    )
    tier = django_filters.ChoiceFilter(choices=TIER_CHOICES, method="by_tier", label="Risk tier")
    approval = django_filters.ChoiceFilter(
        choices=APPROVAL_CHOICES, method="by_approval", label="Latest approval"
    )
    waiting = django_filters.ChoiceFilter(
        choices=[(key, label) for key, label, *_ in selectors.WAITING_BUCKETS],
        method="by_waiting",
        label="Pending for",
    )
    sla = django_filters.ChoiceFilter(
        choices=[("breached", "Current stage past its SLA")], method="by_sla", label="SLA"
    )
    expires_within = django_filters.ChoiceFilter(
        choices=[(str(d), f"{d} days") for d in selectors.EXPIRY_HORIZONS],
        method="by_expiry",
        label="Approval expires within",
    )
    orphaned = django_filters.ChoiceFilter(
        choices=[("yes", "No accepted owner")],
        empty_label="All",
        method="only_orphaned",
        label="Ownership",
    )
    owner = django_filters.CharFilter(method="by_owner", label="Accountable owner (username)")
    registered_by = django_filters.CharFilter(
        field_name="created_by__username", lookup_expr="iexact", label="Registered by (username)"
    )
    annex_iii_area = django_filters.ChoiceFilter(
        field_name="model_version__system__annex_iii_area",
        choices=AnnexIIIArea.choices,
        label="Annex III area",
    )

    class Meta:
        model = Deployment
        fields = (
            "q",
            "status",
            "live",
            "tier",
            "approval",
            "waiting",
            "sla",
            "expires_within",
            "orphaned",
            "owner",
            "registered_by",
            "annex_iii_area",
        )

    def __init__(self, data: Any = None, queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(data, queryset=queryset, **kwargs)
        # Filters other rooms registered (the bias room's "due" and "stale", …).
        for spec in portfolio_filters():
            extra = django_filters.ChoiceFilter(
                choices=spec.choices, label=spec.label, method=_registered(spec.apply)
            )
            extra.model = Deployment
            extra.parent = self
            self.filters[spec.name] = extra

    def search(self, queryset: Any, name: str, value: str) -> Any:
        from governance.inventory.selectors import search_deployments

        return search_deployments(queryset, value)

    def only_live(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.live(queryset)

    def by_tier(self, queryset: Any, name: str, value: str) -> Any:
        # `risk_tier` is the risk room's annotation, so it is named by string.
        if value == selectors.NOT_ASSESSED:
            return queryset.filter(**{"risk_tier__isnull": True})
        return queryset.filter(**{"risk_tier": value})

    def by_approval(self, queryset: Any, name: str, value: str) -> Any:
        if value == "none":
            return queryset.filter(**{"approval_status__isnull": True})
        return queryset.filter(**{"approval_status": value})

    def by_waiting(self, queryset: Any, name: str, value: str) -> Any:
        requests = ApprovalRequest.objects.filter(selectors.waiting_q(value, timezone.now()))
        return selectors.with_request(queryset, requests)

    def by_sla(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.with_request(queryset, selectors.sla_breached_requests(timezone.now()))

    def by_expiry(self, queryset: Any, name: str, value: str) -> Any:
        requests = ApprovalRequest.objects.filter(selectors.expiring_q(int(value), timezone.now()))
        return selectors.with_request(queryset, requests)

    def only_orphaned(self, queryset: Any, name: str, value: str) -> Any:
        return orphaned(selectors.live(queryset))

    def by_owner(self, queryset: Any, name: str, value: str) -> Any:
        return selectors.owned_by(queryset, value.strip())


def _registered(apply: Any) -> Any:
    def method(queryset: Any, name: str, value: str) -> Any:
        return apply(queryset, value)

    return method


class GateDecisionFilter(django_filters.FilterSet):
    allowed = django_filters.ChoiceFilter(
        choices=[("no", "Denied"), ("yes", "Allowed")], method="by_verdict", label="Verdict"
    )
    days = django_filters.ChoiceFilter(
        choices=[("1", "Last 24 hours"), ("7", "Last 7 days"), ("30", "Last 30 days")],
        method="within_days",
        label="When",
        empty_label="Any time",
    )
    deployment = django_filters.UUIDFilter(field_name="deployment")

    class Meta:
        model = GateDecision
        fields = ("allowed", "days", "deployment")

    def by_verdict(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(allowed=value == "yes")

    def within_days(self, queryset: Any, name: str, value: str) -> Any:
        import datetime as dt

        return queryset.filter(asked_at__gte=timezone.now() - dt.timedelta(days=int(value)))


class PeopleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name, username or e-mail")
    role = django_filters.ChoiceFilter(
        choices=Role.choices, field_name="role_grants__role", label="Role", distinct=True
    )
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = User
        fields = ("q", "role", "is_active")

    def search(self, queryset: Any, name: str, value: str) -> Any:
        # Every word must match somewhere, so "maya patel" finds Maya Patel.
        for word in value.split():
            queryset = queryset.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset
