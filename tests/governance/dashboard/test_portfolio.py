"""The portfolio list: filters across rooms, sorting, CSV export, constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.models import ApprovalRequest
from governance.inventory.models import AISystem, Deployment
from tests.factories import AISystemFactory, DeploymentFactory, ModelVersionFactory, user_with_roles
from tests.factories.approvals import approve_fully, assess, ready_deployment

pytestmark = pytest.mark.django_db

URL = "/portfolio/"


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(user_with_roles(Role.AUDITOR))
    return client


def _ids(client: Client, **params: Any) -> set[Any]:
    response = client.get(URL, params)
    assert response.status_code == 200
    return {standing.deployment.pk for standing in response.context["rows"]}


def _approved(days_left: int = 200) -> Deployment:
    deployment, requester, _ = ready_deployment("I")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    ApprovalRequest.objects.filter(deployment=deployment).update(
        expires_at=timezone.now() + dt.timedelta(days=days_left)
    )
    return deployment


def test_filters_by_tier_and_status(viewer: Client) -> None:
    tier_two, _, _ = ready_deployment("II")
    tier_one, _, _ = ready_deployment("I")
    bare = DeploymentFactory()
    blocked = DeploymentFactory()
    assess(blocked, "I", user_with_roles(Role.REQUESTER), eu_prohibited=["social_scoring"])
    assert _ids(viewer, tier="II") == {tier_two.pk}
    assert _ids(viewer, tier="none") == {bare.pk}
    assert _ids(viewer, tier="blocked", live="yes") == {blocked.pk}
    assert _ids(viewer, tier="I", status="draft") == {tier_one.pk}
    assert _ids(viewer, tier="I", status="active") == set()


def test_filters_by_approval_state_age_sla_and_expiry(viewer: Client) -> None:
    soon, later = _approved(days_left=20), _approved(days_left=50)
    deployment, requester, _ = ready_deployment("I")
    old = approvals.approval_request_create(deployment=deployment, actor=requester)
    asked = timezone.now() - dt.timedelta(days=4)
    ApprovalRequest.objects.filter(pk=old.pk).update(created_at=asked, stage_started_at=asked)
    never = DeploymentFactory()
    assert _ids(viewer, approval="approved") == {soon.pk, later.pk}
    assert _ids(viewer, approval="pending") == {deployment.pk}
    assert never.pk in _ids(viewer, approval="none")
    assert _ids(viewer, expires_within="30") == {soon.pk}
    assert _ids(viewer, expires_within="60") == {soon.pk, later.pk}
    assert _ids(viewer, waiting="3to7d") == {deployment.pk}
    assert _ids(viewer, waiting="lt1d") == set()
    assert _ids(viewer, sla="breached") == {deployment.pk}


def test_filters_by_ownership_person_and_registration(viewer: Client) -> None:
    owned, _, owner = ready_deployment("I")
    orphan = DeploymentFactory()
    author = user_with_roles(Role.REQUESTER, username="tom")
    mine = DeploymentFactory(created_by=author)
    assert orphan.pk in _ids(viewer, orphaned="yes")
    assert owned.pk not in _ids(viewer, orphaned="yes")
    assert _ids(viewer, owner=owner.username.upper()) == {owned.pk}
    assert _ids(viewer, registered_by="tom") == {mine.pk}


def test_filters_registered_by_other_rooms_appear_on_the_form(viewer: Client) -> None:
    DeploymentFactory(requires_independent_bias_audit=True)
    response = viewer.get(URL)
    assert "bias" in response.context["filter"].form.fields
    assert len(_ids(viewer, bias="missing")) == 1


def test_columns_show_tier_gate_owner_and_approval_expiry(viewer: Client) -> None:
    approved = _approved(days_left=30)
    response = viewer.get(URL)
    row = next(s for s in response.context["rows"] if s.deployment.pk == approved.pk)
    assert row.tier == "I" and row.gate_allowed and row.owner is not None
    expiry = row.approval.expires_at.date().isoformat()
    assert expiry.encode() in response.content
    assert row.owner.display_name.encode() in response.content


def test_sorts_by_tier_and_by_approval_expiry(viewer: Client) -> None:
    later, soon = _approved(days_left=90), _approved(days_left=10)
    tier_two, _, _ = ready_deployment("II")
    by_expiry = [s.deployment.pk for s in viewer.get(URL, {"sort": "expires"}).context["rows"]]
    assert by_expiry.index(soon.pk) < by_expiry.index(later.pk)
    by_tier = [s.deployment.pk for s in viewer.get(URL, {"sort": "-tier"}).context["rows"]]
    assert by_tier[0] == tier_two.pk


def test_bad_filter_values_give_a_form_error_not_a_500(viewer: Client) -> None:
    DeploymentFactory()
    for params in ({"tier": "V"}, {"expires_within": "abc"}, {"status": "nope"}, {"page": "x"}):
        response = viewer.get(URL, params)
        assert response.status_code == 200, params
    assert viewer.get(URL, {"tier": "V"}).context["rows"] == []


def test_csv_export_has_every_column_and_defuses_formulas(viewer: Client) -> None:
    approved = _approved()
    AISystem.objects.filter(pk=approved.model_version.system_id).update(
        name='=HYPERLINK("http://evil.example","click")'
    )
    DeploymentFactory(model_version=ModelVersionFactory(system=AISystemFactory(name="+1-2")))
    response = viewer.get(URL, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, body = rows[0], rows[1:]
    assert header[:8] == [
        "deployment_id",
        "system",
        "version",
        "environment",
        "status",
        "tier",
        "gate",
        "gate_reasons",
    ]
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    row = by_id[str(approved.pk)]
    assert row["system"].startswith("'=HYPERLINK")
    assert row["gate"] == "open" and row["tier"] == "I" and row["approval"] == "approved"
    assert any(r["system"] == "'+1-2" for r in by_id.values())


def test_csv_export_reads_facts_per_chunk_not_per_row(
    viewer: Client, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        _approved()
    with django_assert_max_num_queries(30) as small:
        b"".join(viewer.get(URL, {"format": "csv"}).streaming_content)
    for _ in range(6):
        _approved()
        DeploymentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = b"".join(viewer.get(URL, {"format": "csv"}).streaming_content)
    assert body.count(b"\n") == 16


def test_portfolio_page_keeps_a_constant_query_count(
    viewer: Client, django_assert_max_num_queries: Any
) -> None:
    _approved()
    ready_deployment("II")
    with django_assert_max_num_queries(25) as small:
        viewer.get(URL)
    for _ in range(4):
        _approved()
        ready_deployment("III")
        DeploymentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = viewer.get(URL)
    assert len(response.context["rows"]) == 14
