"""Weekly trends of the compliance overview, each a fixed number of queries.

Counts are grouped by week in the database (weeks start on Monday, UTC); the medians and the
sign-offs past their stage's SLA are worked out here over the bounded window (the last
`WEEKS` weeks), so the number of queries stays the same however many rows there are.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateTimeField, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from governance.accounts.permissions import Perm, can
from governance.approvals.models import (
    ApprovalRequest,
    GateDecision,
    PolicyStage,
    SignOff,
    StageCompletion,
)
from governance.findings.models import Finding

WEEKS = 12


@dataclass(frozen=True)
class Trend:
    """Values per week, oldest first: `series` maps a name to one value per week."""

    weeks: list[dt.date]
    series: dict[str, list[float | None]]


def week_start(moment: dt.datetime | dt.date) -> dt.date:
    day = moment.astimezone(dt.UTC).date() if isinstance(moment, dt.datetime) else moment
    return day - dt.timedelta(days=day.weekday())


def window(now: dt.datetime | None = None, weeks: int = WEEKS) -> list[dt.date]:
    """The Mondays of the last `weeks` weeks, this one last."""
    current = week_start(now or timezone.now())
    return [current - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _since(weeks: list[dt.date]) -> dt.datetime:
    return dt.datetime.combine(weeks[0], dt.time.min, tzinfo=dt.UTC)


def weekly_counts(queryset: QuerySet[Any], field: str, weeks: list[dt.date]) -> list[float | None]:
    """Rows of `queryset` per week of `field`, counted by the database in one query."""
    rows = (
        queryset.filter(**{f"{field}__gte": _since(weeks)})
        .annotate(week=TruncWeek(field, output_field=DateTimeField(), tzinfo=dt.UTC))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {week_start(row["week"]): row["n"] for row in rows}
    return [float(counts.get(week, 0)) for week in weeks]


def _by_week(moments: Iterable[dt.datetime]) -> Counter[dt.date]:
    return Counter(week_start(moment) for moment in moments)


def approvals_trend(user: Any, now: dt.datetime | None = None) -> Trend | None:
    """Approval requests asked for and completed (any decision, or withdrawn) per week, and
    the median days from request to approval of those approved that week. Two queries."""
    if not can(user, Perm.VIEW):
        return None
    weeks = window(now)
    requested = weekly_counts(ApprovalRequest.objects.all(), "created_at", weeks)
    closed = ApprovalRequest.objects.filter(decided_at__gte=_since(weeks)).values_list(
        "created_at", "decided_at", "expires_at"
    )
    completed: Counter[dt.date] = Counter()
    durations: dict[dt.date, list[float]] = defaultdict(list)
    for created, decided, expires in closed:
        if decided is None:  # excluded by the filter; narrows the type
            continue
        week = week_start(decided)
        completed[week] += 1
        if expires is not None:  # only an approval sets the re-certification date
            durations[week].append((decided - created).total_seconds() / 86400)
    return Trend(
        weeks=weeks,
        series={
            "Requested": requested,
            "Completed": [float(completed[w]) for w in weeks],
            "Median days to approve": [
                round(statistics.median(durations[w]), 2) if durations[w] else None for w in weeks
            ],
        },
    )


def late_signoffs_trend(user: Any, now: dt.datetime | None = None) -> Trend | None:
    """Sign-offs given after their stage's SLA had run out, per week they were given. A stage
    starts when the request is made (the first) or when the previous stage completed. Three
    queries: the window's sign-offs, the stages' SLAs, the completions of their requests."""
    if not can(user, Perm.VIEW):
        return None
    weeks = window(now)
    signoffs = list(
        SignOff.objects.filter(signed_at__gte=_since(weeks)).values_list(
            "request_id", "stage_order", "signed_at", "request__created_at", "request__policy_id"
        )
    )
    sla = {
        (policy, order): hours
        for policy, order, hours in PolicyStage.objects.values_list(
            "policy_id", "order", "sla_hours"
        )
    }
    completions = {
        (request, order): at
        # Read through a join rather than a list of ids, so it is one query even when empty.
        for request, order, at in StageCompletion.objects.filter(
            request__signoffs__signed_at__gte=_since(weeks)
        )
        .distinct()
        .values_list("request_id", "stage_order", "completed_at")
    }
    late = []
    for request, order, signed_at, created_at, policy in signoffs:
        started = completions.get((request, order - 1), created_at)
        hours = sla.get((policy, order))
        if hours is not None and signed_at > started + dt.timedelta(hours=hours):
            late.append(signed_at)
    counts = _by_week(late)
    return Trend(weeks=weeks, series={"Past their SLA": [float(counts[w]) for w in weeks]})


def gate_denials_trend(user: Any, now: dt.datetime | None = None) -> Trend | None:
    """The gate's refusals per week. One query."""
    if not can(user, Perm.VIEW):
        return None
    weeks = window(now)
    denied = GateDecision.objects.filter(allowed=False)
    return Trend(weeks=weeks, series={"Denials": weekly_counts(denied, "asked_at", weeks)})


def findings_trend(user: Any, now: dt.datetime | None = None) -> Trend | None:
    """Findings opened and closed per week. Two queries."""
    if not can(user, Perm.VIEW):
        return None
    weeks = window(now)
    findings = Finding.objects.all()
    return Trend(
        weeks=weeks,
        series={
            "Opened": weekly_counts(findings, "created_at", weeks),
            "Closed": weekly_counts(findings.filter(closed_at__isnull=False), "closed_at", weeks),
        },
    )
