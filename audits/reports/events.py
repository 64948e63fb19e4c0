"""How the reports room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import register_event_sentences

# The job lifecycle (services/jobs.py) names its events after the job's model.
JOB_KINDS = [
    f"{job}.{step}" for job in ("report", "export") for step in ("started", "failed", "requeued")
]


def register() -> None:
    register_event_sentences(
        {
            "report.requested": "{actor} requested the report “{title}”",
            "report.started": "{actor} started rendering a report",
            "report.generated": "A signed report on {target} was generated",
            "report.failed": "A report could not be rendered",
            "report.requeued": "{actor} queued a report again",
            "export.requested": "{actor} requested an evidence export",
            "export.started": "{actor} started building an evidence export",
            "export.sent": "An evidence export was delivered",
            "export.failed": "An evidence export could not be built",
            "export.requeued": "{actor} queued an evidence export again",
        },
        emitted_by={"audits.reports.services.jobs": JOB_KINDS},
    )
