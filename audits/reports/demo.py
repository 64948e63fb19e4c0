"""A demo dossier and conformity self-assessment, so the reports page shows a newcomer what a
report is.

Requested through the report service like any other: it waits, queued, until a worker
(`make run` starts one) renders and signs it. Asked for once: a rerun finds it and adds none.
"""

from __future__ import annotations

from typing import Any

from audits.reports.models import Report, ReportKind
from audits.reports.services import report_request
from governance.inventory.models import Deployment

ENVIRONMENT = "prod-eu"  # the live credit deployment, with a full approval history


def seed(users: dict[str, Any]) -> None:
    deployment = Deployment.objects.filter(environment=ENVIRONMENT).first()
    if deployment is None:
        return
    for kind in (ReportKind.DEPLOYMENT_DOSSIER, ReportKind.CONFORMITY_SELF_ASSESSMENT):
        if Report.objects.filter(kind=kind, deployment=deployment).exists():
            continue
        report_request(actor=users["compliance"], kind=kind, deployment=deployment)
