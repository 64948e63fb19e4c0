"""Demo accountability: parties, contracts, system defaults, accepted owners and one open offer.

Everything goes through the services (offers are accepted with the demo password), so the
demo's ledger shows the same events a real organisation's would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import RequestFactory
from django.utils import timezone

from governance.accounts.demo import DEMO_PASSWORD
from governance.inventory.models import AISystem, Deployment
from governance.liability import services
from governance.liability.choices import OfferStatus
from governance.liability.models import (
    AccountabilityAssignment,
    Contract,
    Ownership,
    OwnershipOffer,
    Party,
)

PEOPLE = ("requester", "engineer2", "reviewer", "compliance", "legal", "executive")
TEAMS = {
    "ML Platform team": ("requester", "engineer2"),
    "Data Protection Office": ("compliance", "compliance2"),
    "Fraud Operations": ("engineer2",),
}
ORGANISATIONS: list[dict[str, Any]] = [
    {
        "kind": "vendor",
        "name": "TalentSift Inc.",
        "contact_name": "Jordan Reyes, Customer Success",
        "email": "compliance@talentsift.example",
        "phone": "+1 212 555 0142",
        "address": "120 Broad Street, New York, NY 10004, USA",
        "website": "https://talentsift.example",
    },
    {
        "kind": "cloud_provider",
        "name": "Nimbus Cloud Europe GmbH",
        "contact_name": "Data Protection Officer",
        "email": "dpo@nimbus-cloud.example",
        "address": "Taunusanlage 8, 60329 Frankfurt am Main, Germany",
        "website": "https://nimbus-cloud.example",
    },
    {
        "kind": "insurer",
        "name": "Harbourline Insurance plc",
        "contact_name": "Technology liability desk",
        "email": "techclaims@harbourline.example",
        "phone": "+44 20 7946 0321",
    },
    {
        "kind": "auditor",
        "name": "Fairmetric Audit LLP",
        "contact_name": "Priya Raman, Partner",
        "email": "engagements@fairmetric.example",
        "website": "https://fairmetric.example",
    },
    {
        "kind": "model_provider",
        "name": "OpenWeights Foundation",
        "contact_name": "Security contact",
        "email": "security@openweights.example",
        "website": "https://openweights.example",
    },
]


def _contracts(today: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "party": "TalentSift Inc.",
            "reference": "TS-MSA-2023-014",
            "title": "Master services agreement: CV screening",
            "starts_on": today - dt.timedelta(days=700),
            # Inside the 60-day window, so the page highlights it.
            "ends_on": today + dt.timedelta(days=45),
            "indemnity": "TalentSift indemnifies claims caused by defects in its ranking model; "
            "we answer for our configuration and for recruiter decisions.",
            "liability_cap": Decimal("2000000.00"),
            "cap_currency": "USD",
            "insurer": "Harbourline Insurance plc",
            "insurance_policy_number": "HL-TECH-88213",
            "insurance_expires_on": today + dt.timedelta(days=300),
        },
        {
            "party": "Nimbus Cloud Europe GmbH",
            "reference": "NCE-DPA-2024-221",
            "title": "Cloud hosting and data processing agreement (GDPR Art 28)",
            "starts_on": today - dt.timedelta(days=400),
            "ends_on": today + dt.timedelta(days=700),
            "indemnity": "Provider liable for breaches of its security and processing duties.",
            "liability_cap": Decimal("5000000.00"),
            "cap_currency": "EUR",
        },
        {
            "party": "Fairmetric Audit LLP",
            "reference": "FMA-ENG-2025-007",
            "title": "Independent bias audit engagement (NYC Local Law 144)",
            "starts_on": today - dt.timedelta(days=90),
            "ends_on": today + dt.timedelta(days=275),
            "indemnity": "Auditor liable for negligent audit work.",
            "liability_cap": Decimal("500000.00"),
            "cap_currency": "USD",
        },
    ]


# (system, scope, raci, party, EU AI Act role, contract reference)
DEFAULTS: list[tuple[str, str, str, str, str, str]] = [
    ("Credit risk scorer", "model_performance", "accountable", "Maya Patel", "", ""),
    ("Credit risk scorer", "model_performance", "responsible", "ML Platform team", "", ""),
    ("Credit risk scorer", "data_protection", "accountable", "Data Protection Office", "", ""),
    ("Credit risk scorer", "human_oversight", "accountable", "Evelyn Carter", "", ""),
    ("Credit risk scorer", "regulatory_reporting", "accountable", "Chloé Martin", "", ""),
    ("Credit risk scorer", "fairness", "consulted", "Laura Schmidt", "", ""),
    (
        "Credit risk scorer",
        "security",
        "responsible",
        "Nimbus Cloud Europe GmbH",
        "",
        "NCE-DPA-2024-221",
    ),
    (
        "CV screening assistant",
        "model_performance",
        "accountable",
        "TalentSift Inc.",
        "provider",
        "TS-MSA-2023-014",
    ),
    ("CV screening assistant", "fairness", "accountable", "Laura Schmidt", "deployer", ""),
    (
        "CV screening assistant",
        "fairness",
        "responsible",
        "Fairmetric Audit LLP",
        "",
        "FMA-ENG-2025-007",
    ),
    ("CV screening assistant", "data_protection", "accountable", "Data Protection Office", "", ""),
    ("CV screening assistant", "human_oversight", "responsible", "Maya Patel", "", ""),
    # The chatbot is our system built on an open-weights model: we are its provider (Art 50(1)).
    ("Customer support chatbot", "model_performance", "accountable", "Tom Becker", "provider", ""),
    (
        "Customer support chatbot",
        "model_performance",
        "consulted",
        "OpenWeights Foundation",
        "provider",
        "",
    ),
    ("Customer support chatbot", "incident_response", "responsible", "ML Platform team", "", ""),
    ("Card fraud detector", "model_performance", "accountable", "Tom Becker", "", ""),
    ("Card fraud detector", "incident_response", "accountable", "Fraud Operations", "", ""),
    ("Card fraud detector", "regulatory_reporting", "informed", "Chloé Martin", "", ""),
]

# (system, version, environment) → owner's demo username
OWNERS: list[tuple[str, str, str, str]] = [
    ("Credit risk scorer", "2.3", "prod-eu", "requester"),
    ("Credit risk scorer", "3.0", "prod-eu-canary", "requester"),
    ("CV screening assistant", "1.4", "prod-us-nyc", "legal"),
    ("Customer support chatbot", "5.0", "prod-global", "engineer2"),
    ("Card fraud detector", "7.0", "edge-pos", "engineer2"),
    ("Card fraud detector", "7.1", "edge-pos-shadow", "engineer2"),
]
PENDING_OFFER = ("Card fraud detector", "7.1", "edge-pos-shadow", "executive")


def _deployment(system: str, version: str, environment: str) -> Deployment | None:
    return (
        Deployment.objects.select_related("model_version__system")
        .filter(
            model_version__system__name=system,
            model_version__version_label=version,
            environment=environment,
        )
        .first()
    )


def _parties(users: dict[str, Any], officer: Any) -> dict[str, Party]:
    for username in PEOPLE:
        user = users[username]
        if not Party.objects.filter(user=user).exists():
            services.party_create(actor=officer, kind="person", user=user)
    for name, members in TEAMS.items():
        if not Party.objects.filter(kind="team", name=name).exists():
            services.party_create(
                actor=officer, kind="team", name=name, members=[users[m] for m in members]
            )
    for fields in ORGANISATIONS:
        if not Party.objects.filter(kind=fields["kind"], name=fields["name"]).exists():
            services.party_create(actor=officer, **fields)
    return {party.name: party for party in Party.objects.all()}


def _seed_contracts(parties: dict[str, Party], officer: Any) -> dict[str, Contract]:
    for spec in _contracts(timezone.localdate()):
        if Contract.objects.filter(reference=spec["reference"]).exists():
            continue
        fields = dict(spec)
        fields["party"] = parties[fields["party"]]
        if fields.get("insurer"):
            fields["insurer"] = parties[fields["insurer"]]
        services.contract_create(actor=officer, **fields)
    return {c.reference: c for c in Contract.objects.all()}


def _seed_defaults(parties: dict[str, Party], contracts: dict[str, Contract], officer: Any) -> None:
    start = timezone.localdate() - dt.timedelta(days=180)
    for system_name, scope, raci, party, role, contract in DEFAULTS:
        system = AISystem.objects.filter(name=system_name).first()
        if system is None:
            continue
        exists = AccountabilityAssignment.objects.filter(
            system=system, scope=scope, raci=raci, party=parties[party], ended_at__isnull=True
        ).exists()
        if not exists:
            services.assignment_create(
                actor=officer,
                system=system,
                party=parties[party],
                raci=raci,
                scope=scope,
                ai_act_role=role,
                contract=contracts.get(contract),
                effective_from=start,
            )


def _seed_owners(users: dict[str, Any], officer: Any) -> None:
    request = RequestFactory().post("/")
    for system, version, environment, username in OWNERS:
        deployment = _deployment(system, version, environment)
        if deployment is None:
            continue
        if Ownership.objects.filter(deployment=deployment, ended_at__isnull=True).exists():
            continue
        owner = users[username]
        offer = services.ownership_offer_create(
            deployment=deployment,
            to_user=owner,
            reason="Leads the team that runs this deployment day to day.",
            actor=officer,
        )
        services.ownership_offer_accept(
            offer=offer,
            actor=owner,
            statement=services.default_statement(deployment),
            password=DEMO_PASSWORD,
            request=request,
        )
    system, version, environment, username = PENDING_OFFER
    deployment = _deployment(system, version, environment)
    if deployment is None:
        return
    already = OwnershipOffer.objects.filter(
        deployment=deployment, to_user=users[username], status=OfferStatus.PENDING
    ).exists()
    if not already:
        services.ownership_offer_create(
            deployment=deployment,
            to_user=users[username],
            reason="Before the shadow model goes live its accountability moves to the "
            "executive sponsor of the payments programme.",
            actor=officer,
        )


def seed(users: dict[str, Any]) -> None:
    officer = users["compliance"]
    parties = _parties(users, officer)
    contracts = _seed_contracts(parties, officer)
    _seed_defaults(parties, contracts, officer)
    _seed_owners(users, officer)
