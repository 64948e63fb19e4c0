"""`/api/v1/findings/`: list, raise, read, one action per transition, and clear errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from governance.accounts.roles import Role
from governance.findings.models import Finding, FindingEvidence
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.findings import raise_finding

pytestmark = pytest.mark.django_db
URL = "/api/v1/findings/"


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _last(finding: Any) -> str:
    return (
        LedgerEvent.objects.filter(subject_id=str(finding.pk))
        .order_by("-seq")
        .values_list("action", flat=True)[0]
    )


def test_create_list_and_retrieve() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    owner = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory()
    client = _client(officer)
    response = client.post(
        URL,
        {
            "deployment": str(deployment.pk),
            "severity": "critical",
            "title": "Training data includes revoked consents",
            "owner": str(owner.pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "open" and body["source_kind"] == "manual"
    assert body["due_date"] == (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    assert LedgerEvent.objects.filter(action="finding.raised", subject_id=body["id"]).exists()
    listed = client.get(URL, {"severity": "critical", "owner": str(owner.pk)}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert client.get(URL, {"severity": "low"}).json()["count"] == 0
    assert client.get(f"{URL}{body['id']}/").json()["title"].startswith("Training data")


def test_bad_input_gets_400_with_field_messages_and_saves_nothing() -> None:
    client = _client(user_with_roles(Role.COMPLIANCE_OFFICER))
    deployment = DeploymentFactory()
    base = {"deployment": str(deployment.pk), "severity": "high", "title": "T"}
    unknown_owner = client.post(
        URL, {**base, "owner": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert unknown_owner.status_code == 400 and "owner" in unknown_owner.json()
    owner = user_with_roles(Role.REQUESTER)
    past = client.post(
        URL, {**base, "owner": str(owner.pk), "due_date": "2001-01-01"}, format="json"
    )
    assert past.status_code == 400 and "past" in str(past.json()["due_date"])
    auditor_owner = client.post(
        URL, {**base, "owner": str(user_with_roles(Role.AUDITOR).pk)}, format="json"
    )
    assert auditor_owner.status_code == 400 and "owner" in auditor_owner.json()
    assert not Finding.objects.exists()


def test_every_transition_through_the_api_with_its_ledger_event() -> None:
    owner = user_with_roles(Role.REQUESTER)
    reviewer = user_with_roles(Role.REVIEWER)
    finding = raise_finding(owner=owner)
    base = f"{URL}{finding.pk}/"
    mine = _client(owner)
    assert mine.post(f"{base}start-remediation/", {}, format="json").status_code == 200
    assert _last(finding) == "finding.remediation_started"
    evidence = SimpleUploadedFile("fix.pdf", b"%PDF-1.4", content_type="application/pdf")
    resolved = mine.post(f"{base}resolve/", {"note": "Patched.", "files": [evidence]})
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["state"] == "resolved"
    assert FindingEvidence.objects.filter(finding=finding).count() == 1
    assert _last(finding) == "finding.resolved"
    more = SimpleUploadedFile("log.txt", b"ok", content_type="text/plain")
    added = mine.post(f"{base}evidence/", {"files": [more]})
    assert added.status_code == 201 and added.json()[0]["sha256"]
    assert _last(finding) == "finding.evidence_added"
    assert _client(reviewer).post(f"{base}verify/", {}, format="json").json()["state"] == "verified"
    assert _last(finding) == "finding.verified"
    assert _client(reviewer).post(f"{base}close/", {}, format="json").json()["state"] == "closed"
    assert _last(finding) == "finding.closed"
    reopened = mine.post(f"{base}reopen/", {"reason": "Came back."}, format="json")
    assert reopened.json()["state"] == "reopened"
    assert _last(finding) == "finding.reopened"


def test_accept_risk_through_the_api() -> None:
    finding = raise_finding(severity="high")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    body = {
        "signed_as": "compliance_officer",
        "password": PASSWORD,
        "rationale": "Compensating control in place.",
        "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    }
    url = f"{URL}{finding.pk}/accept-risk/"
    wrong = _client(officer).post(url, {**body, "password": "nope"}, format="json")
    assert wrong.status_code == 403 and "password" in wrong.json()
    missing_role = _client(officer).post(url, {**body, "signed_as": "legal"}, format="json")
    assert missing_role.status_code == 400 and "signed_as" in missing_role.json()
    response = _client(officer).post(url, body, format="json")
    assert response.status_code == 201, response.content
    finding.refresh_from_db()
    assert finding.state == "risk_accepted"
    assert _last(finding) == "finding.risk_accepted"


def test_illegal_transition_is_409_with_a_message() -> None:
    owner = user_with_roles(Role.REQUESTER)
    finding = raise_finding(owner=owner)
    response = _client(owner).post(f"{URL}{finding.pk}/resolve/", {"note": "x"}, format="json")
    assert response.status_code == 409
    assert "cannot become" in response.json()["detail"]


def test_resolver_verifying_is_403_and_evidence_over_limit_is_400(settings: Any) -> None:
    settings.FINDINGS_EVIDENCE_MAX_BYTES = 4
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    finding = raise_finding(owner=officer)
    client = _client(officer)
    client.post(f"{URL}{finding.pk}/start-remediation/", {}, format="json")
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4", content_type="application/pdf")
    too_big = client.post(f"{URL}{finding.pk}/resolve/", {"note": "x", "files": [big]})
    assert too_big.status_code == 400 and "files" in too_big.json()
    refused_type = client.post(
        f"{URL}{finding.pk}/evidence/",
        {"files": [SimpleUploadedFile("a.exe", b"MZ")]},
    )
    assert refused_type.status_code == 400
    client.post(f"{URL}{finding.pk}/resolve/", {"note": "x"}, format="json")
    refused = client.post(f"{URL}{finding.pk}/verify/", {}, format="json")
    assert refused.status_code == 403 and "segregation" in refused.json()["detail"]


def test_auditor_reads_but_changes_nothing() -> None:
    finding = raise_finding()
    auditor = _client(user_with_roles(Role.AUDITOR))
    assert auditor.get(URL).json()["count"] == 1
    assert auditor.post(f"{URL}{finding.pk}/start-remediation/", {}).status_code == 403
    assert auditor.post(URL, {}).status_code == 403


def test_list_query_count_is_constant(django_assert_max_num_queries: Any) -> None:
    client = _client(user_with_roles(Role.AUDITOR))
    deployment = DeploymentFactory()
    for n in range(3):
        raise_finding(deployment=deployment, title=f"F{n}")
    with django_assert_max_num_queries(8) as few:
        client.get(URL)
    for n in range(20):
        raise_finding(title=f"G{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["count"] == 23
