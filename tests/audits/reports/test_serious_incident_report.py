"""The serious-incident report (EU AI Act Art 73): generated, signed, stating what an authority
needs, and refused for an incident that is not serious."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report, ReportKind
from audits.reports.sections.ledger import check_slice
from audits.reports.services import report_regenerate, report_request
from audits.reports.signing import check_pdf_signature
from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.core.errors import InvalidInput
from governance.inventory.services import deployment_transition
from governance.ledger.models import LedgerEvent
from governance.monitoring.models import Incident
from governance.monitoring.services import incidents
from governance.monitoring.services.ingestion import observations_ingest
from governance.monitoring.services.plans import monitoring_plan_save, plan_template
from tests.factories import user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment
from tests.helpers.reports import pdf_text, report_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(db: None) -> Any:
    return user_with_roles(Role.COMPLIANCE_OFFICER, first_name="Ines", last_name="Roth")


def _live() -> tuple[Any, Any]:
    deployment, requester, _owner = ready_deployment("II")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    deployment_transition(deployment=deployment, to_status="active", actor=requester)
    return deployment, requester


def _incident(deployment: Any, actor: Any, **fields: Any) -> Incident:
    now = timezone.now()
    return incidents.incident_report(
        deployment=deployment,
        actor=actor,
        title=fields.pop("title", "Applicants refused credit in error"),
        description="Every applicant from one postcode was refused for three hours.",
        occurred_at=fields.pop("occurred_at", now - dt.timedelta(hours=6)),
        aware_at=fields.pop("aware_at", now),
        severity="critical",
        **{"serious": True, "serious_category": "other", **fields},
    )


@pytest.fixture
def handled(officer: Any) -> Incident:
    """A live deployment whose accuracy breached, a serious incident reported on time (initial
    then complete), corrected, and the deployment suspended."""
    deployment, requester = _live()
    monitoring_plan_save(
        deployment=deployment, owner=requester, metrics=plan_template("II"), actor=requester
    )
    end = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    observations_ingest(
        deployment=deployment,
        points=[
            {
                "metric": "accuracy",
                "value": 0.62,
                "window_start": (end - dt.timedelta(days=1)).isoformat(),
                "window_end": end.isoformat(),
            }
        ],
        actor=requester,
    )
    incident = _incident(deployment, requester)
    incidents.incident_transition(
        incident=incident, to_status="investigating", actor=officer, note="Logs pulled."
    )
    for kind, reference in (("initial", "MSA-2026-041"), ("complete", "MSA-2026-041/2")):
        incident = incidents.incident_transition(
            incident=incident,
            to_status="reported",
            actor=officer,
            reported_at=timezone.now(),
            authority="Bundesnetzagentur",
            authority_reference=reference,
            report_kind=kind,
        )
    incidents.incident_transition(
        incident=incident,
        to_status="corrective_action",
        actor=officer,
        corrective_action="Postcode feature removed; model retrained without it.",
    )
    incidents.deployment_suspend(
        deployment=deployment, actor=officer, reason="Stop further refusals", incident=incident
    )
    incident.refresh_from_db()
    return incident


def _generate(actor: Any, incident: Incident) -> Report:
    report = report_request(actor=actor, kind="serious_incident", incident=str(incident.pk))
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.DONE, report.error
    return report


def _data(report: Report) -> dict[str, Any]:
    evidence = json.loads(report.evidence)
    return next(s["data"] for s in evidence["sections"] if s["key"] == "incident")


def test_the_report_states_what_the_authority_needs_and_is_signed(
    officer: Any, handled: Incident
) -> None:
    report = _generate(officer, handled)
    assert report.kind == ReportKind.SERIOUS_INCIDENT
    assert report.incident == handled and report.deployment == handled.deployment
    content = report_pdf(report)
    check = check_pdf_signature(content)
    assert check.status == "intact", check.summary
    assert "Acme Lending Ltd" in check.signer and check.covers_whole_file
    text = pdf_text(content)
    due = handled.report_due_at
    assert due is not None
    for expected in (
        "Serious incident (EU AI Act Art 73)",
        "Applicants refused credit in error",
        "Harm to health, fundamental rights, property or the environment",
        f"Due {due:%Y-%m-%d %H:%M}",
        "15 days after the organisation became aware",
        "Deadline met",
        "Bundesnetzagentur",
        "MSA-2026-041/2",
        "Initial (incomplete, Art 73(5))",
        "Postcode feature removed; model retrained without it.",
        "Stop further refusals",
        handled.deployment.model_version.system.name,
        "accuracy",  # the breach alert raised before awareness
    ):
        assert expected in text, expected
    data = _data(report)
    assert [r["report_kind"] for r in data["authority_reports"]] == ["initial", "complete"]
    assert all(r["on_time"] for r in data["authority_reports"])
    assert data["incident"]["clock"] | {"due_at": None} == {
        "applies": True,
        "deadline_days": 15,
        "due_at": None,
        "state": "met",
        "met": True,
        "reported_at": data["incident"]["clock"]["reported_at"],
    }
    assert [a["kind"] for a in data["actions"]] == ["suspend"]
    assert [(a["metric"], a["level"]) for a in data["alerts"]["listed"]] == [("accuracy", "breach")]
    assert data["identification"]["accountable_owner"] is not None


def test_the_incidents_ledger_events_are_attached_and_re_hash(
    officer: Any, handled: Incident
) -> None:
    report = _generate(officer, handled)
    attachments = {
        name: data[0]
        for name, data in PdfReader(io.BytesIO(report_pdf(report))).attachments.items()
    }
    evidence = json.loads(report.evidence)
    facts = next(s["data"] for s in evidence["sections"] if s["key"] == "ledger")
    ok, detail = check_slice(attachments["ledger-slice.csv"], facts["attachment"])
    assert ok, detail
    events = LedgerEvent.objects.filter(subject_id=str(handled.pk))
    assert facts["event_count"] == events.count() == 5  # opened, investigating, 2× reported, …
    assert {a for a, _ in facts["by_action"]} == {
        "incident.opened",
        "incident.investigating",
        "incident.reported",
        "incident.corrective_action",
    }


def test_a_late_report_is_stated_as_a_missed_deadline(officer: Any) -> None:
    deployment, requester = _live()
    now = timezone.now()
    incident = _incident(
        deployment,
        requester,
        serious_category="critical_infrastructure",
        occurred_at=now - dt.timedelta(days=6),
        aware_at=now - dt.timedelta(days=5),
    )
    incidents.incident_transition(
        incident=incident,
        to_status="reported",
        actor=officer,
        reported_at=now - dt.timedelta(days=1),
        authority="Agencia Española de Supervisión de la IA",
        report_kind="initial",
    )
    report = _generate(officer, incident)
    assert _data(report)["incident"]["clock"]["state"] == "missed"
    assert "Deadline missed" in pdf_text(report_pdf(report))
    assert "2 days after the organisation became aware" in pdf_text(report_pdf(report))


def test_a_request_for_an_incident_that_is_not_serious_is_refused(officer: Any) -> None:
    deployment, requester = _live()
    minor = _incident(deployment, requester, serious=False, serious_category="")
    with pytest.raises(InvalidInput) as refused:
        report_request(actor=officer, kind="serious_incident", incident=str(minor.pk))
    assert refused.value.fields == {"incident": ["not a serious incident"]}
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("body", "field_error"),
    [
        ({}, "required"),
        ({"incident": "00000000-0000-0000-0000-000000000000"}, "no such incident"),
        ("minor", "not a serious incident"),
    ],
)
def test_the_api_refuses_a_missing_unknown_or_minor_incident_with_400(
    api: Any, officer: Any, body: Any, field_error: str
) -> None:
    if body == "minor":
        deployment, requester = _live()
        minor = _incident(deployment, requester, serious=False, serious_category="")
        body = {"incident": str(minor.pk)}
    response = api(officer).post(
        "/api/v1/reports/", {"kind": "serious_incident", **body}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field_error in json.dumps(response.json()["incident"])
    assert not Report.objects.exists()


def test_the_api_queues_a_serious_incident_report(api: Any, officer: Any) -> None:
    deployment, requester = _live()
    incident = _incident(deployment, requester)
    response = api(officer).post(
        "/api/v1/reports/",
        {"kind": "serious_incident", "incident": str(incident.pk)},
        format="json",
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["subject"] == f"incident:{incident.pk}" and body["incident"] == str(incident.pk)
    assert body["deployment"] == str(deployment.pk)
    event = LedgerEvent.objects.get(action="report.requested")
    assert event.payload["kind"] == "serious_incident"


def test_the_request_page_offers_serious_incidents_and_refuses_a_missing_one(
    client: Any, officer: Any
) -> None:
    deployment, requester = _live()
    incident = _incident(deployment, requester)
    client.force_login(officer)
    # The form shows the chosen kind's fields: the incident once that kind is chosen.
    page = client.get(reverse("reports:report_request") + "?kind=serious_incident")
    assert "Applicants refused credit in error" in page.content.decode()
    response = client.post(
        reverse("reports:report_request"), {"kind": "serious_incident", "incident": incident.pk}
    )
    report = Report.objects.get()
    assert response.status_code == 302 and report.incident == incident
    missing = client.post(reverse("reports:report_request"), {"kind": "serious_incident"})
    assert missing.status_code == 400
    assert "Choose the serious incident to report." in missing.content.decode()


def test_regenerating_keeps_the_incident(officer: Any) -> None:
    deployment, requester = _live()
    incident = _incident(deployment, requester)
    first = report_request(actor=officer, kind="serious_incident", incident=str(incident.pk))
    again = report_regenerate(actor=officer, report=first)
    assert again.incident == incident and again.subject_key == first.subject_key
