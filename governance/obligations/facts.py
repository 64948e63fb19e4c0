"""What applicability rules may ask about a deployment, read from the records other rooms keep.

`DeploymentFacts` is the whole vocabulary of the framework files' applicability rules: a rule
naming anything else is refused when the file is loaded (`FACTS` lists each fact with its kind
and the values it can take). The facts come from:

- the current submitted risk assessment (`eu_class`, `high_risk_basis`, the Art 50 answers in
  `transparency`): a draft or superseded assessment does not count;
- the AI system's inventory record (`annex_iii_point`, `annex_iii_area`,
  `public_body_or_service`, `nyc_employment`);
- the accountability room (`ai_act_roles`, `role_shift`): the organisation deploys every
  deployment it records, so it is always a deployer of it (Art 3(4)); it is also the provider
  when it built the system in-house or after an Art 25 shift, and its own parties' EU AI Act
  roles on the RACI assignments (importer, distributor, authorised representative, ...) add
  to that.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from governance.inventory.choices import AnnexIIIArea, AnnexIIIPoint, Sourcing
from governance.liability.choices import INTERNAL_KINDS, AIActRole
from governance.risk.tiers import EUClass

BASIS_ANNEX_I = "annex_i"
BASIS_ANNEX_III = "annex_iii"

TRANSPARENCY_VALUES = (
    "interacts_with_people",
    "synthetic_content",
    "emotion_recognition",
    "biometric_categorisation",
    "deep_fake",
    "public_interest_text",
)

# Answers of the EU classification's Art 50 question, as facts. The methodology asks about
# emotion recognition and biometric categorisation in one option, as Art 50(3) does.
_TRANSPARENCY_ANSWERS: dict[str, tuple[str, ...]] = {
    "interacts_with_people": ("interacts_with_people",),
    "synthetic_content": ("synthetic_content",),
    "emotion_or_biometric_categorisation": ("emotion_recognition", "biometric_categorisation"),
    "emotion_recognition": ("emotion_recognition",),
    "biometric_categorisation": ("biometric_categorisation",),
    "deep_fake": ("deep_fake",),
    "public_interest_text": ("public_interest_text",),
}


@dataclass(frozen=True)
class DeploymentFacts:
    eu_class: str = ""
    high_risk_basis: str = ""
    annex_iii_point: str = ""
    annex_iii_area: str = ""
    ai_act_roles: frozenset[str] = field(default_factory=frozenset)
    role_shift: bool = False
    transparency: frozenset[str] = field(default_factory=frozenset)
    public_body_or_service: bool = False
    nyc_employment: bool = False


SCALAR, SET, FLAG = "scalar", "set", "flag"


@dataclass(frozen=True)
class FactSpec:
    kind: str  # SCALAR facts take `in`, SET facts `any_of`/`all_of`, FLAG facts `is`
    values: tuple[str, ...] = ()


FACTS: dict[str, FactSpec] = {
    "eu_class": FactSpec(SCALAR, ("", *EUClass.values)),
    "high_risk_basis": FactSpec(SCALAR, ("", BASIS_ANNEX_I, BASIS_ANNEX_III)),
    "annex_iii_point": FactSpec(SCALAR, ("", *AnnexIIIPoint.values)),
    "annex_iii_area": FactSpec(SCALAR, ("", *AnnexIIIArea.values)),
    "ai_act_roles": FactSpec(SET, tuple(AIActRole.values)),
    "role_shift": FactSpec(FLAG),
    "transparency": FactSpec(SET, TRANSPARENCY_VALUES),
    "public_body_or_service": FactSpec(FLAG),
    "nyc_employment": FactSpec(FLAG),
}


def _basis(assessment: Any) -> str:
    if assessment is None or assessment.eu_class != EUClass.HIGH:
        return ""
    rule = assessment.eu_rule or ""
    if rule.startswith("art6-1"):
        return BASIS_ANNEX_I
    if rule.startswith("art6-2"):
        return BASIS_ANNEX_III
    answer = (assessment.answers or {}).get("annex_i_product")
    return BASIS_ANNEX_I if answer == "yes" else BASIS_ANNEX_III


def _transparency(assessment: Any) -> frozenset[str]:
    if assessment is None:
        return frozenset()
    answer = (assessment.answers or {}).get("eu_transparency") or []
    if isinstance(answer, str):
        answer = [answer]
    found: set[str] = set()
    for option in answer:
        found.update(_TRANSPARENCY_ANSWERS.get(str(option), ()))
    return frozenset(found)


def _roles(deployment: Any, shift: Any, assignments: Iterable[Any]) -> frozenset[str]:
    roles = {AIActRole.DEPLOYER.value}
    if deployment.model_version.system.sourcing == Sourcing.IN_HOUSE or shift is not None:
        roles.add(AIActRole.PROVIDER.value)
    for effective in assignments:
        assignment = effective.assignment
        if assignment.ai_act_role and assignment.party.kind in INTERNAL_KINDS:
            roles.add(assignment.ai_act_role)
    return frozenset(roles)


def facts_for_deployments(ids: Iterable[Any]) -> dict[uuid.UUID, DeploymentFacts]:
    """The facts of many deployments in four queries, whatever their number."""
    from governance.inventory.models import Deployment
    from governance.liability.selectors import effective_assignments_for, organisation_roles
    from governance.risk.selectors import current_assessments

    wanted = list(ids)
    if not wanted:
        return {}
    deployments = list(
        Deployment.objects.filter(pk__in=wanted).select_related("model_version__system")
    )
    assessments = current_assessments([d.pk for d in deployments])
    shifts = organisation_roles(deployments)
    assignments = effective_assignments_for(deployments)
    result: dict[uuid.UUID, DeploymentFacts] = {}
    for deployment in deployments:
        system = deployment.model_version.system
        assessment = assessments.get(deployment.pk)
        _role, shift = shifts[deployment.pk]
        area = system.annex_iii_area if system.annex_iii_area != AnnexIIIArea.NONE else ""
        result[deployment.pk] = DeploymentFacts(
            eu_class=assessment.eu_class if assessment is not None else "",
            high_risk_basis=_basis(assessment),
            annex_iii_point=system.annex_iii_point,
            annex_iii_area=area,
            ai_act_roles=_roles(deployment, shift, assignments[deployment.pk]),
            role_shift=shift is not None,
            transparency=_transparency(assessment),
            public_body_or_service=system.public_service,
            nyc_employment=system.nyc_employment_decisions,
        )
    return result


def facts_for_deployment(deployment: Any) -> DeploymentFacts:
    return facts_for_deployments([deployment.pk])[deployment.pk]
