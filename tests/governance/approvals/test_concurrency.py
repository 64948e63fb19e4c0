"""Simultaneous sign-offs on the last open slot: one completion, one state change."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from governance.accounts.roles import Role
from governance.approvals import services
from governance.approvals.models import RequestStatus, SignOff, StageCompletion
from governance.core.errors import DomainError
from governance.ledger.models import LedgerEvent
from governance.ledger.verify import verify_chain
from tests.factories import user_with_roles
from tests.factories.approvals import ready_deployment, sign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 20


def _race(approval, people, stage_order=None) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(people))
    outcomes: list[object] = []

    def attempt(person) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            outcomes.append(sign(approval, person, stage_order=stage_order))
        except DomainError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_simultaneous_signoffs_on_the_last_slot_complete_the_stage_once() -> None:
    for _ in range(ROUNDS):
        deployment, requester, _ = ready_deployment("IV")
        approval = services.approval_request_create(deployment=deployment, actor=requester)
        sign(approval, user_with_roles(Role.REVIEWER))
        sign(approval, user_with_roles(Role.COMPLIANCE_OFFICER))  # one of two
        racers = [user_with_roles(Role.COMPLIANCE_OFFICER) for _ in range(3)]
        outcomes = _race(approval, racers, stage_order=2)
        signed = [o for o in outcomes if isinstance(o, SignOff)]
        refused = [o for o in outcomes if isinstance(o, DomainError)]
        assert len(signed) == 1 and len(refused) == 2, outcomes
        assert all(r.status_code == 409 for r in refused)  # type: ignore[attr-defined]
        assert StageCompletion.objects.filter(request=approval, stage_order=2).count() == 1
        approval.refresh_from_db()
        assert approval.current_stage == 3 and approval.status == RequestStatus.PENDING
        assert SignOff.objects.filter(request=approval, stage_order=2).count() == 2
        completed = LedgerEvent.objects.filter(
            action="approval_stage.completed", subject_id=str(approval.pk)
        )
        assert [e.payload["stage"] for e in completed] == [1, 2]
    assert verify_chain().ok


def test_simultaneous_final_signatures_approve_once() -> None:
    for _ in range(ROUNDS):
        deployment, requester, _ = ready_deployment("I")
        approval = services.approval_request_create(deployment=deployment, actor=requester)
        outcomes = _race(approval, [user_with_roles(Role.REVIEWER) for _ in range(2)])
        assert sum(isinstance(o, SignOff) for o in outcomes) == 1, outcomes
        approval.refresh_from_db()
        deployment.refresh_from_db()
        assert approval.status == RequestStatus.APPROVED and deployment.status == "approved"
        assert (
            LedgerEvent.objects.filter(
                action="approval_request.approved", subject_id=str(approval.pk)
            ).count()
            == 1
        )
        assert (
            LedgerEvent.objects.filter(
                action="deployment.transitioned", deployment_id=str(deployment.pk)
            ).count()
            == 2
        )  # draft → in_review → approved
