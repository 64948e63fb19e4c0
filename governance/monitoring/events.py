"""How the monitoring room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import register_event_sentences
from governance.monitoring.rules import INCIDENT_TRANSITIONS

# incident_transition appends `incident.<state>` for the state reached: read from the state
# machine, so a new state without a sentence fails the coverage test.
TRANSITION_KINDS = sorted(
    {f"incident.{state}" for targets in INCIDENT_TRANSITIONS.values() for state in targets}
)


def register() -> None:
    register_event_sentences(
        {
            "monitoring_plan.saved": "{actor} saved version {version} of the monitoring plan "
            "of {target}",
            "observation_batch.received": "{actor} sent {count} monitoring values for {target}",
            "drift.computed": "{actor} sent binned distributions; drift was computed for {target}",
            "monitoring_alert.raised": "A {level} of {metric} was raised on {target}",
            "incident.opened": "{actor} recorded the incident “{title}” on {target}",
            "incident.investigating": "{actor} started investigating an incident of {target}",
            "incident.reported": "{actor} recorded the {report_kind} report of an incident of "
            "{target} to {authority}",
            "incident.corrective_action": "{actor} recorded corrective action for an incident "
            "of {target}",
            "incident.closed": "{actor} closed an incident of {target}",
            "incident.reminder_sent": "The system reminded compliance officers that an incident "
            "report for {target} is due",
            "deployment_action.suspended": "{actor} suspended {target} because of an incident",
            "deployment_action.rolled_back": "{actor} rolled {target} back to its rollback target",
        },
        emitted_by={"governance.monitoring.services.incidents": TRANSITION_KINDS},
    )
