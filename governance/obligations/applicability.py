"""Whether a requirement applies to a deployment, whether it is in force, and why, in words.

A requirement's `applicability` (kept as data from its framework file) holds:

- `when`: a rule over the facts of `facts.DeploymentFacts`, or null when it applies to every
  deployment. Leaves are `{"fact": name, "in": [...]}` (one-valued facts),
  `{"fact": name, "any_of": [...]}` / `{"fact": name, "all_of": [...]}` (sets such as the
  organisation's roles) and `{"fact": name, "is": true|false}` (yes/no facts); `all`, `any`
  and `not` combine them.
- `scope`: one sentence saying to whom the requirement applies; it opens the reason when it
  does not apply ("Art 27 applies to deployers that are public bodies ...").
- `from_when`: dates that replace `applies_from` when their rule holds (an Annex I high-risk
  system's duties apply a year after an Annex III system's), first match wins.

`decide` reads only the requirement and the facts, so a page or a sweep can decide for many
deployments without a query per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.inventory.choices import AnnexIIIArea, annex_iii_point_label
from governance.obligations.facts import (
    BASIS_ANNEX_I,
    BASIS_ANNEX_III,
    FACTS,
    SET,
    DeploymentFacts,
)
from governance.risk.tiers import EUClass


@dataclass(frozen=True)
class Decision:
    applies: bool
    in_force: bool
    why: str


def format_date(value: dt.date) -> str:
    """Dates as the regulation's readers write them: 2 Aug 2026."""
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    return f"{value.day} {months[value.month - 1]} {value.year}"


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


# --- Facts in words ---------------------------------------------------------------------

_ROLE_WORDS = {
    "provider": "the provider",
    "deployer": "the deployer",
    "importer": "the importer",
    "distributor": "the distributor",
    "authorised_representative": "the authorised representative",
}
_ROLE_ORDER = tuple(_ROLE_WORDS)
_TRANSPARENCY_WORDS = {
    "interacts_with_people": "interacts with people",
    "synthetic_content": "generates synthetic audio, images, video or text",
    "emotion_recognition": "recognises emotions",
    "biometric_categorisation": "categorises people by biometric data",
    "deep_fake": "generates or manipulates deep fakes",
    "public_interest_text": "generates text published to inform the public",
}


def _high_risk_words(facts: DeploymentFacts) -> str:
    if facts.high_risk_basis == BASIS_ANNEX_I:
        return "high-risk under Annex I (Art 6(1))"
    if facts.annex_iii_point:
        return f"high-risk under Annex III {annex_iii_point_label(facts.annex_iii_point)}"
    if facts.annex_iii_area:
        return f"high-risk under Annex III ({AnnexIIIArea(facts.annex_iii_area).label.lower()})"
    return "high-risk under Annex III"


def describe_fact(name: str, facts: DeploymentFacts) -> str:
    """The deployment's value of one fact, as a phrase that reads after "because:"."""
    value = getattr(facts, name)
    if name == "eu_class":
        return {
            EUClass.PROHIBITED: "classified as a prohibited practice (Art 5)",
            EUClass.HIGH: _high_risk_words(facts),
            EUClass.LIMITED: "limited risk (transparency duties, Art 50)",
            EUClass.MINIMAL: "minimal risk",
        }.get(value, "not yet classified (no current submitted risk assessment)")
    if name == "high_risk_basis":
        if value == BASIS_ANNEX_I:
            return "a product or safety component under Annex I (Art 6(1))"
        if value == BASIS_ANNEX_III:
            return "high-risk through an Annex III use (Art 6(2))"
        return "not high-risk"
    if name == "annex_iii_point":
        if value:
            return f"this system falls under Annex III {annex_iii_point_label(value)}"
        return "no Annex III point is recorded for this system"
    if name == "annex_iii_area":
        if value:
            return f"this system is used in the Annex III area {AnnexIIIArea(value).label}"
        return "this system is used in no Annex III area"
    if name == "ai_act_roles":
        roles = [_ROLE_WORDS[r] for r in _ROLE_ORDER if r in value]
        if not roles:
            return "no EU AI Act role is recorded for your organisation"
        return f"your organisation is {_join(roles)}"
    if name == "role_shift":
        if value:
            return "an Art 25 shift to provider is recorded"
        return "no Art 25 shift to provider is recorded"
    if name == "transparency":
        found = [_TRANSPARENCY_WORDS[t] for t in _TRANSPARENCY_WORDS if t in value]
        if not found:
            return "no Art 50 transparency trigger is recorded"
        return f"the system {_join(found)}"
    if name == "public_body_or_service":
        if value:
            return "it is used by a public body or to provide a public service"
        return "it is not used by a public body or to provide a public service"
    if name == "nyc_employment":
        if value:
            return (
                "it is an automated employment decision tool used for hiring or promotion "
                "in New York City"
            )
        return "it is not used for hiring or promotion decisions in New York City"
    raise KeyError(name)


