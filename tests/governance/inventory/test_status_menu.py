"""The status menu offers only what may happen now, in words, and retiring is confirmed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from governance.accounts.roles import Role
from governance.inventory.transitions import ALLOWED_TRANSITIONS, status_menu
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, user_with_roles

pytestmark = pytest.mark.django_db


def _options(html: bytes) -> list[tuple[str, str, bool]]:
    select = re.search(rb'<select name="to"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return [
        (value.decode(), label.decode().strip(), b"selected" in attrs)
        for value, attrs, label in re.findall(
            rb'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select.group(1)
        )
    ]


def test_every_manual_transition_has_one_human_label() -> None:
    for transition in ALLOWED_TRANSITIONS.values():
        if transition.manual:
            assert transition.action and transition.action != transition.description


def test_a_new_draft_offers_retire_without_choosing_it(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    client.force_login(user_with_roles(Role.REQUESTER))
    page = client.get(reverse("inventory:deployment_detail", args=[deployment.pk])).content
    options = _options(page)
    assert options[0] == ("", "— choose —", True)  # the prompt, not a status, is preselected
    assert options[1:] == [("retired", "Retire (becomes retired)", False)]
    assert b"retired \xe2\x80\x94 retired" not in page


def test_a_transition_a_guard_refuses_is_not_offered_but_explained() -> None:
    from governance.approvals import services
    from tests.factories import BiasAuditFactory
    from tests.factories.approvals import approve_fully, ready_deployment

    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    BiasAuditFactory(deployment=deployment, finalize=True)
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    BiasAuditFactory(deployment=deployment, finalize=True)
    deployment.refresh_from_db()
    menu = {entry.to: entry for entry in status_menu(deployment)}
    assert "gate is closed" in menu["active"].refused
    assert menu["retired"].refused == ""


def test_retiring_needs_the_confirmation_box(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    client.force_login(user_with_roles(Role.REQUESTER))
    url = reverse("inventory:deployment_transition", args=[deployment.pk])
    refused = client.post(url, {"to": "retired"})
    assert refused.status_code == 400
    assert b"cannot be undone" in refused.content
    deployment.refresh_from_db()
    assert deployment.status == "draft"
    done = client.post(url, {"to": "retired", "confirm": "on"})
    assert done.status_code == 302
    deployment.refresh_from_db()
    assert deployment.status == "retired"
    assert LedgerEvent.objects.filter(action="deployment.transitioned").count() == 1


def test_no_choice_is_refused_with_a_message(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    client.force_login(user_with_roles(Role.REQUESTER))
    response = client.post(reverse("inventory:deployment_transition", args=[deployment.pk]), {})
    assert response.status_code == 400
    assert b"This field is required" in response.content
