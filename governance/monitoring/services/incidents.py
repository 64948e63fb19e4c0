"""Incidents and their Art 73 clocks; suspension and rollback as recorded actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.inventory.services import deployment_transition
from governance.ledger.services import ledger_append, ledger_write_lock
from governance.monitoring.choices import (
    AuthorityReportKind,
    DeploymentActionKind,
    IncidentStatus,
    SeriousCategory,
    Severity,
)
from governance.monitoring.models import DeploymentAction, Incident
from governance.monitoring.rules import (
    ART73_REPORT_DEADLINES,
    INCIDENT_TRANSITIONS,
    REMINDER_SHARES,
)
from governance.monitoring.selectors import open_incident_clocks


def report_due_at(aware_at: dt.datetime, category: str) -> dt.datetime:
    return aware_at + ART73_REPORT_DEADLINES[category]


def reminder_moments(incident: Incident) -> list[dt.datetime]:
    """When the clock's reminders fall due: at each share of the time, then at the deadline."""
    if incident.report_due_at is None:
        return []
    span = incident.report_due_at - incident.aware_at
    shares = [*REMINDER_SHARES, Decimal(1)]
    return [incident.aware_at + span * float(share) for share in shares]


def _clean(
    *,
    title: str,
    description: str,
    occurred_at: dt.datetime | None,
    aware_at: dt.datetime | None,
    severity: str,
    serious: bool,
    serious_category: str,
    now: dt.datetime,
) -> None:
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "required"
    if not description.strip():
        errors["description"] = "required"
    if severity not in Severity.values:
        errors["severity"] = f"one of {', '.join(Severity.values)}"
    if occurred_at is None:
        errors["occurred_at"] = "required"
    elif occurred_at > now:
        errors["occurred_at"] = "is in the future"
    if aware_at is None:
        errors["aware_at"] = "required"
    elif aware_at > now:
        errors["aware_at"] = "is in the future"
    elif occurred_at is not None and aware_at < occurred_at:
        errors["aware_at"] = "cannot be before occurred_at"
    if serious and serious_category not in SeriousCategory.values:
        errors["serious_category"] = (
            f"a serious incident needs one of {', '.join(SeriousCategory.values)}"
        )
    if not serious and serious_category:
        errors["serious_category"] = "only a serious incident has a category"
    if errors:
        raise InvalidInput("The incident report has errors.", fields=errors)


def incident_report(
    *,
    deployment: Deployment,
    actor: Any,
    title: str,
    description: str,
    occurred_at: dt.datetime | None,
    aware_at: dt.datetime | None,
    severity: str,
    serious: bool = False,
    serious_category: str = "",
) -> Incident:
    """Open an incident; a serious one starts its Art 73 clock from `aware_at`."""
    now = timezone.now()
    _clean(
        title=title,
        description=description,
        occurred_at=occurred_at,
        aware_at=aware_at,
        severity=severity,
        serious=serious,
        serious_category=serious_category,
        now=now,
    )
    if occurred_at is None or aware_at is None:  # refused by _clean; narrows the types
        raise InvalidInput("Both times are required.")
    with transaction.atomic():
        ledger_write_lock()
        incident = Incident.objects.create(
            deployment=deployment,
            title=title.strip()[:200],
            description=description.strip(),
            occurred_at=occurred_at,
            aware_at=aware_at,
            severity=severity,
            serious=serious,
            serious_category=serious_category if serious else "",
            report_due_at=report_due_at(aware_at, serious_category) if serious else None,
            created_by=actor,
        )
        ledger_append(
            actor=actor,
            action="incident.opened",
            subject=incident,
            deployment_id=deployment.pk,
            data={
                "title": incident.title,
                "severity": severity,
                "serious": serious,
                "serious_category": incident.serious_category,
                "occurred_at": occurred_at.isoformat(),
                "aware_at": aware_at.isoformat(),
                "report_due_at": incident.report_due_at.isoformat()
                if incident.report_due_at
                else None,
            },
        )
    return incident


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def incident_transition(
    *,
    incident: Incident,
    to_status: str,
    actor: Any,
    note: str = "",
    reported_at: dt.datetime | None = None,
    authority: str = "",
    authority_reference: str = "",
    report_kind: str = "",
    corrective_action: str = "",
) -> Incident:
    """Move an incident along open → investigating → reported → corrective action → closed."""
    if to_status not in IncidentStatus.values:
        raise InvalidInput(f"Unknown status {to_status!r}.", fields={"to": "unknown status"})
    with transaction.atomic():
        ledger_write_lock()
        locked = _locked(incident)
        if to_status not in INCIDENT_TRANSITIONS[locked.status]:
            raise TransitionNotAllowed(
                f"An incident cannot go from {locked.get_status_display().lower()} to "
                f"{IncidentStatus(to_status).label.lower()}.",
                fields={"to": f"not allowed from {locked.status}"},
            )
        data: dict[str, Any] = {"from": locked.status, "to": to_status}
        if to_status == IncidentStatus.REPORTED:
            _apply_authority_report(
                locked, reported_at, authority, authority_reference, report_kind, data
            )
        if to_status == IncidentStatus.CORRECTIVE_ACTION:
            if not corrective_action.strip():
                raise InvalidInput(
                    "Describe the corrective action.", fields={"corrective_action": "required"}
                )
            locked.corrective_action = corrective_action.strip()
            data["corrective_action"] = locked.corrective_action
        if to_status == IncidentStatus.CLOSED:
            if locked.serious and locked.report_kind != AuthorityReportKind.COMPLETE:
                raise Conflict(
                    "A serious incident is closed only after the complete report has gone to "
                    "the authority (Art 73).",
                    fields={"to": "complete report missing"},
                )
            locked.closed_at = timezone.now()
        if note:
            data["note"] = note[:2000]
        locked.status = to_status
        locked.save()
        ledger_append(
            actor=actor,
            action=f"incident.{to_status}",
            subject=locked,
            deployment_id=locked.deployment_id,
            data=data,
        )
    return locked