# --- Rules ------------------------------------------------------------------------------


def _leaf_holds(rule: Mapping[str, Any], facts: DeploymentFacts) -> bool:
    value = getattr(facts, rule["fact"])
    if "is" in rule:
        return bool(value) is bool(rule["is"])
    if "in" in rule:
        return value in rule["in"]
    if FACTS[rule["fact"]].kind != SET:
        raise ValueError(f"fact {rule['fact']!r} is not a set")
    if "any_of" in rule:
        return bool(set(value) & set(rule["any_of"]))
    if "all_of" in rule:
        return set(rule["all_of"]) <= set(value)
    raise ValueError(f"rule {dict(rule)!r} has no operator")


def evaluate(rule: Mapping[str, Any] | None, facts: DeploymentFacts) -> tuple[bool, list[str]]:
    """Whether the rule holds, and the facts that made it so (or that stopped it), by name.

    When the rule holds the names are the facts it relied on; when it fails, the facts that
    failed it, so the reason shows exactly what would have to be different.
    """
    if rule is None:
        return True, []
    if "all" in rule:
        results = [evaluate(child, facts) for child in rule["all"]]
        if all(ok for ok, _ in results):
            return True, [n for _, names in results for n in names]
        return False, [n for ok, names in results if not ok for n in names]
    if "any" in rule:
        results = [evaluate(child, facts) for child in rule["any"]]
        if any(ok for ok, _ in results):
            return True, [n for ok, names in results if ok for n in names]
        return False, [n for _, names in results for n in names]
    if "not" in rule:
        ok, names = evaluate(rule["not"], facts)
        return not ok, names
    return _leaf_holds(rule, facts), [rule["fact"]]


def _phrases(names: Sequence[str], facts: DeploymentFacts) -> list[str]:
    unique = list(dict.fromkeys(names))
    # "high-risk under Annex III 5(b)" already says the basis and the point.
    if "eu_class" in unique and facts.eu_class == EUClass.HIGH:
        unique = [n for n in unique if n not in ("high_risk_basis", "annex_iii_point")]
    return [describe_fact(name, facts) for name in unique]


def effective_date(
    requirement: Any, facts: DeploymentFacts, applicability: Mapping[str, Any] | None = None
) -> dt.date | None:
    """The date the requirement applies from for this deployment (None: no date, in force)."""
    data = applicability if applicability is not None else (requirement.applicability or {})
    for alternative in data.get("from_when") or ():
        if evaluate(alternative["when"], facts)[0]:
            return dt.date.fromisoformat(alternative["date"])
    value = requirement.applies_from
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def decide(requirement: Any, facts: DeploymentFacts, *, on: dt.date) -> Decision:
    """Whether `requirement` applies to a deployment with these facts on the day `on`, and why."""
    data = requirement.applicability or {}
    holds, names = evaluate(data.get("when"), facts)
    scope = (data.get("scope") or "").strip().rstrip(".")
    phrases = _phrases(names, facts)
    if not holds:
        reason = "; ".join([p for p in (scope, *phrases) if p])
        return Decision(applies=False, in_force=False, why=f"Does not apply: {reason}.")
    if not phrases and scope:
        phrases = [scope[0].lower() + scope[1:]]
    since = effective_date(requirement, facts, data)
    if since is not None and on < since:
        reasons = "; ".join(phrases)
        tail = f": {reasons}" if reasons else ""
        return Decision(
            applies=True,
            in_force=False,
            why=f"Applies from {format_date(since)} (not yet in force){tail}.",
        )
    parts = list(phrases)
    if since is not None:
        parts.append(f"in force since {format_date(since)}")
    body = "; ".join(parts) if parts else "it applies to every deployment"
    return Decision(applies=True, in_force=True, why=f"Applies because: {body}.")


def decide_many(
    requirements: Sequence[Any], facts: DeploymentFacts, *, on: dt.date
) -> dict[Any, Decision]:
    """Decisions for many requirements of one deployment, keyed by requirement id."""
    return {requirement.pk: decide(requirement, facts, on=on) for requirement in requirements}
