"""The `dossier` evidence kind of the obligations room (Art 11 and Annex IV).

A rule `{kind: dossier}` is met by a finished, signed deployment dossier that no later report
supersedes and that was taken of the deployment's current configuration: its evidence names
the deployment's present fingerprint. A dossier of an earlier configuration is stale.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Concat, StrIndex
from django.urls import reverse

from audits.reports.models import JobStatus, Report, ReportKind
from governance.obligations.evidence import Judgement, Target, register_evidence_kind
from governance.obligations.models import Requirement


def _load(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    """Per deployment: its newest finished dossier and whether it describes today's fingerprint."""
    rows = (
        Report.objects.filter(
            kind=ReportKind.DEPLOYMENT_DOSSIER,
            status=JobStatus.DONE,
            deployment_id__in=[t.id for t in targets],
            superseded_by__isnull=True,
        )
        .exclude(signing_certificate_sha256="")
        # The canonical evidence names the fingerprint as "fingerprint":"<hex>"; looking for
        # the deployment's present one in the database leaves the evidence text there.
        .annotate(
            current=StrIndex(
                "evidence",
                Concat(Value('"fingerprint":"'), F("deployment__fingerprint"), Value('"')),
            )
        )
        .order_by("snapshot_at")
        .values_list("deployment_id", "pk", "snapshot_at", "current")
    )
    return {deployment: (pk, taken, bool(current)) for deployment, pk, taken, current in rows}


def _judge(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    if found is None:
        return Judgement(
            False,
            "No signed dossier.",
            reverse("reports:deployment_reports", kwargs={"pk": target.id}),
        )
    pk, taken, current = found
    url = reverse("reports:report_detail", kwargs={"pk": pk})
    dated = f"{taken:%d %b %Y}".lstrip("0") if taken else "undated"
    if not current:
        return Judgement(
            False, f"The signed dossier of {dated} describes an earlier configuration.", url
        )
    return Judgement(True, f"Signed dossier of {dated}.", url)


def register() -> None:
    register_evidence_kind("dossier", label="Signed dossier", load=_load, judge=_judge)
