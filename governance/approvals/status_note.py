"""The approvals room's note beside a deployment's status: an approval that no longer holds.

"Approved" or "Active" alone would hide that the gate stays closed until someone asks for
approval again; the note says why and links to where the new request is opened.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from governance.approvals.gate import REAPPROVAL_STATES, gate_evaluate
from governance.inventory.choices import DeploymentStatus
from governance.inventory.tabs import StatusNote, register_status_note


@register_status_note("approval_lapse")
def approval_lapse_note(deployment: Any) -> StatusNote | None:
    if deployment.status not in REAPPROVAL_STATES:
        return None  # nothing to read: only a deployment past review can have a lapsed approval
    lapse = gate_evaluate(deployment).lapse
    if lapse is None:
        return None
    return StatusNote(
        label="Approval invalidated",
        detail=lapse,
        url=reverse("approvals:deployment_approvals", kwargs={"pk": deployment.pk}),
        replaces_status=deployment.status == DeploymentStatus.APPROVED,
    )
