"""The dossier's risk, approvals, accountability and bias parts: what they say, that they say
it from one snapshot, and that reading them costs the same whatever the number of records."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from audits.bias.selectors import latest_final_independent_audit
from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report
from audits.reports.render import render_html, render_pdf
from audits.reports.services import report_request
from audits.reports.snapshot import take_snapshot
from governance.accounts.roles import Role
from governance.approvals.gate import gate_evaluate
from governance.approvals.models import SignOff
from governance.liability.models import Ownership
from governance.risk.models import Risk
from governance.risk.selectors import current_assessment, heat_map_counts
from tests.factories import ReportFactory, user_with_roles
from tests.factories.reports import Governed, governed_deployment
from tests.helpers.reports import generate_report, pdf_text, report_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def governed() -> Governed:
    return governed_deployment(rounds=2, bias_audits=2)


def _section(report: Report, key: str) -> dict[str, Any]:
    evidence = json.loads(report.evidence)
    return next(s["data"] for s in evidence["sections"] if s["key"] == key)


def _dossier(governed: Governed) -> tuple[Report, str]:
    report = generate_report(
        governed.compliance, kind="deployment_dossier", deployment=governed.deployment
    )
    return report, pdf_text(report_pdf(report))


def test_the_risk_part_states_the_assessment_its_figures_and_its_methodology(
    governed: Governed,
) -> None:
    report, text = _dossier(governed)
    assessment = current_assessment(governed.deployment)
    assert assessment is not None
    data = _section(report, "risk")["current"]
    assert data["id"] == str(assessment.pk) and data["tier"] == "IV"
    assert (data["score"], data["max_raw_score"], data["level"]) == (
        assessment.score,
        assessment.max_raw_score,
        assessment.level,
    )
    assert data["methodology"]["slug"] == assessment.methodology.slug == "tiered"
    assert data["methodology"]["sha256"] == assessment.methodology.sha256
    assert data["eu_methodology"]["slug"] == "eu-ai-act"
    assert data["eu_class"] == "minimal" and data["rationale"] == assessment.rationale
    answered = {row["id"]: row for s in data["answers"] for row in s["rows"]}
    assert answered["q000"]["answer"] == ["5 points"] and answered["q000"]["points"] == 5
    assert answered["eu_prohibited"]["answer"] == ["None of these"]
    for expected in ("Tier IV", "Generated question 0?", "Minimal risk", assessment.rationale):
        assert expected in text, expected
    assert assessment.methodology.sha256 in text.replace(" ", "")


def test_the_risk_register_lists_every_entry_with_acceptances_and_heat_maps(
    governed: Governed,
) -> None:
    report, text = _dossier(governed)
    data = _section(report, "risk")
    risks = Risk.objects.filter(deployment=governed.deployment)
    assert {r["title"] for r in data["risks"]} == {r.title for r in risks}
    accepted = next(r for r in data["risks"] if r["acceptances"])
    assert accepted["acceptances"][0]["rationale"] == "Within appetite after the control."
    assert "Within appetite after the control." in text
    assert "Quarterly bias audit with thresholds." in text
    # The same counts the risk room's register page draws.
    for basis in ("residual", "inherent"):
        frozen = {(lk, im): n for lk, im, n in data["heat_map"][basis]}
        assert frozen == heat_map_counts(risks, basis=basis)
    _, images = render_html(json.loads(report.evidence), report.evidence_sha256)
    residual = images["risk-heat-map-residual.svg"].decode()
    assert residual.startswith("<svg") and "2 risks by likelihood" in residual
    assert "Residual risk (after controls)" in text and "Inherent risk (before controls)" in text


def test_every_signature_manifestation_is_in_the_dossier(governed: Governed) -> None:
    report, text = _dossier(governed)
    data = _section(report, "approvals")
    signoffs = SignOff.objects.filter(request__deployment=governed.deployment)
    assert signoffs.count() == 10 == data["signature_count"]  # two tier IV rounds of five
    assert len(data["requests"]) == 2
    flat = text.replace(" ", "")
    frozen = {s["id"]: s for r in data["requests"] for s in r["signoffs"]}
    for signoff in signoffs:
        entry = frozen[str(signoff.pk)]
        assert (entry["printed_name"], entry["meaning"]) == (signoff.printed_name, signoff.meaning)
        assert (entry["signature_hash"], entry["dossier_hash"]) == (
            signoff.signature_hash,
            signoff.dossier_hash,
        )
        assert signoff.printed_name in text and signoff.meaning in text
        assert f"{signoff.signed_at:%Y-%m-%d %H:%M:%S} UTC" in text
        assert signoff.signature_hash in flat and signoff.dossier_hash in flat
    assert "invalidated" in text and "round 2" in text  # the first round's closing reason


def test_the_gate_verdict_is_the_gates_own_answer_at_snapshot_time(governed: Governed) -> None:
    report, text = _dossier(governed)
    gate = _section(report, "approvals")["gate"]
    live = gate_evaluate(governed.deployment)
    assert gate["allowed"] is live.allowed is True and gate["reasons"] == []
    assert gate["approval"] == str(governed.approvals[-1].pk)
    assert gate["dossier_hash"] == live.dossier_hash
    assert "Open: the deployment may go live." in text


def test_a_closed_gate_is_reported_with_its_reasons(owner: Any, deployment: Any) -> None:
    report = generate_report(owner, kind="deployment_dossier", deployment=deployment)
    gate = _section(report, "approvals")["gate"]
    assert gate["allowed"] is False
    assert gate["reasons"] == gate_evaluate(deployment).reasons
    text = pdf_text(report_pdf(report))
    assert "Closed: the deployment may not go live." in text
    assert "no approval has been requested" in text
    assert "No risk assessment has been submitted" in text
    assert "No approval has been requested for this deployment." in text


def test_the_accountability_part_names_the_owner_raci_and_eu_roles(governed: Governed) -> None:
    report, text = _dossier(governed)
    data = _section(report, "accountability")
    ownership = Ownership.objects.get(deployment=governed.deployment, ended_at__isnull=True)
    assert data["accountable_owner"]["username"] == governed.owner.username
    assert data["ownership_history"][0]["statement"] == ownership.statement
    assert data["organisation_ai_act_role"] == "provider"
    assert data["art25_shift"]["trigger_label"].startswith("Rebranded")
    assignment = data["assignments"][0]
    assert (assignment["party"], assignment["raci_label"]) == ("Acme Models", "Responsible")
    for expected in (
        ownership.printed_name,
        ownership.statement,
        "Art 25 shift to provider",
        "Sold under our own brand from 2025.",
        "Acme Models",
        "Model performance",
        "cap 2000000.00 EUR",
    ):
        assert expected in text, expected
    assert ownership.signature_hash in text.replace(" ", "")


def test_the_bias_part_summarises_each_final_audit_and_names_the_one_relied_on(
    governed: Governed,
) -> None:
    from tests.factories import BiasAuditFactory

    BiasAuditFactory(deployment=governed.deployment, actor=governed.requester)  # a draft
    report, text = _dossier(governed)
    data = _section(report, "bias")
    relied_on = latest_final_independent_audit(governed.deployment)
    assert relied_on is not None and data["relied_on"] == str(relied_on.pk)
    assert data["required"] is True and data["drafts"] == 1
    assert {a["audit_id"] for a in data["audits"]} == {str(a.pk) for a in governed.audits}
    table = data["audits"][0]["tables"][0]
    assert table["dimension"] == "sex"
    assert [(c["category"], c["applicants"], c["impact_ratio"]) for c in table["categories"]] == [
        ("Female", 60, 1.0),
        ("Male", 40, 0.8),
    ]
    _, images = render_html(json.loads(report.evidence), report.evidence_sha256)
    assert images[table["chart"]].decode().startswith("<svg")
    assert "0.80 four-fifths" in text  # the impact-ratio chart, drawn in the PDF
    assert "the audit the gate relies on" in text and "1 draft audit in progress" in text


@pytest.mark.parametrize(
    ("area", "framed_as_ll144"), [("employment", True), ("essential_services", False)]
)
def test_the_bias_part_uses_ll144_only_for_a_tool_used_in_employment(
    area: str, framed_as_ll144: bool
) -> None:
    from tests.factories import DeploymentFactory

    deployment = DeploymentFactory(
        requires_independent_bias_audit=True, model_version__system__annex_iii_area=area
    )
    report, text = _dossier(governed_deployment(deployment=deployment))
    assert _section(report, "bias")["employment"] is framed_as_ll144
    assert ("Automated employment decision tool" in text) is framed_as_ll144
    assert ("6 RCNY §5-301(a)" in text) is framed_as_ll144
    assert ("Number of applicants" in text) is framed_as_ll144
    assert ("Number of individuals" in text) is not framed_as_ll144


def test_sections_read_from_the_snapshot_not_from_later_changes(governed: Governed) -> None:
    report = ReportFactory(deployment=governed.deployment, requested_by=governed.compliance)
    snapshot = take_snapshot(report)
    later = Risk.objects.filter(deployment=governed.deployment).first()
    assert later is not None
    Risk.objects.filter(pk=later.pk).update(title="Renamed after the snapshot")
    evidence = json.loads(snapshot.evidence_json)
    titles = [
        r["title"] for s in evidence["sections"] if s["key"] == "risk" for r in s["data"]["risks"]
    ]
    assert "Renamed after the snapshot" not in titles
    # The PDF is rendered from the frozen evidence alone.
    assert b"Renamed after the snapshot" not in render_pdf(snapshot.evidence_json, {}).content


def _snapshot_queries(deployment: Any, requester: Any) -> int:
    report = ReportFactory(deployment=deployment, requested_by=requester)
    with CaptureQueriesContext(connection) as queries:
        take_snapshot(report)
    return len(queries)


def test_reading_a_dossier_costs_the_same_whatever_the_number_of_records() -> None:
    small = governed_deployment(rounds=1, bias_audits=1)
    large = governed_deployment(rounds=3, bias_audits=3)
    for n in range(5):
        from governance.risk.services import risk_create

        risk_create(
            deployment=large.deployment,
            actor=large.requester,
            category="privacy",
            title=f"Extra risk {n}",
            inherent_likelihood=3,
            inherent_impact=3,
            treatment="accept",
            residual_likelihood=2,
            residual_impact=2,
            owner=large.owner,
        )
    assert SignOff.objects.filter(request__deployment=large.deployment).count() == 15
    assert _snapshot_queries(small.deployment, small.compliance) == _snapshot_queries(
        large.deployment, large.compliance
    )


def test_rendering_a_full_dossier_twice_gives_identical_bytes(governed: Governed) -> None:
    report, _ = _dossier(governed)
    attachments = {
        name: data[0]
        for name, data in PdfReader(io.BytesIO(report_pdf(report))).attachments.items()
    }
    evidence = attachments.pop("evidence.json")
    first = render_pdf(evidence, attachments).content
    assert first == render_pdf(evidence, attachments).content
    assert report_pdf(report).startswith(first)


def test_a_requester_who_may_no_longer_read_gets_a_failed_report_not_an_empty_one(
    governed: Governed,
) -> None:
    someone = user_with_roles(Role.REQUESTER)
    report = report_request(
        actor=someone, kind="deployment_dossier", deployment=governed.deployment
    )
    someone.is_active = False
    someone.save()
    assert run_report(report.pk) is None
    report.refresh_from_db()
    assert report.status == JobStatus.FAILED
    assert report.error == "The person who asked for this report may no longer read the records."


def test_the_verification_page_says_how_the_attached_ledger_slice_is_hashed(
    governed: Governed,
) -> None:
    report, text = _dossier(governed)
    assert _section(report, "verification")["ledger_slice"] == "ledger-slice.csv"
    assert "followed by the event's canonical JSON" in text
    assert "action, actor_id, actor_name, data, deployment_id, seq, subject_id" in text
    assert "verify_ledger.py" in text
