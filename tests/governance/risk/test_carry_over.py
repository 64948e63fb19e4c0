"""Re-assessments start from the previous submitted answers, marked until changed or confirmed."""

from __future__ import annotations

from typing import Any

import pytest

from governance.core.errors import InvalidInput
from governance.ledger.models import LedgerEvent
from governance.risk.models import RiskAssessment
from governance.risk.services import (
    risk_assessment_create,
    risk_assessment_submit,
    risk_assessment_update,
)
from tests.factories import AISystemFactory, DeploymentFactory, ModelVersionFactory
from tests.factories.risk import complete_answers, load_generated, load_shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def impact() -> Any:
    return load_shipped()


@pytest.fixture
def deployment() -> Any:
    system = AISystemFactory(annex_iii_area="employment", profiles_natural_persons=True)
    return DeploymentFactory(model_version=ModelVersionFactory(system=system))


def _submitted(deployment: Any, methodology: Any, actor: Any, answers: Any) -> RiskAssessment:
    return risk_assessment_create(
        deployment=deployment, methodology=methodology, actor=actor, answers=answers, submit=True
    )


def _previous_answers() -> dict[str, Any]:
    return complete_answers(
        annex_iii_area="employment", profiling="yes", autonomy="automatic", data=["health"]
    )


def test_second_assessment_starts_from_the_previous_submitted_answers(
    impact: Any, deployment: Any, requester: Any
) -> None:
    previous = _submitted(deployment, impact, requester, _previous_answers())
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    assert draft.status == "draft"
    assert draft.answers == previous.answers
    assert draft.carried_over == sorted(previous.answers)
    assert draft.carried_over_from == previous
    # Scored from the carried answers straight away, so the preview is not blank either.
    assert (draft.raw_score, draft.tier) == (previous.raw_score, previous.tier)


def test_creation_event_names_the_source_assessment(
    impact: Any, deployment: Any, requester: Any
) -> None:
    previous = _submitted(deployment, impact, requester, _previous_answers())
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    event = LedgerEvent.objects.filter(action="risk_assessment.created").latest("seq")
    assert event.subject_id == str(draft.pk)
    source = event.payload["carried_over_from"]
    assert source["assessment"] == str(previous.pk)
    assert source["methodology"]["version"] == "1"
    assert source["submitted_at"] == previous.submitted_at.isoformat()
    assert event.payload["carried_over"] == sorted(previous.answers)
    assert event.payload["not_carried_over"] == []


def test_start_blank_ignores_the_previous_assessment(
    impact: Any, deployment: Any, requester: Any
) -> None:
    _submitted(deployment, impact, requester, _previous_answers())
    draft = risk_assessment_create(
        deployment=deployment, methodology=impact, actor=requester, start_blank=True
    )
    assert draft.answers == {"annex_iii_area": "employment", "profiling": "yes"}
    assert draft.carried_over == [] and draft.carried_over_from is None
    event = LedgerEvent.objects.filter(action="risk_assessment.created").latest("seq")
    assert event.payload["carried_over_from"] is None


def test_given_answers_win_over_carried_ones(impact: Any, deployment: Any, requester: Any) -> None:
    _submitted(deployment, impact, requester, _previous_answers())
    draft = risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=requester,
        answers={"autonomy": "advisory", "recourse": None},
    )
    assert draft.answers["autonomy"] == "advisory" and "recourse" not in draft.answers
    assert "autonomy" not in draft.carried_over and "recourse" not in draft.carried_over
    assert "reversibility" in draft.carried_over


def test_a_changed_inventory_fact_replaces_the_carried_answer(
    impact: Any, deployment: Any, requester: Any
) -> None:
    _submitted(deployment, impact, requester, _previous_answers())
    system = deployment.model_version.system
    system.annex_iii_area = "education"
    system.save()
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    assert draft.answers["annex_iii_area"] == "education"
    assert "annex_iii_area" not in draft.carried_over and "profiling" in draft.carried_over


