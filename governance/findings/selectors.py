"""Reads of findings for pages, the API, the gate, the dashboard and other rooms.

Every selector runs a constant number of queries whatever the number of findings.
Public entry points for other rooms: `open_findings_of`, `findings_to_act_on`,
`findings_due`, `findings_overdue`, `open_counts`, `findings_digest` (for reports).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from governance.accounts.permissions import Perm, can
from governance.findings.choices import ACTIVE_STATES, SEVERITY_RANK, FindingState
from governance.findings.models import Finding, FindingEvidence, FindingRiskSignoff
from governance.ledger.models import LedgerEvent

S = FindingState
LIST_RELATED = ("deployment__model_version__system", "owner")


def findings_for(user: Any) -> QuerySet[Finding]:
    """Every finding the person may read (all of them for anyone who can view records)."""
    if not can(user, Perm.VIEW):
        return Finding.objects.none()
    return Finding.objects.select_related(*LIST_RELATED)


def findings_listed(user: Any) -> QuerySet[Finding]:
    """`findings_for` for the paginated list: the related rows are read for the page only.

    Joining the deployment, model version, system and owner before sorting makes PostgreSQL
    join every finding and sort the wide rows to keep 25 of them; reading the page from the
    findings table alone and its related rows by primary key (4 more queries, whatever the
    number of findings) keeps the page's cost that of sorting one table. Annotated with the
    severity rank the list sorts by.
    """
    readable = Finding.objects.all() if can(user, Perm.VIEW) else Finding.objects.none()
    return _by_severity(readable.prefetch_related(*LIST_RELATED))


def open_q(today: dt.date | None = None) -> Q:
    """Open as the gate means it: anything but closed, or a risk acceptance still running."""
    today = today or timezone.localdate()
    return ~Q(state=S.CLOSED) & ~Q(state=S.RISK_ACCEPTED, risk_accepted_until__gt=today)


def accepted_q(today: dt.date | None = None) -> Q:
    """Under a risk acceptance that still runs (the complement of `open_q` among accepted)."""
    today = today or timezone.localdate()
    return Q(state=S.RISK_ACCEPTED, risk_accepted_until__gt=today)


def overdue_q(today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(state__in=ACTIVE_STATES, due_date__lt=today)


def needs_owner_q() -> Q:
    """Still being worked on, but its owner's account was deactivated: someone must take it."""
    return Q(state__in=ACTIVE_STATES, owner__is_active=False)


def open_findings_of(deployment: Any, *, today: dt.date | None = None) -> QuerySet[Finding]:
    """A deployment's open findings, most severe first (for its tab and its report section)."""
    return _by_severity(
        Finding.objects.filter(open_q(today), deployment=deployment).select_related("owner")
    )


def settled_findings_of(
    user: Any, deployment: Any, *, today: dt.date | None = None
) -> QuerySet[Finding]:
    """A deployment's findings that are not open (closed, or under a running risk acceptance),
    newest first: the rest of its tab after `open_findings_of`."""
    settled = Q(state=S.CLOSED) | accepted_q(today)
    return findings_for(user).filter(settled, deployment=deployment).order_by("-created_at")


def _by_severity(queryset: QuerySet[Finding]) -> QuerySet[Finding]:
    rank = Case(
        *[When(severity=sev, then=Value(r)) for sev, r in SEVERITY_RANK.items()],
        output_field=IntegerField(),
    )
    return queryset.annotate(severity_rank=rank).order_by("-severity_rank", "due_date", "pk")


def open_findings_by_deployment(
    deployment_ids: Sequence[Any], *, today: dt.date | None = None
) -> dict[Any, list[Finding]]:
    """Open findings of many deployments at once (one query), most severe first."""
    found: dict[Any, list[Finding]] = {pk: [] for pk in deployment_ids}
    rows = _by_severity(
        Finding.objects.filter(open_q(today), deployment_id__in=list(deployment_ids))
    ).only("id", "deployment_id", "severity", "title", "state", "due_date", "risk_accepted_until")
    for row in rows:
        found[row.deployment_id].append(row)
    return found


def findings_to_act_on(user: Any, *, today: dt.date | None = None) -> QuerySet[Finding]:
    """What this person must do something about: findings they own that are not yet resolved,
    and (for verifiers) resolved findings someone else resolved, and (for those who close)
    verified ones."""
    if not can(user, Perm.VIEW):
        return Finding.objects.none()
    wanted = Q(owner=user, state__in=(S.OPEN, S.REOPENED, S.IN_REMEDIATION))
    if can(user, Perm.FINDING_VERIFY):
        wanted |= Q(state=S.RESOLVED) & ~Q(resolved_by=user)
        wanted |= Q(state=S.VERIFIED)
    return _by_severity(Finding.objects.filter(wanted).select_related(*LIST_RELATED))


