"""Every write in the reports room. `reports` and `exports` hold the services by subject;
`jobs` the lifecycle they share."""

from audits.reports.services.exports import (
    ExportOutcome,
    export_claim,
    export_complete,
    export_fail,
    export_progress,
    export_request,
    export_sweep_queued,
    export_sweep_stuck,
)
from audits.reports.services.reports import (
    ReportOutcome,
    report_claim,
    report_complete,
    report_fail,
    report_progress,
    report_regenerate,
    report_request,
    report_sweep_queued,
    report_sweep_stuck,
)

__all__ = [
    "ExportOutcome",
    "ReportOutcome",
    "export_claim",
    "export_complete",
    "export_fail",
    "export_progress",
    "export_request",
    "export_sweep_queued",
    "export_sweep_stuck",
    "report_claim",
    "report_complete",
    "report_fail",
    "report_progress",
    "report_regenerate",
    "report_request",
    "report_sweep_queued",
    "report_sweep_stuck",
]
