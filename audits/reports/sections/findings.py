"""The findings room's part of a report (Annex IV §5, the risk-management system).

What is wrong and who must act: the open findings (severity, owner, due date, whether it is
overdue, state), the findings whose risk is accepted with every signature of the running
acceptance (printed name, role, time, rationale, expiry), and the findings closed within the
report's period, with counts by severity.

The period of a dossier is the last 12 months, or since the deployment was registered when
that is later; of the portfolio, the last 12 months (a report has no period of its own). Both
read through the findings room's `findings_digest` (two queries) as the report's requester.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from audits.reports.sections import Section, SnapshotContext
from governance.accounts.roles import Role
from governance.core.canonical import format_timestamp
from governance.findings.choices import FindingState, Severity, SourceKind
from governance.findings.models import Finding, FindingRiskSignoff
from governance.findings.selectors import FindingsDigest, findings_digest, findings_for

SEVERITIES = [s.value for s in reversed(Severity)]  # most severe first, as the lists are


def twelve_months_before(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.display_name}


def _label(choices: Any, value: str) -> str:
    return dict(choices.choices).get(value, value)


def _finding(f: Finding, today: dt.date, *, portfolio: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": str(f.pk),
        "title": f.title,
        "severity": f.severity,
        "severity_label": _label(Severity, f.severity),
        "state": f.state,
        "state_label": _label(FindingState, f.state),
        "source_kind": f.source_kind,
        "source_label": _label(SourceKind, f.source_kind),
        "owner": _person(f.owner),
        "raised_at": format_timestamp(f.created_at),
        "due_date": f.due_date.isoformat(),
        "overdue": f.is_overdue(today),
    }
    if portfolio:
        version = f.deployment.model_version
        row["deployment"] = {
            "id": str(f.deployment_id),
            "system": version.system.name,
            "version": version.version_label,
            "environment": f.deployment.environment,
        }
    return row


def _signature(s: FindingRiskSignoff) -> dict[str, Any]:
    return {
        "id": str(s.pk),
        "printed_name": s.printed_name,
        "signer_username": s.signer.get_username(),
        "signed_as": s.signed_as,
        "signed_as_label": _label(Role, s.signed_as),
        "signed_at": format_timestamp(s.signed_at),
        "meaning": s.meaning,
        "rationale": s.rationale,
        "expires_on": s.expires_on.isoformat(),
        "signature_hash": s.signature_hash,
    }


def _counts(**groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Each group's findings by severity (most severe first), and each group's total."""
    by_severity = [
        {
            "severity": severity,
            "label": _label(Severity, severity),
            **{
                name: sum(1 for r in rows if r["severity"] == severity)
                for name, rows in groups.items()
            },
        }
        for severity in SEVERITIES
    ]
    return {"by_severity": by_severity, "total": {name: len(rows) for name, rows in groups.items()}}


def _data(
    digest: FindingsDigest,
    *,
    since: dt.datetime,
    until: dt.datetime,
    today: dt.date,
    basis: str,
    portfolio: bool,
) -> dict[str, Any]:
    open_rows = [_finding(f, today, portfolio=portfolio) for f in digest.open]
    accepted = []
    for f in digest.accepted:
        row = _finding(f, today, portfolio=portfolio)
        row["accepted_until"] = f.risk_accepted_until.isoformat() if f.risk_accepted_until else None
        row["signatures"] = [_signature(s) for s in digest.signoffs.get(f.pk, [])]
        accepted.append(row)
    closed = []
    for f in digest.closed:
        row = _finding(f, today, portfolio=portfolio)
        row["closed_at"] = format_timestamp(f.closed_at) if f.closed_at else None
        row["resolved_by"] = _person(f.resolved_by)
        row["verified_by"] = _person(f.verified_by)
        row["resolution_note"] = f.resolution_note
        closed.append(row)
    return {
        "period": {"from": format_timestamp(since), "to": format_timestamp(until), "basis": basis},
        "as_of": today.isoformat(),
        "counts": _counts(open=open_rows, risk_accepted=accepted, closed=closed),
        "overdue": sum(1 for row in open_rows if row["overdue"]),
        "open": open_rows,
        "risk_accepted": accepted,
        "closed": closed,
    }


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    until = ctx.taken_at
    year_ago = twelve_months_before(until)
    registered = ctx.deployment.created_at
    since, basis = (
        (registered, "since the deployment was registered")
        if registered > year_ago
        else (year_ago, "the last 12 months")
    )
    today = timezone.localdate(until)
    digest = findings_digest(
        findings_for(ctx.viewer).filter(deployment=ctx.deployment),
        since=since,
        until=until,
        today=today,
    )
    return _data(digest, since=since, until=until, today=today, basis=basis, portfolio=False)


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    until = ctx.taken_at
    since = twelve_months_before(until)
    today = timezone.localdate(until)
    digest = findings_digest(findings_for(ctx.viewer), since=since, until=until, today=today)
    return _data(
        digest, since=since, until=until, today=today, basis="the last 12 months", portfolio=True
    )


SECTION = Section(
    key="findings",
    title="Findings: open, under risk acceptance and closed",
    annex_iv=(5,),
    template="reports/sections/findings.html",
    build=build_dossier,
)

PORTFOLIO_SECTION = Section(
    key="findings",
    title="Findings across the portfolio",
    annex_iv=(5,),
    template="reports/sections/findings.html",
    build=build_portfolio,
)
