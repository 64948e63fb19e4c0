"""The risk API: methodologies, assessments (immutable once submitted) and the register."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from governance.risk.models import Risk, RiskAssessment
from tests.factories import DeploymentFactory, RiskFactory, user_with_roles
from tests.factories.risk import complete_answers, load_shipped

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api: Any, requester: Any) -> Any:
    return api(requester)


@pytest.fixture
def deployment() -> Any:
    load_shipped()
    return DeploymentFactory()


def _url(deployment: Any, *rest: str) -> str:
    tail = "".join(f"{part}/" for part in rest)
    return f"/api/v1/deployments/{deployment.pk}/risk-assessments/{tail}"


def _create(client: Any, deployment: Any, answers: Any, submit: bool = True) -> Any:
    body = {"methodology": "impact", "version": "1", "answers": answers, "submit": submit}
    return client.post(_url(deployment), body, format="json")


def test_methodologies_are_listed_with_their_questions(client: Any) -> None:
    load_shipped()
    response = client.get("/api/v1/risk-methodologies/")
    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()["results"]}
    impact = rows["impact"]
    assert impact["version"] == "1" and len(impact["sha256"]) == 64
    assert impact["eu_classification"]["slug"] == "eu-ai-act"
    assert impact["mitigation_deduction"] == {"threshold": 0.8, "factor": 0.85}
    assert [level["max_pct"] for level in impact["levels"]] == [25, 50, 75, 100]
    autonomy = next(q for q in impact["questions"] if q["id"] == "autonomy")
    assert autonomy["type"] == "single" and autonomy["scores"] == "risk"
    assert {o["id"]: o["points"] for o in autonomy["options"]}["automatic"] == 4
    assert rows["eu-ai-act"]["rules"][0]["eu_class"] == "prohibited"
    detail = client.get(f"/api/v1/risk-methodologies/{impact['id']}/")
    assert detail.status_code == 200 and detail.json()["max_raw_score"] == 43


def test_create_and_submit_returns_every_figure(client: Any, deployment: Any) -> None:
    answers = complete_answers(autonomy="automatic", data=["health", "biometric"])
    response = _create(client, deployment, answers)
    assert response.status_code == 201, response.content
    body = response.json()
    expected = {
        "raw_score": 8,
        "max_raw_score": 43,
        "mitigation_score": 14,
        "max_mitigation_score": 14,
        "score": 7,
        "score_pct": 16.28,
        "level": "I",
        "eu_class": "minimal",
        "tier": "I",
        "status": "submitted",
    }
    assert {key: body[key] for key in expected} == expected
    assert body["rationale"].startswith("No prohibited practice")
    assert body["methodology"]["sha256"] == RiskAssessment.objects.get().methodology.sha256
    assert body["is_stale"] is False and body["fingerprint"] == deployment.fingerprint
    assert LedgerEvent.objects.filter(action="risk_assessment.submitted").count() == 1


def test_the_specification_example_names_the_questions_still_missing(
    client: Any, deployment: Any
) -> None:
    response = _create(
        client, deployment, {"autonomy": "automatic", "data": ["health", "biometric"]}
    )
    assert response.status_code == 400
    body = response.json()
    assert "answers.recourse" in body and "answers.eu_prohibited" in body
    assert "answers.autonomy" not in body
    assert not RiskAssessment.objects.exists()


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"autonomy": "sometimes"}, "answers.autonomy"),
        ({"unknown_question": "x"}, "answers.unknown_question"),
        ({"autonomy": ["automatic"]}, "answers.autonomy"),
        ({"data": ["health", "telepathy"]}, "answers.data"),
    ],
)
def test_bad_answers_get_400_naming_the_question(
    client: Any, deployment: Any, answers: dict[str, Any], field: str
) -> None:
    response = _create(client, deployment, answers, submit=False)
    assert response.status_code == 400
    assert field in response.json()
    assert field.removeprefix("answers.") in response.json()["detail"]


def test_unknown_methodology_is_a_400(client: Any, deployment: Any) -> None:
    body = {"methodology": "impact", "version": "7", "answers": {}}
    response = client.post(_url(deployment), body, format="json")
    assert response.status_code == 400 and "impact v7 is loaded" in response.json()["detail"]


def test_drafts_change_and_submit_through_the_api(client: Any, deployment: Any) -> None:
    draft = _create(client, deployment, {"autonomy": "advisory"}, submit=False).json()
    assert draft["status"] == "draft" and draft["answers"]["annex_iii_area"] == "none"
    patched = client.patch(
        _url(deployment, draft["id"]),
        {"answers": {**complete_answers(), "autonomy": "automatic"}},
        format="json",
    )
    assert patched.status_code == 200 and patched.json()["answers"]["autonomy"] == "automatic"
    submitted = client.post(_url(deployment, draft["id"], "submit"))
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    listing = client.get(_url(deployment))
    assert [row["id"] for row in listing.json()["results"]] == [draft["id"]]
    assert client.get(_url(deployment, draft["id"])).json()["tier"] == "I"


def test_submitted_assessments_cannot_be_edited_resubmitted_or_deleted(
    client: Any, deployment: Any
) -> None:
    assessment = _create(client, deployment, complete_answers()).json()
    before = RiskAssessment.objects.get(pk=assessment["id"]).answers
    events = LedgerEvent.objects.count()
    edit = client.patch(
        _url(deployment, assessment["id"]), {"answers": {"autonomy": "automatic"}}, format="json"
    )
    assert edit.status_code == 409 and "can no longer change" in edit.json()["detail"]
    assert client.post(_url(deployment, assessment["id"], "submit")).status_code == 409
    assert client.delete(_url(deployment, assessment["id"])).status_code == 409
    assert RiskAssessment.objects.get(pk=assessment["id"]).answers == before
    assert LedgerEvent.objects.count() == events


def test_assessments_are_scoped_to_their_deployment(client: Any, deployment: Any) -> None:
    assessment = _create(client, deployment, complete_answers()).json()
    other = DeploymentFactory()
    assert client.get(_url(other, assessment["id"])).status_code == 404
    missing = f"/api/v1/deployments/{uuid.uuid4()}/risk-assessments/"
    assert client.get(missing).status_code == 404


def test_auditors_read_but_cannot_assess(api: Any, auditor: Any, deployment: Any) -> None:
    client = api(auditor)
    assert client.get(_url(deployment)).status_code == 200
    response = _create(client, deployment, complete_answers())
    assert response.status_code == 403 and "risk.assess" in response.json()["detail"]


# --- Register -----------------------------------------------------------------------------


def _risks(deployment: Any, *rest: str) -> str:
    tail = "".join(f"{part}/" for part in rest)
    return f"/api/v1/deployments/{deployment.pk}/risks/{tail}"


def test_register_crud(client: Any, requester: Any) -> None:
    deployment = DeploymentFactory()
    body = {
        "category": "fairness",
        "title": "Lower approval rates for older applicants",
        "description": "Age correlates with thin credit files.",
        "inherent_likelihood": 4,
        "inherent_impact": 4,
        "treatment": "mitigate",
        "control_description": "Monthly impact-ratio monitoring.",
        "residual_likelihood": 2,
        "residual_impact": 4,
        "owner": str(requester.pk),
        "due_date": "2027-03-31",
        "status": "closed",  # read-only: ignored
    }
    created = client.post(_risks(deployment), body, format="json")
    assert created.status_code == 201, created.content
    risk = created.json()
    assert (risk["inherent_score"], risk["residual_score"], risk["status"]) == (16, 8, "open")
    assert client.get(_risks(deployment)).json()["count"] == 1
    patched = client.patch(_risks(deployment, risk["id"]), {"residual_impact": 3}, format="json")
    assert patched.status_code == 200 and patched.json()["residual_score"] == 6
    put = client.put(_risks(deployment, risk["id"]), {**body, "title": "Renamed"}, format="json")
    assert put.status_code == 200 and put.json()["title"] == "Renamed"
    assert client.delete(_risks(deployment, risk["id"])).status_code == 204
    assert not Risk.objects.exists()
    actions = set(LedgerEvent.objects.values_list("action", flat=True))
    assert {"risk.created", "risk.updated", "risk.deleted"} <= actions


def test_register_bad_input_gets_field_messages(client: Any, requester: Any) -> None:
    deployment = DeploymentFactory()
    response = client.post(
        _risks(deployment),
        {
            "category": "fairness",
            "title": "x",
            "inherent_likelihood": 2,
            "inherent_impact": 9,
            "treatment": "mitigate",
            "control_description": "",
            "residual_likelihood": 3,
            "residual_impact": 1,
            "owner": str(requester.pk),
        },
        format="json",
    )
    assert response.status_code == 400 and "inherent_impact" in response.json()
    response = client.post(
        _risks(deployment),
        {
            "category": "fairness",
            "title": "x",
            "inherent_likelihood": 2,
            "inherent_impact": 2,
            "treatment": "mitigate",
            "control_description": "c",
            "residual_likelihood": 3,
            "residual_impact": 1,
            "owner": str(requester.pk),
        },
        format="json",
    )
    assert response.status_code == 400 and "cannot exceed" in response.json()["detail"]


def test_high_residual_acceptance_through_the_api_needs_an_executive(api: Any) -> None:
    risk = RiskFactory(residual_likelihood=4, residual_impact=4)
    url = _risks(risk.deployment, str(risk.pk), "accept")
    compliance = api(user_with_roles(Role.COMPLIANCE_OFFICER))
    refused = compliance.post(url, {"rationale": "ok"}, format="json")
    assert refused.status_code == 403 and "executive" in refused.json()["detail"]
    executive = api(user_with_roles(Role.EXECUTIVE))
    accepted = executive.post(url, {"rationale": "Reviewed with the board"}, format="json")
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["status"] == "accepted" and body["acceptances"][0]["executive_required"] is True
    assert executive.post(url, {"rationale": "again"}, format="json").status_code == 409
    auditor = api(user_with_roles(Role.AUDITOR))
    assert auditor.post(url, {"rationale": "x"}, format="json").status_code == 403


def test_close_and_reopen_actions(client: Any) -> None:
    risk = RiskFactory()
    closed = client.post(
        _risks(risk.deployment, str(risk.pk), "close"), {"reason": "done"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    edit = client.patch(_risks(risk.deployment, str(risk.pk)), {"title": "x"}, format="json")
    assert edit.status_code == 409
    reopened = client.post(_risks(risk.deployment, str(risk.pk), "reopen"), {}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_create_carries_over_the_previous_submitted_answers_by_default(
    client: Any, deployment: Any
) -> None:
    previous = _create(client, deployment, complete_answers(autonomy="automatic")).json()
    draft = _create(client, deployment, {"domain": "money"}, submit=False).json()
    assert draft["carried_over_from"] == previous["id"]
    assert draft["answers"] == {**previous["answers"], "domain": "money"}
    assert "autonomy" in draft["carried_over"] and "domain" not in draft["carried_over"]
    event = LedgerEvent.objects.filter(action="risk_assessment.created").latest("seq")
    assert event.payload["carried_over_from"]["assessment"] == previous["id"]
    confirmed = client.patch(
        _url(deployment, draft["id"]), {"confirm": ["autonomy"]}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert "autonomy" not in confirmed.json()["carried_over"]
    assert "recourse" in confirmed.json()["carried_over"]


def test_start_blank_opts_out_of_carrying_over(client: Any, deployment: Any) -> None:
    _create(client, deployment, complete_answers(autonomy="automatic"))
    body = {"methodology": "impact", "version": "1", "start_blank": True}
    draft = client.post(_url(deployment), body, format="json").json()
    assert draft["carried_over"] == [] and draft["carried_over_from"] is None
    assert "autonomy" not in draft["answers"]


def test_confirming_an_unknown_question_or_replacing_without_answers_is_a_400(
    client: Any, deployment: Any
) -> None:
    draft = _create(client, deployment, {}, submit=False).json()
    unknown = client.patch(_url(deployment, draft["id"]), {"confirm": ["nope"]}, format="json")
    assert unknown.status_code == 400 and "confirm" in unknown.json()
    wipe = client.patch(_url(deployment, draft["id"]), {"replace": True}, format="json")
    assert wipe.status_code == 400 and "answers" in wipe.json()


def test_incomplete_submission_lists_missing_answers_by_key_with_the_question_text(
    client: Any, deployment: Any
) -> None:
    draft = _create(client, deployment, {}, submit=False).json()
    response = client.post(_url(deployment, draft["id"], "submit"))
    assert response.status_code == 400
    body = response.json()
    assert body["answers.autonomy"] == [
        "Needs an answer: How much does the model decide on its own?"
    ]
    assert "How easily can a wrong outcome be reversed?" in body["detail"]
    assert "annex_i_product" not in body["detail"]


def test_openapi_documents_carry_over_and_start_blank(client: Any) -> None:
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "start_blank" in text and "carried_over_from" in text
    assert "latest **submitted** assessment" in text
