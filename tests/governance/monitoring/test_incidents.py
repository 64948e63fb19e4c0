"""Incidents: Art 73 clocks, lifecycle, reminders, the gate, suspension and rollback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from governance.approvals import services as approvals
from governance.approvals.gate import gate_evaluate
from governance.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from governance.inventory.services import deployment_transition
from governance.ledger.models import LedgerEvent
from governance.monitoring.choices import IncidentStatus
from governance.monitoring.models import DeploymentAction, Incident
from governance.monitoring.services import incidents as services
from tests.factories.approvals import approve_fully, ready_deployment

pytestmark = pytest.mark.django_db
AWARE = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("category", "due"),
    [
        ("death", dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.UTC)),
        ("critical_infrastructure", dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)),
        ("widespread_infringement", dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)),
        ("other", dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.UTC)),
    ],
)
def test_each_art73_clock_runs_from_awareness(
    deployment: Any, engineer: Any, category: str, due: dt.datetime
) -> None:
    incident = services.incident_report(
        deployment=deployment,
        actor=engineer,
        title="Wrong denials",
        description="Applicants were refused in error.",
        occurred_at=AWARE - dt.timedelta(hours=5),
        aware_at=AWARE,
        severity="high",
        serious=True,
        serious_category=category,
    )
    assert incident.report_due_at == due
    event = LedgerEvent.objects.get(action="incident.opened")
    assert event.payload["report_due_at"] == due.isoformat()


def test_an_incident_that_is_not_serious_has_no_clock(deployment: Any, engineer: Any) -> None:
    incident = services.incident_report(
        deployment=deployment,
        actor=engineer,
        title="Slow answers",
        description="Latency doubled.",
        occurred_at=AWARE,
        aware_at=AWARE,
        severity="low",
    )
    assert incident.report_due_at is None


def _post(api: Any, user: Any, deployment: Any, **fields: Any) -> Any:
    body = {
        "deployment": str(deployment.pk),
        "title": "Wrong denials",
        "description": "Applicants were refused in error.",
        "occurred_at": "2026-03-01T08:00:00Z",
        "aware_at": "2026-03-01T10:00:00Z",
        "severity": "high",
        "serious": True,
        "serious_category": "other",
        **fields,
    }
    return api(user).post("/api/v1/incidents/", body, format="json")


def test_an_incident_is_reported_through_the_api(api: Any, deployment: Any, engineer: Any) -> None:
    response = _post(api, engineer, deployment)
    assert response.status_code == 201, response.json()
    assert response.json()["report_due_at"].startswith("2026-03-16T10:00:00")
    assert response.json()["status"] == "open"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"aware_at": "2026-03-01T07:00:00Z"}, "aware_at"),
        ({"aware_at": "2999-01-01T00:00:00Z", "occurred_at": "2998-01-01T00:00:00Z"}, "aware_at"),
        ({"serious_category": ""}, "serious_category"),
        ({"serious": False, "serious_category": "death"}, "serious_category"),
        ({"serious_category": "meteor"}, "serious_category"),
        ({"severity": "apocalyptic"}, "severity"),
    ],
)
def test_bad_incident_input_is_refused_naming_the_field(
    api: Any, deployment: Any, engineer: Any, fields: dict[str, Any], field: str
) -> None:
    response = _post(api, engineer, deployment, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Incident.objects.exists()


def _serious(deployment: Any, actor: Any, **fields: Any) -> Incident:
    return services.incident_report(
        deployment=deployment,
        actor=actor,
        title=fields.pop("title", "Wrong denials"),
        description="Applicants were refused in error.",
        occurred_at=fields.pop("occurred_at", AWARE),
        aware_at=fields.pop("aware_at", AWARE),
        severity="critical",
        serious=True,
        serious_category=fields.pop("serious_category", "other"),
    )


def test_the_lifecycle_runs_to_closure_after_the_complete_report(
    deployment: Any, engineer: Any, officer: Any
) -> None:
    incident = _serious(deployment, engineer)
    services.incident_transition(incident=incident, to_status="investigating", actor=officer)
    with pytest.raises(Conflict, match="complete report"):
        services.incident_transition(incident=incident, to_status="closed", actor=officer)
    services.incident_transition(
        incident=incident,
        to_status="reported",
        actor=officer,
        reported_at=AWARE + dt.timedelta(days=3),
        authority="Bundesnetzagentur",
        authority_reference="BNetzA-2026-17",
        report_kind="initial",
    )
    incident = services.incident_transition(
        incident=incident,
        to_status="reported",
        actor=officer,
        reported_at=AWARE + dt.timedelta(days=9),
        authority="Bundesnetzagentur",
        report_kind="complete",
    )
    services.incident_transition(
        incident=incident,
        to_status="corrective_action",
        actor=officer,
        corrective_action="Retrained with corrected labels; threshold raised.",
    )
    closed = services.incident_transition(incident=incident, to_status="closed", actor=officer)
    assert closed.status == IncidentStatus.CLOSED and closed.closed_at is not None
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(incident.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "incident.opened",
        "incident.investigating",
        "incident.reported",
        "incident.reported",
        "incident.corrective_action",
        "incident.closed",
    ]
    reported = LedgerEvent.objects.filter(action="incident.reported").order_by("seq").first()
    assert reported is not None and reported.payload["on_time"] is True


def test_an_illegal_incident_transition_is_refused(
    deployment: Any, engineer: Any, officer: Any
) -> None:
    incident = _serious(deployment, engineer)
    with pytest.raises(TransitionNotAllowed):
        services.incident_transition(
            incident=incident, to_status="corrective_action", actor=officer
        )


def test_a_report_to_the_authority_needs_its_facts(
    deployment: Any, engineer: Any, officer: Any
) -> None:
    incident = _serious(deployment, engineer)
    with pytest.raises(InvalidInput) as refused:
        services.incident_transition(incident=incident, to_status="reported", actor=officer)
    assert set(refused.value.fields) >= {"reported_at", "authority", "report_kind"}
    assert Incident.objects.get(pk=incident.pk).status == IncidentStatus.OPEN


def test_only_incident_managers_move_an_incident(
    api: Any, deployment: Any, engineer: Any, officer: Any
) -> None:
    incident = _serious(deployment, engineer)
    url = f"/api/v1/incidents/{incident.pk}/transition/"
    assert api(engineer).post(url, {"to": "investigating"}, format="json").status_code == 403
    response = api(officer).post(url, {"to": "investigating"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "investigating"


def _open_gate_deployment() -> tuple[Any, Any]:
    deployment, requester, _owner = ready_deployment("II")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    assert gate_evaluate(deployment).allowed
    return deployment, requester


def test_an_open_serious_incident_closes_the_gate_and_names_it(officer: Any) -> None:
    deployment, requester = _open_gate_deployment()
    _serious(deployment, requester, title="Loan denials to a protected group")
    result = gate_evaluate(deployment)
    assert not result.allowed
    assert "an open serious incident: Loan denials to a protected group" in result.reasons


def test_an_incident_that_is_not_serious_leaves_the_gate_open(officer: Any) -> None:
    deployment, requester = _open_gate_deployment()
    services.incident_report(
        deployment=deployment,
        actor=requester,
        title="Slow answers",
        description="Latency doubled.",
        occurred_at=AWARE,
        aware_at=AWARE,
        severity="low",
    )
    assert gate_evaluate(deployment).allowed


def test_rollback_moves_traffic_to_the_target_and_is_recorded(officer: Any) -> None:
    target, requester = _open_gate_deployment()
    deployment_transition(deployment=target, to_status="active", actor=requester)
    deployment_transition(deployment=target, to_status="suspended", actor=requester)
    current, requester2 = _open_gate_deployment()
    current.rollback_target = target
    current.save(update_fields=["rollback_target"])
    deployment_transition(deployment=current, to_status="active", actor=requester2)
    incident = _serious(current, requester2)

    action = services.deployment_rollback(
        deployment=current, actor=officer, reason="Denials spiked", incident=incident
    )

    current.refresh_from_db()
    target.refresh_from_db()
    assert current.status == "suspended" and target.status == "active"
    assert action.rollback_to == target and action.incident == incident
    event = LedgerEvent.objects.get(action="deployment_action.rolled_back")
    assert event.payload["rollback_to"] == str(target.pk)
    assert event.payload["incident"] == str(incident.pk)


def test_rollback_is_refused_when_the_target_gate_is_closed(officer: Any) -> None:
    current, requester = _open_gate_deployment()
    deployment_transition(deployment=current, to_status="active", actor=requester)
    target, target_requester = _open_gate_deployment()
    _serious(target, target_requester, title="The old model fails too")  # closes its gate
    current.rollback_target = target
    current.save(update_fields=["rollback_target"])
    with pytest.raises(TransitionNotAllowed, match="gate is closed"):
        services.deployment_rollback(deployment=current, actor=officer, reason="Denials spiked")
    current.refresh_from_db()
    assert current.status == "active"  # nothing half-done
    assert not DeploymentAction.objects.exists()


def test_rollback_to_a_draft_is_refused_in_words(officer: Any) -> None:
    current, requester = _open_gate_deployment()
    deployment_transition(deployment=current, to_status="active", actor=requester)
    target, _, _ = ready_deployment("II")
    current.rollback_target = target
    current.save(update_fields=["rollback_target"])
    with pytest.raises(Conflict, match="only an approved, suspended or active deployment"):
        services.deployment_rollback(deployment=current, actor=officer, reason="x")


def test_rollback_needs_a_target(officer: Any) -> None:
    current, requester = _open_gate_deployment()
    deployment_transition(deployment=current, to_status="active", actor=requester)
    with pytest.raises(Conflict, match="no rollback target"):
        services.deployment_rollback(deployment=current, actor=officer, reason="x")


def test_suspension_is_recorded_with_its_incident(officer: Any) -> None:
    current, requester = _open_gate_deployment()
    deployment_transition(deployment=current, to_status="active", actor=requester)
    incident = _serious(current, requester)
    services.deployment_suspend(
        deployment=current, actor=officer, reason="Stop harm", incident=incident
    )
    current.refresh_from_db()
    assert current.status == "suspended"
    assert LedgerEvent.objects.get(action="deployment_action.suspended").payload["incident"] == str(
        incident.pk
    )


def test_reminders_go_out_at_half_time_at_80_percent_and_when_overdue_once_each(
    deployment: Any,
    engineer: Any,
    officer: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now().replace(microsecond=0)
    incident = _serious(
        deployment,
        engineer,
        serious_category="critical_infrastructure",  # 48 hours
        occurred_at=now - dt.timedelta(hours=1),
        aware_at=now - dt.timedelta(minutes=30),
    )
    assert services.incident_reminder_sweep(now=now) == 0
    at_half = incident.aware_at + dt.timedelta(hours=24, minutes=1)

    def sweep(at: dt.datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.incident_reminder_sweep(now=at)

    assert sweep(at_half) == 1
    assert sweep(at_half) == 0  # the same sweep twice sends nothing new
    assert sweep(incident.aware_at + dt.timedelta(hours=39)) == 1  # 80 %
    assert sweep(incident.aware_at + dt.timedelta(hours=49)) == 1  # overdue
    assert sweep(incident.aware_at + dt.timedelta(hours=99)) == 0
    assert len(mail.outbox) == 3
    assert "is due by" in mail.outbox[0].subject and "overdue" in mail.outbox[2].subject
    assert officer.email in mail.outbox[0].to and engineer.email in mail.outbox[0].to
    from governance.notifications.models import Notification

    inbox = Notification.objects.filter(recipient=officer, kind="incident_clock")
    assert inbox.count() == 3
    assert "overdue" in inbox.order_by("-created_at").values_list("title", flat=True)[0]
    assert Notification.objects.filter(recipient=engineer, kind="incident_clock").count() == 3
    events = LedgerEvent.objects.filter(action="incident.reminder_sent").order_by("seq")
    assert [e.payload["reminder"] for e in events] == [1, 2, 3]
    assert [e.payload["overdue"] for e in events] == [False, False, True]


def test_a_reporter_whose_account_is_closed_gets_no_reminder_in_the_inbox_or_by_mail(
    deployment: Any,
    engineer: Any,
    officer: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from governance.notifications.models import Notification

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now().replace(microsecond=0)
    incident = _serious(deployment, engineer, occurred_at=now - dt.timedelta(hours=1), aware_at=now)
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        assert services.incident_reminder_sweep(now=incident.report_due_at) == 1
    assert [m.to for m in mail.outbox] == [[officer.email]]
    assert set(Notification.objects.values_list("recipient", flat=True)) == {officer.pk}


def test_a_reported_incident_gets_no_more_reminders(
    deployment: Any, engineer: Any, officer: Any
) -> None:
    now = timezone.now().replace(microsecond=0)
    incident = _serious(deployment, engineer, occurred_at=now - dt.timedelta(hours=2), aware_at=now)
    services.incident_transition(
        incident=incident,
        to_status="reported",
        actor=officer,
        reported_at=now,
        authority="CNIL",
        report_kind="initial",
    )
    assert services.incident_reminder_sweep(now=now + dt.timedelta(days=30)) == 0


def test_the_overview_shows_running_clocks_nearest_first(
    client: Any, deployment: Any, engineer: Any, officer: Any
) -> None:
    now = timezone.now()
    _serious(deployment, engineer, title="Later clock", occurred_at=now, aware_at=now)  # 15 days
    _serious(
        deployment,
        engineer,
        title="Nearer clock",
        serious_category="death",
        occurred_at=now,
        aware_at=now,
    )  # 10 days
    client.force_login(officer)
    page = client.get("/").content.decode()
    assert "Monitoring and incidents" in page
    assert page.index("Nearer clock") < page.index("Later clock")


def test_suspension_through_the_api_names_the_incident(api: Any, officer: Any) -> None:
    current, requester = _open_gate_deployment()
    deployment_transition(deployment=current, to_status="active", actor=requester)
    incident = _serious(current, requester)
    url = f"/api/v1/incidents/{incident.pk}/suspend/"
    assert api(requester).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(officer).post(url, {}, format="json").status_code == 400
    response = api(officer).post(url, {"reason": "Stop the harm"}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "suspend"
    current.refresh_from_db()
    assert current.status == "suspended"
