"""Segregation of duties: who may not sign, told plainly, and every refusal ledgered."""

from __future__ import annotations

import pytest

from governance.accounts.roles import Role
from governance.approvals import services
from governance.core.errors import PermissionRefused
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.factories.approvals import ready_deployment, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval():  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("II")
    return services.approval_request_create(deployment=deployment, actor=requester)


def _refusals() -> list[str]:
    return [e.payload["reason"] for e in LedgerEvent.objects.filter(action="signoff.refused")]


def test_requester_cannot_sign_own_request(approval) -> None:  # type: ignore[no-untyped-def]
    from governance.accounts.services import user_roles_set

    requester = approval.requested_by
    user_roles_set(user=requester, roles=["requester", "reviewer"], actor=None)
    requester.refresh_from_db()
    with pytest.raises(PermissionRefused, match="You asked for this approval"):
        sign(approval, requester)
    assert any("You asked for this approval" in r for r in _refusals())


def test_model_author_cannot_sign_for_its_deployment(approval) -> None:  # type: ignore[no-untyped-def]
    from governance.accounts.models import RoleGrant

    author = approval.deployment.model_version.created_by
    RoleGrant.objects.create(user=author, role=Role.REVIEWER)
    author.__dict__.pop("roles", None)
    with pytest.raises(PermissionRefused, match="its author cannot sign"):
        sign(approval, author)
    assert any("its author cannot sign" in r for r in _refusals())


def test_same_person_cannot_sign_twice_across_stages(approval) -> None:  # type: ignore[no-untyped-def]
    both = user_with_roles(Role.REVIEWER, Role.COMPLIANCE_OFFICER)
    sign(approval, both)  # stage 1 as reviewer
    with pytest.raises(PermissionRefused, match="already signed"):
        sign(approval, both)  # stage 2 as compliance officer
    assert any("already signed" in r for r in _refusals())


def test_wrong_role_is_refused(approval) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionRefused, match="needs a reviewer"):
        sign(approval, user_with_roles(Role.LEGAL))
    assert any("needs a reviewer" in r for r in _refusals())


def test_wrong_password_is_refused_and_ledgered(approval) -> None:  # type: ignore[no-untyped-def]
    reviewer = user_with_roles(Role.REVIEWER)
    with pytest.raises(PermissionRefused, match="password is not correct"):
        sign(approval, reviewer, password="not-my-password")
    event = LedgerEvent.objects.get(action="security.reauthentication_failed")
    assert event.actor_name == reviewer.username
    assert event.payload["purpose"] == "signoff"
    assert not approval.signoffs.exists()


def test_quorum_counts_distinct_people() -> None:
    deployment, requester, _ = ready_deployment("IV")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    sign(approval, user_with_roles(Role.REVIEWER))
    first = user_with_roles(Role.COMPLIANCE_OFFICER)
    sign(approval, first)
    approval.refresh_from_db()
    assert approval.current_stage == 2  # one of two compliance signatures
    with pytest.raises(PermissionRefused, match="already signed"):
        sign(approval, first)
    sign(approval, user_with_roles(Role.COMPLIANCE_OFFICER))
    approval.refresh_from_db()
    assert approval.current_stage == 3


def test_signing_a_completed_stage_is_a_conflict(approval) -> None:  # type: ignore[no-untyped-def]
    from governance.core.errors import Conflict

    sign(approval, user_with_roles(Role.REVIEWER))
    with pytest.raises(Conflict, match="already complete"):
        sign(approval, user_with_roles(Role.REVIEWER, Role.COMPLIANCE_OFFICER), stage_order=1)
