from __future__ import annotations

from pathlib import Path
from typing import Any

import factory
import yaml

from governance.risk.models import Methodology, Risk
from governance.risk.services import methodologies_load, methodology_load
from tests.factories.accounts import UserFactory
from tests.factories.inventory import DeploymentFactory

METHODOLOGY_DIR = Path(__file__).resolve().parents[2] / "governance" / "risk" / "methodologies"

# Answers to the shipped EU questionnaire that make a deployment minimal risk.
EU_MINIMAL = {
    "eu_prohibited": ["none"],
    "annex_iii_area": "none",
    "annex_i_product": "no",
    "profiling": "no",
    "art6_3_exemption": "not_applicable",
    "eu_transparency": ["none"],
}

# Answers to the shipped impact methodology scoring 0 risk points and full mitigation.
IMPACT_LOW = {
    "autonomy": "advisory",
    "reversibility": "reversible",
    "domain": "internal",
    "people_affected": "under_1k",
    "vulnerability": ["none"],
    "data": ["none"],
    "data_source": "first_party",
    "opacity": "interpretable",
    "third_party_model": "in_house",
    "learning": "static",
    "human_review": "adverse",
    "recourse": "appeal",
    "bias_testing": "ongoing",
    "monitoring": "outcomes",
    "documentation": "technical_file",
    "rollback": "tested",
    "consultation": "external",
}


def shipped_files() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(METHODOLOGY_DIR.glob("*.yaml"))]


def load_shipped() -> Methodology:
    """Load the shipped methodologies and return the impact one (with its EU questionnaire)."""
    methodologies_load(files=shipped_files(), actor=None)
    return Methodology.objects.get(slug="impact", version="1")


def complete_answers(**overrides: Any) -> dict[str, Any]:
    return {**IMPACT_LOW, **EU_MINIMAL, **overrides}


def methodology_definition(
    *,
    slug: str = "generated",
    version: str = "1",
    questions: int = 10,
    risk_points: tuple[int, ...] = (0, 5),
    mitigation_questions: int = 2,
    mitigation_points: tuple[int, ...] = (0, 10),
    deduction: dict[str, Any] | None = None,
    with_deduction: bool = True,
    levels: list[dict[str, Any]] | None = None,
    eu: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A methodology document with generated single-choice questions, spread over sections."""
    items = []
    for index in range(questions):
        mitigation = index >= questions - mitigation_questions
        points = mitigation_points if mitigation else risk_points
        items.append(
            {
                "id": f"q{index:03d}",
                "section": "Safeguards" if mitigation else f"Section {index // 5 + 1}",
                "text": f"Generated question {index}?",
                "type": "single",
                "scores": "mitigation" if mitigation else "risk",
                "required": True,
                "options": [{"id": f"o{p}", "label": f"{p} points", "points": p} for p in points],
            }
        )
    document: dict[str, Any] = {
        "slug": slug,
        "version": version,
        "title": f"Generated methodology with {questions} questions",
        "levels": levels
        or [
            {"level": "I", "max_pct": 25},
            {"level": "II", "max_pct": 50},
            {"level": "III", "max_pct": 75},
            {"level": "IV", "max_pct": 100},
        ],
        "questions": items,
    }
    if with_deduction:
        document["mitigation_deduction"] = deduction or {"threshold": 0.80, "factor": 0.85}
    if eu is not None:
        document["eu_classification"] = {"slug": eu[0], "version": eu[1]}
    return document


def methodology_yaml(document: dict[str, Any]) -> bytes:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()


def load_generated(**kwargs: Any) -> Methodology:
    methodology, _ = methodology_load(
        content=methodology_yaml(methodology_definition(**kwargs)), actor=None
    )
    return methodology


class RiskFactory(factory.django.DjangoModelFactory[Risk]):
    """A register row (no ledger event: use services for that)."""

    class Meta:
        model = Risk

    deployment = factory.SubFactory(DeploymentFactory)
    category = "fairness"
    title = factory.Sequence(lambda n: f"Risk {n}")
    description = "Outcomes may differ across groups."
    inherent_likelihood = 4
    inherent_impact = 4
    treatment = "mitigate"
    control_description = "Quarterly bias audit with thresholds."
    residual_likelihood = 2
    residual_impact = 3
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SubFactory(UserFactory)


# Complete answers to the shipped Art 27 FRIA and GDPR Art 35 DPIA questionnaires.
FRIA_ANSWERS: dict[str, Any] = {
    "processes": "Scores consumer credit applications; an underwriter decides each one.",
    "period": "From go-live for at least three years, reviewed yearly.",
    "frequency": "daily",
    "affected_categories": ["applicants", "vulnerable"],
    "affected_groups": "About 40,000 applicants a year in the EU, including people in debt.",
    "rights_at_risk": ["non_discrimination", "privacy"],
    "specific_risks": "Lower scores for applicants with thin credit files.",
    "oversight": "Trained underwriters review every decline and can override the score.",
    "measures": "Suspend automated scoring and fall back to manual underwriting.",
    "governance": "The credit risk committee decides; the DPO and the board are informed.",
    "complaints": "Applicants can ask for a human review through the complaints desk.",
}
DPIA_ANSWERS: dict[str, Any] = {
    "processing": "Credit scoring of applicants for consumer loans.",
    "data_categories": ["identity", "financial"],
    "lawful_basis": "contract",
    "necessity": "Only bureau and application data; kept 6 years as the law requires.",
    "risks": "Wrongful refusal of credit; re-identification from bureau data.",
    "automated_decisions": "no",
    "measures": "Encryption, access control, human review of declines.",
    "residual_high_risk": "no",
}
