from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.test import RequestFactory
from django.utils import timezone

from governance.accounts.models import User
from governance.liability.models import (
    AccountabilityAssignment,
    Contract,
    Ownership,
    OwnershipOffer,
    Party,
)
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.inventory import AISystemFactory, DeploymentFactory


class PartyFactory(factory.django.DjangoModelFactory[Party]):
    """An outside organisation (vendor by default)."""

    class Meta:
        model = Party

    kind = "vendor"
    name = factory.Sequence(lambda n: f"Vendor {n} Ltd")
    email = factory.LazyAttribute(lambda p: f"contact{abs(hash(p.name)) % 10000}@example.com")


class PersonPartyFactory(PartyFactory):
    kind = "person"
    user = factory.SubFactory(UserFactory)
    name = factory.LazyAttribute(lambda p: p.user.display_name)


class ContractFactory(factory.django.DjangoModelFactory[Contract]):
    class Meta:
        model = Contract

    party = factory.SubFactory(PartyFactory)
    reference = factory.Sequence(lambda n: f"MSA-{n:04d}")
    title = "Master services agreement"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))


class AssignmentFactory(factory.django.DjangoModelFactory[AccountabilityAssignment]):
    """A deployment-level assignment row (no ledger event: use the service for that)."""

    class Meta:
        model = AccountabilityAssignment

    deployment = factory.SubFactory(DeploymentFactory)
    party = factory.SubFactory(PartyFactory)
    raci = "responsible"
    scope = "security"
    effective_from = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))


class SystemDefaultFactory(AssignmentFactory):
    deployment = None
    system = factory.SubFactory(AISystemFactory)


class OwnershipOfferFactory(factory.django.DjangoModelFactory[OwnershipOffer]):
    class Meta:
        model = OwnershipOffer

    deployment = factory.SubFactory(DeploymentFactory)
    to_user = factory.SubFactory(UserFactory, roles=["requester"])
    offered_by = factory.SubFactory(UserFactory, roles=["compliance_officer"])
    reason = "Owns the model's day-to-day operation."


def make_owner(deployment: Any, user: User, *, offered_by: User | None = None) -> Ownership:
    """Offer and accept through the services, as a person would (ledgered, signed)."""
    from governance.liability import services

    offer = services.ownership_offer_create(
        deployment=deployment, to_user=user, reason="Runs it", actor=offered_by or user
    )
    return services.ownership_offer_accept(
        offer=offer,
        actor=user,
        statement=services.default_statement(deployment),
        password=PASSWORD,
        request=RequestFactory().post("/"),
    )


def ownership_row(deployment: Any, user: User) -> Ownership:
    """An open ownership row written directly (for volume tests that need many quickly)."""
    offer = OwnershipOfferFactory(
        deployment=deployment,
        to_user=user,
        offered_by=user,
        status="accepted",
        decided_at=timezone.now(),
    )
    return Ownership.objects.create(
        deployment=deployment,
        user=user,
        offer=offer,
        statement="I accept.",
        printed_name=user.display_name,
        accepted_at=timezone.now(),
        fingerprint=deployment.fingerprint,
        signature_hash="0" * 64,
    )


def liability_sample_ids() -> dict[str, Any]:
    """Sample records for the API contract test, by URL prefix."""
    return {
        "parties": lambda: PartyFactory().pk,
        "contracts": lambda: ContractFactory().pk,
        "assignments": lambda: AssignmentFactory().pk,
        "ownership-offers": lambda: OwnershipOfferFactory().pk,
    }
