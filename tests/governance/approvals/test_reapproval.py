"""A deployment whose approval no longer holds can be approved again without a fake change."""

from __future__ import annotations

import pytest

from governance.approvals import services
from governance.approvals.gate import gate_evaluate
from governance.approvals.models import ApprovalRequest, RequestStatus
from governance.core.errors import Conflict
from governance.inventory.services import deployment_transition
from governance.ledger.models import LedgerEvent
from tests.factories import BiasAuditFactory
from tests.factories.approvals import approve_fully, ready_deployment

pytestmark = pytest.mark.django_db


def _approved_then_new_audit(*, go_live: bool = False) -> tuple[object, object, ApprovalRequest]:
    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    BiasAuditFactory(deployment=deployment, finalize=True)
    approval = approve_fully(
        services.approval_request_create(deployment=deployment, actor=requester)
    )
    if go_live:
        deployment_transition(deployment=deployment, to_status="active", actor=requester)
    BiasAuditFactory(deployment=deployment, finalize=True)
    deployment.refresh_from_db()
    return deployment, requester, approval


def test_an_approval_that_no_longer_matches_shows_as_lapsed_with_its_reason() -> None:
    deployment, _, _ = _approved_then_new_audit()
    result = gate_evaluate(deployment)
    assert deployment.status == "approved"
    assert result.lapse == "what was approved no longer matches: the bias audit changed"


def test_a_deployment_whose_approval_holds_has_no_lapse_and_cannot_be_resubmitted() -> None:
    deployment, requester, _ = ready_deployment("I")
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    deployment.refresh_from_db()
    assert gate_evaluate(deployment).lapse is None
    with pytest.raises(Conflict, match="approval still stands"):
        services.approval_request_create(deployment=deployment, actor=requester)


def test_an_approved_deployment_whose_approval_lapsed_is_approved_again_unchanged() -> None:
    deployment, requester, old = _approved_then_new_audit()
    fingerprint = deployment.fingerprint
    new = services.approval_request_create(deployment=deployment, actor=requester)
    old.refresh_from_db()
    deployment.refresh_from_db()
    assert old.status == RequestStatus.INVALIDATED
    assert "the bias audit changed" in old.closed_reason
    assert deployment.status == "in_review"
    event = LedgerEvent.objects.filter(action="approval_request.invalidated").get()
    assert event.payload["cause"].startswith("superseded by a new request")
    approve_fully(new)
    deployment.refresh_from_db()
    assert deployment.status == "approved" and deployment.fingerprint == fingerprint
    assert gate_evaluate(deployment).allowed


def test_a_live_deployment_is_approved_again_without_leaving_active() -> None:
    deployment, requester, _ = _approved_then_new_audit(go_live=True)
    assert deployment.status == "active"
    assert not gate_evaluate(deployment).allowed
    new = services.approval_request_create(deployment=deployment, actor=requester)
    deployment.refresh_from_db()
    assert deployment.status == "active"
    assert gate_evaluate(deployment).lapse is None  # a request is on its way
    approve_fully(new)
    deployment.refresh_from_db()
    assert deployment.status == "active"
    assert gate_evaluate(deployment).allowed


def test_an_approval_cannot_be_requested_before_a_required_bias_audit_is_final() -> None:
    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    BiasAuditFactory(deployment=deployment)  # a draft does not count
    with pytest.raises(Conflict, match="bias audit missing") as refused:
        services.approval_request_create(deployment=deployment, actor=requester)
    assert refused.value.fields["missing"] == ["bias_audit"]
    assert not ApprovalRequest.objects.filter(deployment=deployment).exists()
    deployment.refresh_from_db()
    assert deployment.status == "draft"


def test_blockers_link_to_the_page_where_each_is_put_right() -> None:
    from governance.approvals.services.requests import request_blockers
    from tests.factories import DeploymentFactory

    deployment = DeploymentFactory(requires_independent_bias_audit=True)
    blockers, _, _ = request_blockers(deployment)
    links = {b.item: b.url for b in blockers}
    assert links == {
        "assessment": f"/deployments/{deployment.pk}/risk/",
        "accountable_owner": f"/deployments/{deployment.pk}/accountability/",
        "bias_audit": f"/deployments/{deployment.pk}/bias-audits/",
    }


# --- Pages ----------------------------------------------------------------------------------


def test_the_deployment_page_shows_the_approval_invalidated_instead_of_approved(client) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    deployment, requester, _ = _approved_then_new_audit()
    client.force_login(requester)
    page = client.get(reverse("inventory:deployment_detail", args=[deployment.pk])).content
    assert b"Approval invalidated" in page
    assert b"the bias audit changed" in page
    assert b'class="badge status-approved"' not in page


def test_each_deployment_page_evaluates_the_gate_once(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from governance.accounts.roles import Role
    from governance.approvals import gate
    from tests.factories.accounts import user_with_roles

    deployment, requester, _ = _approved_then_new_audit()
    evaluations = []

    class Counted(gate.GateResult):  # gate_evaluate builds one GateResult per evaluation
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            evaluations.append(self.deployment.pk)

    monkeypatch.setattr(gate, "GateResult", Counted)
    # Someone who may not move the deployment: its status menu asks the gate nothing.
    client.force_login(user_with_roles(Role.AUDITOR))
    for name in ("inventory:deployment_detail", "approvals:deployment_approvals"):
        evaluations.clear()
        page = client.get(reverse(name, args=[deployment.pk])).content
        assert b"Approval invalidated" in page  # the note and the gate come from one answer
        assert len(evaluations) == 1, name
    # The next page asks again: a request opened in between is seen at once.
    services.approval_request_create(deployment=deployment, actor=requester)
    page = client.get(reverse("inventory:deployment_detail", args=[deployment.pk])).content
    assert b"Approval invalidated" not in page


def test_the_requester_asks_for_approval_again_from_the_approvals_tab(client) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    deployment, requester, _ = _approved_then_new_audit()
    client.force_login(requester)
    tab = client.get(reverse("approvals:deployment_approvals", args=[deployment.pk])).content
    assert b"Request approval again" in tab
    assert b"can be opened when it is a draft" not in tab
    response = client.post(
        reverse("approvals:deployment_request_create", args=[deployment.pk]), {"reason": "again"}
    )
    assert response.status_code == 302
    assert deployment.approval_requests.filter(status=RequestStatus.PENDING).exists()


def test_the_approvals_tab_links_each_missing_item(client) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    client.force_login(requester)
    tab = client.get(reverse("approvals:deployment_approvals", args=[deployment.pk])).content
    link = reverse("bias:deployment_audits", args=[deployment.pk])
    assert f'<a href="{link}">The gate requires it: bias audit missing.</a>'.encode() in tab
    assert b"Request approval</button>" not in tab


def test_the_api_refuses_a_request_naming_what_is_missing(client) -> None:  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    api = APIClient()
    api.force_authenticate(requester)
    response = api.post(
        f"/api/v1/deployments/{deployment.pk}/approval-requests/", {}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["missing"] == ["bias_audit"]
