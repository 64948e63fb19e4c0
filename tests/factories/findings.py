"""Findings made through the services, and the people who act on them."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from governance.accounts.roles import Role
from governance.findings import services
from governance.findings.models import Finding
from tests.factories.accounts import PASSWORD, user_with_roles
from tests.factories.inventory import DeploymentFactory


def raise_finding(
    *,
    deployment: Any = None,
    severity: str = "high",
    owner: Any = None,
    actor: Any = None,
    title: str = "Model card missing the intended-use section",
    **fields: Any,
) -> Finding:
    actor = actor or user_with_roles(Role.COMPLIANCE_OFFICER)
    return services.finding_create(
        deployment=deployment or DeploymentFactory(),
        actor=actor,
        severity=severity,
        title=title,
        owner=owner or user_with_roles(Role.REQUESTER),
        description=fields.pop("description", "Found in the quarterly review."),
        **fields,
    )


def http_request() -> Any:
    return RequestFactory().post("/")


def sign_acceptance(
    finding: Finding,
    signer: Any,
    signed_as: str,
    *,
    password: str = PASSWORD,
    expires_on: Any = None,
    rationale: str = "Compensating control: human review of every decision.",
) -> Any:
    import datetime as dt

    from django.utils import timezone

    return services.finding_risk_signoff_record(
        finding=finding,
        signer=signer,
        signed_as=signed_as,
        password=password,
        http_request=http_request(),
        rationale=rationale,
        expires_on=expires_on or timezone.localdate() + dt.timedelta(days=90),
    )
