"""Methodology files: parse, validate and normalise the YAML, and build the in-memory spec.

A methodology is data, not code, so that the questions and weights that produced a score can
be shown and re-run years later. Two kinds exist:

- `impact`: scored questions (risk and mitigation points) and impact levels I-IV, the
  algorithmic impact assessment of regulatory-facts §2;
- `eu_classification`: questions and ordered rules whose first match gives the EU AI Act
  class (prohibited, high, limited, minimal) and its rationale, regulatory-facts §3;
- `fria` and `dpia`: unscored questionnaires for the assessments the law names, the EU AI
  Act Art 27 fundamental-rights impact assessment and the GDPR Art 35 data protection impact
  assessment. Their questions may also be `text` (a written answer), because what those
  assessments record (the deployer's processes, the people affected, the measures) is prose.

`parse_methodology` turns file bytes into a normalised, JSON-safe definition (decimals as
strings) or raises `MethodologyFormatError` listing every problem with the path of the field
(`questions[3].options[1].points`). `build_spec` turns a stored definition into frozen
dataclasses used by the scorer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import yaml

from governance.inventory.choices import AnnexIIIArea
from governance.risk.tiers import IMPACT_LEVELS, EUClass, tier_rank

SLUG_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

KIND_IMPACT = "impact"
KIND_EU = "eu_classification"
KIND_FRIA = "fria"
KIND_DPIA = "dpia"
QUESTIONNAIRE_KINDS = (KIND_FRIA, KIND_DPIA)
KINDS = (KIND_IMPACT, KIND_EU, *QUESTIONNAIRE_KINDS)
SINGLE, MULTI, TEXT = "single", "multi", "text"
# A written answer is a paragraph or a few, not a document: documents are evidence uploads.
MAX_TEXT_ANSWER = 10_000
RISK, MITIGATION = "risk", "mitigation"

TOP_KEYS = {
    KIND_IMPACT: {
        "slug",
        "version",
        "kind",
        "title",
        "description",
        "mitigation_deduction",
        "levels",
        "questions",
        "eu_classification",
    },
    KIND_EU: {"slug", "version", "kind", "title", "description", "questions", "rules", "default"},
    **{
        kind: {"slug", "version", "kind", "title", "description", "questions"}
        for kind in QUESTIONNAIRE_KINDS
    },
}
QUESTION_KEYS = {
    "id",
    "section",
    "text",
    "help",
    "type",
    "scores",
    "required",
    "options",
    "prefill",
    "reference",
}
OPTION_KEYS = {"id", "label", "points", "exclusive"}
MAX_FILE_BYTES = 1_000_000


@dataclass(frozen=True)
class PrefillSource:
    """An inventory fact a question can start from, and the option ids it can produce."""

    label: str
    values: tuple[str, ...]
    read: Callable[[Any], str]


# Facts the inventory already holds about a deployment's AI system; questions naming one
# start pre-filled so people confirm rather than re-type what is on record.
PREFILL_SOURCES: dict[str, PrefillSource] = {
    "system.annex_iii_area": PrefillSource(
        "AI system's Annex III area",
        tuple(AnnexIIIArea.values),
        lambda deployment: deployment.model_version.system.annex_iii_area,
    ),
    "system.profiles_natural_persons": PrefillSource(
        "AI system profiles natural persons",
        ("yes", "no"),
        lambda deployment: (
            "yes" if deployment.model_version.system.profiles_natural_persons else "no"
        ),
    ),
}


class MethodologyFormatError(Exception):
    """A methodology file that cannot be loaded; `errors` holds (field path, message) pairs."""

    def __init__(self, errors: Sequence[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{path}: {message}" for path, message in self.errors))


# --- Parsing and validation -------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(f"{path}{key}", "is required")
            return ""
        if not isinstance(value, str):
            self.fail(f"{path}{key}", "must be text")
            return ""
        return value.strip()

    def ident(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not ID_RE.match(value):
            self.fail(
                f"{path}{key}",
                f"must be lowercase letters, digits, underscores or hyphens (got {value!r})",
            )
            return ""
        return value

    def decimal(
        self, value: Any, path: str, *, low: Decimal, high: Decimal, low_inclusive: bool
    ) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.fail(path, "must be a number")
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(path, "must be a number")
            return None
        too_low = number < low if low_inclusive else number <= low
        if not number.is_finite() or too_low or number > high:
            bound = "≥" if low_inclusive else ">"
            self.fail(path, f"must be {bound} {low} and ≤ {high} (got {value})")
            return None
        return number

    def unknown_keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.fail(f"{path}{key}", "is not a known field")


def parse_methodology(content: bytes) -> dict[str, Any]:
    """Validate a methodology file and return its normalised definition."""
    if len(content) > MAX_FILE_BYTES:
        raise MethodologyFormatError([("file", f"is larger than {MAX_FILE_BYTES} bytes")])
    try:
        data = yaml.safe_load(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise MethodologyFormatError([("file", "is not UTF-8 text")]) from None
    except yaml.YAMLError as exc:
        raise MethodologyFormatError([("file", f"is not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise MethodologyFormatError([("file", "must be a YAML mapping at the top level")])
    check = _Checker()
    definition = _parse(check, data)
    if check.errors:
        raise MethodologyFormatError(check.errors)
    return definition


def _parse(check: _Checker, data: Mapping[str, Any]) -> dict[str, Any]:
    kind = data.get("kind", KIND_IMPACT)
    if kind not in KINDS:
        check.fail("kind", f"must be one of {', '.join(KINDS)} (got {kind!r})")
        kind = KIND_IMPACT
    check.unknown_keys(data, TOP_KEYS[kind], "")
    slug = data.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        check.fail("slug", f"must be letters, digits and inner hyphens, ≤ 50 (got {slug!r})")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not VERSION_RE.match(version):
        check.fail("version", f'must be a short quoted text such as "1" (got {version!r})')
    definition: dict[str, Any] = {
        "slug": slug,
        "version": version,
        "kind": kind,
        "title": check.text(data, "title", ""),
        "description": check.text(data, "description", "", required=False),
    }
    questions = _parse_questions(check, data.get("questions"), kind)
    definition["questions"] = questions
    # Every definition carries every key, so readers never need to know the kind first.
    definition.update(
        mitigation_deduction=None, levels=[], eu_classification=None, rules=[], default=None
    )
    if kind in QUESTIONNAIRE_KINDS:
        pass  # unscored: no levels, rules or deduction
    elif kind == KIND_IMPACT:
        definition["mitigation_deduction"] = _parse_deduction(check, data)
        definition["levels"] = _parse_levels(check, data.get("levels"))
        definition["eu_classification"] = _parse_reference(check, data.get("eu_classification"))
        _check_maxima(check, questions, definition["mitigation_deduction"])
    else:
        definition["rules"] = _parse_rules(check, data.get("rules"), questions)
        definition["default"] = _parse_default(check, data.get("default"))
    return definition


def _parse_questions(check: _Checker, raw: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        check.fail("questions", "must be a non-empty list")
        return []
    questions = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path = f"questions[{index}]."
        if not isinstance(item, dict):
            check.fail(f"questions[{index}]", "must be a mapping")
            continue
        check.unknown_keys(item, QUESTION_KEYS, path)
        qid = check.ident(item, "id", path)
        if qid and qid in seen:
            check.fail(f"{path}id", f"duplicate question id {qid!r}")
        seen.add(qid)
        qtype = item.get("type")
        types = (SINGLE, MULTI, TEXT) if kind in QUESTIONNAIRE_KINDS else (SINGLE, MULTI)
        if qtype not in types:
            check.fail(f"{path}type", f"must be {' or '.join(types)} (got {qtype!r})")
        scores = item.get("scores")
        if kind == KIND_IMPACT and scores not in (RISK, MITIGATION):
            check.fail(f"{path}scores", f"must be risk or mitigation (got {scores!r})")
        if kind != KIND_IMPACT and scores is not None:
            check.fail(f"{path}scores", f"questions of a {kind} methodology are not scored")
        required = item.get("required", False)
        if not isinstance(required, bool):
            check.fail(f"{path}required", "must be true or false")
        if qtype == TEXT:
            # A written answer offers no options to choose from.
            if "options" in item:
                check.fail(f"{path}options", "text questions have no options")
            options: list[dict[str, Any]] = []
        else:
            options = _parse_options(check, item.get("options"), path, kind, qtype)
        prefill = item.get("prefill", "")
        if prefill:
            _check_prefill(check, prefill, options, path)
        questions.append(
            {
                "id": qid,
                "section": check.text(item, "section", path),
                "text": check.text(item, "text", path),
                "help": check.text(item, "help", path, required=False),
                "reference": check.text(item, "reference", path, required=False),
                "type": qtype,
                "scores": scores if kind == KIND_IMPACT else None,
                "required": required is True,
                "prefill": prefill or "",
                "options": options,
            }
        )
    return questions


def _parse_options(
    check: _Checker, raw: Any, path: str, kind: str, qtype: Any
) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        check.fail(f"{path}options", "must be a non-empty list")
        return []
    options = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        opath = f"{path}options[{index}]."
        if not isinstance(item, dict):
            check.fail(f"{path}options[{index}]", "must be a mapping")
            continue
        check.unknown_keys(item, OPTION_KEYS, opath)
        oid = check.ident(item, "id", opath)
        if oid and oid in seen:
            check.fail(f"{opath}id", f"duplicate option id {oid!r}")
        seen.add(oid)
        points = item.get("points", None if kind == KIND_IMPACT else 0)
        if kind != KIND_IMPACT and "points" in item:
            check.fail(f"{opath}points", f"options of a {kind} methodology carry no points")
        elif isinstance(points, bool) or not isinstance(points, int):
            check.fail(f"{opath}points", f"must be a whole number (got {points!r})")
            points = 0
        elif points < 0:
            check.fail(f"{opath}points", f"must not be negative (got {points})")
        exclusive = item.get("exclusive", False)
        if not isinstance(exclusive, bool):
            check.fail(f"{opath}exclusive", "must be true or false")
        elif exclusive and qtype != MULTI:
            check.fail(f"{opath}exclusive", "only options of multi questions can be exclusive")
        options.append(
            {
                "id": oid,
                "label": check.text(item, "label", opath),
                "points": points,
                "exclusive": exclusive is True,
            }
        )
    return options


def _check_prefill(check: _Checker, prefill: Any, options: list[dict[str, Any]], path: str) -> None:
    source = PREFILL_SOURCES.get(prefill) if isinstance(prefill, str) else None
    if source is None:
        check.fail(f"{path}prefill", f"must be one of {', '.join(PREFILL_SOURCES)}")
        return
    missing = sorted(set(source.values) - {o["id"] for o in options})
    if missing:
        check.fail(f"{path}options", f"must offer every value of {prefill}: missing {missing}")


def _parse_deduction(check: _Checker, data: Mapping[str, Any]) -> dict[str, str] | None:
    raw = data.get("mitigation_deduction")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.fail("mitigation_deduction", "must be a mapping with threshold and factor")
        return None
    check.unknown_keys(raw, {"threshold", "factor"}, "mitigation_deduction.")
    zero, one = Decimal(0), Decimal(1)
    threshold = check.decimal(
        raw.get("threshold"),
        "mitigation_deduction.threshold",
        low=zero,
        high=one,
        low_inclusive=False,
    )
    factor = check.decimal(
        raw.get("factor"), "mitigation_deduction.factor", low=zero, high=one, low_inclusive=False
    )
    if threshold is None or factor is None:
        return None
    return {"threshold": str(threshold), "factor": str(factor)}


def _parse_levels(check: _Checker, raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        check.fail("levels", "must be a non-empty list")
        return []
    levels: list[dict[str, str]] = []
    previous_pct: Decimal | None = None
    previous_rank = 0
    for index, item in enumerate(raw):
        path = f"levels[{index}]"
        if not isinstance(item, dict):
            check.fail(path, "must be a mapping with level and max_pct")
            continue
        check.unknown_keys(item, {"level", "max_pct"}, f"{path}.")
        level = item.get("level")
        if level not in IMPACT_LEVELS:
            check.fail(f"{path}.level", f"must be one of I, II, III, IV (got {level!r})")
        elif tier_rank(level) <= previous_rank:
            check.fail(f"{path}.level", "levels must rise from I towards IV")
        else:
            previous_rank = tier_rank(level)
        pct = check.decimal(
            item.get("max_pct"),
            f"{path}.max_pct",
            low=Decimal(0),
            high=Decimal(100),
            low_inclusive=False,
        )
        if pct is not None:
            if previous_pct is not None and pct <= previous_pct:
                check.fail(f"{path}.max_pct", "must be greater than the previous level's")
            previous_pct = pct
        levels.append({"level": str(level), "max_pct": str(pct)})
    if previous_pct is not None and previous_pct != 100:
        check.fail(f"levels[{len(raw) - 1}].max_pct", "the last level must end at 100")
    return levels


def _parse_reference(check: _Checker, raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"slug", "version"}:
        check.fail("eu_classification", "must be a mapping with slug and version")
        return None
    slug, version = raw["slug"], raw["version"]
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        check.fail("eu_classification.slug", f"is not a valid slug (got {slug!r})")
    if not isinstance(version, str) or not VERSION_RE.match(version):
        check.fail("eu_classification.version", f"is not a valid version (got {version!r})")
    return {"slug": str(slug), "version": str(version)}


def _check_maxima(
    check: _Checker, questions: list[dict[str, Any]], deduction: dict[str, str] | None
) -> None:
    if not questions:
        return
    if _maximum(questions, RISK) <= 0:
        check.fail("questions", "the risk questions must be able to score more than 0 points")
    if deduction is not None and _maximum(questions, MITIGATION) <= 0:
        check.fail(
            "mitigation_deduction",
            "needs mitigation questions that can score more than 0 points",
        )


def _maximum(questions: Sequence[Mapping[str, Any]], scores: str) -> int:
    total = 0
    for question in questions:
        if question["scores"] != scores or not question["options"]:
            continue
        points = [int(o["points"] or 0) for o in question["options"]]
        total += sum(points) if question["type"] == MULTI else max(points)
    return total


def _parse_rules(
    check: _Checker, raw: Any, questions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        check.fail("rules", "must be a non-empty list")
        return []
    options = {q["id"]: {o["id"] for o in q["options"]} for q in questions}
    rules = []
    seen: set[str] = set()
    previous_severity = len(EUClass.values)
    severity = {value: len(EUClass.values) - i for i, value in enumerate(EUClass.values)}
    for index, item in enumerate(raw):
        path = f"rules[{index}]."
        if not isinstance(item, dict):
            check.fail(f"rules[{index}]", "must be a mapping")
            continue
        check.unknown_keys(item, {"id", "class", "when", "rationale"}, path)
        rid = check.ident(item, "id", path)
        if rid and rid in seen:
            check.fail(f"{path}id", f"duplicate rule id {rid!r}")
        seen.add(rid)
        eu_class = item.get("class")
        if eu_class not in EUClass.values:
            check.fail(f"{path}class", f"must be one of {', '.join(EUClass.values)}")
        elif severity[eu_class] > previous_severity:
            # First match wins, so a milder class listed earlier could hide a prohibition.
            check.fail(f"{path}class", "rules must be listed from the most to the least severe")
        else:
            previous_severity = severity[eu_class]
        when = _parse_condition(check, item.get("when"), f"{path}when", options)
        rules.append(
            {
                "id": rid,
                "class": eu_class,
                "when": when,
                "rationale": check.text(item, "rationale", path),
            }
        )
    return rules


def _parse_condition(
    check: _Checker, raw: Any, path: str, options: Mapping[str, set[str]]
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        check.fail(path, "must be a condition mapping")
        return {}
    if "question" in raw:
        check.unknown_keys(raw, {"question", "any_of"}, f"{path}.")
        qid = raw.get("question")
        any_of = raw.get("any_of")
        if not isinstance(qid, str) or qid not in options:
            check.fail(f"{path}.question", f"names no question of this methodology ({qid!r})")
            return {}
        if not isinstance(any_of, list) or not any_of:
            check.fail(f"{path}.any_of", "must be a non-empty list of option ids")
            return {}
        unknown = sorted(str(o) for o in any_of if o not in options[qid])
        if unknown:
            check.fail(f"{path}.any_of", f"options {unknown} do not exist on {qid!r}")
        return {"question": qid, "any_of": [str(o) for o in any_of]}
    if len(raw) != 1:
        check.fail(path, "must have exactly one of: question, all, any, not")
        return {}
    ((op, value),) = raw.items()
    if op in ("all", "any"):
        if not isinstance(value, list) or not value:
            check.fail(f"{path}.{op}", "must be a non-empty list of conditions")
            return {}
        return {
            op: [
                _parse_condition(check, c, f"{path}.{op}[{i}]", options)
                for i, c in enumerate(value)
            ]
        }
    if op == "not":
        return {"not": _parse_condition(check, value, f"{path}.not", options)}
    check.fail(path, f"unknown condition {op!r}: use question/any_of, all, any or not")
    return {}


def _parse_default(check: _Checker, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        check.fail("default", "must be a mapping with class and rationale")
        return {}
    check.unknown_keys(raw, {"class", "rationale"}, "default.")
    eu_class = raw.get("class")
    if eu_class not in EUClass.values:
        check.fail("default.class", f"must be one of {', '.join(EUClass.values)}")
    return {"class": str(eu_class), "rationale": check.text(raw, "rationale", "default.")}


# --- The spec the scorer uses -----------------------------------------------------------


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    points: int
    exclusive: bool


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    text: str
    help: str
    type: str
    scores: str | None
    required: bool
    prefill: str
    options: tuple[Option, ...]
    reference: str = ""

    @cached_property
    def option_map(self) -> dict[str, Option]:
        return {o.id: o for o in self.options}

    @property
    def is_multi(self) -> bool:
        return self.type == MULTI

    @property
    def is_text(self) -> bool:
        return self.type == TEXT

    @property
    def max_points(self) -> int:
        points = [o.points for o in self.options]
        return sum(points) if self.is_multi else max(points, default=0)


@dataclass(frozen=True)
class Level:
    level: str
    max_pct: Decimal


@dataclass(frozen=True)
class Rule:
    id: str
    eu_class: str
    when: Mapping[str, Any]
    rationale: str


@dataclass(frozen=True)
class Spec:
    slug: str
    version: str
    kind: str
    title: str
    description: str
    questions: tuple[Question, ...]
    levels: tuple[Level, ...] = ()
    threshold: Decimal | None = None
    factor: Decimal | None = None
    rules: tuple[Rule, ...] = ()
    default_class: str = ""
    default_rationale: str = ""
    eu_reference: tuple[str, str] | None = None
    question_map: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "question_map", {q.id: q for q in self.questions})

    @cached_property
    def sections(self) -> list[str]:
        return list(dict.fromkeys(q.section for q in self.questions))

    @cached_property
    def max_raw(self) -> int:
        return sum(q.max_points for q in self.questions if q.scores == RISK)

    @cached_property
    def max_mitigation(self) -> int:
        return sum(q.max_points for q in self.questions if q.scores == MITIGATION)


def build_spec(definition: Mapping[str, Any]) -> Spec:
    """The frozen spec for a stored (already validated) definition."""
    questions = tuple(
        Question(
            id=q["id"],
            section=q["section"],
            text=q["text"],
            help=q.get("help", ""),
            type=q["type"],
            scores=q.get("scores"),
            required=q["required"],
            prefill=q.get("prefill", ""),
            reference=q.get("reference", ""),
            options=tuple(
                Option(o["id"], o["label"], int(o["points"]), o.get("exclusive", False))
                for o in q["options"]
            ),
        )
        for q in definition["questions"]
    )
    deduction = definition.get("mitigation_deduction")
    reference = definition.get("eu_classification")
    default = definition.get("default") or {}
    return Spec(
        slug=definition["slug"],
        version=definition["version"],
        kind=definition["kind"],
        title=definition["title"],
        description=definition.get("description", ""),
        questions=questions,
        levels=tuple(
            Level(item["level"], Decimal(item["max_pct"])) for item in definition.get("levels", [])
        ),
        threshold=Decimal(deduction["threshold"]) if deduction else None,
        factor=Decimal(deduction["factor"]) if deduction else None,
        rules=tuple(
            Rule(r["id"], r["class"], r["when"], r["rationale"])
            for r in definition.get("rules", [])
        ),
        default_class=default.get("class", ""),
        default_rationale=default.get("rationale", ""),
        eu_reference=(reference["slug"], reference["version"]) if reference else None,
    )
