"""The `bias_audit` evidence kind of the obligations room (Art 10(2)(f), NYC LL144 § 20-871).

A rule `{kind: bias_audit, max_age_days: 365, independent: false}` is met by the newest final
audit covering the deployment (its own, or its model version's wherever deployed) that no
later final audit supersedes, dated no more than `max_age_days` before the day evaluated. An
older audit is stale and does not count; `independent: true` asks for an auditor who signed
the independence statements, as LL144 does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Q
from django.urls import reverse

from audits.bias.choices import AuditStatus
from audits.bias.models import BiasAudit
from audits.bias.panels import HEAVY_FIELDS
from audits.bias.selectors import _not_superseded
from governance.obligations.evidence import Judgement, Target, register_evidence_kind
from governance.obligations.models import Requirement

DEFAULT_MAX_AGE_DAYS = 365


def _load(
    targets: Sequence[Target], requirements: Sequence[Requirement], today: dt.date
) -> dict[uuid.UUID, Any]:
    """Per deployment: its covering final audits, newest last (one query)."""
    by_version: dict[Any, list[uuid.UUID]] = {}
    for target in targets:
        by_version.setdefault(target.model_version_id, []).append(target.id)
    audits = (
        BiasAudit.objects.filter(_not_superseded(), status=AuditStatus.FINAL)
        .filter(
            Q(deployment__in=[t.id for t in targets])
            | Q(deployment__isnull=True, model_version__in=list(by_version))
        )
        .defer(*HEAVY_FIELDS)
        .order_by("audit_date", "finalised_at")
    )
    result: dict[uuid.UUID, list[BiasAudit]] = {t.id: [] for t in targets}
    for audit in audits:
        covered = (
            [audit.deployment_id]
            if audit.deployment_id
            else by_version.get(audit.model_version_id, [])
        )
        for pk in covered:
            if pk in result:
                result[pk].append(audit)
    return result


def _independent(audit: BiasAudit) -> bool:
    return bool(
        audit.attests_not_involved
        and audit.attests_no_employment
        and audit.attests_no_financial_interest
    )


def _judge(
    found: Any, rule: Mapping[str, Any], req: Requirement, target: Target, today: dt.date
) -> Judgement:
    audits: list[BiasAudit] = list(found or [])
    if rule.get("independent"):
        audits = [a for a in audits if _independent(a)]
    tab = reverse("bias:deployment_audits", kwargs={"pk": target.id})
    if not audits:
        which = "independent " if rule.get("independent") else ""
        return Judgement(False, f"No final {which}bias audit.", tab)
    latest = audits[-1]
    url = reverse("bias:audit_detail", kwargs={"pk": latest.pk})
    max_age = int(rule.get("max_age_days") or DEFAULT_MAX_AGE_DAYS)
    age = (today - latest.audit_date).days
    dated = f"{latest.audit_date:%d %b %Y}".lstrip("0")
    if age > max_age:
        return Judgement(
            False, f"The latest final audit ({dated}) is {age} days old; at most {max_age}.", url
        )
    return Judgement(True, f"Final audit of {dated} by {latest.auditor_organisation}.", url)


def register() -> None:
    register_evidence_kind("bias_audit", label="Final bias audit", load=_load, judge=_judge)
