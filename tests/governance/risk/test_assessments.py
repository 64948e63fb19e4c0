"""Risk assessments: drafts, submission, supersession, staleness, the gate and the blocked tier."""

from __future__ import annotations

from typing import Any

import pytest

from governance.approvals.gate_checks import registered_checks
from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.core.models import ImmutableRecordError
from governance.inventory import services as inventory
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerEvent
from governance.risk.models import RiskAssessment, StaleMark
from governance.risk.selectors import current_assessment, current_assessments
from governance.risk.services import (
    risk_assessment_create,
    risk_assessment_discard,
    risk_assessment_submit,
    risk_assessment_update,
)
from governance.risk.signals import assessment_submitted
from tests.factories import AISystemFactory, DeploymentFactory, ModelVersionFactory
from tests.factories.risk import complete_answers, load_generated, load_shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def impact() -> Any:
    return load_shipped()


@pytest.fixture
def deployment() -> Deployment:
    system = AISystemFactory(annex_iii_area="employment", profiles_natural_persons=True)
    return DeploymentFactory(model_version=ModelVersionFactory(system=system))


def _submit(deployment: Deployment, impact: Any, actor: Any, **answers: Any) -> RiskAssessment:
    return risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=actor,
        answers=complete_answers(**answers),
        submit=True,
    )


