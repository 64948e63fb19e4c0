"""Vocabularies of the liability room (RACI, EU AI Act roles, parties, offer states)."""

from __future__ import annotations

from django.db import models


class PartyKind(models.TextChoices):
    PERSON = "person", "Person (internal)"
    TEAM = "team", "Team (internal)"
    VENDOR = "vendor", "Vendor"
    MODEL_PROVIDER = "model_provider", "Model provider"
    CLOUD_PROVIDER = "cloud_provider", "Cloud or platform provider"
    AUDITOR = "auditor", "Auditor"
    INSURER = "insurer", "Insurer"


INTERNAL_KINDS = frozenset({PartyKind.PERSON, PartyKind.TEAM})
EXTERNAL_KINDS = frozenset(set(PartyKind) - INTERNAL_KINDS)


class Raci(models.TextChoices):
    ACCOUNTABLE = "accountable", "Accountable"
    RESPONSIBLE = "responsible", "Responsible"
    CONSULTED = "consulted", "Consulted"
    INFORMED = "informed", "Informed"


RACI_LETTER = {
    Raci.ACCOUNTABLE: "A",
    Raci.RESPONSIBLE: "R",
    Raci.CONSULTED: "C",
    Raci.INFORMED: "I",
}


class AIActRole(models.TextChoices):
    """Operator roles of Regulation (EU) 2024/1689, Art 3(3)–(7)."""

    PROVIDER = "provider", "Provider"
    DEPLOYER = "deployer", "Deployer"
    IMPORTER = "importer", "Importer"
    DISTRIBUTOR = "distributor", "Distributor"
    AUTHORISED_REPRESENTATIVE = "authorised_representative", "Authorised representative"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded by another acceptance"
    LAPSED = "lapsed", "Lapsed (recipient no longer qualifies)"


# An offer is decided once; every decision is final.
ALLOWED_OFFER_TRANSITIONS: dict[str, frozenset[str]] = {
    OfferStatus.PENDING: frozenset(
        {
            OfferStatus.ACCEPTED,
            OfferStatus.DECLINED,
            OfferStatus.WITHDRAWN,
            OfferStatus.SUPERSEDED,
            OfferStatus.LAPSED,
        }
    ),
}


class OwnershipEndCause(models.TextChoices):
    TRANSFERRED = "transferred", "Transferred to a new owner"
    DEACTIVATED = "deactivated", "Owner's account deactivated"
    ROLE_LOST = "role_lost", "Owner no longer holds a qualifying role"


class RoleShiftTrigger(models.TextChoices):
    """The three ways a deployer becomes a provider under Art 25(1) of the EU AI Act."""

    REBRANDED = "rebranded", "Rebranded under our name or trademark (Art 25(1)(a))"
    SUBSTANTIALLY_MODIFIED = (
        "substantially_modified",
        "Substantially modified (Art 25(1)(b))",
    )
    REPURPOSED_HIGH_RISK = (
        "repurposed_high_risk",
        "Intended purpose changed so that it becomes high-risk (Art 25(1)(c))",
    )


# What a provider must do for a high-risk system (Regulation (EU) 2024/1689); shown as the
# warning when a deployer takes on the provider's role.
PROVIDER_OBLIGATIONS: tuple[tuple[str, str], ...] = (
    ("technical_documentation", "Technical documentation per Annex IV (Art 11, Art 18)"),
    ("quality_management", "A quality management system (Art 17)"),
    ("conformity_assessment", "Conformity assessment before placing on the market (Art 43)"),
    ("registration", "Registration in the EU database (Art 49)"),
    ("post_market_monitoring", "Post-market monitoring with a monitoring plan (Art 72)"),
)
