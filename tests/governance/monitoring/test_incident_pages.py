"""The incident pages: bad input is a form error that saves nothing, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance.ledger.models import LedgerEvent
from governance.monitoring.models import DeploymentAction, Incident
from governance.monitoring.services import incidents as services

pytestmark = pytest.mark.django_db
AWARE = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)


def _incident(deployment: Any, actor: Any) -> Incident:
    return services.incident_report(
        deployment=deployment,
        actor=actor,
        title="Wrong denials",
        description="Applicants were refused in error.",
        occurred_at=AWARE,
        aware_at=AWARE,
        severity="high",
        serious=True,
        serious_category="other",
    )


@pytest.mark.parametrize(
    "form",
    [
        {"to": "reported", "reported_at": "not a date", "authority": "CNIL"},
        {"to": "reported", "reported_at": "2026-03-02T10:00", "report_kind": "initial"},
        {
            "to": "reported",
            "reported_at": "2999-01-01T00:00",
            "authority": "CNIL",
            "report_kind": "initial",
        },
        {"to": "corrective_action"},
        {"to": "closed"},
        {"to": "sideways"},
    ],
)
def test_a_bad_transition_is_a_form_error_that_changes_nothing(
    client: Any, deployment: Any, engineer: Any, officer: Any, form: dict[str, str]
) -> None:
    incident = _incident(deployment, engineer)
    client.force_login(officer)
    before = LedgerEvent.objects.count()
    response = client.post(f"/incidents/{incident.pk}/transition/", form)
    assert response.status_code == 400
    assert response.context["transition_form"].errors
    incident.refresh_from_db()
    assert incident.status == "open" and LedgerEvent.objects.count() == before


@pytest.mark.parametrize(
    "form",
    [
        {"action": "rollback", "reason": "Denials spiked", "confirm": "on"},  # no target
        {"action": "suspend", "reason": "", "confirm": "on"},
        {"action": "suspend", "reason": "Stop", "confirm": ""},
        {"action": "explode", "reason": "Stop", "confirm": "on"},
    ],
)
def test_a_bad_deployment_action_is_a_form_error_that_changes_nothing(
    client: Any, deployment: Any, engineer: Any, officer: Any, form: dict[str, str]
) -> None:
    incident = _incident(deployment, engineer)
    client.force_login(officer)
    response = client.post(f"/incidents/{incident.pk}/deployment-action/", form)
    assert response.status_code == 400
    assert response.context["action_form"].errors
    deployment.refresh_from_db()
    assert deployment.status == "active" and not DeploymentAction.objects.exists()


def test_the_incident_page_reads_its_actions_in_constant_queries(
    client: Any,
    deployment: Any,
    engineer: Any,
    officer: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import DeploymentFactory

    incident = _incident(deployment, engineer)
    client.force_login(officer)

    def act() -> None:
        DeploymentAction.objects.create(
            incident=incident,
            deployment=deployment,
            kind="rollback",
            reason="Denials spiked",
            rollback_to=DeploymentFactory(),
            actor=officer,
        )

    act()
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    for _ in range(3):
        act()
    with django_assert_max_num_queries(len(one)):
        page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert page.count("Denials spiked") == 4 and page.count("traffic to") == 4
