"""EU AI Act Art 25: when the organisation stops being a deployer and becomes the provider."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from governance.core.errors import Conflict, InvalidInput
from governance.inventory.choices import AnnexIIIArea
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append
from governance.liability.choices import PROVIDER_OBLIGATIONS, AIActRole, RoleShiftTrigger
from governance.liability.models import AIActRoleShift


def ai_act_role_shift_record(
    *,
    deployment: Deployment,
    trigger: str,
    explanation: str,
    actor: Any,
    high_risk_area: str = "",
) -> AIActRoleShift:
    """Mark a deployment rebranded, substantially modified or repurposed into high-risk use.

    Under Art 25(1) the organisation then carries the provider's obligations for it; the
    event lists them so the warning is part of the record.
    """
    from governance.liability.selectors import organisation_role

    if trigger not in RoleShiftTrigger.values:
        raise InvalidInput(
            f"Unknown trigger {trigger!r}. Known: {', '.join(RoleShiftTrigger.values)}.",
            fields={"trigger": f"unknown trigger {trigger!r}"},
        )
    explanation = (explanation or "").strip()
    if not explanation:
        raise InvalidInput("Explain what changed.", fields={"explanation": "required"})
    high_risk_areas = set(AnnexIIIArea.values) - {AnnexIIIArea.NONE}
    if trigger == RoleShiftTrigger.REPURPOSED_HIGH_RISK and high_risk_area not in high_risk_areas:
        raise InvalidInput(
            "Name the Annex III high-risk area of the new purpose.",
            fields={"high_risk_area": "an Annex III area is required for a new purpose"},
        )
    if trigger != RoleShiftTrigger.REPURPOSED_HIGH_RISK:
        high_risk_area = ""
    with transaction.atomic():
        locked = (
            Deployment.objects.select_for_update()
            .select_related("model_version__system")
            .get(pk=deployment.pk)
        )
        role, _shift = organisation_role(locked)
        if role == AIActRole.PROVIDER:
            raise Conflict(
                "The organisation is already the provider for this deployment; its provider "
                "obligations apply already.",
                fields={"trigger": "already provider"},
            )
        shift = AIActRoleShift.objects.create(
            deployment=locked,
            trigger=trigger,
            explanation=explanation,
            high_risk_area=high_risk_area,
            from_role=role,
            to_role=AIActRole.PROVIDER,
            obligations=[key for key, _ in PROVIDER_OBLIGATIONS],
            marked_by=actor,
        )
        ledger_append(
            actor=actor,
            action="ai_act.role_shifted",
            subject=shift,
            deployment_id=locked.pk,
            data={
                "trigger": trigger,
                "explanation": explanation,
                "high_risk_area": high_risk_area,
                "from_role": role,
                "to_role": AIActRole.PROVIDER,
                "obligations": [label for _, label in PROVIDER_OBLIGATIONS],
            },
        )
    return shift