def test_drafts_and_other_methodologies_are_not_carried_over(
    impact: Any, deployment: Any, requester: Any
) -> None:
    risk_assessment_create(
        deployment=deployment, methodology=impact, actor=requester, answers=_previous_answers()
    )
    other = load_generated(slug="other", questions=5, mitigation_questions=1)
    _submitted(deployment, other, requester, {q.id: "o0" for q in other.spec.questions})
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    assert draft.carried_over == [] and draft.carried_over_from is None


def test_new_methodology_version_carries_over_only_still_valid_answers(
    deployment: Any, requester: Any
) -> None:
    v1 = load_generated(slug="gen", version="1", questions=6, mitigation_questions=1)
    answers = {"q000": "o0", "q001": "o5", "q002": "o0", "q003": "o5", "q004": "o5"}
    previous = _submitted(deployment, v1, requester, {**answers, "q005": "o10"})
    # Version 2 drops q005, and its options are o0/o3 (risk) and o0/o10 (q004, now mitigation).
    v2 = load_generated(
        slug="gen", version="2", questions=5, mitigation_questions=1, risk_points=(0, 3)
    )
    draft = risk_assessment_create(deployment=deployment, methodology=v2, actor=requester)
    assert draft.answers == {"q000": "o0", "q002": "o0"}
    assert draft.carried_over == ["q000", "q002"]
    assert draft.carried_over_from == previous
    event = LedgerEvent.objects.filter(action="risk_assessment.created").latest("seq")
    assert event.payload["carried_over_from"]["methodology"]["version"] == "1"
    assert event.payload["not_carried_over"] == ["q001", "q003", "q004", "q005"]


def test_changing_or_confirming_an_answer_removes_its_mark(
    impact: Any, deployment: Any, requester: Any
) -> None:
    _submitted(deployment, impact, requester, _previous_answers())
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    # Saving the same value without confirming leaves the mark where it is.
    draft = risk_assessment_update(
        assessment=draft, actor=requester, answers={"autonomy": "automatic"}
    )
    assert "autonomy" in draft.carried_over
    draft = risk_assessment_update(
        assessment=draft, actor=requester, answers={"autonomy": "advisory"}
    )
    draft = risk_assessment_update(
        assessment=draft, actor=requester, answers={}, confirm=["recourse"]
    )
    assert "autonomy" not in draft.carried_over and "recourse" not in draft.carried_over
    assert "reversibility" in draft.carried_over
    event = LedgerEvent.objects.filter(action="risk_assessment.updated").latest("seq")
    assert event.payload["confirmed"] == ["recourse"] and event.payload["answers"] == {}
    assert RiskAssessment.objects.get(pk=draft.pk).carried_over == draft.carried_over


def test_confirming_an_unknown_question_is_refused(
    impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    with pytest.raises(InvalidInput) as caught:
        risk_assessment_update(assessment=draft, actor=requester, answers={}, confirm=["nope"])
    assert "confirm" in caught.value.fields


def test_submission_records_answers_still_unconfirmed(
    impact: Any, deployment: Any, requester: Any
) -> None:
    previous = _submitted(deployment, impact, requester, _previous_answers())
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    draft = risk_assessment_update(
        assessment=draft, actor=requester, answers={"autonomy": "advisory"}
    )
    risk_assessment_submit(assessment=draft, actor=requester)
    event = LedgerEvent.objects.filter(action="risk_assessment.submitted").latest("seq")
    assert event.payload["carried_over_from"] == str(previous.pk)
    assert "autonomy" not in event.payload["carried_over"]
    assert "reversibility" in event.payload["carried_over"]


def test_missing_answers_are_named_by_their_question_text(
    impact: Any, deployment: Any, requester: Any
) -> None:
    draft = risk_assessment_create(deployment=deployment, methodology=impact, actor=requester)
    with pytest.raises(InvalidInput) as caught:
        risk_assessment_submit(assessment=draft, actor=requester)
    fields = caught.value.fields
    assert fields["answers.autonomy"] == [
        "Needs an answer: How much does the model decide on its own?"
    ]
    assert "How much does the model decide on its own?" in caught.value.message
    assert "autonomy," not in caught.value.message and "annex_i_product" not in caught.value.message
