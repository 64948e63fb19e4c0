from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from governance.accounts.demo import ensure_demo_users
from governance.inventory import demo as inventory_demo
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerEvent
from governance.liability import demo
from governance.liability.models import Contract, Ownership, OwnershipOffer, Party
from governance.liability.selectors import accountable_owners

pytestmark = pytest.mark.django_db


def test_demo_seeds_owners_parties_and_an_expiring_contract_idempotently(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = ensure_demo_users()
    inventory_demo.seed(users)
    demo.seed(users)
    counts = (
        Party.objects.count(),
        Contract.objects.count(),
        Ownership.objects.count(),
        OwnershipOffer.objects.count(),
        LedgerEvent.objects.count(),
    )
    demo.seed(users)
    assert counts == (
        Party.objects.count(),
        Contract.objects.count(),
        Ownership.objects.count(),
        OwnershipOffer.objects.count(),
        LedgerEvent.objects.count(),
    )
    owners = accountable_owners(Deployment.objects.values_list("pk", flat=True))
    assert owners and all(owner is not None for owner in owners.values())
    assert OwnershipOffer.objects.filter(status="pending", to_user=users["executive"]).count() == 1
    names = set(Party.objects.values_list("name", flat=True))
    assert {"TalentSift Inc.", "Nimbus Cloud Europe GmbH", "Harbourline Insurance plc"} <= names
    assert Party.objects.filter(kind="team").exists() and Party.objects.filter(kind="auditor")
    soon = timezone.localdate() + dt.timedelta(days=60)
    assert Contract.objects.filter(ends_on__lte=soon, ends_on__gte=timezone.localdate()).exists()
    assert LedgerEvent.objects.filter(action="ownership.accepted").count() == len(owners)
