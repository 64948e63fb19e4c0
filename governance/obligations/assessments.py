"""Evidence from the assessments the law names, for the obligations' `fria` and `dpia` rules.

A requirement whose evidence rule is `{kind: fria}` (EU AI Act Art 27) or `{kind: dpia}`
(GDPR Art 35, asked for by Art 26(9)) is satisfied for a deployment when the deployment has a
signed version of that assessment that no later signed version supersedes. Drafts, versions
awaiting signature and superseded versions do not count. The records live in the risk room
(`governance.risk.models.StatutoryAssessment`), answered on its methodology engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

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
