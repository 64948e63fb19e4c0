"""Which requirements apply to a deployment, from the records the product keeps, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from governance.inventory.models import Deployment
from governance.liability.services import ai_act_role_shift_record
from governance.obligations.applicability import Decision, decide
from governance.obligations.facts import DeploymentFacts, facts_for_deployments
from governance.obligations.models import Requirement
from governance.risk.models import Methodology
from governance.risk.services import risk_assessment_create
from tests.factories import AISystemFactory, DeploymentFactory, UserFactory
from tests.factories.risk import complete_answers

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 4)
HIGH_RISK_DUTIES_OF_PROVIDERS = [
    "art-9",
    "art-10",
    "art-11",
    "art-12",
    "art-13",
    "art-14",
    "art-15",
    "art-16",
    "art-17",
    "art-43",
    "art-47",
    "art-48",
    "art-49",
    "art-72",
    "art-73",
]
DEPLOYER_DUTIES = ["art-26-1", "art-26-2", "art-26-4", "art-26-5", "art-26-6", "art-26-9"]


def _deployment(system: dict[str, Any], answers: dict[str, Any]) -> Deployment:
    user = UserFactory()
    deployment = DeploymentFactory(model_version__system=AISystemFactory(**system))
    impact = Methodology.objects.get(slug="impact", version="1")
    risk_assessment_create(
        deployment=deployment,
        methodology=impact,
        actor=user,
        answers=complete_answers(**answers),
        submit=True,
    )
    return deployment


def _facts(deployment: Deployment) -> DeploymentFacts:
    return facts_for_deployments([deployment.pk])[deployment.pk]


def _decisions(facts: DeploymentFacts, on: dt.date = TODAY) -> dict[str, Decision]:
    requirements = Requirement.objects.filter(framework__is_current=True).select_related(
        "framework"
    )
    return {f"{r.framework.slug}:{r.identifier}": decide(r, facts, on=on) for r in requirements}


def _applying(decisions: dict[str, Decision], framework: str) -> set[str]:
    prefix = f"{framework}:"
    return {
        key.removeprefix(prefix)
        for key, decision in decisions.items()
        if key.startswith(prefix) and decision.applies
    }


def _bank_credit_scoring() -> Deployment:
    return _deployment(
        {
            "sourcing": "vendor",
            "vendor_name": "ScoreCo",
            "annex_iii_area": "essential_services",
            "annex_iii_point": "5b",
            "profiles_natural_persons": True,
        },
        {"annex_iii_area": "essential_services", "profiling": "yes", "art6_3_exemption": "no"},
    )


def _cv_screening(*, nyc: bool) -> Deployment:
    return _deployment(
        {
            "sourcing": "vendor",
            "vendor_name": "TalentSift",
            "annex_iii_area": "employment",
            "annex_iii_point": "4a",
            "profiles_natural_persons": True,
            "nyc_employment_decisions": nyc,
        },
        {"annex_iii_area": "employment", "profiling": "yes", "art6_3_exemption": "no"},
    )


def test_a_banks_credit_scoring_deployment_owes_art_26_and_art_27_as_deployer() -> None:
    facts = _facts(_bank_credit_scoring())
    assert facts.eu_class == "high" and facts.high_risk_basis == "annex_iii"
    assert facts.annex_iii_point == "5b" and facts.ai_act_roles == {"deployer"}

    decisions = _decisions(facts)
    eu = _applying(decisions, "eu-ai-act")

    assert set(DEPLOYER_DUTIES) <= eu and "art-27" in eu
    assert decisions["eu-ai-act:art-27"] == Decision(
        applies=True,
        in_force=True,
        why=(
            "Applies because: high-risk under Annex III 5(b); your organisation is the "
            "deployer; in force since 2 Aug 2026."
        ),
    )
    # A deployer of a vendor's system carries none of the provider's duties.
    assert not eu & set(HIGH_RISK_DUTIES_OF_PROVIDERS)
    assert decisions["eu-ai-act:art-9"].why == (
        "Does not apply: Art 9 applies to providers of high-risk AI systems; "
        "your organisation is the deployer."
    )
    assert _applying(decisions, "nyc-ll144") == set()


def test_a_private_employers_cv_screening_owes_art_26_but_no_art_27() -> None:
    facts = _facts(_cv_screening(nyc=False))
    decisions = _decisions(facts)
    eu = _applying(decisions, "eu-ai-act")

    assert set(DEPLOYER_DUTIES) <= eu and "art-26-7" in eu  # workplace use: Annex III 4
    assert "art-27" not in eu
    assert decisions["eu-ai-act:art-27"].why == (
        "Does not apply: Art 27 applies to deployers that are public bodies or provide public "
        "services, or that use systems under Annex III 5(b) or 5(c), except systems under "
        "Annex III point 2; this system falls under Annex III 4(a); it is not used by a "
        "public body or to provide a public service."
    )
    assert _applying(decisions, "nyc-ll144") == set()
    assert decisions["nyc-ll144:bias-audit"].why.startswith(
        "Does not apply: NYC Local Law 144 applies only to automated employment decision "
        "tools used for hiring or promotion in New York City; it is not used"
    )


def test_ll144_applies_to_cv_screening_used_for_new_york_city_hiring() -> None:
    decisions = _decisions(_facts(_cv_screening(nyc=True)))

    assert _applying(decisions, "nyc-ll144") == {
        "bias-audit",
        "public-summary",
        "candidate-notice",
        "data-notice",
    }
    assert decisions["nyc-ll144:bias-audit"].why == (
        "Applies because: it is an automated employment decision tool used for hiring or "
        "promotion in New York City; in force since 5 Jul 2023."
    )
    assert "art-27" not in _applying(decisions, "eu-ai-act")


def test_a_customer_support_chatbot_owes_art_50_1_and_no_high_risk_duty() -> None:
    deployment = _deployment(
        {"sourcing": "in_house"}, {"eu_transparency": ["interacts_with_people"]}
    )
    facts = _facts(deployment)
    assert facts.eu_class == "limited" and facts.transparency == {"interacts_with_people"}

    decisions = _decisions(facts)
    eu = _applying(decisions, "eu-ai-act")

    assert eu == {"art-4", "art-50-1"}
    assert decisions["eu-ai-act:art-50-1"].why == (
        "Applies because: your organisation is the provider and the deployer; the system "
        "interacts with people; in force since 2 Aug 2026."
    )


def test_a_minimal_risk_internal_tool_owes_only_ai_literacy_under_the_act() -> None:
    facts = _facts(_deployment({"sourcing": "in_house"}, {}))
    assert facts.eu_class == "minimal"

    decisions = _decisions(facts)

    assert _applying(decisions, "eu-ai-act") == {"art-4"}
    assert decisions["eu-ai-act:art-4"].why == (
        "Applies because: your organisation is the provider and the deployer; "
        "in force since 2 Feb 2025."
    )
    assert decisions["eu-ai-act:art-5"].why == (
        "Does not apply: Art 5 concerns systems classified as a prohibited practice, and "
        "systems not yet screened against the prohibited practices; minimal risk."
    )
    # The voluntary frameworks the organisation adopted apply to every deployment.
    assert decisions["nist-ai-rmf:GOVERN-1.1"].why == (
        "Applies because: the organisation applies NIST AI RMF 1.0 to every AI system it deploys."
    )


def test_provider_duties_appear_after_an_art_25_shift() -> None:
    deployment = _cv_screening(nyc=False)
    before = _applying(_decisions(_facts(deployment)), "eu-ai-act")
    assert not before & set(HIGH_RISK_DUTIES_OF_PROVIDERS)

    ai_act_role_shift_record(
        deployment=deployment,
        trigger="substantially_modified",
        explanation="Retrained on our own applicant data and changed the ranking model.",
        actor=UserFactory(),
    )
    facts = _facts(deployment)
    decisions = _decisions(facts)
    after = _applying(decisions, "eu-ai-act")

    assert facts.role_shift and facts.ai_act_roles == {"provider", "deployer"}
    assert set(HIGH_RISK_DUTIES_OF_PROVIDERS) <= after
    assert set(DEPLOYER_DUTIES) <= after  # still the one using it
    assert decisions["eu-ai-act:art-9"].why == (
        "Applies because: high-risk under Annex III 4(a); your organisation is the provider "
        "and the deployer; in force since 2 Aug 2026."
    )


def test_a_requirement_not_yet_in_force_on_the_day_asked_applies_but_is_not_in_force() -> None:
    facts = _facts(_bank_credit_scoring())

    before = _decisions(facts, on=dt.date(2026, 8, 1))["eu-ai-act:art-26-1"]
    on_the_day = _decisions(facts, on=dt.date(2026, 8, 2))["eu-ai-act:art-26-1"]

    assert before.applies and not before.in_force
    assert before.why == (
        "Applies from 2 Aug 2026 (not yet in force): high-risk under Annex III 5(b); "
        "your organisation is the deployer."
    )
    assert on_the_day.applies and on_the_day.in_force


def test_annex_i_products_duties_apply_a_year_later_than_annex_iii_ones() -> None:
    deployment = _deployment({"sourcing": "in_house"}, {"annex_i_product": "yes"})
    facts = _facts(deployment)
    assert facts.eu_class == "high" and facts.high_risk_basis == "annex_i"

    decisions = _decisions(facts)

    assert decisions["eu-ai-act:art-9"] == Decision(
        applies=True,
        in_force=False,
        why=(
            "Applies from 2 Aug 2027 (not yet in force): high-risk under Annex I (Art 6(1)); "
            "your organisation is the provider and the deployer."
        ),
    )
    assert decisions["eu-ai-act:art-4"].in_force


def test_a_public_body_owes_art_27_whatever_the_annex_iii_point() -> None:
    facts = DeploymentFacts(
        eu_class="high",
        high_risk_basis="annex_iii",
        annex_iii_point="5a",
        annex_iii_area="essential_services",
        ai_act_roles=frozenset({"deployer"}),
        public_body_or_service=True,
    )
    decisions = _decisions(facts)
    assert decisions["eu-ai-act:art-27"].applies
    assert decisions["eu-ai-act:art-26-8"].applies

    critical = DeploymentFacts(
        eu_class="high",
        high_risk_basis="annex_iii",
        annex_iii_point="2",
        annex_iii_area="critical_infrastructure",
        ai_act_roles=frozenset({"deployer"}),
        public_body_or_service=True,
    )
    assert not _decisions(critical)["eu-ai-act:art-27"].applies


def test_an_unclassified_deployment_must_be_screened_against_art_5_only() -> None:
    decisions = _decisions(DeploymentFacts(ai_act_roles=frozenset({"deployer"})))

    assert _applying(decisions, "eu-ai-act") == {"art-4", "art-5"}
    assert decisions["eu-ai-act:art-5"].why == (
        "Applies because: not yet classified (no current submitted risk assessment); "
        "in force since 2 Feb 2025."
    )


def test_facts_for_many_deployments_take_a_constant_number_of_queries(
    django_assert_num_queries: Any,
) -> None:
    few = [_bank_credit_scoring().pk]
    many = few + [_cv_screening(nyc=True).pk for _ in range(3)]

    with django_assert_num_queries(4):
        assert len(facts_for_deployments(few)) == 1
    with django_assert_num_queries(4):
        facts = facts_for_deployments(many)
    assert len(facts) == 4 and facts[many[-1]].nyc_employment


def test_internal_parties_roles_on_the_raci_add_to_the_organisations_roles() -> None:
    from tests.factories import AssignmentFactory, PersonPartyFactory

    deployment = _bank_credit_scoring()
    AssignmentFactory(
        deployment=deployment,
        party=PersonPartyFactory(),
        ai_act_role="importer",
    )
    assert _facts(deployment).ai_act_roles == {"deployer", "importer"}
