"""What the findings room shows on the dashboard (imported from `FindingsConfig.ready()`).

- the compliance overview: open findings by severity, overdue, awaiting verification, and
  the ones the viewer must act on;
- the reviewer's and requester's homes: the findings they must act on (hidden when none);
- the open findings of many deployments at once, so the dashboard's bulk gate reads them in
  one query instead of one per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from governance.accounts.permissions import Perm, can
from governance.dashboard.panels import (
    OverviewPanel,
    PanelNumber,
    register_gate_facts,
    register_home_panel,
    register_overview_panel,
)
from governance.findings import selectors
from governance.findings.gate import BLOCKING_SEVERITIES, OPEN_FINDINGS, blocking_severities_by_tier

ROWS = 6


def _list_url(**params: Any) -> str:
    return f"{reverse('findings:list')}?{urlencode(params, doseq=True)}"


def _rows(user: Any) -> list[tuple[str, str, str]]:
    today = timezone.localdate()
    rows = []
    for f in selectors.first_findings(selectors.findings_to_act_on(user), ROWS):
        late = " · overdue" if f.due_date < today else ""
        state = f.get_state_display().lower()
        rows.append(
            (
                f"[{f.severity}] {f.title}",
                reverse("findings:detail", kwargs={"pk": f.pk}),
                f"{f.deployment} · {state} · due {f.due_date:%Y-%m-%d}{late}",
            )
        )
    return rows


@register_overview_panel("findings", order=30)
def findings_overview(user: Any) -> OverviewPanel | None:
    """Open findings and their deadlines, each figure a link to the filtered list (2 queries)."""
    if not can(user, Perm.VIEW):
        return None
    counts = selectors.open_counts()
    rows = _rows(user)
    return OverviewPanel(
        title="Findings",
        help="Open findings block the deployment gate by severity and tier; overdue ones are "
        "past the date the severity policy set.",
        numbers=[
            PanelNumber(
                "open critical",
                counts["critical"],
                _list_url(open="yes", severity="critical"),
                "bad",
            ),
            PanelNumber(
                "open high", counts["high"], _list_url(open="yes", severity="high"), "warn"
            ),
            PanelNumber("open in all", counts["total"], _list_url(open="yes")),
            PanelNumber("overdue", counts["overdue"], _list_url(overdue="yes"), "bad"),
            PanelNumber(
                "awaiting verification",
                counts["awaiting_verification"],
                _list_url(state="resolved"),
                "warn",
            ),
            # Owners whose accounts were deactivated: someone who manages findings gives each
            # one a new owner from its page.
            PanelNumber(
                "need a new owner",
                counts["needs_owner"],
                _list_url(needs_owner="yes"),
                "bad",
            ),
        ],
        rows=rows,
        empty="No findings wait for you.",
        empty_action=("Every open finding", _list_url(open="yes")),
    )


@register_home_panel("findings", order=20)
def findings_to_act_on(user: Any) -> OverviewPanel | None:
    """The findings this person must act on: owned, or waiting for their verification."""
    rows = _rows(user)
    if not rows:
        return None
    return OverviewPanel(
        title="Findings you must act on",
        numbers=[
            PanelNumber(
                "owned by you, not yet resolved",
                selectors.findings_to_act_on(user)
                .filter(owner=user, resolved_by__isnull=True)
                .count(),
                _list_url(owner=str(user.pk), state=["open", "reopened", "in_remediation"]),
                "warn",
            )
        ],
        rows=rows,
    )


@register_gate_facts(OPEN_FINDINGS)
def open_findings_facts(deployments: Sequence[Any]) -> dict[Any, Any]:
    return selectors.open_findings_by_deployment([d.pk for d in deployments])


@register_gate_facts(BLOCKING_SEVERITIES)
def blocking_severities_facts(deployments: Sequence[Any]) -> dict[Any, Any]:
    by_tier = blocking_severities_by_tier()
    return {d.pk: by_tier for d in deployments}
