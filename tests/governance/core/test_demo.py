from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from governance.accounts.models import User
from governance.approvals.gate import gate_evaluate
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerEvent
from governance.ledger.verify import verify_chain

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_believable_portfolio_and_is_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Deployment.objects.count(), LedgerEvent.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Deployment.objects.count(), LedgerEvent.objects.count()) == counts
    assert set(User.objects.values_list("role_grants__role", flat=True)) >= {
        "requester",
        "reviewer",
        "compliance_officer",
        "legal",
        "executive",
        "auditor",
        "admin",
    }
    statuses = dict(Deployment.objects.values_list("environment", "status"))
    assert statuses["prod-eu"] == "active" and statuses["prod-eu-canary"] == "in_review"
    assert statuses["edge-pos-shadow"] == "draft"
    live = Deployment.objects.get(environment="prod-us-nyc")
    assert gate_evaluate(live).allowed
    assert verify_chain().ok
