"""The findings pages: list (filters, CSV, constant queries), detail and steps, tab, homes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.accounts.roles import Role
from governance.findings import services
from governance.findings.models import Finding
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.findings import raise_finding

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_filters_by_severity_and_overdue_and_exports_csv() -> None:
    raise_finding(severity="critical", title="Critical one")
    late = raise_finding(severity="low", title="Late one")
    Finding.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    client = _client(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("findings:list"), {"severity": "critical"}).content.decode()
    assert "Critical one" in page and "Late one" not in page
    overdue = client.get(reverse("findings:list"), {"overdue": "yes"}).content.decode()
    assert "Late one" in overdue and "Critical one" not in overdue
    # The row says so too; a finding still within its due date does not.
    assert '<span class="small">overdue</span>' in overdue
    assert '<span class="small">overdue</span>' not in page
    csv = client.get(reverse("findings:list"), {"format": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert text.splitlines()[0].startswith("finding_id,deployment_id")
    assert "Late one" in text and "Critical one" in text


def test_empty_list_offers_the_next_action() -> None:
    page = _client(user_with_roles(Role.COMPLIANCE_OFFICER)).get(reverse("findings:list"))
    assert "Raise a finding" in page.content.decode()


def test_list_page_query_count_is_constant(django_assert_max_num_queries: Any) -> None:
    client = _client(user_with_roles(Role.COMPLIANCE_OFFICER))
    raise_finding()
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("findings:list"))
    for n in range(30):
        raise_finding(title=f"F{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("findings:list")).status_code == 200


def test_raising_a_finding_by_the_form() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    owner = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory()
    client = _client(officer)
    bad = client.post(
        reverse("findings:create"),
        {
            "deployment": deployment.pk,
            "severity": "high",
            "title": "X",
            "owner": owner.pk,
            "due_date": "2001-01-01",
        },
    )
    assert bad.status_code == 200 and "in the past" in bad.content.decode()
    assert not Finding.objects.exists()
    good = client.post(
        reverse("findings:create"),
        {
            "deployment": deployment.pk,
            "severity": "high",
            "title": "Missing DPIA",
            "owner": owner.pk,
        },
    )
    finding = Finding.objects.get()
    assert good.status_code == 302 and good["Location"] == reverse(
        "findings:detail", kwargs={"pk": finding.pk}
    )


def test_owner_works_through_the_page_and_the_timeline_shows_it() -> None:
    owner = user_with_roles(Role.REQUESTER)
    finding = raise_finding(owner=owner)
    client = _client(owner)
    detail = reverse("findings:detail", kwargs={"pk": finding.pk})
    assert "Start remediation" in client.get(detail).content.decode()
    client.post(reverse("findings:start_remediation", kwargs={"pk": finding.pk}), {})
    upload = SimpleUploadedFile("retest.csv", b"a,b\n1,2\n", content_type="text/csv")
    response = client.post(
        reverse("findings:resolve", kwargs={"pk": finding.pk}),
        {"note": "Retested.", "attachments": [upload]},
    )
    assert response.status_code == 302
    page = client.get(detail).content.decode()
    assert "finding.resolved" in page and "retest.csv" in page
    assert "someone else must verify" not in page  # a requester cannot verify at all


def test_resolver_sees_why_they_cannot_verify() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    finding = raise_finding(owner=officer)
    services.finding_start_remediation(finding=finding, actor=officer)
    services.finding_resolve(finding=finding, actor=officer, note="Done.")
    page = _client(officer).get(reverse("findings:detail", kwargs={"pk": finding.pk}))
    assert "someone else must verify" in page.content.decode()
    refused = _client(officer).post(reverse("findings:verify", kwargs={"pk": finding.pk}), {})
    assert refused.status_code == 400
    finding.refresh_from_db()
    assert finding.state == "resolved"


def test_accepting_risk_on_the_page_needs_confirmation_and_password() -> None:
    finding = raise_finding(severity="high")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    url = reverse("findings:accept_risk", kwargs={"pk": finding.pk})
    body = {
        "signed_as": "compliance_officer",
        "rationale": "Control in place.",
        "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "password": PASSWORD,
    }
    unconfirmed = _client(officer).post(url, body)
    assert unconfirmed.status_code == 400
    assert not LedgerEvent.objects.filter(action="finding.risk_signed").exists()
    confirmed = _client(officer).post(url, {**body, "confirm": "on"})
    assert confirmed.status_code == 302
    finding.refresh_from_db()
    assert finding.state == "risk_accepted"


def test_evidence_is_served_to_readers_only() -> None:
    owner = user_with_roles(Role.REQUESTER)
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    upload = SimpleUploadedFile("r.txt", b"proof", content_type="text/plain")
    services.finding_resolve(finding=finding, actor=owner, note="x", files=[upload])
    evidence = finding.evidence.get()
    url = reverse("findings:evidence_download", kwargs={"pk": evidence.pk})
    assert Client().get(url).status_code == 302  # to the login page
    response = _client(user_with_roles(Role.AUDITOR)).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"proof"


def test_evidence_missing_from_storage_is_a_clear_404_not_a_server_error() -> None:
    owner = user_with_roles(Role.REQUESTER)
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    upload = SimpleUploadedFile("r.txt", b"proof", content_type="text/plain")
    services.finding_resolve(finding=finding, actor=owner, note="x", files=[upload])
    evidence = finding.evidence.get()
    evidence.file.storage.delete(evidence.file.name)
    url = reverse("findings:evidence_download", kwargs={"pk": evidence.pk})
    response = _client(user_with_roles(Role.AUDITOR)).get(url)
    assert response.status_code == 404


def test_deployment_tab_lists_open_findings_and_offers_raising() -> None:
    deployment = DeploymentFactory()
    raise_finding(deployment=deployment, title="Open problem")
    page = _client(user_with_roles(Role.COMPLIANCE_OFFICER)).get(
        reverse("findings:deployment_findings", kwargs={"pk": deployment.pk})
    )
    text = page.content.decode()
    assert "Open problem" in text and "Raise a finding" in text
    assert 'href="/deployments/' in text


def test_owner_sees_their_findings_on_their_home_and_compliance_on_the_overview() -> None:
    owner = user_with_roles(Role.REQUESTER)
    raise_finding(owner=owner, severity="critical", title="Fix this first")
    home = _client(owner).get(reverse("dashboard:requester_home")).content.decode()
    assert "Findings you must act on" in home and "Fix this first" in home
    overview = _client(user_with_roles(Role.COMPLIANCE_OFFICER)).get(reverse("dashboard:overview"))
    text = overview.content.decode()
    assert "open critical" in text and "overdue" in text


def test_every_form_on_the_detail_page_labels_its_own_fields() -> None:
    # While remediating, "Mark resolved" and "Attach" both take evidence files: each label
    # must point at its own form's input, so element ids are unique on the page.
    import re
    from collections import Counter

    owner = user_with_roles(Role.COMPLIANCE_OFFICER)
    finding = raise_finding(owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    page = _client(owner).get(reverse("findings:detail", kwargs={"pk": finding.pk}))
    text = page.content.decode()
    assert "Mark resolved" in text and ">Attach<" in text
    ids = Counter(re.findall(r'\bid="([^"]+)"', text))
    assert [i for i, n in ids.items() if n > 1] == []
    for target in re.findall(r'<label for="([^"]+)"', text):
        assert ids[target] == 1, target


def test_list_page_shows_the_earliest_due_first_with_deployment_and_owner() -> None:
    owner = user_with_roles(Role.REQUESTER, first_name="Olga", last_name="Owner")
    later = raise_finding(title="Due later", owner=owner)
    sooner = raise_finding(title="Due sooner", owner=owner)
    Finding.objects.filter(pk=sooner.pk).update(due_date=later.due_date - dt.timedelta(days=3))
    page = _client(user_with_roles(Role.AUDITOR)).get(reverse("findings:list")).content.decode()
    assert page.index("Due sooner") < page.index("Due later")
    assert sooner.deployment.model_version.system.name in page
    assert "Olga" in page


def test_overview_rows_are_the_most_severe_of_what_the_verifier_must_act_on() -> None:
    from governance.findings import selectors

    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    for severity in ("low", "critical", "medium", "high"):
        finding = raise_finding(severity=severity, title=f"Resolved {severity}")
        Finding.objects.filter(pk=finding.pk).update(state="resolved")
    raise_finding(severity="critical", title="Still open, someone else's")
    first = selectors.first_findings(selectors.findings_to_act_on(officer), 2)
    assert [f.title for f in first] == ["Resolved critical", "Resolved high"]
    assert first[0].deployment.model_version.system.name


def test_deployment_tab_lists_closed_findings_however_many_are_open() -> None:
    deployment = DeploymentFactory()
    owner = user_with_roles(Role.COMPLIANCE_OFFICER)
    closed = raise_finding(deployment=deployment, owner=owner, title="Fixed long ago")
    Finding.objects.filter(pk=closed.pk).update(
        state="closed", created_at=timezone.now() - dt.timedelta(days=30)
    )
    template = raise_finding(deployment=deployment, owner=owner)
    Finding.objects.bulk_create(
        [
            Finding(
                deployment=deployment,
                severity="low",
                title=f"Open problem {i}",
                owner=owner,
                due_date=template.due_date,
                policy=template.policy,
                state="open",
                state_changed_at=template.state_changed_at,
            )
            for i in range(55)
        ]
    )
    page = _client(owner).get(reverse("findings:deployment_findings", kwargs={"pk": deployment.pk}))
    text = page.content.decode()
    assert "Open problem 54" in text
    assert "Closed and accepted" in text and "Fixed long ago" in text
