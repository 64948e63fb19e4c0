"""What a dossier says, in words, for the people who sign it.

The dossier (and so its hash, which every signature carries) holds the ids of immutable
records: a submitted assessment, an accepted ownership's owner, a final bias audit, and the
material fingerprint. Those records never change, so showing their contents here shows
exactly what the hash binds.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from governance.approvals.dossier import LABELS, dossier_differences, evidence_display
from governance.approvals.models import ApprovalRequest, SignOff


def _assessment(pk: Any) -> Any:
    from governance.risk.selectors import assessment_by_id

    return assessment_by_id(pk) if pk else None


def _assessment_words(assessment: Any) -> str:
    if assessment is None:
        return "none"
    eu = f", EU class {assessment.get_eu_class_display()}" if assessment.eu_class else ""
    return (
        f"tier {assessment.tier}, score {assessment.score} ({assessment.score_pct} %), "
        f"level {assessment.level}{eu}, submitted {assessment.submitted_at:%Y-%m-%d}"
    )


def _ownership(deployment_id: Any, user_id: Any, before: Any) -> Any:
    from governance.liability.models import Ownership

    if not user_id:
        return None
    return (
        Ownership.objects.filter(
            deployment_id=deployment_id, user_id=user_id, accepted_at__lte=before
        )
        .select_related("user")
        .order_by("-accepted_at")
        .first()
    )


def _owner_words(ownership: Any) -> str:
    if ownership is None:
        return "none"
    return f"{ownership.user.display_name}, accepted {ownership.accepted_at:%Y-%m-%d}"


def _configuration_changes(approval: ApprovalRequest, previous: ApprovalRequest) -> list[Any]:
    """The material fields changed between two requests, field by field, from the ledger."""
    from governance.ledger.selectors import events_for_deployment

    events = events_for_deployment(approval.deployment_id).filter(
        action="deployment.updated",
        ts__gt=previous.created_at,
        ts__lt=approval.created_at,
    )
    merged: dict[str, dict[str, Any]] = {}
    for event in reversed(list(events)):  # oldest first: the first before, the last after
        for name, pair in (event.payload or {}).get("changes", {}).items():
            merged.setdefault(name, {"before": pair.get("before")})["after"] = pair.get("after")
    return [
        {"label": name.replace("_", " "), "before": pair["before"], "after": pair["after"]}
        for name, pair in sorted(merged.items())
        if pair["before"] != pair["after"]
    ]


def _evidence_words(value: Any, shown: dict[str, Any] | None) -> str:
    if value is None:
        return "none"
    return shown["summary"] if shown else str(value)


def _words(item: str, value: Any, deployment_id: Any, before: Any) -> str:
    if value is None:
        return "none"
    if item == "assessment":
        return _assessment_words(_assessment(value))
    if item == "accountable_owner":
        return _owner_words(_ownership(deployment_id, value, before))
    if item == "fingerprint":
        return f"configuration {str(value)[:12]}…"
    return _evidence_words(value, evidence_display(item, value))


def dossier_contents(approval: ApprovalRequest, previous: ApprovalRequest | None) -> dict[str, Any]:
    """Everything the signers approve, in words, and how it differs from the last approval."""
    dossier = approval.dossier
    evidence = dossier.get("evidence", {})
    deployment_id = approval.deployment_id
    assessment = _assessment(dossier.get("assessment"))
    ownership = _ownership(deployment_id, evidence.get("accountable_owner"), approval.created_at)
    shown = []
    # This dossier's records in words, read once: the comparison's "after" side reuses them.
    read_words = {
        "assessment": _assessment_words(assessment),
        "accountable_owner": _owner_words(ownership),
    }
    for name, value in sorted(evidence.items()):
        if name == "accountable_owner":
            continue
        display = evidence_display(name, value)
        shown.append({"name": name, "label": LABELS.get(name, name), "shown": display})
        read_words[name] = _evidence_words(value, display)
    comparison = []
    config_changes: list[Any] = []
    if previous is not None:
        for row in dossier_differences(previous.dossier, dossier):
            item = row["item"]
            after = read_words.get(item)
            if after is None:
                after = _words(item, row["after"], deployment_id, approval.created_at)
            comparison.append(
                {
                    "label": row["label"],
                    "before": _words(item, row["before"], deployment_id, previous.created_at),
                    "after": after,
                }
            )
        config_changes = _configuration_changes(approval, previous)
    conditions = (
        SignOff.objects.filter(request__deployment_id=deployment_id)
        .filter(request__created_at__lt=approval.created_at)
        .exclude(conditions="")
        .order_by("signed_at")
    )
    return {
        "assessment": assessment,
        "assessment_url": reverse("risk:assessment_detail", kwargs={"pk": assessment.pk})
        if assessment is not None
        else "",
        "sections": _sections(assessment),
        "ownership": ownership,
        "evidence": shown,
        "prior_conditions": list(conditions),
        "comparison": comparison,
        "config_changes": config_changes,
    }


def _sections(assessment: Any) -> list[dict[str, Any]]:
    from governance.risk.selectors import answer_sections

    return answer_sections(assessment) if assessment is not None else []
