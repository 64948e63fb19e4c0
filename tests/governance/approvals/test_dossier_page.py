"""Signers read what they sign: the dossier in words, not hashes and ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from governance.accounts.roles import Role
from governance.approvals import services
from governance.inventory.services import deployment_update
from tests.factories import BiasAuditFactory, user_with_roles
from tests.factories.approvals import approve_fully, assess, ready_deployment, sign, signers_for

pytestmark = pytest.mark.django_db


def _page(client, approval) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user_with_roles(Role.REVIEWER))
    return client.get(reverse("approvals:request_detail", args=[approval.pk])).content.decode()


def test_the_dossier_shows_the_assessment_answers_and_owner_in_words(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, owner = ready_deployment("II")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    page = _page(client, approval)
    assessment = approval.deployment.risk_assessments.get()
    assert f"<dt>Score</dt><dd>{assessment.score} " in page
    assert f"<dt>Risk tier</dt><dd>{assessment.tier}</dd>" in page
    from django.utils.html import escape

    from governance.risk.selectors import answer_sections

    first_row = answer_sections(assessment)[0]["rows"][0]
    assert f"<td>{escape(first_row['question'].text)}</td>" in page
    assert f"<td>{escape(first_row['labels'][0])}</td>" in page
    assert owner.display_name in page and "accepted accountability on" in page
    assert f"Assessment {approval.dossier['assessment']}" not in page
    assert approval.dossier["evidence"]["accountable_owner"] not in page


def test_the_dossier_shows_the_bias_audit_table_with_flagged_rows(client) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.bias import csv_bytes, grouped_rows

    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    people = {("Female",): (100, 20), ("Male",): (100, 60)}
    BiasAuditFactory(
        deployment=deployment, finalize=True, csv=csv_bytes("sex,selected", grouped_rows(people))
    )
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    page = _page(client, approval)
    assert "audit by Jordan Reyes (Fairness Assurance LLP)" in page
    assert '<tr class="flagged"><td>sex</td><th scope="row">Female</th>' in page
    assert "1 category below the four-fifths" in page


def test_the_dossier_compares_with_the_last_approval_field_by_field_in_words(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("I")
    first = services.approval_request_create(deployment=deployment, actor=requester)
    people = signers_for(first)
    sign(first, people[0][0], conditions="Monitor the false-positive rate weekly.")
    first.refresh_from_db()
    old_region = deployment.region
    deployment_update(deployment=deployment, actor=requester, fields={"region": "eu-central-1"})
    assess(deployment, "II", requester)
    deployment.refresh_from_db()
    second = approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    page = _page(client, second)
    assert "Monitor the false-positive rate weekly." in page
    assert f"<td>Configuration: region</td><td>{old_region}</td><td>eu-central-1</td>" in page
    assert "tier I, score" in page and "tier II, score" in page


def test_a_pending_request_warns_when_the_gate_would_stay_closed(client) -> None:  # type: ignore[no-untyped-def]
    from governance.approvals.models import ApprovalRequest

    deployment, requester, _ = ready_deployment("I")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    # The deployment now needs an independent audit it did not need when the request opened.
    type(deployment).objects.filter(pk=deployment.pk).update(requires_independent_bias_audit=True)
    page = _page(client, ApprovalRequest.objects.get(pk=approval.pk))
    assert "The gate will stay closed even when everyone signs" in page
    assert reverse("bias:deployment_audits", args=[deployment.pk]) in page


@pytest.mark.django_db
def test_signers_see_the_open_findings_of_the_deployment(client: Any) -> None:
    from tests.factories.findings import raise_finding

    deployment, requester, _ = ready_deployment("II")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    raise_finding(deployment=deployment, severity="medium", title="Decline letters unclear")
    client.force_login(user_with_roles(Role.REVIEWER))
    page = client.get(reverse("approvals:request_detail", args=[approval.pk])).content.decode()
    assert "Open findings" in page and "Decline letters unclear" in page


def test_the_comparison_reads_each_record_of_the_dossier_once(
    django_assert_max_num_queries: Any,
) -> None:
    from governance.approvals.dossier_contents import dossier_contents
    from governance.risk.models import RiskAssessment

    deployment, requester, _ = ready_deployment("I")
    first = approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    deployment_update(deployment=deployment, actor=requester, fields={"region": "eu-central-1"})
    assess(deployment, "II", requester)
    deployment.refresh_from_db()
    second = services.approval_request_create(deployment=deployment, actor=requester)
    with django_assert_max_num_queries(50) as read:
        contents = dossier_contents(second, first)
    assert "the risk assessment" in [row["label"] for row in contents["comparison"]]
    table = RiskAssessment._meta.db_table
    assessments_read = [q for q in read.captured_queries if f'FROM "{table}"' in q["sql"]]
    assert len(assessments_read) == 2  # the approved one and the current one, once each