def test_draft_prefills_what_the_inventory_knows(
    impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    assert draft.status == "draft"
    assert draft.answers == {"annex_iii_area": "employment", "profiling": "yes"}
    assert draft.inventory_facts == {
        "system.annex_iii_area": "employment",
        "system.profiles_natural_persons": "yes",
    }
    event = LedgerEvent.objects.get(action="risk_assessment.created")
    assert event.deployment_id == str(deployment.pk)
    assert event.payload["methodology"]["sha256"] == impact.sha256


def test_submit_stores_every_figure_and_appends_a_ledger_event(
    impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    answers = complete_answers(
        annex_iii_area="employment",
        profiling="yes",
        art6_3_exemption="no",
        autonomy="automatic",
        data=["health", "biometric"],
    )
    risk_assessment_update(assessment=draft, actor=requester, answers=answers)
    submitted = risk_assessment_submit(assessment=draft, actor=requester)
    assert submitted.status == "submitted" and submitted.submitted_by == requester
    assert (submitted.raw_score, submitted.max_raw_score) == (8, 43)
    assert (submitted.mitigation_score, submitted.max_mitigation_score) == (14, 14)
    assert submitted.deduction_applied and submitted.score == 7  # 0.85 × 8 = 6.8 → 7
    assert submitted.level == "I"
    assert submitted.eu_class == "high" and submitted.eu_rule == "art6-2-annex-iii-profiling"
    assert submitted.tier == "III"  # high-risk floor above impact level I
    assert submitted.fingerprint == deployment.fingerprint
    event = LedgerEvent.objects.get(action="risk_assessment.submitted")
    assert event.subject_id == str(submitted.pk) and event.deployment_id == str(deployment.pk)
    assert event.payload["outputs"]["tier"] == "III"
    assert event.payload["outputs"]["score"] == 7
    assert event.payload["answers"]["data"] == ["health", "biometric"]
    assert event.payload["methodology"] == {
        "slug": "impact",
        "version": "1",
        "sha256": impact.sha256,
    }


def test_submitted_assessments_cannot_be_changed_resubmitted_or_discarded(
    impact: Any, deployment: Any, requester: Any
) -> None:
    submitted = _submit(deployment, impact, requester)
    with pytest.raises(Conflict, match="can no longer change"):
        risk_assessment_update(
            assessment=submitted, actor=requester, answers={"autonomy": "automatic"}
        )
    with pytest.raises(Conflict):
        risk_assessment_submit(assessment=submitted, actor=requester)
    with pytest.raises(Conflict):
        risk_assessment_discard(assessment=submitted, actor=requester)
    row = RiskAssessment.objects.get(pk=submitted.pk)
    row.score = 0
    with pytest.raises(ImmutableRecordError):
        row.save()
    with pytest.raises(ImmutableRecordError):
        row.delete()
    with pytest.raises(ImmutableRecordError):
        RiskAssessment.objects.filter(pk=row.pk).update(tier="I")
    assert LedgerEvent.objects.filter(action="risk_assessment.submitted").count() == 1


def test_submit_refuses_missing_required_answers_and_saves_nothing(
    impact: Any, deployment: Any, requester: Any
) -> None:
    answers = complete_answers()
    del answers["recourse"]
    with pytest.raises(InvalidInput) as caught:
        risk_assessment_create(
            deployment=deployment, methodology=impact, actor=requester, answers=answers, submit=True
        )
    assert "answers.recourse" in caught.value.fields
    assert not RiskAssessment.objects.exists()
    assert not LedgerEvent.objects.filter(action__startswith="risk_assessment").exists()


def test_a_newer_submission_supersedes_the_current_one_and_signals_it(
    impact: Any, deployment: Any, requester: Any
) -> None:
    received: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    assessment_submitted.connect(listener)
    try:
        first = _submit(deployment, impact, requester, annex_iii_area="none")
        second = _submit(deployment, impact, requester, eu_prohibited=["social_scoring"])
    finally:
        assessment_submitted.disconnect(listener)
    assert [r["previous"] for r in received] == [None, first]
    assert received[1]["assessment"] == second and received[1]["actor"] == requester
    assert second.supersedes == first
    assert current_assessment(deployment) == second
    assert RiskAssessment.objects.get(pk=first.pk).tier == first.tier  # the old row is untouched
    event = LedgerEvent.objects.filter(action="risk_assessment.submitted").last()
    assert event is not None and event.payload["supersedes"] == str(first.pk)
    assert event.payload["previous_tier"] == first.tier


def test_current_assessments_reads_many_deployments_in_one_query(
    impact: Any, requester: Any, django_assert_num_queries: Any
) -> None:
    deployments = [DeploymentFactory() for _ in range(4)]
    for deployment in deployments[:3]:
        _submit(deployment, impact, requester)
    _submit(deployments[0], impact, requester, autonomy="automatic")
    with django_assert_num_queries(1):
        found = current_assessments([d.pk for d in deployments])
        tiers = {key: (a.tier, a.is_stale, a.methodology.sha256) for key, a in found.items()}
    assert set(found) == {d.pk for d in deployments[:3]}
    assert found[deployments[0].pk].answers["autonomy"] == "automatic"
    assert all(stale is False for _, stale, _ in tiers.values())


def test_material_change_marks_the_current_assessment_stale_with_a_ledger_event(
    impact: Any, deployment: Any, requester: Any
) -> None:
    submitted = _submit(deployment, impact, requester)
    before = deployment.fingerprint
    updated = inventory.deployment_update(
        deployment=deployment, actor=requester, fields={"region": "eu-central-1"}
    )
    current = current_assessment(updated)
    assert current is not None and current.pk == submitted.pk
    assert current.is_stale and current.stale_since is not None
    mark = StaleMark.objects.get(assessment=submitted)
    assert (mark.fingerprint_before, mark.fingerprint_after) == (before, updated.fingerprint)
    event = LedgerEvent.objects.get(action="risk_assessment.marked_stale")
    assert event.payload["fingerprint_before"] == before
    assert event.payload["fingerprint_after"] == updated.fingerprint
    assert event.deployment_id == str(deployment.pk)
    # Changing it back does not make the old assessment fresh again.
    inventory.deployment_update(deployment=updated, actor=requester, fields={"region": "eu-west-1"})
    again = current_assessment(deployment)
    assert again is not None and again.is_stale
    assert LedgerEvent.objects.filter(action="risk_assessment.marked_stale").count() == 1
    fresh = _submit(deployment, impact, requester)
    assert not fresh.is_stale and current_assessment(deployment) == fresh


def test_non_material_change_leaves_the_assessment_fresh(
    impact: Any, deployment: Any, requester: Any
) -> None:
    _submit(deployment, impact, requester)
    inventory.deployment_update(deployment=deployment, actor=requester, fields={"description": "x"})
    current = current_assessment(deployment)
    assert current is not None and not current.is_stale
    assert not LedgerEvent.objects.filter(action="risk_assessment.marked_stale").exists()


def test_gate_check_names_missing_stale_and_blocked_assessments(
    impact: Any, deployment: Any, requester: Any
) -> None:
    check = registered_checks()["risk_assessment"]
    assert check(deployment) == ["no submitted risk assessment"]
    _submit(deployment, impact, requester)
    assert check(deployment) == []
    inventory.deployment_update(
        deployment=deployment, actor=requester, fields={"region": "us-east-1"}
    )
    [reason] = check(Deployment.objects.get(pk=deployment.pk))
    assert reason.startswith("the risk assessment is stale since ")
    _submit(deployment, impact, requester, eu_prohibited=["emotion_work_education"])
    assert check(deployment) == [
        "risk tier is blocked (prohibited practice: Art 5(1)(f): emotion recognition in the "
        "workplace or in education)"
    ]


def test_gate_check_runs_one_query(
    impact: Any, deployment: Any, requester: Any, django_assert_num_queries: Any
) -> None:
    _submit(deployment, impact, requester)
    with django_assert_num_queries(1):
        registered_checks()["risk_assessment"](deployment)


def test_prohibited_practice_blocks_the_deployment_from_ever_being_approved(
    impact: Any, deployment: Any, requester: Any
) -> None:
    assessment = _submit(deployment, impact, requester, eu_prohibited=["social_scoring"])
    assert (assessment.eu_class, assessment.tier) == ("prohibited", "blocked")
    with pytest.raises(TransitionNotAllowed, match=r"prohibited practice: Art 5\(1\)\(c\)"):
        inventory.deployment_transition(
            deployment=deployment, to_status="in_review", actor=requester, workflow=True
        )
    # Even a deployment already in review cannot be approved once its tier is blocked.
    Deployment.objects.filter(pk=deployment.pk).update(status="in_review")
    with pytest.raises(TransitionNotAllowed, match="blocked"):
        inventory.deployment_transition(
            deployment=deployment, to_status="approved", actor=requester, workflow=True
        )
    assert Deployment.objects.get(pk=deployment.pk).status == "in_review"
    # Nor can a suspended one go back to running.
    Deployment.objects.filter(pk=deployment.pk).update(status="suspended")
    with pytest.raises(TransitionNotAllowed, match="blocked"):
        inventory.deployment_transition(deployment=deployment, to_status="active", actor=requester)
    assert not LedgerEvent.objects.filter(action="deployment.transitioned").exists()


def test_unblocked_deployments_move_as_usual(impact: Any, deployment: Any, requester: Any) -> None:
    _submit(deployment, impact, requester)
    moved = inventory.deployment_transition(
        deployment=deployment, to_status="in_review", actor=requester, workflow=True
    )
    assert moved.status == "in_review"


def test_discarding_a_draft_removes_it_and_is_ledgered(
    impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    draft_id = draft.pk
    risk_assessment_discard(assessment=draft, actor=requester)
    assert not RiskAssessment.objects.filter(pk=draft_id).exists()
    event = LedgerEvent.objects.get(action="risk_assessment.discarded")
    assert event.subject_id == str(draft_id)


def test_only_impact_methodologies_start_an_assessment(
    impact: Any, deployment: Any, requester: Any
) -> None:
    with pytest.raises(InvalidInput, match="impact methodology"):
        risk_assessment_create(
            deployment=deployment, methodology=impact.eu_classification, actor=requester
        )


def test_retired_deployments_are_not_assessed(impact: Any, requester: Any) -> None:
    deployment = DeploymentFactory(status="retired")
    with pytest.raises(Conflict, match="retired"):
        risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)


def test_methodology_without_eu_questionnaire_takes_its_tier_from_the_level(
    deployment: Any, requester: Any
) -> None:
    methodology = load_generated(questions=5, mitigation_questions=1)
    answers = {"q000": "o5", "q001": "o5", "q002": "o5", "q003": "o0", "q004": "o0"}
    assessment = risk_assessment_create(
        deployment=deployment,
        methodology=methodology,
        actor=requester,
        answers=answers,
        submit=True,
    )
    # raw 15 of 20 = 75 % → level III; no EU class.
    assert (assessment.level, assessment.eu_class, assessment.tier) == ("III", "", "III")