def _apply_authority_report(
    incident: Incident,
    reported_at: dt.datetime | None,
    authority: str,
    reference: str,
    kind: str,
    data: dict[str, Any],
) -> None:
    errors: dict[str, str] = {}
    now = timezone.now()
    if reported_at is None:
        errors["reported_at"] = "required"
    elif reported_at > now:
        errors["reported_at"] = "is in the future"
    elif reported_at < incident.aware_at:
        errors["reported_at"] = "cannot be before the organisation became aware"
    if not authority.strip():
        errors["authority"] = "name the market surveillance authority"
    if kind not in AuthorityReportKind.values:
        errors["report_kind"] = "initial or complete"
    elif incident.report_kind == AuthorityReportKind.COMPLETE:
        errors["report_kind"] = "the complete report was already recorded"
    if errors:
        raise InvalidInput("The report to the authority has errors.", fields=errors)
    incident.reported_at = reported_at
    incident.authority = authority.strip()[:200]
    incident.authority_reference = reference.strip()[:200]
    incident.report_kind = kind
    data.update(
        {
            "reported_at": reported_at.isoformat() if reported_at else None,
            "authority": incident.authority,
            "authority_reference": incident.authority_reference,
            "report_kind": kind,
            "on_time": bool(
                incident.report_due_at is None
                or (reported_at is not None and reported_at <= incident.report_due_at)
            ),
        }
    )


def deployment_suspend(
    *, deployment: Deployment, actor: Any, reason: str, incident: Incident | None = None
) -> DeploymentAction:
    """Take a live deployment out of service, with the reason and the incident that caused it."""
    if not reason.strip():
        raise InvalidInput("Say why the deployment is suspended.", fields={"reason": "required"})
    with transaction.atomic():
        ledger_write_lock()
        deployment_transition(
            deployment=deployment,
            to_status=DeploymentStatus.SUSPENDED,
            actor=actor,
            reason=reason.strip(),
        )
        action = DeploymentAction.objects.create(
            incident=incident,
            deployment=deployment,
            kind=DeploymentActionKind.SUSPEND,
            reason=reason.strip(),
            actor=actor,
        )
        ledger_append(
            actor=actor,
            action="deployment_action.suspended",
            subject=action,
            deployment_id=deployment.pk,
            data={"reason": action.reason, "incident": str(incident.pk) if incident else None},
        )
    return action


# What can take the traffic back in a rollback.
ROLLBACK_TARGET_STATUSES = frozenset(
    {DeploymentStatus.APPROVED, DeploymentStatus.SUSPENDED, DeploymentStatus.ACTIVE}
)


