"""Kept statuses: the status rule, refresh after committed changes, never on page views."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from governance.inventory.services import deployment_update
from governance.obligations.models import DeploymentObligation, ObligationSummary
from governance.obligations.services import (
    assertion_sign,
    obligations_refresh,
    obligations_refresh_all,
)
from governance.risk.services import risk_assessment_create
from tests.factories import DeploymentFactory, RequirementFactory, evidence_document
from tests.factories.accounts import PASSWORD
from tests.factories.risk import complete_answers

pytestmark = pytest.mark.django_db


def _row(deployment: Any, requirement: Any) -> DeploymentObligation:
    return DeploymentObligation.objects.get(deployment=deployment, requirement=requirement)


def test_status_follows_applicability_force_and_evidence(deployment: Any) -> None:
    never = RequirementFactory(
        applicability={"when": {"fact": "nyc_employment", "is": True}, "scope": "NYC hiring"}
    )
    later = RequirementFactory(applies_from=dt.date(2099, 8, 2))
    two_rules = RequirementFactory(
        evidence_rules=[{"kind": "ledger"}, {"kind": "accountable_owner"}]
    )
    no_rules = RequirementFactory()
    obligations_refresh(deployment_ids=[deployment.pk])
    assert _row(deployment, never).status == "not_applicable"
    assert _row(deployment, never).why.startswith("Does not apply")
    assert _row(deployment, later).status == "not_yet_in_force"
    assert "2099" in _row(deployment, later).why
    # The factory's deployment has no ledger event and no owner.
    row = _row(deployment, two_rules)
    assert row.status == "missing"
    assert row.gaps == ["Audit trail", "Accountable owner"]
    assert _row(deployment, no_rules).status == "missing"


def test_some_evidence_is_partly_met_and_all_is_met(
    deployment: Any, impact: Any, requester: Any
) -> None:
    requirement = RequirementFactory(
        evidence_rules=[{"kind": "risk_assessment"}, {"kind": "ledger"}, {"kind": "raci"}]
    )
    risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers=complete_answers(),
        submit=True,
    )
    obligations_refresh(deployment_ids=[deployment.pk])
    row = _row(deployment, requirement)
    assert row.status == "partly_met"
    assert row.gaps == ["Accountability assignments"]
    summary = ObligationSummary.objects.get(deployment=deployment, framework=requirement.framework)
    assert (summary.applicable, summary.met, summary.partly_met) == (1, 0, 1)
    assert summary.tier == "I"


def test_committed_change_refreshes_the_deployment_and_rollback_does_not(
    deployment: Any, impact: Any, requester: Any, django_capture_on_commit_callbacks: Any
) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "risk_assessment"}])
    obligations_refresh(deployment_ids=[deployment.pk])
    assert _row(deployment, requirement).status == "missing"
    with django_capture_on_commit_callbacks(execute=True):
        risk_assessment_create(
            deployment=deployment,
            methodology=impact,
            actor=requester,
            answers=complete_answers(),
            submit=True,
        )
    assert _row(deployment, requirement).status == "met"
    # A material change makes the assessment stale: the refresh follows the commit.
    with django_capture_on_commit_callbacks(execute=True):
        deployment_update(deployment=deployment, actor=requester, fields={"region": "us-east-1"})
    row = _row(deployment, requirement)
    assert row.status == "missing"
    assert "stale" in row.evidence[0]["detail"]


def test_refresh_writes_only_what_changed(deployment: Any) -> None:
    RequirementFactory(evidence_rules=[{"kind": "ledger"}])
    first = obligations_refresh(deployment_ids=[deployment.pk])
    assert first >= 1
    assert obligations_refresh(deployment_ids=[deployment.pk]) == 0


def test_daily_refresh_sees_time_pass(deployment: Any, officer: Any) -> None:
    from tests.factories import BiasAuditFactory

    requirement = RequirementFactory(evidence_rules=[{"kind": "bias_audit", "max_age_days": 30}])
    audit = BiasAuditFactory(deployment=deployment, actor=officer, finalize=True)
    obligations_refresh_all(today=audit.audit_date)
    assert _row(deployment, requirement).status == "met"
    obligations_refresh_all(today=audit.audit_date + dt.timedelta(days=31))
    assert _row(deployment, requirement).status == "missing"


def test_page_view_reads_kept_rows_and_computes_nothing(
    client: Any, officer: Any, django_assert_max_num_queries: Any
) -> None:
    requirements = [
        RequirementFactory(evidence_rules=[{"kind": k}])
        for k in ("risk_assessment", "ledger", "raci", "document", "bias_audit")
    ]
    deployment = DeploymentFactory()
    obligations_refresh(deployment_ids=[deployment.pk])
    client.force_login(officer)
    url = reverse("obligations:deployment_obligations", kwargs={"pk": deployment.pk})
    with django_assert_max_num_queries(30) as few:
        assert client.get(url).status_code == 200
    for _ in range(3):
        RequirementFactory(framework=requirements[0].framework, evidence_rules=[{"kind": "ledger"}])
    RequirementFactory(evidence_rules=[{"kind": "approval"}])
    obligations_refresh(deployment_ids=[deployment.pk])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    # Nothing evaluated on the view: rows written earlier are what the page shows.
    assert b"Audit trail" in response.content


def test_tab_hides_what_does_not_apply_until_asked(client: Any, officer: Any) -> None:
    deployment = DeploymentFactory()
    RequirementFactory(
        title="Hiring audit",
        applicability={"when": {"fact": "nyc_employment", "is": True}, "scope": "NYC hiring"},
    )
    obligations_refresh(deployment_ids=[deployment.pk])
    client.force_login(officer)
    url = reverse("obligations:deployment_obligations", kwargs={"pk": deployment.pk})
    assert b"Hiring audit" not in client.get(url).content
    shown = client.get(url, {"all": "1"}).content.decode()
    assert "Hiring audit" in shown
    assert "Does not apply" in shown


def test_valid_assertion_decides_and_expired_one_stops_counting(
    deployment: Any, officer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from governance.obligations.services import obligations_expire_assertions

    requirement = RequirementFactory(assertion_validity_days=30)
    obligations_refresh(deployment_ids=[deployment.pk])
    document = evidence_document(officer)
    request = RequestFactory().post("/")
    with django_capture_on_commit_callbacks(execute=True):
        assertion = assertion_sign(
            deployment=deployment,
            requirement=requirement,
            signer=officer,
            verdict="met",
            justification="The literacy programme covers every operator.",
            documents=[document],
            password=PASSWORD,
            http_request=request,
        )
    row = _row(deployment, requirement)
    assert (row.status, row.assertion_id) == ("met", assertion.pk)
    assert assertion.expires_at - assertion.signed_at == dt.timedelta(days=30)
    assert obligations_expire_assertions(now=timezone.now()) == 0
    later = assertion.expires_at + dt.timedelta(minutes=1)
    assert obligations_expire_assertions(now=later) >= 1
    row = _row(deployment, requirement)
    assert (row.status, row.assertion_id) == ("missing", None)


def test_editing_the_systems_facts_refreshes_its_deployments_after_commit(
    deployment: Any, requester: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from governance.inventory.services import ai_system_update

    nyc_hiring = RequirementFactory(
        applicability={"when": {"fact": "nyc_employment", "is": True}, "scope": "NYC hiring"}
    )
    obligations_refresh(deployment_ids=[deployment.pk])
    assert _row(deployment, nyc_hiring).status == "not_applicable"
    with django_capture_on_commit_callbacks(execute=True):
        ai_system_update(
            system=deployment.model_version.system,
            actor=requester,
            fields={
                "annex_iii_area": "employment",
                "annex_iii_point": "4a",
                "nyc_employment_decisions": True,
            },
        )
    row = _row(deployment, nyc_hiring)
    assert row.applies and row.status == "missing"
