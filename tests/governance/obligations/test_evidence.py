"""Evidence rules judged from the records the product holds; stale evidence does not count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from governance.inventory.services import deployment_update
from governance.obligations.evidence import evaluate_evidence
from governance.obligations.services import evidence_link_create
from governance.risk.services import risk_assessment_create
from tests.factories import BiasAuditFactory, RequirementFactory, evidence_document
from tests.factories.obligations import pdf_upload
from tests.factories.risk import complete_answers

pytestmark = pytest.mark.django_db


def _proof(requirement: Any, deployment: Any, today: dt.date | None = None) -> Any:
    [proof] = evaluate_evidence([requirement], [deployment.pk], today=today)[
        (deployment.pk, requirement.pk)
    ]
    return proof


def test_current_submitted_assessment_counts(deployment: Any, impact: Any, requester: Any) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "risk_assessment"}])
    assert not _proof(requirement, deployment).satisfied
    risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers=complete_answers(),
        submit=True,
    )
    proof = _proof(requirement, deployment)
    assert proof.satisfied
    assert proof.label == "Current risk assessment"
    assert "Tier I" in proof.detail


def test_assessment_made_stale_by_a_material_change_does_not_count(
    deployment: Any, impact: Any, requester: Any
) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "risk_assessment"}])
    risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers=complete_answers(),
        submit=True,
    )
    deployment_update(deployment=deployment, actor=requester, fields={"region": "us-east-1"})
    proof = _proof(requirement, deployment)
    assert not proof.satisfied
    assert "stale" in proof.detail


def test_superseded_assessment_gives_way_to_its_successor(
    deployment: Any, impact: Any, requester: Any
) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "risk_assessment"}])
    first = risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers=complete_answers(),
        submit=True,
    )
    deployment_update(deployment=deployment, actor=requester, fields={"region": "us-east-1"})
    second = risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers=complete_answers(),
        submit=True,
    )
    first.refresh_from_db()
    assert second.supersedes == first
    # The superseded one was stale; the successor describes the deployment as it is now.
    assert _proof(requirement, deployment).satisfied


def test_bias_audit_older_than_the_rule_allows_is_stale(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory(
        evidence_rules=[{"kind": "bias_audit", "max_age_days": 365, "label": "LL144 audit"}]
    )
    audit = BiasAuditFactory(deployment=deployment, actor=officer, finalize=True)
    fresh = _proof(requirement, deployment, today=audit.audit_date + dt.timedelta(days=365))
    assert fresh.satisfied
    assert fresh.label == "LL144 audit"
    old = _proof(requirement, deployment, today=audit.audit_date + dt.timedelta(days=366))
    assert not old.satisfied
    assert "366 days old" in old.detail


def test_draft_bias_audit_is_not_evidence(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "bias_audit"}])
    BiasAuditFactory(deployment=deployment, actor=officer)
    assert not _proof(requirement, deployment).satisfied


def test_document_counts_only_while_valid_and_a_new_version_takes_over(
    deployment: Any, officer: Any
) -> None:
    requirement = RequirementFactory(
        evidence_rules=[{"kind": "document", "document_kind": "test_report"}]
    )
    today = timezone.localdate()
    old = evidence_document(
        officer,
        kind="test_report",
        title="Robustness test",
        valid_from=today - dt.timedelta(days=400),
        valid_until=today - dt.timedelta(days=1),
    )
    evidence_link_create(actor=officer, document=old, requirement=requirement, deployment=None)
    expired = _proof(requirement, deployment)
    assert not expired.satisfied
    assert "no longer valid" in expired.detail
    renewed = evidence_document(
        officer,
        kind="test_report",
        title="Robustness test",
        file=pdf_upload("test-2026.pdf", b"%PDF-1.4 renewed"),
        valid_from=today,
        supersedes=old,
    )
    proof = _proof(requirement, deployment)
    assert proof.satisfied
    assert "v2" in proof.detail
    assert str(renewed.pk) in proof.url


def test_document_of_another_kind_does_not_count(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "document", "document_kind": "dpia"}])
    card = evidence_document(officer)
    evidence_link_create(
        actor=officer, document=card, requirement=requirement, deployment=deployment
    )
    assert not _proof(requirement, deployment).satisfied


def test_unknown_evidence_kind_is_not_found_and_says_so(deployment: Any) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "carrier_pigeon"}])
    proof = _proof(requirement, deployment)
    assert not proof.satisfied
    assert "carrier_pigeon" in proof.detail


def test_evaluation_reads_a_constant_number_of_queries(
    django_assert_max_num_queries: Any, officer: Any
) -> None:
    from tests.factories import DeploymentFactory

    kinds = [
        "risk_assessment",
        "approval",
        "ledger",
        "accountable_owner",
        "raci",
        "monitoring_plan",
        "incident_reporting",
        "document",
        "bias_audit",
        "dossier",
    ]
    requirements = [RequirementFactory(evidence_rules=[{"kind": k}]) for k in kinds]
    few = [DeploymentFactory().pk for _ in range(2)]
    many = few + [DeploymentFactory().pk for _ in range(8)]
    with django_assert_max_num_queries(16) as small:
        evaluate_evidence(requirements, few)
    with django_assert_max_num_queries(len(small.captured_queries)):
        evaluate_evidence(requirements, many)
