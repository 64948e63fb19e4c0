"""The obligations API: a deployment's obligations and assertions, and evidence documents."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.obligations.models import EvidenceDocument, EvidenceLink
from governance.obligations.services import obligations_refresh
from tests.factories import RequirementFactory, evidence_document
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def _upload(client: Any, **extra: Any) -> Any:
    data = {
        "file": SimpleUploadedFile("card.pdf", b"%PDF-1.4 card", content_type="application/pdf"),
        "title": "Model card",
        "kind": "model_card",
        **extra,
    }
    return client.post("/api/v1/evidence/", data, format="multipart")


def test_obligations_list_says_what_applies_why_and_with_what_evidence(
    api: Any, deployment: Any, auditor: Any
) -> None:
    requirement = RequirementFactory(ref="EU-AIA Art 26(6)", evidence_rules=[{"kind": "ledger"}])
    hiring = RequirementFactory(
        ref="Hiring audit",
        applicability={"when": {"fact": "nyc_employment", "is": True}, "scope": "NYC hiring"},
    )
    obligations_refresh(deployment_ids=[deployment.pk])
    response = api(auditor).get(f"/api/v1/deployments/{deployment.pk}/obligations/")
    assert response.status_code == 200
    by_ref = {row["ref"]: row for row in response.json()}
    row = by_ref["EU-AIA Art 26(6)"]
    assert row["framework"] == requirement.framework.slug
    assert row["applies"] is True
    assert row["why"].startswith("Applies because")
    assert row["status"] == "missing"
    assert row["evidence"][0]["kind"] == "ledger"
    assert row["evidence"][0]["satisfied"] is False
    only = api(auditor).get(
        f"/api/v1/deployments/{deployment.pk}/obligations/", {"applies": "false"}
    )
    assert {r["applies"] for r in only.json()} == {False}
    assert hiring.ref in {r["ref"] for r in only.json()}


def test_post_signs_an_assertion(api: Any, deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory()
    obligations_refresh(deployment_ids=[deployment.pk])
    client = api(officer)
    url = f"/api/v1/deployments/{deployment.pk}/obligations/"
    body = {
        "requirement": str(requirement.pk),
        "verdict": "not_applicable",
        "justification": "Internal tool, no EU users.",
        "password": PASSWORD,
    }
    response = client.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["verdict"] == "not_applicable"
    wrong = client.post(url, {**body, "password": "nope"}, format="json")
    assert wrong.status_code == 403
    assert wrong.json()["password"] == ["incorrect"]


def test_auditor_cannot_assert_or_upload(api: Any, deployment: Any, auditor: Any) -> None:
    requirement = RequirementFactory()
    client = api(auditor)
    response = client.post(
        f"/api/v1/deployments/{deployment.pk}/obligations/",
        {
            "requirement": str(requirement.pk),
            "verdict": "met",
            "justification": "x",
            "password": PASSWORD,
        },
        format="json",
    )
    assert response.status_code == 403
    assert _upload(client).status_code == 403
    assert not EvidenceDocument.objects.exists()


def test_upload_keeps_an_immutable_hashed_version(api: Any, officer: Any) -> None:
    import hashlib

    response = _upload(api(officer), valid_until="2030-01-01")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(b"%PDF-1.4 card").hexdigest()
    assert body["version"] == 1
    assert body["uploaded_by"] == officer.username
    assert body["content_type"] == "application/pdf"


def test_upload_over_the_limit_is_a_400_and_saves_nothing(
    api: Any, officer: Any, settings: Any
) -> None:
    settings.OBLIGATIONS_EVIDENCE_MAX_BYTES = 5
    response = _upload(api(officer))
    assert response.status_code == 400
    assert response.json()["file"] == ["too large"]
    assert "at most 5 bytes" in response.json()["detail"]
    assert not EvidenceDocument.objects.exists()


def test_upload_of_a_refused_type_is_a_400(api: Any, officer: Any) -> None:
    exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00", content_type="application/pdf")
    response = _upload(api(officer), file=exe)
    assert response.status_code == 400
    assert response.json()["file"] == ["type not allowed"]
    assert not EvidenceDocument.objects.exists()


def test_upload_with_bad_fields_is_a_400(api: Any, officer: Any) -> None:
    response = _upload(
        api(officer), kind="horoscope", valid_from="2026-02-01", valid_until="2026-01-01"
    )
    assert response.status_code == 400
    assert "kind" in response.json()
    reversed_dates = _upload(api(officer), valid_from="2026-02-01", valid_until="2026-01-01")
    assert reversed_dates.status_code == 400
    assert "valid_until" in reversed_dates.json()


def test_new_version_supersedes_and_where_used_follows_the_series(
    api: Any, officer: Any, deployment: Any
) -> None:
    requirement = RequirementFactory()
    first = evidence_document(officer)
    client = api(officer)
    linked = client.post(
        f"/api/v1/evidence/{first.pk}/links/",
        {"requirement": str(requirement.pk), "deployment": str(deployment.pk)},
        format="json",
    )
    assert linked.status_code == 201, linked.json()
    second = client.post(
        f"/api/v1/evidence/{first.pk}/versions/",
        {"file": SimpleUploadedFile("card-2.pdf", b"%PDF-1.4 v2")},
        format="multipart",
    )
    assert second.status_code == 201, second.json()
    assert second.json()["version"] == 2
    first.refresh_from_db()
    assert str(first.superseded_by_id) == second.json()["id"]
    again = client.post(
        f"/api/v1/evidence/{first.pk}/versions/",
        {"file": SimpleUploadedFile("card-3.pdf", b"%PDF-1.4 v3")},
        format="multipart",
    )
    assert again.status_code == 409
    detail = client.get(f"/api/v1/evidence/{second.json()['id']}/").json()
    assert [link["ref"] for link in detail["used"]["links"]] == [requirement.ref]
    assert EvidenceLink.objects.count() == 1
