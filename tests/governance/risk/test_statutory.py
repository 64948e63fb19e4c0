"""The assessments the law names (Art 27 FRIA, GDPR Art 35 DPIA): versions, sign-off, evidence."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from governance.accounts.roles import Role
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.core.models import ImmutableRecordError
from governance.ledger.models import LedgerEvent
from governance.obligations.assessments import signed_assessments
from governance.risk.methodology import MethodologyFormatError, parse_methodology
from governance.risk.models import Methodology, StatutoryAssessment, StatutoryStatus
from governance.risk.services.statutory import (
    statutory_assessment_discard,
    statutory_assessment_reopen,
    statutory_assessment_sign,
    statutory_assessment_start,
    statutory_assessment_submit,
    statutory_assessment_update,
)
from governance.risk.signals import statutory_assessment_signed
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.risk import DPIA_ANSWERS, FRIA_ANSWERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> dict[str, Any]:
    return {
        "requester": user_with_roles(Role.REQUESTER),
        "signer": user_with_roles(Role.COMPLIANCE_OFFICER),
    }


def _sign(assessment: StatutoryAssessment, signer: Any, password: str = PASSWORD) -> Any:
    return statutory_assessment_sign(
        assessment=assessment,
        signer=signer,
        password=password,
        http_request=RequestFactory().post("/"),
    )


def _signed(deployment: Any, kind: str, people: dict[str, Any]) -> StatutoryAssessment:
    answers = FRIA_ANSWERS if kind == "fria" else DPIA_ANSWERS
    draft = statutory_assessment_start(
        deployment=deployment, kind=kind, actor=people["requester"], answers=answers
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=people["requester"])
    return _sign(submitted, people["signer"])


def test_shipped_questionnaires_are_loaded_by_migrate() -> None:
    fria = Methodology.objects.get(slug="fria", version="1")
    dpia = Methodology.objects.get(slug="dpia", version="1")
    assert fria.kind == "fria" and dpia.kind == "dpia"
    # Art 27(1)(a)-(f): every content item has at least one question.
    references = {q.reference for q in fria.spec.questions}
    for item in "abcdef":
        assert f"Art 27(1)({item})" in references
    assert {q.reference for q in dpia.spec.questions} >= {f"Art 35(7)({item})" for item in "abcd"}


def test_text_questions_are_refused_outside_questionnaires() -> None:
    content = b"""
slug: x
version: "1"
kind: eu_classification
title: X
questions:
  - {id: q, section: S, text: Q, type: text}
rules:
  - {id: r, class: minimal, when: {question: q, any_of: [a]}, rationale: R}
default: {class: minimal, rationale: R}
"""
    with pytest.raises(MethodologyFormatError) as caught:
        parse_methodology(content)
    assert any(path == "questions[0].type" for path, _ in caught.value.errors)


def test_questionnaire_options_carry_no_points_and_text_has_no_options() -> None:
    content = b"""
slug: y
version: "1"
kind: fria
title: Y
questions:
  - {id: a, section: S, text: A, type: single, options: [{id: o, label: O, points: 2}]}
  - {id: b, section: S, text: B, type: text, options: [{id: o, label: O}]}
