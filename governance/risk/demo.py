"""Demo data: the shipped methodologies, an assessment per demo deployment, a few register entries.

The answers are what the owners of the demo systems would plausibly give; every score, level,
class and tier shown afterwards is computed from them by the scorer, not written here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import RequestFactory
from django.utils import timezone

from governance.accounts.demo import DEMO_PASSWORD
from governance.inventory.models import Deployment
from governance.risk.models import (
    AssessmentStatus,
    Methodology,
    Risk,
    RiskAssessment,
    StatutoryAssessment,
)
from governance.risk.services import (
    methodologies_load,
    risk_accept,
    risk_assessment_create,
    risk_create,
)
from governance.risk.services.statutory import (
    statutory_assessment_sign,
    statutory_assessment_start,
    statutory_assessment_submit,
)
from governance.risk.shipped import SHIPPED_DIR, shipped_files

METHODOLOGY_DIR = SHIPPED_DIR

SAFEGUARDS_STRONG = {
    "human_review": "adverse",
    "recourse": "appeal",
    "bias_testing": "ongoing",
    "monitoring": "outcomes",
    "documentation": "technical_file",
    "rollback": "tested",
    "consultation": "internal",
}

# Answers per AI system; the Annex III area and profiling come from the inventory record.
ANSWERS: dict[str, dict[str, Any]] = {
    "Credit risk scorer": {
        "autonomy": "automatic_review",
        "reversibility": "effort",
        "domain": "access",
        "people_affected": "under_1m",
        "vulnerability": ["hardship"],
        "data": ["personal", "financial"],
        "data_source": "first_party",
        "opacity": "explainable",
        "third_party_model": "in_house",
        "learning": "retrained",
        **SAFEGUARDS_STRONG,
        "eu_prohibited": ["none"],
        "annex_i_product": "no",
        "art6_3_exemption": "no",
        "eu_transparency": ["none"],
    },
    "CV screening assistant": {
        "autonomy": "recommend",
        "reversibility": "difficult",
        "domain": "access",
        "people_affected": "under_100k",
        "vulnerability": ["protected_groups"],
        "data": ["personal"],
        "data_source": "third_party",
        "opacity": "opaque",
        "third_party_model": "vendor_documented",
        "learning": "retrained",
        "human_review": "adverse",
        "recourse": "complaint",
        "bias_testing": "ongoing",
        "monitoring": "technical",
        "documentation": "model_card",
        "rollback": "manual",
        "consultation": "internal",
        "eu_prohibited": ["none"],
        "annex_i_product": "no",
        "art6_3_exemption": "no",
        "eu_transparency": ["none"],
    },
    "Customer support chatbot": {
        "autonomy": "automatic_review",
        "reversibility": "reversible",
        "domain": "service_quality",
        "people_affected": "under_1m",
        "vulnerability": ["none"],
        "data": ["personal", "financial"],
        "data_source": "first_party",
        "opacity": "opaque",
        "third_party_model": "open_weights",
        "learning": "static",
        "human_review": "sampled",
        "recourse": "complaint",
        "bias_testing": "pre_release",
        "monitoring": "technical",
        "documentation": "model_card",
        "rollback": "tested",
        "consultation": "internal",
        "eu_prohibited": ["none"],
        "annex_i_product": "no",
        "art6_3_exemption": "not_applicable",
        "eu_transparency": ["interacts_with_people", "synthetic_content"],
    },
    "Card fraud detector": {
        "autonomy": "automatic_review",
        "reversibility": "effort",
        "domain": "money",
        "people_affected": "over_1m",
        "vulnerability": ["none"],
        "data": ["financial", "location"],
        "data_source": "first_party",
        "opacity": "explainable",
        "third_party_model": "in_house",
        "learning": "retrained",
        "human_review": "adverse",
        "recourse": "appeal",
        "bias_testing": "pre_release",
        "monitoring": "outcomes",
        "documentation": "model_card",
        "rollback": "tested",
        "consultation": "internal",
        "eu_prohibited": ["none"],
        "annex_i_product": "no",
        "art6_3_exemption": "not_applicable",
        "eu_transparency": ["none"],
    },
}

# (system, environment, owner username, fields, accepted by username and why, or None)
RISKS: list[tuple[str, str, str, dict[str, Any], tuple[str, str] | None]] = [
    (
        "Credit risk scorer",
        "prod-eu",
        "compliance",
        {
            "category": "fairness",
            "title": "Lower approval rates for applicants with thin credit files",
            "description": "Younger and recently arrived applicants have short histories.",
            "inherent_likelihood": 4,
            "inherent_impact": 4,
            "treatment": "mitigate",
            "control_description": "Monthly impact-ratio monitoring by age band; manual review "
            "of declines with fewer than 12 months of history.",
            "residual_likelihood": 2,
            "residual_impact": 4,
        },
        None,
    ),
    (
        "Credit risk scorer",
        "prod-eu",
        "requester",
        {
            "category": "privacy",
            "title": "Re-identification from reason codes",
            "description": "Detailed reason codes could reveal data about co-applicants.",
            "inherent_likelihood": 3,
            "inherent_impact": 4,
            "treatment": "mitigate",
            "control_description": "Reason codes limited to the applicant's own data.",
            "residual_likelihood": 2,
            "residual_impact": 3,
        },
        None,
    ),
    (
        "CV screening assistant",
        "prod-us-nyc",
        "legal",
        {
            "category": "third_party",
            "title": "Vendor retrains the ranking model without notice",
            "description": "TalentSift updates its model monthly; our audit covers one version.",
            "inherent_likelihood": 4,
            "inherent_impact": 4,
            "treatment": "accept",
            "control_description": "",
            "residual_likelihood": 4,
            "residual_impact": 4,
        },
        (
            "executive",
            "Accepted until the contract renewal in Q3, when change notice and audit rights "
            "become conditions of renewal.",
        ),
    ),
    (
        "CV screening assistant",
        "prod-us-nyc",
        "compliance",
        {
            "category": "legal",
            "title": "Bias audit older than one year (NYC LL144)",
            "description": "Using the tool with a stale audit is unlawful in New York City.",
            "inherent_likelihood": 3,
            "inherent_impact": 5,
            "treatment": "mitigate",
            "control_description": "Independent audit booked each year, six weeks before expiry.",
            "residual_likelihood": 1,
            "residual_impact": 5,
        },
        None,
    ),
    (
        "Customer support chatbot",
        "prod-global",
        "reviewer",
        {
            "category": "safety",
            "title": "Confidently wrong answers about fees",
            "description": "Generated answers may state fees that do not apply.",
            "inherent_likelihood": 4,
            "inherent_impact": 3,
            "treatment": "mitigate",
            "control_description": "Answers only from the fee catalogue; hand-over on low "
            "retrieval confidence.",
            "residual_likelihood": 2,
            "residual_impact": 3,
        },
        None,
    ),
    (
        "Card fraud detector",
        "edge-pos",
        "requester",
        {
            "category": "operational",
            "title": "False holds at the point of sale during peaks",
            "description": "Holiday traffic raises the false-positive rate.",
            "inherent_likelihood": 3,
            "inherent_impact": 3,
            "treatment": "mitigate",
            "control_description": "Ten-minute hold-release commitment; version 7.1 runs in "
            "shadow to compare.",
            "residual_likelihood": 2,
            "residual_impact": 3,
        },
        None,
    ),
]


def _load_methodologies(actor: Any) -> Methodology:
    # Migrations load them; this keeps a database emptied since (tests, a flush) working.
    methodologies_load(files=shipped_files(), actor=actor)
    return Methodology.objects.get(slug="impact", version="1")


def seed(users: dict[str, Any]) -> None:
    impact = _load_methodologies(users["admin"])
    deployments = Deployment.objects.select_related("model_version__system")
    for deployment in deployments:
        answers = ANSWERS.get(deployment.model_version.system.name)
        if answers is None:
            continue
        exists = RiskAssessment.objects.filter(
            deployment=deployment, status=AssessmentStatus.SUBMITTED
        ).exists()
        if not exists:
            risk_assessment_create(
                deployment=deployment,
                methodology=impact,
                actor=users["requester"],
                answers=answers,
                submit=True,
            )
    due = timezone.now().date() + dt.timedelta(days=90)
    for system, environment, owner, fields, acceptance in RISKS:
        target = deployments.filter(
            model_version__system__name=system, environment=environment
        ).first()
        if target is None or Risk.objects.filter(deployment=target, title=fields["title"]).exists():
            continue
        risk = risk_create(
            deployment=target,
            actor=users["requester"],
            owner=users[owner],
            due_date=due,
            **fields,
        )
        if acceptance is not None:
            accepter, rationale = acceptance
            risk_accept(risk=risk, actor=users[accepter], rationale=rationale)
    _seed_statutory(users)


# The bank's credit scorer owes an Art 27 FRIA (Annex III 5(b)) and a GDPR Art 35 DPIA: the
# live deployment has both signed; the CV screening assistant has a DPIA awaiting sign-off.
FRIA_CREDIT: dict[str, Any] = {
    "processes": "Scores applications for consumer loans up to EUR 50,000; an underwriter "
    "decides every application, using the score and its reasons.",
    "period": "From go-live for three years, reviewed every year and after each retraining.",
    "frequency": "daily",
    "affected_categories": ["applicants", "vulnerable"],
    "affected_groups": "About 40,000 applicants a year in the EU, among them people in "
    "financial hardship and people with thin credit files.",
    "rights_at_risk": ["non_discrimination", "privacy", "consumer"],
    "specific_risks": "Lower scores for applicants with thin files or irregular income; "
    "proxies for nationality in address history.",
    "oversight": "Trained underwriters review every decline and may override the score; "
    "the credit risk committee reviews overrides monthly.",
    "measures": "Suspend automated scoring and fall back to manual underwriting; re-run the "
    "bias audit; contact the applicants affected.",
    "governance": "The credit risk committee decides; the DPO, the compliance officer and "
    "the provider are informed within two working days.",
    "complaints": "Applicants can ask for a human review and an explanation through the "
    "complaints desk; answers within 15 working days.",
    "authority_notified": "yes",
}
DPIA_CREDIT: dict[str, Any] = {
    "processing": "Credit scoring of applicants for consumer loans, on bureau data and the "
    "application form, to decide on and price credit.",
    "data_categories": ["identity", "financial", "employment"],
    "lawful_basis": "contract",
    "necessity": "Only the bureau and application fields the model uses; kept six years as "
    "banking law requires; a manual process was considered and kept as fallback.",
    "risks": "Wrongful refusal of credit; discrimination through proxies; disclosure of "
    "financial data.",
    "automated_decisions": "no",
    "measures": "Encryption at rest and in transit, role-based access, human review of every "
    "decline, yearly bias audit.",
    "dpo_advice": "Proceed; review after each retraining.",
    "residual_high_risk": "no",
}
DPIA_CV: dict[str, Any] = {
    "processing": "Ranks CVs for open positions; recruiters read every CV the tool ranks.",
    "data_categories": ["identity", "employment"],
    "lawful_basis": "legitimate_interest",
    "necessity": "Only CV content; kept six months after the position is filled.",
    "risks": "Unfair exclusion of candidates; inference of protected characteristics.",
    "automated_decisions": "no",
    "measures": "Names and photos removed before ranking; recruiters see every CV.",
    "residual_high_risk": "no",
}
STATUTORY: list[tuple[str, str, str, dict[str, Any], bool]] = [
    ("Credit risk scorer", "prod-eu", "fria", FRIA_CREDIT, True),
    ("Credit risk scorer", "prod-eu", "dpia", DPIA_CREDIT, True),
    ("CV screening assistant", "", "dpia", DPIA_CV, False),
]


def _seed_statutory(users: dict[str, Any]) -> None:
    deployments = Deployment.objects.select_related("model_version__system")
    for system, environment, kind, answers, sign in STATUTORY:
        found = deployments.filter(model_version__system__name=system)
        if environment:
            found = found.filter(environment=environment)
        deployment = found.order_by("created_at").first()
        if deployment is None or deployment.status == "retired":
            continue
        if StatutoryAssessment.objects.filter(deployment=deployment, kind=kind).exists():
            continue
        draft = statutory_assessment_start(
            deployment=deployment, kind=kind, actor=users["requester"], answers=answers
        )
        submitted = statutory_assessment_submit(assessment=draft, actor=users["requester"])
        if sign:
            statutory_assessment_sign(
                assessment=submitted,
                signer=users["compliance"],
                password=DEMO_PASSWORD,
                http_request=RequestFactory().post("/"),
            )
