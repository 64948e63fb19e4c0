"""Demo portfolio: four AI systems with versions, datasets and deployments."""

from __future__ import annotations

import hashlib
from typing import Any

from governance.inventory import services
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion

DATASETS = [
    {
        "name": "Loan applications 2019–2024",
        "source": "Core banking system, EU branches",
        "collection_purpose": "Credit decisions and their outcomes",
        "personal_data_categories": ["contact details", "financial data", "employment"],
        "legal_basis": "contract",
        "retention_days": 3650,
        "minimisation_notes": "Names and addresses dropped; postcodes truncated to 3 characters.",
    },
    {
        "name": "Applicant tracking history 2021–2024",
        "source": "ATS export from the vendor, New York hiring",
        "collection_purpose": "Recruitment",
        "personal_data_categories": ["CV content", "demographics (self-reported)"],
        "legal_basis": "legitimate_interests",
        "retention_days": 1095,
        "minimisation_notes": "Demographics kept only for bias auditing, separated from features.",
    },
    {
        "name": "Support transcripts (anonymised)",
        "source": "Contact-centre chat logs",
        "collection_purpose": "Customer support quality",
        "personal_data_categories": [],
        "legal_basis": "legitimate_interests",
        "retention_days": 730,
        "minimisation_notes": "Named-entity scrubbing before storage.",
    },
    {
        "name": "Card transactions 2023–2025",
        "source": "Card processing platform",
        "collection_purpose": "Fraud prevention",
        "personal_data_categories": ["financial data", "location"],
        "legal_basis": "legal_obligation",
        "retention_days": 1825,
        "minimisation_notes": "Card numbers tokenised.",
    },
]

SYSTEMS: list[dict[str, Any]] = [
    {
        "fields": {
            "name": "Credit risk scorer",
            "purpose": "Estimate the probability of default for consumer loan applications.",
            "intended_use": "Decision support for loan officers; automatic decline below cut-off.",
            "business_unit": "Retail Lending",
            "people_affected": "Loan applicants in the EU, about 400,000 a year",
            "sourcing": "in_house",
            "annex_iii_area": "essential_services",
            "annex_iii_point": "5b",
            "profiles_natural_persons": True,
        },
        "datasets": ["Loan applications 2019–2024"],
        "versions": [
            ("2.3", {"auc": 0.81, "ks": 0.42}),
            ("3.0", {"auc": 0.84, "ks": 0.46}),
        ],
        "deployments": [
            (
                "2.3",
                {
                    "environment": "prod-eu",
                    "hosting": "cloud",
                    "region": "eu-west-1",
                    "data_residency": "EU",
                    "rollout_pattern": "full",
                },
            ),
            (
                "3.0",
                {
                    "environment": "prod-eu-canary",
                    "hosting": "cloud",
                    "region": "eu-west-1",
                    "data_residency": "EU",
                    "rollout_pattern": "canary",
                    "traffic_percent": 5,
                },
            ),
        ],
    },
    {
        "fields": {
            "name": "CV screening assistant",
            "purpose": "Rank applicants for recruiter review in New York City hiring.",
            "intended_use": "Shortlisting support; recruiters make every decision.",
            "business_unit": "People & Talent",
            "people_affected": "Job applicants in New York City, about 30,000 a year",
            "sourcing": "vendor",
            "vendor_name": "TalentSift Inc.",
            "annex_iii_area": "employment",
            "annex_iii_point": "4a",
            "nyc_employment_decisions": True,
            "profiles_natural_persons": True,
        },
        "datasets": ["Applicant tracking history 2021–2024"],
        "versions": [("1.4", {"precision_at_50": 0.62})],
        "deployments": [
            (
                "1.4",
                {
                    "environment": "prod-us-nyc",
                    "hosting": "cloud",
                    "region": "us-east-1",
                    "data_residency": "US",
                    "rollout_pattern": "full",
                    "requires_independent_bias_audit": True,
                },
            ),
        ],
    },
    {
        "fields": {
            "name": "Customer support chatbot",
            "purpose": "Answer customer questions about accounts and cards.",
            "intended_use": "First-line support with hand-over to human agents.",
            "business_unit": "Customer Care",
            "people_affected": "Retail customers who open the chat",
            "sourcing": "open_source",
            "annex_iii_area": "none",
            "profiles_natural_persons": False,
        },
        "datasets": ["Support transcripts (anonymised)"],
        "versions": [("5.0", {"resolution_rate": 0.71, "csat": 4.3})],
        "deployments": [
            (
                "5.0",
                {
                    "environment": "prod-global",
                    "hosting": "cloud",
                    "region": "eu-central-1",
                    "data_residency": "EU",
                    "rollout_pattern": "ab",
                    "traffic_percent": 50,
                },
            ),
        ],
    },
    {
        "fields": {
            "name": "Card fraud detector",
            "purpose": "Flag card transactions likely to be fraudulent at the point of sale.",
            "intended_use": "Real-time holds reviewed by the fraud team.",
            "business_unit": "Payments",
            "people_affected": "Card holders, about 2 million",
            "sourcing": "in_house",
            "annex_iii_area": "none",
            "profiles_natural_persons": False,
        },
        "datasets": ["Card transactions 2023–2025"],
        "versions": [
            ("7.0", {"recall": 0.88, "precision": 0.35}),
            ("7.1", {"recall": 0.9, "precision": 0.37}),
        ],
        "deployments": [
            (
                "7.0",
                {
                    "environment": "edge-pos",
                    "hosting": "edge",
                    "region": "EU terminals",
                    "data_residency": "EU",
                    "rollout_pattern": "full",
                },
            ),
            (
                "7.1",
                {
                    "environment": "edge-pos-shadow",
                    "hosting": "edge",
                    "region": "EU terminals",
                    "data_residency": "EU",
                    "rollout_pattern": "shadow",
                },
            ),
        ],
    },
]

CARD = {
    "intended_use": "As described for the AI system.",
    "out_of_scope_uses": "Any use outside the stated purpose and population.",
    "limitations": "Trained on historical data; performance drifts with population changes.",
    "ethical_considerations": "Monitored for disparate impact across protected groups.",
}


def _artifact_hash(system: str, label: str) -> str:
    return hashlib.sha256(f"{system}:{label}".encode()).hexdigest()


def seed(users: dict[str, Any]) -> None:
    engineer = users["requester"]
    datasets = {}
    for fields in DATASETS:
        found = Dataset.objects.filter(name=fields["name"]).first()
        datasets[fields["name"]] = found or services.dataset_create(actor=engineer, **fields)
    for spec in SYSTEMS:
        name = spec["fields"]["name"]
        system = AISystem.objects.filter(name=name).first() or services.ai_system_create(
            actor=engineer, **spec["fields"]
        )
        versions = {}
        for label, metrics in spec["versions"]:
            version = ModelVersion.objects.filter(system=system, version_label=label).first()
            if version is None:
                slug = name.lower().replace(" ", "-")
                version = services.model_version_create(
                    actor=engineer,
                    system=system,
                    version_label=label,
                    artifact_uri=f"s3://models/{slug}/{label}/model.tar.gz",
                    artifact_sha256=_artifact_hash(name, label),
                    training_datasets=[datasets[d] for d in spec["datasets"]],
                    evaluation_metrics=metrics,
                    **CARD,
                )
            versions[label] = version
        for label, fields in spec["deployments"]:
            exists = Deployment.objects.filter(
                model_version=versions[label], environment=fields["environment"]
            ).exists()
            if not exists:
                services.deployment_create(actor=engineer, model_version=versions[label], **fields)
