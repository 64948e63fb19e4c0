"""Pages and API of the FRIA and DPIA: fill in, submit, sign; bad input gives errors, not 500s."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from governance.risk.models import StatutoryAssessment, StatutoryStatus
from governance.risk.services.statutory import (
    statutory_assessment_start,
    statutory_assessment_submit,
)
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.risk import DPIA_ANSWERS, FRIA_ANSWERS

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {f"q-{qid}": value for qid, value in answers.items()}


def test_requester_fills_and_submits_a_fria_and_compliance_signs_it() -> None:
    deployment = DeploymentFactory()
    requester = _client(user_with_roles(Role.REQUESTER))
    listing = requester.get(reverse("risk:statutory_list", kwargs={"pk": deployment.pk}))
    assert listing.status_code == 200
    assert b"No signed version" in listing.content
    started = requester.post(
        reverse("risk:statutory_start", kwargs={"pk": deployment.pk}), {"kind": "fria"}
    )
    draft = StatutoryAssessment.objects.get(deployment=deployment, kind="fria")
    assert started.url == reverse("risk:statutory_edit", kwargs={"pk": draft.pk})
    page = requester.get(started.url)
    assert page.status_code == 200
    assert b"Art 27(1)(f)" in page.content
    saved = requester.post(started.url, {**_post_answers(FRIA_ANSWERS), "go": "submit"})
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.status == StatutoryStatus.SUBMITTED
    assert draft.answers["processes"] == FRIA_ANSWERS["processes"]

    signer = user_with_roles(Role.COMPLIANCE_OFFICER)
    compliance = _client(signer)
    detail = compliance.get(reverse("risk:statutory_detail", kwargs={"pk": draft.pk}))
    assert draft.answers_sha256.encode() in detail.content  # the statement names the hash
    wrong = compliance.post(
        reverse("risk:statutory_sign", kwargs={"pk": draft.pk}),
        {"password": "not-it", "confirm": "on", "answers_sha256": draft.answers_sha256},
    )
    assert wrong.status_code == 400
    assert b"The password is not correct." in wrong.content
    signed = compliance.post(
        reverse("risk:statutory_sign", kwargs={"pk": draft.pk}),
        {"password": PASSWORD, "confirm": "on", "answers_sha256": draft.answers_sha256},
    )
    assert signed.status_code == 302
    draft.refresh_from_db()
    assert draft.status == StatutoryStatus.SIGNED and draft.signed_by == signer
    listing = requester.get(reverse("risk:statutory_list", kwargs={"pk": deployment.pk}))
    assert b"Start version 2" in listing.content


def test_overlong_text_answer_is_a_form_error_and_saves_nothing() -> None:
    deployment = DeploymentFactory()
    user = user_with_roles(Role.REQUESTER)
    draft = statutory_assessment_start(deployment=deployment, kind="fria", actor=user)
    events = LedgerEvent.objects.count()
    response = _client(user).post(
        reverse("risk:statutory_edit", kwargs={"pk": draft.pk}),
        {"q-processes": "x" * 10_001, "q-frequency": "hourly", "go": "save"},
    )
    assert response.status_code == 400
    assert b"at most 10000 characters" in response.content
    assert b"Select a valid choice" in response.content
    draft.refresh_from_db()
    assert draft.answers == {}
    assert LedgerEvent.objects.count() == events


def test_submitting_with_required_answers_missing_stays_a_draft_and_says_which() -> None:
    deployment = DeploymentFactory()
    user = user_with_roles(Role.REQUESTER)
    draft = statutory_assessment_start(deployment=deployment, kind="dpia", actor=user)
    client = _client(user)
    response = client.post(
        reverse("risk:statutory_edit", kwargs={"pk": draft.pk}),
        {"q-processing": "Scoring.", "go": "submit"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Needs an answer" in response.content
    draft.refresh_from_db()
    assert draft.status == StatutoryStatus.DRAFT
    assert draft.answers == {"processing": "Scoring."}


def test_sign_form_without_password_or_confirmation_is_refused_without_saving() -> None:
    user = user_with_roles(Role.REQUESTER)
    draft = statutory_assessment_start(
        deployment=DeploymentFactory(), kind="dpia", actor=user, answers=DPIA_ANSWERS
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=user)
    events = LedgerEvent.objects.count()
    response = _client(user_with_roles(Role.COMPLIANCE_OFFICER)).post(
        reverse("risk:statutory_sign", kwargs={"pk": submitted.pk}), {"password": ""}
    )
    assert response.status_code == 400
    assert LedgerEvent.objects.count() == events
    submitted.refresh_from_db()
    assert submitted.status == StatutoryStatus.SUBMITTED


def test_signing_answers_other_than_those_shown_is_refused_before_the_password() -> None:
    user = user_with_roles(Role.REQUESTER)
    draft = statutory_assessment_start(
        deployment=DeploymentFactory(), kind="dpia", actor=user, answers=DPIA_ANSWERS
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=user)
    events = LedgerEvent.objects.count()
    response = _client(user_with_roles(Role.COMPLIANCE_OFFICER)).post(
        reverse("risk:statutory_sign", kwargs={"pk": submitted.pk}),
        {"password": "junk", "confirm": "on", "answers_sha256": "0" * 64},
    )
    assert response.status_code == 400
    assert b"read them again" in response.content
    assert LedgerEvent.objects.count() == events  # no password was tried


def test_auditor_cannot_start_or_sign(auditor: Any) -> None:
    deployment = DeploymentFactory()
    client = _client(auditor)
    assert (
        client.get(reverse("risk:statutory_list", kwargs={"pk": deployment.pk})).status_code == 200
    )
    response = client.post(
        reverse("risk:statutory_start", kwargs={"pk": deployment.pk}), {"kind": "fria"}
    )
    assert response.status_code == 403
    assert not StatutoryAssessment.objects.exists()


def test_api_lists_versions_with_signature_and_refuses_bad_filters(api: Any) -> None:
    deployment = DeploymentFactory()
    user = user_with_roles(Role.REQUESTER)
    draft = statutory_assessment_start(
        deployment=deployment, kind="fria", actor=user, answers=FRIA_ANSWERS
    )
    client = api(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/statutory-assessments/"
    listed = client.get(url)
    assert listed.status_code == 200, listed.content
    (row,) = listed.json()["results"]
    assert row["kind"] == "fria" and row["version"] == 1 and row["status"] == "draft"
    assert row["answers"]["processes"] == FRIA_ANSWERS["processes"]
    assert row["is_current"] is False and row["signed_by"] is None
    assert client.get(f"{url}{draft.pk}/").json()["methodology"]["slug"] == "fria"
    assert client.get(url, {"kind": "pia"}).status_code == 400
    assert client.get(url, {"status": "x" * 300}).status_code == 400
    assert client.get(f"{url}not-a-uuid/").status_code == 404
    assert client.post(url, {}, format="json").status_code in (403, 405)
    unknown = "/api/v1/deployments/00000000-0000-0000-0000-000000000000/statutory-assessments/"
    assert client.get(unknown).status_code == 404


def test_methodology_api_shows_text_questions(api: Any) -> None:
    response = api(user_with_roles(Role.AUDITOR)).get("/api/v1/risk-methodologies/?kind=fria")
    assert response.status_code == 200
    (methodology,) = response.json()["results"]
    types = {q["type"] for q in methodology["questions"]}
    assert types == {"text", "single", "multi"}
    assert methodology["questions"][0]["reference"] == "Art 27(1)(a)"
