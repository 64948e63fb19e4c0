"""Scoring and classification: pure functions over a spec and a set of answers.

The impact score follows the Algorithmic Impact Assessment (regulatory-facts §2):

    raw        = Σ points of the chosen options on risk questions
    max raw    = Σ over risk questions of the largest option (single) or all options (multi)
    mitigation = the same on mitigation questions
    score      = round_half_up(factor × raw)  if mitigation ≥ threshold × max mitigation
                 raw                          otherwise
    pct        = score ÷ max raw × 100
    level      = the first level whose max_pct ≥ pct (a boundary value is the lower level)

Decimal arithmetic keeps the threshold and the rounding exact (0.85 × 10 is 8.5 and rounds
to 9, as the public tool's Math.round does for positive numbers); the level is chosen by
comparing integers, never a rounded percentage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from governance.core.errors import InvalidInput
from governance.risk.methodology import MAX_TEXT_ANSWER, MITIGATION, RISK, Question, Spec
from governance.risk.tiers import EUClass, tier_for

Answer = str | list[str]
Answers = dict[str, Answer]


@dataclass(frozen=True)
class SectionScore:
    section: str
    risk: int
    max_risk: int
    mitigation: int
    max_mitigation: int
    answered: int
    questions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "risk": self.risk,
            "max_risk": self.max_risk,
            "mitigation": self.mitigation,
            "max_mitigation": self.max_mitigation,
            "answered": self.answered,
            "questions": self.questions,
        }


@dataclass(frozen=True)
class ImpactScore:
    raw_score: int
    max_raw_score: int
    mitigation_score: int
    max_mitigation_score: int
    deduction_applied: bool
    score: int
    score_pct: Decimal
    level: str
    sections: tuple[SectionScore, ...]


@dataclass(frozen=True)
class Classification:
    eu_class: str
    rule: str
    rationale: str


@dataclass(frozen=True)
class Evaluation:
    impact: ImpactScore
    classification: Classification | None
    tier: str
    unanswered: tuple[str, ...]

    @property
    def eu_class(self) -> str:
        return self.classification.eu_class if self.classification else ""


# --- Answers ----------------------------------------------------------------------------


def clean_answers(specs: Sequence[Spec], answers: Any, *, complete: bool) -> Answers:
    """Check answers against the questions of the given specs and return them normalised.

    Every problem is reported at once, each under `answers.<question id>`. With
    `complete=True` every required question must be answered (the submit rule). Multi-choice
    answers come back in the methodology's option order; a None value means unanswered.
    """
    if not isinstance(answers, dict):
        raise InvalidInput(
            "Answers must be an object mapping question ids to option ids.",
            fields={"answers": "expected an object of question id → option id(s)"},
        )
    questions = {q.id: q for spec in specs for q in spec.questions}
    errors: dict[str, str] = {}
    cleaned: Answers = {}
    for qid, value in answers.items():
        question = questions.get(qid) if isinstance(qid, str) else None
        if question is None:
            errors[f"answers.{qid}"] = f"Unknown question {qid!r}."
            continue
        if value is None:
            continue
        problem, normalised = _clean_one(question, value)
        if problem:
            errors[f"answers.{qid}"] = f"Question {qid!r} ({question.text}): {problem}"
        elif normalised is not None:
            cleaned[qid] = normalised
    if complete:
        for question in questions.values():
            if question.required and question.id not in cleaned:
                # People read these on the review page: the question's words, not its id.
                errors.setdefault(f"answers.{question.id}", f"Needs an answer: {question.text}")
    if errors:
        first = errors[next(iter(errors))]
        if len(errors) == 1:
            message = first
        else:
            named = [_label(questions, key.removeprefix("answers.")) for key in errors]
            message = f"{len(errors)} answers need attention: " + "; ".join(named)
        raise InvalidInput(message, fields=errors)
    return cleaned


def _label(questions: Mapping[str, Question], qid: str) -> str:
    question = questions.get(qid)
    return question.text if question is not None else repr(qid)


def carry_over(specs: Sequence[Spec], answers: Mapping[str, Any]) -> tuple[Answers, list[str]]:
    """Split earlier answers into those still valid for these specs and the ids left behind.

    An answer carries over only if its question still exists and every chosen option is
    still one of its options (a new methodology version may drop or rename either).
    """
    questions = {q.id: q for spec in specs for q in spec.questions}
    kept: Answers = {}
    dropped: list[str] = []
    for qid, value in answers.items():
        question = questions.get(qid)
        problem, normalised = _clean_one(question, value) if question else ("gone", None)
        if problem or normalised is None:
            dropped.append(qid)
        else:
            kept[qid] = normalised
    return kept, sorted(dropped)


def _clean_one(question: Question, value: Any) -> tuple[str, Answer | None]:
    if question.is_text:
        return _clean_text(value)
    choices = ", ".join(question.option_map)
    if not question.is_multi:
        if not isinstance(value, str):
            return f"expects one option id, not {type(value).__name__} (options: {choices}).", None
        if value not in question.option_map:
            return f"{value!r} is not one of its options ({choices}).", None
        return "", value
    if not isinstance(value, list):
        return f"expects a list of option ids (options: {choices}).", None
    if not all(isinstance(item, str) for item in value):
        return "expects a list of option ids.", None
    unknown = [item for item in value if item not in question.option_map]
    if unknown:
        return f"{', '.join(map(repr, unknown))} not among its options ({choices}).", None
    if len(set(value)) != len(value):
        return "lists an option twice.", None
    chosen = set(value)
    exclusive = [o.id for o in question.options if o.exclusive and o.id in chosen]
    if exclusive and len(chosen) > 1:
        return f"{exclusive[0]!r} cannot be combined with other options.", None
    if question.required and not chosen:
        return "choose at least one option.", None
    return "", [o.id for o in question.options if o.id in chosen]


def _clean_text(value: Any) -> tuple[str, Answer | None]:
    if not isinstance(value, str):
        return f"expects written text, not {type(value).__name__}.", None
    text = value.strip()
    if len(text) > MAX_TEXT_ANSWER:
        return f"is {len(text)} characters long; at most {MAX_TEXT_ANSWER} are kept.", None
    if "\x00" in text:
        return "contains a NUL character.", None
    # Blank text is no answer, so a required question left empty still needs one.
    return "", text or None


def answered(question: Question, answers: Mapping[str, Answer]) -> bool:
    return question.id in answers


def points_for(question: Question, answer: Answer | None) -> int:
    if answer is None:
        return 0
    if isinstance(answer, str):
        return question.option_map[answer].points
    return sum(question.option_map[a].points for a in answer)


# --- Impact score -----------------------------------------------------------------------


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def level_for(spec: Spec, score: int, max_raw: int) -> str:
    """The first level whose max_pct ≥ score ÷ max raw × 100, compared without rounding."""
    for level in spec.levels:
        if Decimal(score) * 100 <= level.max_pct * max_raw:
            return level.level
    return spec.levels[-1].level


def score_impact(spec: Spec, answers: Mapping[str, Answer]) -> ImpactScore:
    """Score an impact methodology; unanswered questions count 0 (drafts preview this way)."""
    raw = mitigation = 0
    sections: dict[str, list[int]] = {name: [0, 0, 0, 0, 0, 0] for name in spec.sections}
    for question in spec.questions:
        points = points_for(question, answers.get(question.id))
        totals = sections[question.section]
        if question.scores == RISK:
            raw += points
            totals[0] += points
            totals[1] += question.max_points
        elif question.scores == MITIGATION:
            mitigation += points
            totals[2] += points
            totals[3] += question.max_points
        totals[4] += 1 if question.id in answers else 0
        totals[5] += 1
    max_raw, max_mitigation = spec.max_raw, spec.max_mitigation
    deduction = (
        spec.threshold is not None
        and spec.factor is not None
        and Decimal(mitigation) >= spec.threshold * max_mitigation
    )
    score = round_half_up(spec.factor * raw) if deduction and spec.factor is not None else raw
    pct = (Decimal(score) * 100 / Decimal(max_raw)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return ImpactScore(
        raw_score=raw,
        max_raw_score=max_raw,
        mitigation_score=mitigation,
        max_mitigation_score=max_mitigation,
        deduction_applied=deduction,
        score=score,
        score_pct=pct,
        level=level_for(spec, score, max_raw),
        sections=tuple(SectionScore(name, *totals) for name, totals in sections.items()),
    )


# --- EU AI Act classification -----------------------------------------------------------


def condition_holds(condition: Mapping[str, Any], answers: Mapping[str, Answer]) -> bool:
    if "question" in condition:
        answer = answers.get(condition["question"])
        chosen = {answer} if isinstance(answer, str) else set(answer or ())
        return bool(chosen & set(condition["any_of"]))
    if "all" in condition:
        return all(condition_holds(c, answers) for c in condition["all"])
    if "any" in condition:
        return any(condition_holds(c, answers) for c in condition["any"])
    if "not" in condition:
        return not condition_holds(condition["not"], answers)
    return False


def classify(spec: Spec, answers: Mapping[str, Answer]) -> Classification:
    """The first rule whose condition holds decides the class; otherwise the default."""
    for rule in spec.rules:
        if condition_holds(rule.when, answers):
            return Classification(rule.eu_class, rule.id, rule.rationale)
    return Classification(spec.default_class or EUClass.MINIMAL, "default", spec.default_rationale)


def evaluate(impact: Spec, eu: Spec | None, answers: Mapping[str, Answer]) -> Evaluation:
    """Score, classify and derive the tier (the higher of level and EU-class floor)."""
    score = score_impact(impact, answers)
    classification = classify(eu, answers) if eu is not None else None
    tier = tier_for(score.level, classification.eu_class if classification else "")
    specs = (impact, eu) if eu is not None else (impact,)
    unanswered = tuple(
        q.id for spec in specs for q in spec.questions if q.required and q.id not in answers
    )
    return Evaluation(score, classification, str(tier), unanswered)
