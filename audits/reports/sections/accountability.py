"""The liability room's part of a report (Annex IV §3): who answers for the deployment.

For a dossier: the accountable owner with the statement they signed and the history of
ownership and offers, the RACI assignments in force (the deployment's own and those it
inherits from its AI system), and the organisation's role under the EU AI Act with any
Art 25 shift to provider. For the portfolio: every live deployment nobody is accountable for.

The data is the liability room's own `accountability_snapshot` and `orphaned_snapshot`, with
the labels of its vocabularies added so the document reads without the code. They take no
viewer: the snapshot has already checked that the requester may read every record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from audits.reports.charts import horizontal_bar_chart
from audits.reports.sections import Section, SnapshotContext
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.liability.choices import (
    AIActRole,
    OfferStatus,
    OwnershipEndCause,
    PartyKind,
    Raci,
    RoleShiftTrigger,
)
from governance.liability.selectors import accountability_snapshot, orphaned_snapshot

ORPHAN_CHART = "orphaned-by-state.svg"


def _label(choices: Any, value: str | None) -> str:
    if not value:
        return ""
    return dict(choices.choices).get(value, value)


def _readable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The liability room's snapshot with the label of every coded value beside it."""
    snapshot["organisation_ai_act_role_label"] = _label(
        AIActRole, snapshot["organisation_ai_act_role"]
    )
    shift = snapshot.get("art25_shift")
    if shift:
        shift["trigger_label"] = _label(RoleShiftTrigger, shift["trigger"])
        shift["from_role_label"] = _label(AIActRole, shift["from_role"])
    for assignment in snapshot["assignments"]:
        assignment["raci_label"] = _label(Raci, assignment["raci"])
        assignment["party_kind_label"] = _label(PartyKind, assignment["party_kind"])
        assignment["ai_act_role_label"] = _label(AIActRole, assignment["ai_act_role"])
    for ownership in snapshot["ownership_history"]:
        ownership["end_cause_label"] = _label(OwnershipEndCause, ownership["end_cause"])
    for offer in snapshot["offers"]:
        offer["status_label"] = _label(OfferStatus, offer["status"])
    return snapshot


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    deployment = Deployment.objects.select_related("model_version__system").get(
        pk=ctx.deployment.pk
    )
    return _readable(accountability_snapshot(deployment))


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    rows = orphaned_snapshot()
    for row in rows:
        row["status_label"] = _label(DeploymentStatus, row["status"])
        row["end_cause_label"] = _label(OwnershipEndCause, row["end_cause"])
    by_state = Counter(row["status"] for row in rows)
    live = [s for s in DeploymentStatus.values if s != DeploymentStatus.RETIRED]
    return {
        "orphaned": rows,
        "by_state": [[DeploymentStatus(s).label, by_state.get(s, 0)] for s in live],
    }


def portfolio_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    rows = [(label, count) for label, count in data["by_state"]]
    chart = horizontal_bar_chart(rows, title="Deployments without an accountable owner")
    return {ORPHAN_CHART: chart.encode()}


SECTION = Section(
    key="accountability",
    title="Accountability and EU AI Act roles",
    annex_iv=(3,),
    template="reports/sections/accountability.html",
    build=build_dossier,
)

PORTFOLIO_SECTION = Section(
    key="accountability",
    title="Orphaned ownership",
    annex_iv=(3,),
    template="reports/sections/accountability_portfolio.html",
    build=build_portfolio,
    images=portfolio_images,
)