"""
    with pytest.raises(MethodologyFormatError) as caught:
        parse_methodology(content)
    paths = {path for path, _ in caught.value.errors}
    assert {"questions[0].options[0].points", "questions[1].options"} <= paths


def test_fria_is_filled_submitted_and_signed_with_reauthentication(people: Any) -> None:
    deployment = DeploymentFactory()
    draft = statutory_assessment_start(
        deployment=deployment, kind="fria", actor=people["requester"]
    )
    assert (draft.version, draft.status, draft.answers) == (1, StatutoryStatus.DRAFT, {})
    draft = statutory_assessment_update(
        assessment=draft, actor=people["requester"], answers=FRIA_ANSWERS
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=people["requester"])
    assert submitted.status == StatutoryStatus.SUBMITTED
    assert len(submitted.answers_sha256) == 64
    signed = _sign(submitted, people["signer"])
    assert signed.status == StatutoryStatus.SIGNED
    assert signed.signed_by == people["signer"]
    assert submitted.answers_sha256 in signed.signature_meaning
    assert signed.fingerprint == deployment.fingerprint
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(signed.pk)).values_list("action", flat=True)
    )
    assert actions == [
        "statutory_assessment.created",
        "statutory_assessment.updated",
        "statutory_assessment.submitted",
        "statutory_assessment.signed",
    ]


def test_wrong_password_refuses_the_signature_and_is_ledgered(people: Any) -> None:
    deployment = DeploymentFactory()
    draft = statutory_assessment_start(
        deployment=deployment, kind="dpia", actor=people["requester"], answers=DPIA_ANSWERS
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=people["requester"])
    with pytest.raises(PermissionRefused):
        _sign(submitted, people["signer"], password="wrong")
    submitted.refresh_from_db()
    assert submitted.status == StatutoryStatus.SUBMITTED
    assert LedgerEvent.objects.filter(action="security.reauthentication_failed").count() == 1
    assert signed_assessments([deployment.pk]) == {deployment.pk: set()}


def test_incomplete_answers_cannot_be_submitted(people: Any) -> None:
    deployment = DeploymentFactory()
    answers = {k: v for k, v in FRIA_ANSWERS.items() if k != "complaints"}
    draft = statutory_assessment_start(
        deployment=deployment, kind="fria", actor=people["requester"], answers=answers
    )
    with pytest.raises(InvalidInput) as caught:
        statutory_assessment_submit(assessment=draft, actor=people["requester"])
    assert "answers.complaints" in caught.value.fields
    draft.refresh_from_db()
    assert draft.status == StatutoryStatus.DRAFT


@pytest.mark.parametrize(
    "answers, field",
    [
        ({"processes": 42}, "answers.processes"),
        ({"processes": "x" * 10_001}, "answers.processes"),
        ({"frequency": "hourly"}, "answers.frequency"),
        ({"nonsense": "x"}, "answers.nonsense"),
        (["processes"], "answers"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(people: Any, answers: Any, field: str) -> None:
    deployment = DeploymentFactory()
    draft = statutory_assessment_start(
        deployment=deployment, kind="fria", actor=people["requester"]
    )
    with pytest.raises(InvalidInput) as caught:
        statutory_assessment_update(assessment=draft, actor=people["requester"], answers=answers)
    assert field in caught.value.fields
    draft.refresh_from_db()
    assert draft.answers == {}


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        statutory_assessment_start(
            deployment=DeploymentFactory(), kind="pia", actor=user_with_roles(Role.REQUESTER)
        )
    assert "kind" in caught.value.fields


def test_a_new_version_starts_from_the_signed_one_and_supersedes_it_when_signed(
    people: Any,
) -> None:
    deployment = DeploymentFactory()
    first = _signed(deployment, "fria", people)
    second = statutory_assessment_start(
        deployment=deployment, kind="fria", actor=people["requester"]
    )
    assert second.version == 2
    assert second.answers == first.answers
    with pytest.raises(Conflict):  # one version in the making at a time
        statutory_assessment_start(deployment=deployment, kind="fria", actor=people["requester"])
    assert signed_assessments([deployment.pk]) == {deployment.pk: {"fria"}}
    statutory_assessment_update(
        assessment=second, actor=people["requester"], answers={"period": "Two more years."}
    )
    second = _sign(
        statutory_assessment_submit(assessment=second, actor=people["requester"]), people["signer"]
    )
    assert second.supersedes == first
    first.refresh_from_db()
    assert first.superseded_by == second
    assert signed_assessments([deployment.pk]) == {deployment.pk: {"fria"}}
    event = LedgerEvent.objects.get(action="statutory_assessment.signed", subject_id=str(second.pk))
    assert str(first.pk) in event.data


def test_signed_assessments_answers_in_one_query_for_many_deployments(
    people: Any, django_assert_num_queries: Any
) -> None:
    both, fria_only, none = DeploymentFactory(), DeploymentFactory(), DeploymentFactory()
    _signed(both, "fria", people)
    _signed(both, "dpia", people)
    _signed(fria_only, "fria", people)
    draft = statutory_assessment_start(
        deployment=none, kind="dpia", actor=people["requester"], answers=DPIA_ANSWERS
    )
    statutory_assessment_submit(assessment=draft, actor=people["requester"])  # not signed
    with django_assert_num_queries(1):
        found = signed_assessments([both.pk, str(fria_only.pk), none.pk])
    assert found == {both.pk: {"fria", "dpia"}, fria_only.pk: {"fria"}, none.pk: set()}
    assert signed_assessments([]) == {}


def test_signed_version_is_immutable_and_only_drafts_are_discarded(people: Any) -> None:
    signed = _signed(DeploymentFactory(), "dpia", people)
    signed.answers = {}
    with pytest.raises(ImmutableRecordError):
        signed.save()
    with pytest.raises(ImmutableRecordError):
        signed.delete()
    with pytest.raises(Conflict):
        statutory_assessment_update(
            assessment=signed, actor=people["requester"], answers={"risks": "x"}
        )
    draft = statutory_assessment_start(
        deployment=signed.deployment, kind="dpia", actor=people["requester"]
    )
    statutory_assessment_discard(assessment=draft, actor=people["requester"])
    assert not StatutoryAssessment.objects.filter(pk=draft.pk).exists()
    assert LedgerEvent.objects.filter(action="statutory_assessment.discarded").count() == 1


def test_submitted_version_goes_back_to_draft_with_a_reason(people: Any) -> None:
    draft = statutory_assessment_start(
        deployment=DeploymentFactory(), kind="dpia", actor=people["requester"], answers=DPIA_ANSWERS
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=people["requester"])
    with pytest.raises(InvalidInput):
        statutory_assessment_reopen(assessment=submitted, actor=people["requester"], reason=" ")
    reopened = statutory_assessment_reopen(
        assessment=submitted, actor=people["requester"], reason="Add the DPO's advice."
    )
    assert reopened.status == StatutoryStatus.DRAFT
    with pytest.raises(Conflict):
        statutory_assessment_reopen(assessment=reopened, actor=people["requester"], reason="x")


def test_only_signers_sign_and_auditors_change_nothing(people: Any) -> None:
    deployment = DeploymentFactory()
    auditor = user_with_roles(Role.AUDITOR)
    with pytest.raises(PermissionRefused):
        statutory_assessment_start(deployment=deployment, kind="fria", actor=auditor)
    draft = statutory_assessment_start(
        deployment=deployment, kind="fria", actor=people["requester"], answers=FRIA_ANSWERS
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=people["requester"])
    with pytest.raises(PermissionRefused):
        _sign(submitted, people["requester"])


def test_signing_sends_the_signal_inside_the_transaction(people: Any) -> None:
    received: list[Any] = []

    def receiver(sender: Any, assessment: Any, previous: Any, actor: Any, **kwargs: Any) -> None:
        received.append((assessment.kind, previous, actor))

    statutory_assessment_signed.connect(receiver)
    try:
        _signed(DeploymentFactory(), "fria", people)
    finally:
        statutory_assessment_signed.disconnect(receiver)
    assert received == [("fria", None, people["signer"])]
