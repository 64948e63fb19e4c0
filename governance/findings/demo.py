"""Demo findings: a few believable problems in different states, all made through the services.

Idempotent: a finding whose title already exists on its deployment is not raised again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone

from governance.accounts.demo import DEMO_PASSWORD
from governance.findings import services
from governance.findings.models import Finding
from governance.inventory.models import Deployment

RETEST_CSV = (
    b"age_band,approval_rate,impact_ratio\n18-25,0.41,0.86\n26-40,0.46,0.96\n41-65,0.48,1.00\n"
)

# (environment, severity, title, description, owner, end state)
PLAN: list[tuple[str, str, str, str, str, str]] = [
    (
        "prod-eu",
        "medium",
        "Model card does not state the intended-use limits",
        "The model card omits the populations and decisions the model must not be used for "
        "(EU AI Act Art 13(3)(b)). Found in the quarterly documentation review.",
        "requester",
        "in_remediation",
    ),
    (
        "prod-eu",
        "low",
        "Decline-reason codes not logged for 2 % of decisions",
        "Log sampling found decisions without a reason code; adverse-action notices need one.",
        "requester",
        "closed",
    ),
    (
        "prod-us-nyc",
        "medium",
        "Approval rate for applicants aged 18–25 trending down",
        "Monitoring shows the 18–25 approval rate falling for three months; impact ratio 0.83.",
        "engineer2",
        "resolved",
    ),
    (
        "prod-global",
        "high",
        "Fallback to a human agent untested in two languages",
        "Hand-over to a human was not tested in Portuguese and Polish; customers may be stuck.",
        "engineer2",
        "risk_accepted",
    ),
    (
        "edge-pos",
        "high",
        "No rollback drill since the last model update",
        "The rollback runbook was last exercised before version 2; the drill is overdue.",
        "engineer2",
        "open",
    ),
]


def _evidence() -> list[Any]:
    return [SimpleUploadedFile("retest-results.csv", RETEST_CSV, content_type="text/csv")]


def _advance(finding: Finding, end: str, owner: Any, users: dict[str, Any]) -> None:
    compliance, reviewer = users["compliance"], users["reviewer"]
    if end == "risk_accepted":
        services.finding_risk_signoff_record(
            finding=finding,
            signer=compliance,
            signed_as="compliance_officer",
            password=DEMO_PASSWORD,
            http_request=RequestFactory().post("/"),
            rationale="Both languages are under 1 % of traffic; a human answers within a day.",
            expires_on=timezone.localdate() + dt.timedelta(days=90),
        )
        return
    if end == "open":
        return
    finding = services.finding_start_remediation(finding=finding, actor=owner)
    if end == "in_remediation":
        return
    finding = services.finding_resolve(
        finding=finding,
        actor=owner,
        note="Fixed and re-tested; results attached.",
        files=_evidence(),
    )
    if end == "resolved":
        return
    finding = services.finding_verify(finding=finding, actor=reviewer, note="Re-test checked.")
    services.finding_close(finding=finding, actor=compliance)


# Who signs risk acceptances in the demo, per required role.
SIGNERS = {"compliance_officer": "compliance2", "executive": "executive"}


def _accept_automatic(users: dict[str, Any]) -> None:
    """The demo's bias audit and risk register raise high findings on the NYC screening tool;
    compliance accepts their risk until the re-audit, so the demo can show it live."""
    from governance.findings.choices import FindingState
    from governance.findings.policy import acceptance_roles_for

    waiting = Finding.objects.filter(
        automatic=True, severity__in=["high", "critical"], state=FindingState.OPEN
    ).select_related("policy", "deployment")
    for finding in waiting:
        for role in acceptance_roles_for(finding.policy, finding.severity):
            services.finding_risk_signoff_record(
                finding=finding,
                signer=users[SIGNERS[role]],
                signed_as=role,
                password=DEMO_PASSWORD,
                http_request=RequestFactory().post("/"),
                rationale="Every rejection is reviewed by a recruiter until the re-audit in "
                "three months; the vendor retrains on a balanced sample.",
                expires_on=timezone.localdate() + dt.timedelta(days=90),
            )


def seed(users: dict[str, Any]) -> None:
    _accept_automatic(users)
    for environment, severity, title, description, owner_name, end in PLAN:
        deployment = Deployment.objects.filter(environment=environment).first()
        if (
            deployment is None
            or Finding.objects.filter(deployment=deployment, title=title).exists()
        ):
            continue
        owner = users[owner_name]
        finding = services.finding_create(
            deployment=deployment,
            actor=users["compliance"],
            severity=severity,
            title=title,
            description=description,
            owner=owner,
        )
        _advance(finding, end, owner, users)
