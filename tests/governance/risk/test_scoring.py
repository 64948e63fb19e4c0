"""The scoring rules of regulatory-facts §2 and the EU AI Act rules of §3, as pure functions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from governance.core.errors import InvalidInput
from governance.risk.methodology import build_spec, parse_methodology
from governance.risk.scoring import classify, clean_answers, evaluate, level_for, score_impact
from governance.risk.tiers import Tier, tier_for, tier_rank
from tests.factories.risk import (
    EU_MINIMAL,
    IMPACT_LOW,
    METHODOLOGY_DIR,
    methodology_definition,
    methodology_yaml,
)


def _spec(document: dict[str, Any]) -> Any:
    return build_spec(parse_methodology(methodology_yaml(document)))


def _dial_spec(max_raw: int = 100, max_mitigation: int = 40) -> Any:
    """One risk question worth 0..max_raw and one mitigation question worth 0..max_mitigation."""
    document = methodology_definition(questions=2, mitigation_questions=1)
    document["questions"][0]["options"] = [
        {"id": f"r{p}", "label": str(p), "points": p} for p in range(max_raw + 1)
    ]
    document["questions"][1]["options"] = [
        {"id": f"m{p}", "label": str(p), "points": p} for p in range(max_mitigation + 1)
    ]
    return _spec(document)


def _score(spec: Any, raw: int, mitigation: int) -> Any:
    return score_impact(spec, {"q000": f"r{raw}", "q001": f"m{mitigation}"})


@pytest.fixture(scope="module")
def dial() -> Any:
    return _dial_spec()


@pytest.fixture(scope="module")
def eu() -> Any:
    return build_spec(parse_methodology((METHODOLOGY_DIR / "eu-ai-act-1.yaml").read_bytes()))


@pytest.fixture(scope="module")
def impact() -> Any:
    return build_spec(parse_methodology((METHODOLOGY_DIR / "impact-1.yaml").read_bytes()))


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        (0, "I"),
        (25, "I"),
        (26, "II"),
        (50, "II"),
        (51, "III"),
        (75, "III"),
        (76, "IV"),
        (100, "IV"),
    ],
)
def test_levels_include_their_upper_boundary(dial: Any, raw: int, level: str) -> None:
    result = _score(dial, raw, 0)
    assert result.deduction_applied is False
    assert result.score == raw and result.score_pct == Decimal(raw)
    assert result.level == level


@pytest.mark.parametrize(
    ("raw", "mitigation", "score", "level", "deducted"),
    [
        (58, 32, 49, "II", True),  # exactly 80 % of max mitigation: 0.85 × 58 = 49.3 → 49
        (58, 31, 58, "III", False),  # just below 80 %: no deduction
        (60, 32, 51, "III", True),  # 0.85 × 60 = 51
        (58, 40, 49, "II", True),
    ],
)
def test_mitigation_deduction_applies_from_exactly_eighty_percent(
    dial: Any, raw: int, mitigation: int, score: int, level: str, deducted: bool
) -> None:
    result = _score(dial, raw, mitigation)
    assert (result.max_raw_score, result.max_mitigation_score) == (100, 40)
    assert (result.raw_score, result.mitigation_score) == (raw, mitigation)
    assert result.deduction_applied is deducted
    assert result.score == score
    assert result.level == level


@pytest.mark.parametrize(("raw", "score"), [(10, 9), (30, 26), (50, 43), (1, 1), (0, 0)])
def test_deduction_rounds_half_up_like_math_round(dial: Any, raw: int, score: int) -> None:
    # 0.85 × 10 = 8.5 → 9 and 0.85 × 30 = 25.5 → 26, where banker's rounding would give 8 and 26.
    assert _score(dial, raw, 40).score == score


def test_threshold_comparison_is_exact_where_floats_are_not() -> None:
    # 0.7 × 10 is 7.000000000000001 in binary floating point; 7 mitigation points must count.
    document = methodology_definition(
        questions=2, mitigation_questions=1, deduction={"threshold": 0.7, "factor": 0.5}
    )
    document["questions"][0]["options"] = [{"id": "r10", "label": "10", "points": 10}]
    document["questions"][1]["options"] = [
        {"id": f"m{p}", "label": str(p), "points": p} for p in range(11)
    ]
    spec = _spec(document)
    assert score_impact(spec, {"q000": "r10", "q001": "m7"}).deduction_applied is True
    assert score_impact(spec, {"q000": "r10", "q001": "m6"}).deduction_applied is False


def test_level_is_chosen_from_the_exact_ratio_not_the_rounded_percentage() -> None:
    spec = _dial_spec(max_raw=100)
    # 10001 / 40001 = 25.0019 %: shown as 25.00 but above the level I boundary.
    assert level_for(spec, 10001, 40001) == "II"
    assert level_for(spec, 10000, 40000) == "I"


def test_max_raw_takes_the_largest_single_option_and_every_multi_option() -> None:
    document = methodology_definition(questions=3, mitigation_questions=1)
    document["questions"][0]["options"] = [
        {"id": "a", "label": "a", "points": 1},
        {"id": "b", "label": "b", "points": 7},
        {"id": "c", "label": "c", "points": 3},
    ]
    document["questions"][1]["type"] = "multi"
    document["questions"][1]["options"] = [
        {"id": "none", "label": "none", "points": 0, "exclusive": True},
        {"id": "x", "label": "x", "points": 2},
        {"id": "y", "label": "y", "points": 5},
    ]
    spec = _spec(document)
    result = score_impact(spec, {"q000": "c", "q001": ["x", "y"]})
    assert result.max_raw_score == 7 + 7
    assert result.raw_score == 3 + 7
    assert result.max_mitigation_score == 10


def test_breakdown_sums_points_by_section(impact: Any) -> None:
    answers = {**IMPACT_LOW, "autonomy": "automatic", "data": ["health", "biometric"]}
    result = score_impact(impact, answers)
    sections = {s.section: s for s in result.sections}
    assert sections["Decision"].risk == 4
    assert sections["Data"].risk == 4
    assert sections["Safeguards"].mitigation == sections["Safeguards"].max_mitigation == 14
    assert sum(s.risk for s in result.sections) == result.raw_score == 8
    assert sum(s.max_risk for s in result.sections) == result.max_raw_score


def test_shipped_impact_methodology_scores_a_worked_example(impact: Any) -> None:
    # The worked example of docs/risk-scoring.md.
    answers = {
        **IMPACT_LOW,
        "autonomy": "automatic_review",  # 3
        "reversibility": "effort",  # 1
        "domain": "access",  # 3
        "people_affected": "under_1m",  # 2
        "vulnerability": ["hardship"],  # 1
        "data": ["personal", "financial"],  # 2
        "data_source": "repurposed",  # 1
        "opacity": "explainable",  # 1
        "learning": "retrained",  # 1
        "human_review": "adverse",  # 2
        "recourse": "appeal",  # 2
        "bias_testing": "ongoing",  # 2
        "monitoring": "outcomes",  # 2
        "documentation": "model_card",  # 1
        "rollback": "tested",  # 2
        "consultation": "internal",  # 1
    }
    result = score_impact(impact, answers)
    assert (result.raw_score, result.max_raw_score) == (15, 43)
    assert (result.mitigation_score, result.max_mitigation_score) == (12, 14)
    assert result.deduction_applied is True  # 12 ≥ 0.8 × 14 = 11.2
    assert result.score == 13  # 0.85 × 15 = 12.75 → 13
    assert result.score_pct == Decimal("30.23")
    assert result.level == "II"


@pytest.mark.parametrize(
    ("practice", "rule"),
    [
        ("manipulation", "art5-1a-manipulation"),
        ("exploit_vulnerabilities", "art5-1b-vulnerabilities"),
        ("social_scoring", "art5-1c-social-scoring"),
        ("crime_prediction_profiling", "art5-1d-crime-prediction"),
        ("facial_scraping", "art5-1e-facial-scraping"),
        ("emotion_work_education", "art5-1f-emotion-recognition"),
        ("biometric_categorisation", "art5-1g-biometric-categorisation"),
        ("realtime_rbi_law_enforcement", "art5-1h-realtime-rbi"),
    ],
)
def test_any_article_5_practice_is_prohibited_whatever_else_applies(
    eu: Any, practice: str, rule: str
) -> None:
    answers = {
        **EU_MINIMAL,
        "eu_prohibited": [practice],
        "annex_iii_area": "employment",
        "eu_transparency": ["interacts_with_people"],
    }
    result = classify(eu, answers)
    assert (result.eu_class, result.rule) == ("prohibited", rule)
    assert result.rationale.startswith("Art 5(1)")


def test_annex_iii_use_is_high_risk_unless_exempt_and_not_profiling(eu: Any) -> None:
    base = {**EU_MINIMAL, "annex_iii_area": "essential_services"}
    assert classify(eu, {**base, "art6_3_exemption": "no"}).rule == "art6-2-annex-iii"
    exempt = {**base, "art6_3_exemption": "yes"}
    assert classify(eu, exempt).eu_class == "minimal"
    assert classify(eu, exempt).rule == "art6-3-exempt"
    profiling = classify(eu, {**exempt, "profiling": "yes"})
    assert (profiling.eu_class, profiling.rule) == ("high", "art6-2-annex-iii-profiling")
    assert "profiles natural persons" in profiling.rationale


def test_annex_i_products_are_high_risk(eu: Any) -> None:
    result = classify(eu, {**EU_MINIMAL, "annex_i_product": "yes"})
    assert (result.eu_class, result.rule) == ("high", "art6-1-annex-i-product")


def test_transparency_triggers_make_limited_risk_and_nothing_else_is_minimal(eu: Any) -> None:
    chatbot = classify(eu, {**EU_MINIMAL, "eu_transparency": ["interacts_with_people"]})
    assert (chatbot.eu_class, chatbot.rule) == ("limited", "art50-1-interaction")
    exempt_chatbot = classify(
        eu,
        {
            **EU_MINIMAL,
            "annex_iii_area": "education",
            "art6_3_exemption": "yes",
            "eu_transparency": ["synthetic_content"],
        },
    )
    assert exempt_chatbot.eu_class == "limited"
    plain = classify(eu, EU_MINIMAL)
    assert (plain.eu_class, plain.rule) == ("minimal", "default")


def test_tier_is_the_higher_of_level_and_eu_floor() -> None:
    assert tier_for("I", "high") == Tier.III
    assert tier_for("IV", "high") == Tier.IV
    assert tier_for("II", "limited") == Tier.II
    assert tier_for("I", "prohibited") == Tier.BLOCKED
    assert tier_for("III", "") == Tier.III
    ranks = [tier_rank(t) for t in ("I", "II", "III", "IV", "blocked")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 5
    with pytest.raises(ValueError, match="unknown tier"):
        tier_rank("V")


def test_prohibited_answer_gives_tier_blocked_even_at_impact_level_one(
    impact: Any, eu: Any
) -> None:
    answers = {**IMPACT_LOW, **EU_MINIMAL, "eu_prohibited": ["social_scoring"]}
    result = evaluate(impact, eu, answers)
    assert result.impact.level == "I"
    assert (result.eu_class, result.tier) == ("prohibited", "blocked")


@pytest.mark.parametrize(
    ("answers", "field", "fragment"),
    [
        ({"nope": "x"}, "answers.nope", "Unknown question"),
        ({"autonomy": "sometimes"}, "answers.autonomy", "not one of its options"),
        ({"autonomy": ["automatic"]}, "answers.autonomy", "expects one option id"),
        ({"data": "health"}, "answers.data", "expects a list"),
        ({"data": ["health", "nope"]}, "answers.data", "not among its options"),
        ({"data": ["none", "health"]}, "answers.data", "cannot be combined"),
        ({"data": ["health", "health"]}, "answers.data", "twice"),
        ({"data": []}, "answers.data", "at least one"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(
    impact: Any, eu: Any, answers: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_answers([impact, eu], answers, complete=False)
    assert field in caught.value.fields
    assert fragment in caught.value.fields[field][0]


def test_submission_needs_every_required_answer(impact: Any, eu: Any) -> None:
    partial = {k: v for k, v in {**IMPACT_LOW, **EU_MINIMAL}.items() if k != "recourse"}
    assert clean_answers([impact, eu], partial, complete=False) == partial
    with pytest.raises(InvalidInput) as caught:
        clean_answers([impact, eu], partial, complete=True)
    assert list(caught.value.fields) == ["answers.recourse"]
    assert caught.value.message == "Needs an answer: Can affected people challenge an outcome?"


def test_answers_must_be_an_object(impact: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean_answers([impact], ["autonomy"], complete=False)
    assert "answers" in caught.value.fields


def test_multi_answers_are_normalised_to_option_order(impact: Any) -> None:
    cleaned = clean_answers([impact], {"data": ["biometric", "health"]}, complete=False)
    assert cleaned == {"data": ["health", "biometric"]}
