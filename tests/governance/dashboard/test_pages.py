"""The deployment page's overview and history tabs, gate decisions, people, registries."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.gate import gate_evaluate, gate_record
from governance.dashboard import panels
from governance.inventory import services as inventory
from governance.inventory.tabs import _overview_panels, overview_panels
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment
from tests.factories.liability import make_owner

pytestmark = pytest.mark.django_db


def test_overview_tab_shows_status_gate_reasons_fingerprint_rollout_and_checklist(
    client: Client,
) -> None:
    deployment = DeploymentFactory(rollout_pattern="canary", traffic_percent=5)
    client.force_login(user_with_roles(Role.REVIEWER))
    page = client.get(reverse("inventory:deployment_detail", args=[deployment.pk]))
    html = page.content.decode()
    assert 'Deployment gate: <span class="bad-text">closed</span>' in html
    for reason in gate_evaluate(deployment).reasons:
        assert f"<li>{reason}</li>" in html
    assert deployment.fingerprint in html
    assert "Canary (5 % of traffic)" in html
    assert "Checklist to an open gate" in html
    assert f'href="/deployments/{deployment.pk}/accountability/"' in html


def test_overview_tab_shows_an_open_gate_once_everything_is_done(client: Client) -> None:
    deployment, requester, _ = ready_deployment("I")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    client.force_login(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("inventory:deployment_detail", args=[deployment.pk]))
    assert b'Deployment gate: <span class="ok-text">open</span>' in page.content
    assert b"Nothing on the checklist is outstanding." in page.content


def test_deployment_page_keeps_a_constant_query_count(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    deployment, requester, _ = ready_deployment("II")
    client.force_login(user_with_roles(Role.COMPLIANCE_OFFICER))
    url = reverse("inventory:deployment_detail", args=[deployment.pk])
    # The ceiling counts every room's panel and gate check (findings, incidents, the inbox
    # bell among them); what matters is that the count does not grow with the data below.
    with django_assert_max_num_queries(36) as before:
        client.get(url)
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    approve_fully(request)
    for _ in range(5):
        inventory.deployment_update(
            deployment=deployment, actor=requester, fields={"description": "more"}
        )
        DeploymentFactory()
    with django_assert_max_num_queries(len(before.captured_queries) + 3):
        assert client.get(url).status_code == 200


def test_history_tab_filters_by_action_and_by_person(client: Client) -> None:
    alice = user_with_roles(Role.REQUESTER, username="alice")
    bob = user_with_roles(Role.REQUESTER, username="bob")
    deployment = DeploymentFactory()
    inventory.deployment_update(deployment=deployment, actor=alice, fields={"description": "a"})
    inventory.deployment_update(deployment=deployment, actor=bob, fields={"description": "b"})
    make_owner(deployment, bob, offered_by=alice)
    client.force_login(user_with_roles(Role.AUDITOR))
    url = reverse("inventory:deployment_history", args=[deployment.pk])
    everything = client.get(url).context["page"].paginator.count
    form = client.get(url).context["filter"].form
    assert {"deployment.updated", "ownership.offered", "ownership.accepted"} <= {
        value for value, _ in form.fields["action"].choices
    }
    assert {label for _, label in form.fields["person"].choices} >= {"alice", "bob"}
    by_action = client.get(url, {"action": "deployment.updated"}).context["objects"]
    assert [e.actor_name for e in by_action] == ["bob", "alice"]
    by_bob = client.get(url, {"person": str(bob.pk)}).context["objects"]
    assert {e.action for e in by_bob} == {"deployment.updated", "ownership.accepted"}
    both = client.get(url, {"person": str(alice.pk), "action": "ownership.offered"})
    assert [e.action for e in both.context["objects"]] == ["ownership.offered"]
    assert everything == 4


def test_gate_decisions_list_filters_and_exports(client: Client) -> None:
    asker = user_with_roles(Role.REQUESTER, username="pipeline")
    closed = DeploymentFactory()
    gate_record(gate_evaluate(closed), asked_by=asker)
    deployment, requester, _ = ready_deployment("I")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    gate_record(gate_evaluate(deployment), asked_by=asker)
    client.force_login(user_with_roles(Role.AUDITOR))
    url = reverse("dashboard:gate_decisions")
    denied = client.get(url, {"allowed": "no", "days": "7"})
    assert [g.deployment_id for g in denied.context["objects"]] == [closed.pk]
    assert b"no approval has been requested" in denied.content
    assert client.get(url, {"allowed": "yes"}).context["page"].paginator.count == 1
    export = client.get(url, {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {row["allowed"] for row in rows} == {"True", "False"}
    assert {row["asked_by"] for row in rows} == {"pipeline"}


def test_people_list_filters_by_role_and_exports(client: Client) -> None:
    user_with_roles(Role.LEGAL, username="laura", first_name="Laura")
    user_with_roles(Role.REVIEWER, username="ravi")
    owner = user_with_roles(Role.REQUESTER, username="=cmd")
    make_owner(DeploymentFactory(), owner)
    client.force_login(user_with_roles(Role.AUDITOR, username="aaron"))
    url = reverse("dashboard:people")
    legal = client.get(url, {"role": "legal"}).context["objects"]
    assert [u.username for u in legal] == ["laura"]
    export = client.get(url, {"format": "csv", "sort": "-owned"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0]["username"] == "'=cmd" and rows[0]["accountable_for"] == "1"
    assert rows[0]["roles"] == "requester"


@pytest.fixture
def registered() -> Iterator[None]:
    """A throw-away overview panel and deployment-page panel, removed afterwards."""
    saved_overview = dict(panels._overview_panels)
    saved_tabs = dict(_overview_panels)

    @panels.register_overview_panel("test_panel", order=1)
    def panel(user: Any) -> panels.OverviewPanel:
        return panels.OverviewPanel(
            title="Test panel", numbers=[panels.PanelNumber("things", 7, "/portfolio/")]
        )

    def tab_panel(request: Any, deployment: Any) -> tuple[str, dict[str, Any]] | None:
        return None if deployment.environment == "hidden" else ("dashboard/_homes.html", {})

    from governance.inventory.tabs import register_overview_panel

    register_overview_panel("test_tab_panel", order=99)(tab_panel)
    yield
    panels._overview_panels.clear()
    panels._overview_panels.update(saved_overview)
    _overview_panels.clear()
    _overview_panels.update(saved_tabs)


def test_rooms_add_overview_panels_through_the_registries(client: Client, registered: None) -> None:
    client.force_login(user_with_roles(Role.EXECUTIVE))
    page = client.get(reverse("dashboard:overview"))
    assert page.context["panels"][0].title == "Test panel"
    assert b"Test panel" in page.content
    shown = DeploymentFactory()
    hidden = DeploymentFactory(environment="hidden")
    assert [p["name"] for p in overview_panels(None, shown)] == [
        "gate",
        "checklist",
        "test_tab_panel",
    ]
    assert [p["name"] for p in overview_panels(None, hidden)] == ["gate", "checklist"]
