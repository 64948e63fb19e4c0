"""What the approvals room tells on the deployment's pages.

The note beside the status: "Approved" or "Active" alone would hide that the approval no
longer holds and the gate stays closed until someone asks again; the note says why and links
to where the new request is opened. And, before a material change, what it would void.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.template.defaultfilters import pluralize
from django.urls import reverse

from governance.approvals.gate import REAPPROVAL_STATES
from governance.approvals.models import OPEN_STATUSES, ApprovalRequest, RequestStatus
from governance.approvals.selectors import page_gate
from governance.inventory.choices import DeploymentStatus
from governance.inventory.effects import register_material_effect
from governance.inventory.tabs import StatusNote, register_status_note


@register_status_note("approval_lapse")
def approval_lapse_note(request: Any, deployment: Any) -> StatusNote | None:
    if deployment.status not in REAPPROVAL_STATES:
        return None  # nothing to read: only a deployment past review can have a lapsed approval
    lapse = page_gate(request, deployment).lapse
    if lapse is None:
        return None
    return StatusNote(
        label="Approval invalidated",
        detail=lapse,
        url=reverse("approvals:deployment_approvals", kwargs={"pk": deployment.pk}),
        replaces_status=deployment.status == DeploymentStatus.APPROVED,
    )


@register_material_effect("approvals")
def approvals_voided(deployment: Any) -> list[str]:
    """The open requests a material change invalidates, with the signatures they carry."""
    rows = (
        ApprovalRequest.objects.filter(deployment_id=deployment.pk, status__in=OPEN_STATUSES)
        .annotate(signatures=Count("signoffs"))
        .order_by("created_at")
    )
    items = []
    for row in rows:
        state = "approved" if row.status == RequestStatus.APPROVED else "pending"
        items.append(
            f"The {state} approval request of {row.created_at:%Y-%m-%d} (tier {row.tier}) is "
            f"invalidated, and its {row.signatures} signature{pluralize(row.signatures)} "
            "no longer count."
        )
    return items
