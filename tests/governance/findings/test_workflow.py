"""Every transition of a finding through its service, with its ledger event."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.accounts.roles import Role
from governance.core.errors import InvalidInput, PermissionRefused, TransitionNotAllowed
from governance.findings import services
from governance.findings.choices import FindingState
from governance.findings.models import Finding, FindingEvidence
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.findings import raise_finding

pytestmark = pytest.mark.django_db


def _event(action: str, finding: Finding) -> LedgerEvent:
    return LedgerEvent.objects.filter(action=action, subject_id=str(finding.pk)).latest("seq")


@pytest.fixture
def owner() -> Any:
    return user_with_roles(Role.REQUESTER)


@pytest.fixture
def compliance() -> Any:
    return user_with_roles(Role.COMPLIANCE_OFFICER)


def test_raising_a_finding_dates_it_by_the_severity_policy_and_ledgers_it(owner: Any) -> None:
    today = timezone.localdate()
    for severity, days in (("critical", 7), ("high", 30), ("medium", 90), ("low", 180)):
        finding = raise_finding(severity=severity, owner=owner)
        assert finding.due_date == today + dt.timedelta(days=days)
        assert finding.state == FindingState.OPEN
        event = _event("finding.raised", finding)
        assert event.payload["severity"] == severity
        assert event.payload["policy_version"] == 1
        assert event.deployment_id == str(finding.deployment_id)


def test_a_new_policy_version_dates_new_findings_and_leaves_old_ones(
    owner: Any, compliance: Any
) -> None:
    old = raise_finding(severity="high", owner=owner)
    services.finding_policy_create_version(
        due_days={"critical": 3, "high": 14, "medium": 60, "low": 120},
        acceptance_roles={
            "critical": ["compliance_officer", "executive"],
            "high": ["compliance_officer", "executive"],
            "medium": ["compliance_officer"],
            "low": ["compliance_officer"],
        },
        max_acceptance_days=180,
        actor=compliance,
    )
    new = raise_finding(severity="high", owner=owner)
    assert new.due_date == timezone.localdate() + dt.timedelta(days=14)
    assert new.policy.version == 2
    old.refresh_from_db()
    assert old.policy.version == 1
    assert LedgerEvent.objects.filter(action="finding_policy.versioned").count() == 1


def test_full_remediation_path_ledgers_every_step(owner: Any, compliance: Any) -> None:
    finding = raise_finding(owner=owner)
    finding = services.finding_start_remediation(finding=finding, actor=owner)
    assert finding.state == FindingState.IN_REMEDIATION
    assert _event("finding.remediation_started", finding).payload["to"] == "in_remediation"

    evidence = SimpleUploadedFile("retest.pdf", b"%PDF-1.4 retest", content_type="application/pdf")
    finding = services.finding_resolve(
        finding=finding, actor=owner, note="Retrained with balanced data.", files=[evidence]
    )
    assert finding.state == FindingState.RESOLVED and finding.resolved_by == owner
    stored = FindingEvidence.objects.get(finding=finding)
    assert stored.size == len(b"%PDF-1.4 retest") and stored.media_type == "application/pdf"
    resolved = _event("finding.resolved", finding)
    assert resolved.payload["evidence"] == [stored.sha256]
    assert _event("finding.evidence_added", finding).payload["sha256"] == stored.sha256

    finding = services.finding_verify(finding=finding, actor=compliance, note="Checked retest.")
    assert finding.state == FindingState.VERIFIED and finding.verified_by == compliance
    assert _event("finding.verified", finding).actor_id == str(compliance.pk)

    finding = services.finding_close(finding=finding, actor=compliance)
    assert finding.state == FindingState.CLOSED and finding.closed_at is not None
    assert _event("finding.closed", finding).payload["from"] == "verified"

    finding = services.finding_reopen(finding=finding, actor=compliance, reason="Recurred.")
    assert finding.state == FindingState.REOPENED and finding.resolved_by is None
    assert finding.acceptance_round == 2
    assert _event("finding.reopened", finding).payload["reason"] == "Recurred."


def test_resolver_cannot_verify_and_the_refusal_is_ledgered(compliance: Any) -> None:
    finding = raise_finding(owner=compliance)
    services.finding_start_remediation(finding=finding, actor=compliance)
    services.finding_resolve(finding=finding, actor=compliance, note="Fixed it myself.")
    with pytest.raises(PermissionRefused, match="someone else must verify"):
        services.finding_verify(finding=finding, actor=compliance)
    finding.refresh_from_db()
    assert finding.state == FindingState.RESOLVED
    refused = _event("finding.refused", finding)
    assert refused.payload["step"] == "verify"


def test_requester_cannot_verify_for_lack_of_role(owner: Any) -> None:
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    services.finding_resolve(finding=finding, actor=owner, note="Done.")
    with pytest.raises(PermissionRefused, match="reviewer or compliance"):
        services.finding_verify(finding=finding, actor=user_with_roles(Role.REQUESTER))


def test_only_the_owner_or_compliance_remediates(owner: Any, compliance: Any) -> None:
    finding = raise_finding(owner=owner)
    with pytest.raises(PermissionRefused, match="owner"):
        services.finding_start_remediation(finding=finding, actor=user_with_roles(Role.REQUESTER))
    services.finding_start_remediation(finding=finding, actor=compliance)


def test_illegal_transitions_are_refused_and_change_nothing(owner: Any, compliance: Any) -> None:
    finding = raise_finding(owner=owner)
    with pytest.raises(TransitionNotAllowed):
        services.finding_resolve(finding=finding, actor=owner, note="Skipping ahead.")
    with pytest.raises(TransitionNotAllowed):
        services.finding_close(finding=finding, actor=compliance)
    with pytest.raises(TransitionNotAllowed):
        services.finding_reopen(finding=finding, actor=owner, reason="Already open.")
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN
    assert not LedgerEvent.objects.filter(
        subject_id=str(finding.pk), action__in=["finding.resolved", "finding.closed"]
    ).exists()


def test_bad_input_is_refused(owner: Any, compliance: Any) -> None:
    deployment = DeploymentFactory()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(InvalidInput, match="in the past"):
        raise_finding(deployment=deployment, owner=owner, due_date=yesterday)
    with pytest.raises(InvalidInput, match="auditors only read"):
        raise_finding(deployment=deployment, owner=user_with_roles(Role.AUDITOR))
    with pytest.raises(InvalidInput, match="Severity"):
        raise_finding(deployment=deployment, owner=owner, severity="dire")
    assert not Finding.objects.filter(deployment=deployment).exists()
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    with pytest.raises(InvalidInput, match="note"):
        services.finding_resolve(finding=finding, actor=owner, note=" ")


def test_evidence_over_the_limit_or_of_a_refused_type_saves_nothing(
    owner: Any, settings: Any
) -> None:
    settings.FINDINGS_EVIDENCE_MAX_BYTES = 10
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    big = SimpleUploadedFile("big.pdf", b"x" * 11, content_type="application/pdf")
    with pytest.raises(InvalidInput, match="at most 10 bytes"):
        services.finding_resolve(finding=finding, actor=owner, note="Done.", files=[big])
    script = SimpleUploadedFile("fix.exe", b"MZ", content_type="application/pdf")
    with pytest.raises(InvalidInput, match="not accepted"):
        services.finding_resolve(finding=finding, actor=owner, note="Done.", files=[script])
    finding.refresh_from_db()
    assert finding.state == FindingState.IN_REMEDIATION
    assert not FindingEvidence.objects.exists()


def test_a_file_without_a_known_extension_is_refused_whatever_the_client_claims(
    owner: Any,
) -> None:
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    payload = SimpleUploadedFile("payload", b"#!/bin/sh", content_type="text/plain")
    with pytest.raises(InvalidInput, match="application/octet-stream"):
        services.finding_resolve(finding=finding, actor=owner, note="Done.", files=[payload])
    assert not FindingEvidence.objects.exists()


def test_auditor_cannot_raise_findings() -> None:
    with pytest.raises(PermissionRefused):
        raise_finding(actor=user_with_roles(Role.AUDITOR))


def test_a_resolution_that_rolls_back_leaves_no_evidence_file_behind(
    owner: Any, settings: Any, monkeypatch: Any
) -> None:
    from pathlib import Path

    from governance.findings.services import findings as finding_services

    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    real_append = finding_services.ledger_append

    def failing_append(**kwargs: Any) -> Any:
        if kwargs["action"] == "finding.resolved":
            raise RuntimeError("the ledger is unavailable")
        return real_append(**kwargs)

    monkeypatch.setattr(finding_services, "ledger_append", failing_append)
    files = [
        SimpleUploadedFile("a.pdf", b"%PDF-1 a", content_type="application/pdf"),
        SimpleUploadedFile("b.pdf", b"%PDF-1 b", content_type="application/pdf"),
    ]
    with pytest.raises(RuntimeError):
        services.finding_resolve(finding=finding, actor=owner, note="Done.", files=files)
    assert not FindingEvidence.objects.exists()
    folder = Path(settings.MEDIA_ROOT) / "findings" / str(finding.pk)
    assert not folder.exists() or not any(folder.iterdir())