def first_findings(queryset: QuerySet[Finding], count: int) -> list[Finding]:
    """The first `count` findings of a queryset of `findings_to_act_on`'s shape, in one query.

    The order is taken on the findings table alone in a subquery and the related rows are
    joined to those few only: joining first makes PostgreSQL join every matching finding
    (thousands for a verifier) before keeping a handful.
    """
    first = queryset.select_related(None).values("pk")[:count]
    return list(_by_severity(Finding.objects.filter(pk__in=first).select_related(*LIST_RELATED)))


def findings_due(*, within_days: int, today: dt.date | None = None) -> QuerySet[Finding]:
    """Findings still to act on whose due date falls within the next `within_days` days."""
    today = today or timezone.localdate()
    return Finding.objects.filter(
        state__in=ACTIVE_STATES,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=within_days),
    ).select_related(*LIST_RELATED)


def findings_overdue(*, today: dt.date | None = None) -> QuerySet[Finding]:
    return Finding.objects.filter(overdue_q(today)).select_related(*LIST_RELATED)


def open_counts(
    queryset: QuerySet[Finding] | None = None, *, today: dt.date | None = None
) -> dict[str, int]:
    """Open findings by severity, with the overdue total, in one query."""
    today = today or timezone.localdate()
    base = Finding.objects.all() if queryset is None else queryset
    figures = base.filter(open_q(today)).aggregate(
        total=Count("pk"),
        critical=Count("pk", filter=Q(severity="critical")),
        high=Count("pk", filter=Q(severity="high")),
        medium=Count("pk", filter=Q(severity="medium")),
        low=Count("pk", filter=Q(severity="low")),
        overdue=Count("pk", filter=overdue_q(today)),
        awaiting_verification=Count("pk", filter=Q(state=S.RESOLVED)),
        needs_owner=Count("pk", filter=needs_owner_q()),
    )
    return {key: int(value or 0) for key, value in figures.items()}


def finding_detail(user: Any, pk: Any) -> Finding:
    return (
        findings_for(user)
        .select_related("policy", "raised_by", "resolved_by", "verified_by")
        .get(pk=pk)
    )


def timeline(finding: Finding) -> QuerySet[LedgerEvent]:
    """The finding's ledger events, oldest first."""
    return LedgerEvent.objects.filter(
        subject_type=Finding._meta.label_lower, subject_id=str(finding.pk)
    ).order_by("seq")


def evidence_of(finding: Finding) -> QuerySet[FindingEvidence]:
    return (
        FindingEvidence.objects.filter(finding=finding)
        .select_related("uploaded_by")
        .order_by("created_at", "pk")
    )


def current_signoffs(finding: Finding) -> QuerySet[FindingRiskSignoff]:
    """The signatures of the finding's current acceptance round."""
    return FindingRiskSignoff.objects.filter(
        finding=finding, acceptance_round=finding.acceptance_round
    ).select_related("signer")


@dataclass(frozen=True)
class FindingsDigest:
    """What a report says about findings: open ones, those under a running risk acceptance
    (with the signatures of the current round) and those closed within a period."""

    open: list[Finding]
    accepted: list[Finding]
    closed: list[Finding]
    signoffs: dict[Any, list[FindingRiskSignoff]]


def findings_digest(
    queryset: QuerySet[Finding], *, since: dt.datetime, until: dt.datetime, today: dt.date
) -> FindingsDigest:
    """Split the readable findings (`findings_for(viewer)`, narrowed as the caller needs) for a
    report, most severe first. Two queries whatever the number of findings or signatures."""
    closed_q = Q(state=S.CLOSED, closed_at__gte=since, closed_at__lte=until)
    rows = list(
        _by_severity(
            queryset.filter(open_q(today) | accepted_q(today) | closed_q).select_related(
                "owner", "resolved_by", "verified_by"
            )
        )
    )
    # A subquery, not a list of ids, so the read is one query even when nothing is accepted.
    signoffs: dict[Any, list[FindingRiskSignoff]] = {}
    for signoff in (
        FindingRiskSignoff.objects.filter(
            finding__in=queryset.filter(accepted_q(today)).values("pk"),
            acceptance_round=F("finding__acceptance_round"),
        )
        .select_related("signer")
        .order_by("signed_at", "pk")
    ):
        signoffs.setdefault(signoff.finding_id, []).append(signoff)

    def under_acceptance(f: Finding) -> bool:
        until = f.risk_accepted_until
        return f.state == S.RISK_ACCEPTED and until is not None and until > today

    return FindingsDigest(
        open=[f for f in rows if f.state != S.CLOSED and not under_acceptance(f)],
        accepted=[f for f in rows if under_acceptance(f)],
        closed=[f for f in rows if f.state == S.CLOSED],
        signoffs=signoffs,
    )
