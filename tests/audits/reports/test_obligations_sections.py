"""The dossier's Annex IV §7–8 and obligations matrix, and the conformity self-assessment:
stated from the records, absence said plainly, signed and verifiable like every report."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.utils import timezone

from audits.reports.generate import run_report
from audits.reports.models import Report, ReportKind
from audits.reports.services import report_regenerate, report_request
from audits.reports.verification import verify_offline
from governance.accounts.roles import Role
from governance.core.errors import InvalidInput
from governance.obligations.models import (
    Assertion,
    DeploymentObligation,
    EvidenceDocument,
    EvidenceLink,
    Framework,
    Requirement,
)
from governance.risk.services.statutory import (
    statutory_assessment_sign,
    statutory_assessment_start,
    statutory_assessment_submit,
)
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.reports import Governed, governed_deployment
from tests.factories.risk import FRIA_ANSWERS
from tests.helpers.reports import generate_report, pdf_text, report_evidence, report_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def governed() -> Governed:
    return governed_deployment()


def _section(report: Report, key: str) -> dict[str, Any]:
    return next(s["data"] for s in report_evidence(report)["sections"] if s["key"] == key)


def _framework(slug: str, name: str, short: str) -> Framework:
    return Framework.objects.create(
        slug=slug,
        version="2026.1",
        name=name,
        short_name=short,
        content_sha256="c" * 64,
        document={},
    )


# Positions as in a framework file: the order requirements are listed in, on every database.
_POSITIONS = itertools.count()


def _requirement(framework: Framework, identifier: str, ref: str, title: str, **kw: Any) -> Any:
    return Requirement.objects.create(
        framework=framework,
        identifier=identifier,
        ref=ref,
        title=title,
        position=next(_POSITIONS),
        **kw,
    )


def _obligation(deployment: Any, requirement: Any, status: str, **kw: Any) -> Any:
    return DeploymentObligation.objects.create(
        deployment=deployment,
        requirement=requirement,
        applies=kw.pop("applies", True),
        in_force=kw.pop("in_force", True),
        why=kw.pop("why", "Applies because: high-risk under Annex III 5(b)."),
        status=status,
        evaluated_at=timezone.now(),
        **kw,
    )


def _document(governed: Governed, kind: str, title: str, **kw: Any) -> EvidenceDocument:
    document = EvidenceDocument(
        series=kw.pop("series", None) or __import__("uuid").uuid4(),
        title=title,
        kind=kind,
        description=kw.pop("description", ""),
        system=kw.pop("system", governed.deployment.model_version.system),
        file_name=f"{title}.pdf",
        content_type="application/pdf",
        size=4,
        sha256="d" * 64,
        valid_from=kw.pop("valid_from", dt.date(2026, 1, 1)),
        uploaded_by=governed.compliance,
        **kw,
    )
    document.file.save(f"{title}.pdf", ContentFile(b"%PDF"), save=False)
    document.save()
    return document


def _records(governed: Governed) -> dict[str, Any]:
    deployment = governed.deployment
    aia = _framework("test-eu-ai-act", "EU AI Act", "EU-AIA")
    nist = _framework("test-nist-ai-rmf", "NIST AI RMF 1.0", "NIST")
    art26 = _requirement(aia, "art-26-1", "EU-AIA Art 26(1)", "Use per the instructions")
    art27 = _requirement(aia, "art-27", "EU-AIA Art 27", "Fundamental-rights impact assessment")
    art47 = _requirement(aia, "art-47", "EU-AIA Art 47", "EU declaration of conformity")
    art50 = _requirement(aia, "art-50-1", "EU-AIA Art 50(1)", "Tell people they talk to an AI")
    gov2 = _requirement(nist, "govern-2", "NIST GOVERN 2", "Accountability structures")
    assertion = Assertion.objects.create(
        deployment=deployment,
        requirement=art26,
        verdict="met",
        justification="Operators follow the provider's instructions v3, trained in March.",
        signed_by=governed.compliance,
        signed_at=timezone.now(),
        signature_meaning="I state that this requirement is met.",
        reauthenticated_by=governed.compliance.get_username(),
    )
    proof = {
        "kind": "fria",
        "label": "Signed fundamental-rights impact assessment",
        "satisfied": False,
        "detail": "None signed.",
        "url": "",
    }
    _obligation(deployment, art26, "met", assertion=assertion)
    _obligation(deployment, art27, "missing", evidence=[proof], gaps=["fria"])
    _obligation(deployment, art47, "partly_met")
    _obligation(
        deployment,
        art50,
        "not_applicable",
        applies=False,
        why="Does not apply: the system does not interact with people directly.",
    )
    _obligation(deployment, gov2, "met")
    return {"art26": art26, "art47": art47}


def test_dossier_says_plainly_that_no_standard_or_declaration_is_recorded(
    governed: Governed,
) -> None:
    report = generate_report(
        governed.compliance, kind="deployment_dossier", deployment=governed.deployment
    )
    standards = _section(report, "standards")
    assert standards["documents"] == [] and standards["declarations"] == []
    annex = {row["number"]: row for row in report_evidence(report)["annex_iv"]}
    assert annex[7]["included"] == ["Standards applied and EU declaration of conformity"]
    assert annex[8]["included"] == ["Standards applied and EU declaration of conformity"]
    text = pdf_text(report_pdf(report))
    assert "Nothing on record names a harmonised standard" in text
    assert "No EU declaration of conformity is on record for this system" in text
    assert "No framework requirement has been evaluated for this deployment" in text
    matrix = _section(report, "obligations")
    assert matrix["evaluated"] is False
    assert [s["current"] for s in matrix["statutory"]] == [None, None]


def test_dossier_fills_section_7_and_8_and_the_matrix_from_the_records(
    governed: Governed,
) -> None:
    _records(governed)
    declaration = _document(
        governed,
        "declaration_of_conformity",
        "EU declaration of conformity CRS-2",
        description="Harmonised standards: none published; common specification: none.",
    )
    _document(
        governed,
        "test_report",
        "Robustness test report",
        description="Tested to ISO/IEC 24029-2.",
        valid_until=dt.date(2026, 6, 30),
    )
    superseded = _document(governed, "test_report", "Old test report")
    newer = _document(
        governed, "test_report", "Newer test report", series=superseded.series, version=2
    )
    superseded.superseded_by = newer
    superseded.save()
    elsewhere = _document(governed, "test_report", "Org-wide pen test", system=None)
    EvidenceLink.objects.create(
        document=elsewhere,
        requirement=Requirement.objects.get(identifier="art-47", framework__slug="test-eu-ai-act"),
        deployment=governed.deployment,
        linked_by=governed.compliance,
    )
    report = generate_report(
        governed.compliance, kind="deployment_dossier", deployment=governed.deployment
    )

    standards = _section(report, "standards")
    titles = [d["title"] for d in standards["documents"]]
    assert sorted(titles) == [
        "EU declaration of conformity CRS-2",
        "Newer test report",
        "Org-wide pen test",
        "Robustness test report",
    ]
    expired = next(d for d in standards["documents"] if d["title"] == "Robustness test report")
    assert expired["valid"] is False and expired["validity"] == "expired on 2026-06-30"
    assert [d["id"] for d in standards["declarations"]] == [str(declaration.pk)]
    assert {f["short_name"]: (f["applicable"], f["met"]) for f in standards["frameworks"]} == {
        "EU-AIA": (3, 1),
        "NIST": (1, 1),
    }
    (asserted,) = standards["assertions"]
    assert asserted["ref"] == "EU-AIA Art 26(1)"
    assert asserted["signed_by"]["username"] == governed.compliance.get_username()
    assert standards["declaration_duties"] == [
        {
            "ref": "EU-AIA Art 47",
            "title": "EU declaration of conformity",
            "status_label": "Partly met",
        }
    ]

    matrix = _section(report, "obligations")
    assert matrix["totals"]["applicable"] == 4 and matrix["not_applicable"] == 1
    aia = next(f for f in matrix["frameworks"] if f["framework"]["short_name"] == "EU-AIA")
    assert [r["ref"] for r in aia["requirements"]] == [
        "EU-AIA Art 26(1)",
        "EU-AIA Art 27",
        "EU-AIA Art 47",
    ]
    art27 = aia["requirements"][1]
    assert art27["status"] == "missing"
    assert art27["evidence"][0]["label"] == "Signed fundamental-rights impact assessment"

    text = pdf_text(report_pdf(report))
    assert "EU declaration of conformity CRS-2" in text
    assert "Tested to ISO/IEC 24029-2." in text
    assert "Operators follow the provider's instructions v3" in text
    assert "Obligations matrix" in text


def _signed_fria(governed: Governed) -> Any:
    draft = statutory_assessment_start(
        deployment=governed.deployment,
        kind="fria",
        actor=user_with_roles(Role.REQUESTER),
        answers=FRIA_ANSWERS,
    )
    submitted = statutory_assessment_submit(assessment=draft, actor=draft.created_by)
    return statutory_assessment_sign(
        assessment=submitted,
        signer=governed.compliance,
        password=PASSWORD,
        http_request=RequestFactory().post("/"),
    )


def test_conformity_self_assessment_lists_requirements_evidence_and_signatures(
    governed: Governed,
) -> None:
    _records(governed)
    fria = _signed_fria(governed)
    report = generate_report(
        governed.compliance, kind="conformity_self_assessment", deployment=governed.deployment
    )
    assert report.kind == ReportKind.CONFORMITY_SELF_ASSESSMENT
    assert report.title.startswith("Conformity self-assessment: ")
    assert [s["key"] for s in report_evidence(report)["sections"]] == [
        "self_assessment",
        "statutory",
        "standards",
        "verification",
    ]
    assessed = _section(report, "self_assessment")
    assert [f["framework"]["short_name"] for f in assessed["frameworks"]] == ["EU-AIA", "NIST"]
    counts = {c["status"]: c["count"] for c in assessed["frameworks"][0]["counts"]}
    assert counts == {"missing": 1, "partly_met": 1, "met": 1, "not_yet_in_force": 0}
    (not_applicable,) = assessed["not_applicable"]
    assert not_applicable["why"].startswith("Does not apply")
    statutory = {a["kind"]: a["current"] for a in _section(report, "statutory")["assessments"]}
    assert statutory["dpia"] is None
    assert statutory["fria"]["answers_sha256"] == fria.answers_sha256
    assert statutory["fria"]["signed_by"]["username"] == governed.compliance.get_username()

    content = report_pdf(report)
    text = pdf_text(content)
    assert "It is not a conformity assessment by a notified body" in text
    assert "Applies because: high-risk under Annex III 5(b)." in text
    assert FRIA_ANSWERS["complaints"] in text
    assert "No signed data protection impact assessment is on record" in text
    assert "Contents by Annex IV section" not in text

    verification = verify_offline(content)
    assert verification.issued and verification.report == report
    assert verification.signature is not None and verification.signature.status in (
        "intact",
        "untrusted",
    )
    assert all(ok for _, ok, _ in verification.checks), verification.checks


def test_a_new_self_assessment_supersedes_the_last_but_not_the_dossier(
    governed: Governed,
) -> None:
    dossier = generate_report(
        governed.compliance, kind="deployment_dossier", deployment=governed.deployment
    )
    first = generate_report(
        governed.compliance, kind="conformity_self_assessment", deployment=governed.deployment
    )
    second = report_regenerate(actor=governed.compliance, report=first)
    run_report(second.pk)
    second.refresh_from_db()
    assert second.supersedes == first
    assert first.subject_key == dossier.subject_key
    dossier.refresh_from_db()
    assert not hasattr(dossier, "superseded_by")


def test_self_assessment_needs_a_deployment(governed: Governed) -> None:
    with pytest.raises(InvalidInput) as caught:
        report_request(actor=governed.compliance, kind="conformity_self_assessment")
    assert "deployment" in caught.value.fields


def test_api_requests_a_self_assessment_and_refuses_one_without_a_deployment(
    governed: Governed, api: Any
) -> None:
    client = api(governed.compliance)
    refused = client.post("/api/v1/reports/", {"kind": "conformity_self_assessment"}, format="json")
    assert refused.status_code == 400
    assert "deployment" in refused.json()
    accepted = client.post(
        "/api/v1/reports/",
        {"kind": "conformity_self_assessment", "deployment": str(governed.deployment.pk)},
        format="json",
    )
    assert accepted.status_code in (201, 202), accepted.content
