"""The serious-incident report (EU AI Act Art 73): what a market surveillance authority needs.

One serious incident, stated from the snapshot: who provides and who deploys the system and
which system, version and deployment it is (EU class, Annex III area, accountable owner); the
incident itself (what, when it occurred, when the organisation became aware, category and
severity); the reporting deadline and whether it was met; every report made so far (initial
and complete, to which authority, under which reference), read from the incident's ledger
events because the incident keeps only the latest; the investigation and corrective action;
suspensions and rollbacks; and the alerts the deployment raised in the 30 days before
awareness. The incident's ledger events are attached as for a dossier.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from audits.reports.sections import SUBJECT_RESOLVERS, Section, SnapshotContext
from audits.reports.sections.ledger import Scope, summarise
from audits.reports.sections.monitoring import (
    ALERTS_LISTED,
    action_row,
    actions_query,
    alert_row,
    incident_row,
)
from governance.core.canonical import format_timestamp
from governance.core.errors import InvalidInput
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerEvent
from governance.liability.choices import AIActRole
from governance.liability.selectors import (
    accountable_owner,
    effective_assignments,
    organisation_role,
)
from governance.monitoring.models import Alert, Incident
from governance.risk.selectors import current_assessment
from governance.risk.tiers import EUClass

SUBJECT_PREFIX = "incident:"
ALERT_WINDOW = dt.timedelta(days=30)
# The incident's lifecycle steps printed as the investigation's history.
STEPS = (
    "incident.investigating",
    "incident.reported",
    "incident.corrective_action",
    "incident.closed",
)


def _incident(incident_id: str) -> Incident:
    try:
        key = uuid.UUID(str(incident_id))
    except ValueError:
        raise InvalidInput(
            "Give the incident's id.", fields={"incident": "not a valid id"}
        ) from None
    incident = (
        Incident.objects.select_related("deployment__model_version__system", "created_by")
        .filter(pk=key)
        .first()
    )
    if incident is None:
        raise InvalidInput("No such incident.", fields={"incident": "no such incident"})
    if not incident.serious:
        raise InvalidInput(
            "Only a serious incident (Art 3(49)) is reported to the authority under Art 73; "
            "this one is not marked serious.",
            fields={"incident": "not a serious incident"},
        )
    return incident


def resolve(incident_id: str) -> tuple[Deployment | None, str]:
    """The deployment a serious incident happened on and the report's title; refuses unknown
    ids and incidents not marked serious (InvalidInput on `incident`)."""
    incident = _incident(incident_id)
    return incident.deployment, f"Serious-incident report (Art 73): {incident.title}"


def _identification(deployment: Deployment) -> dict[str, Any]:
    version = deployment.model_version
    system = version.system
    owner = accountable_owner(deployment)
    role, shift = organisation_role(deployment)
    assessment = current_assessment(deployment)
    eu_class = assessment.eu_class if assessment is not None else ""
    parties = [
        {
            "party": e.assignment.party.name,
            "role": e.assignment.ai_act_role,
            "role_label": AIActRole(e.assignment.ai_act_role).label,
        }
        for e in effective_assignments(deployment)
        if e.assignment.ai_act_role in (AIActRole.PROVIDER, AIActRole.DEPLOYER)
    ]
    return {
        "system": {
            "id": str(system.pk),
            "name": system.name,
            "purpose": system.purpose,
            "sourcing": system.get_sourcing_display(),
            "vendor_name": system.vendor_name,
            "annex_iii_area": system.annex_iii_area,
            "annex_iii_area_label": system.get_annex_iii_area_display(),
        },
        "version": {
            "id": str(version.pk),
            "label": version.version_label,
            "artifact_sha256": version.artifact_sha256,
        },
        "deployment": {
            "id": str(deployment.pk),
            "environment": deployment.environment,
            "region": deployment.region,
            "status": deployment.status,
            "status_label": deployment.get_status_display(),
            "fingerprint": deployment.fingerprint,
        },
        "eu_class": eu_class,
        "eu_class_label": EUClass(eu_class).label if eu_class else "",
        "organisation_role": role,
        "organisation_role_label": AIActRole(role).label,
        "art25_shift": bool(shift),
        "parties": parties,
        "accountable_owner": (
            {"username": owner.get_username(), "name": owner.display_name} if owner else None
        ),
    }


def _steps(ctx: SnapshotContext, incident: Incident) -> list[dict[str, Any]]:
    """The incident's lifecycle events up to the frozen head: reports, corrective action."""
    events = LedgerEvent.objects.filter(
        subject_id=str(incident.pk), action__in=STEPS, seq__lte=ctx.head_seq
    ).order_by("seq")
    rows = []
    for event in events:
        data = event.payload
        rows.append(
            {
                "seq": event.seq,
                "ts": format_timestamp(event.ts),
                "by": event.actor_name,
                "action": event.action,
                "to": data.get("to", ""),
                "note": data.get("note", ""),
                "report_kind": data.get("report_kind", ""),
                "authority": data.get("authority", ""),
                "reference": data.get("authority_reference", ""),
                "reported_at": data.get("reported_at"),
                "on_time": data.get("on_time"),
                "corrective_action": data.get("corrective_action", ""),
            }
        )
    return rows


def build(ctx: SnapshotContext) -> dict[str, Any]:
    subject = ctx.report.subject_key
    if not subject.startswith(SUBJECT_PREFIX):
        raise ValueError("a serious-incident report needs an incident")
    incident = _incident(subject.removeprefix(SUBJECT_PREFIX))
    deployment = incident.deployment
    steps = _steps(ctx, incident)
    since = incident.aware_at - ALERT_WINDOW
    window = Alert.objects.filter(
        deployment_id=deployment.pk, created_at__gte=since, created_at__lte=incident.aware_at
    )
    alerts = list(window.order_by("-created_at")[: ALERTS_LISTED + 1])
    return {
        "identification": _identification(deployment),
        "incident": incident_row(incident, ctx.taken_at),
        "authority_reports": [
            {k: s[k] for k in ("report_kind", "authority", "reference", "reported_at", "on_time")}
            | {"recorded_at": s["ts"], "by": s["by"]}
            for s in steps
            if s["action"] == "incident.reported"
        ],
        "steps": steps,
        "actions": [action_row(a) for a in actions_query().filter(incident_id=incident.pk)],
        "alerts": {
            "from": format_timestamp(since),
            "to": format_timestamp(incident.aware_at),
            "listed": [alert_row(a) for a in alerts[:ALERTS_LISTED]],
            "more": len(alerts) > ALERTS_LISTED,
        },
    }


def build_ledger(ctx: SnapshotContext) -> dict[str, Any]:
    incident_id = ctx.report.subject_key.removeprefix(SUBJECT_PREFIX)
    return summarise(ctx, Scope("subject_id", incident_id, label=f"incident {incident_id}"))


SUBJECT_RESOLVERS["serious_incident"] = resolve

SECTION = Section(
    key="incident",
    title="Serious incident (EU AI Act Art 73)",
    annex_iv=(),
    template="reports/sections/incident.html",
    build=build,
)

# Key "ledger": verification checks the attached slice against this section's facts.
LEDGER_SECTION = Section(
    key="ledger",
    title="The incident's audit trail",
    annex_iv=(),
    template="reports/sections/ledger.html",
    build=build_ledger,
)