def deployment_rollback(
    *, deployment: Deployment, actor: Any, reason: str, incident: Incident | None = None
) -> DeploymentAction:
    """Move traffic to the rollback target: suspend this deployment, make the target live.

    The target goes live through the ordinary transition, so its own gate must be open.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the deployment is rolled back.", fields={"reason": "required"})
    with transaction.atomic():
        ledger_write_lock()
        # Both rows locked and read here, not from the caller's copies: their statuses decide.
        deployment = (
            Deployment.objects.select_for_update()
            .select_related("model_version__system")
            .get(pk=deployment.pk)
        )
        target_id = deployment.rollback_target_id
        target = (
            Deployment.objects.select_for_update()
            .select_related("model_version__system")
            .filter(pk=target_id)
            .first()
            if target_id is not None
            else None
        )
        if target is None:
            raise Conflict(
                "This deployment names no rollback target; set one, or suspend it instead.",
                fields={"rollback_target": "not set"},
            )
        if target.status not in ROLLBACK_TARGET_STATUSES:
            raise Conflict(
                f"The rollback target {target} is {target.get_status_display().lower()}; only "
                "an approved, suspended or active deployment can take the traffic back.",
                fields={"rollback_target": f"is {target.status}"},
            )
        if deployment.status == DeploymentStatus.ACTIVE:
            deployment_transition(
                deployment=deployment,
                to_status=DeploymentStatus.SUSPENDED,
                actor=actor,
                reason=f"rolled back: {reason}",
            )
        if target.status != DeploymentStatus.ACTIVE:
            deployment_transition(
                deployment=target,
                to_status=DeploymentStatus.ACTIVE,
                actor=actor,
                reason=f"rollback target of {deployment}: {reason}",
            )
        action = DeploymentAction.objects.create(
            incident=incident,
            deployment=deployment,
            kind=DeploymentActionKind.ROLLBACK,
            reason=reason,
            rollback_to=target,
            actor=actor,
        )
        ledger_append(
            actor=actor,
            action="deployment_action.rolled_back",
            subject=action,
            deployment_id=deployment.pk,
            data={
                "reason": action.reason,
                "rollback_to": str(target.pk),
                "incident": str(incident.pk) if incident else None,
            },
        )
    return action


def incident_reminders_due(*, now: dt.datetime | None = None) -> list[tuple[Incident, int]]:
    """Serious incidents whose next reminder (50 %, 80 %, overdue) has fallen due.

    Only running clocks with a reminder still to send are read: a handful at any time, so
    the moments are compared here rather than in SQL date arithmetic per backend.
    """
    now = now or timezone.now()
    due = []
    waiting = (
        open_incident_clocks()
        .filter(reminders_sent__lt=len(REMINDER_SHARES) + 1)
        .select_related("created_by")
    )
    for incident in waiting:
        reached = sum(1 for moment in reminder_moments(incident) if moment <= now)
        if reached > incident.reminders_sent:
            due.append((incident, reached))
    return due


def incident_reminder_sweep(*, now: dt.datetime | None = None) -> int:
    """Send each reminder once: a conditional update claims it before anything is sent."""
    from governance.monitoring.notify import (
        clock_recipients,
        compliance_officers,
        incident_clock_notify,
        incident_reminder_send,
    )

    due = incident_reminders_due(now=now)
    officers = compliance_officers() if due else []
    sent = 0
    for incident, reached in due:
        with transaction.atomic():
            # Claimed only while the clock still runs: a report recorded since the read
            # above stops the reminder.
            claimed = (
                open_incident_clocks()
                .filter(pk=incident.pk, reminders_sent=incident.reminders_sent)
                .update(reminders_sent=reached)
            )
            if not claimed:
                continue  # another sweep got there first, or the clock has stopped
            overdue = reached > len(REMINDER_SHARES)
            ledger_append(
                actor=None,
                action="incident.reminder_sent",
                subject=incident,
                deployment_id=incident.deployment_id,
                data={"reminder": reached, "overdue": overdue},
            )
            recipients = clock_recipients(incident, officers)
            incident_clock_notify(
                incident=incident, reminder=reached, overdue=overdue, recipients=recipients
            )
            transaction.on_commit(
                partial(
                    incident_reminder_send,
                    incident=incident,
                    overdue=overdue,
                    recipients=recipients,
                )
            )
            sent += 1
    return sent
