"""Evidence from the assessments the law names, for the obligations' `fria` and `dpia` rules.

A requirement whose evidence rule is `{kind: fria}` (EU AI Act Art 27) or `{kind: dpia}`
(GDPR Art 35, asked for by Art 26(9)) is satisfied for a deployment when the deployment has a
signed version of that assessment that no later signed version supersedes. Drafts, versions
awaiting signature and superseded versions do not count. The records live in the risk room
(`governance.risk.models.StatutoryAssessment`), answered on its methodology engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

from django.urls import reverse

from governance.obligations.evidence import Judgement, Target, register_evidence_kind
from governance.obligations.models import Requirement
from governance.risk.models import StatutoryAssessment, StatutoryKind, StatutoryStatus

EVIDENCE_KINDS = frozenset(StatutoryKind.values)  # {"fria", "dpia"}


def signed_assessments(deployment_ids: Iterable[UUID]) -> dict[UUID, set[str]]:
    """Which of {"fria", "dpia"} each deployment has signed and current, in one query.

    Every id asked about is a key of the answer (an empty set when none is signed).
    """
    ids = list(dict.fromkeys(UUID(str(deployment_id)) for deployment_id in deployment_ids))
    found: dict[UUID, set[str]] = {deployment_id: set() for deployment_id in ids}
    if not ids:
        return found
    rows = StatutoryAssessment.objects.filter(
        deployment_id__in=ids, status=StatutoryStatus.SIGNED, superseded_by__isnull=True
    ).values_list("deployment_id", "kind")
    for deployment_id, kind in rows:
        found[deployment_id].add(kind)
    return found


# --- The `fria` and `dpia` evidence rules -----------------------------------------------

_NAMES = {
    "fria": "fundamental-rights impact assessment",
    "dpia": "data protection impact assessment",
}


def _load(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> Mapping[UUID, Any]:
    return signed_assessments(target.id for target in targets)


def _judge(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    kind = str(rule["kind"])
    url = reverse("risk:statutory_list", kwargs={"pk": target.id})
    if found and kind in found:
        return Judgement(True, f"A signed {_NAMES[kind]} is current.", url)
    return Judgement(False, f"No signed {_NAMES[kind]} is on record.", url)


for _kind in sorted(EVIDENCE_KINDS):
    register_evidence_kind(_kind, label=f"Signed {_NAMES[_kind]}", load=_load, judge=_judge)
