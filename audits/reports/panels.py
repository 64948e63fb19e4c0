"""What the reports room shows on the dashboard (registered from `ReportsConfig.ready()`).

The overview's "Reports" panel: jobs waiting or running, failed jobs, and live deployments that
have no generated dossier yet; the portfolio filter behind the last figure.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from audits.reports.models import JobStatus, Report, ReportKind
from audits.reports.selectors import reports_for
from governance.accounts.permissions import Perm, can
from governance.dashboard.panels import (
    OverviewPanel,
    PanelNumber,
    PortfolioFilter,
    register_overview_panel,
    register_portfolio_filter,
)
from governance.inventory.choices import DeploymentStatus


def without_dossier(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Deployments for which no deployment dossier has been generated."""
    done = Report.objects.filter(
        deployment=OuterRef("pk"), kind=ReportKind.DEPLOYMENT_DOSSIER, status=JobStatus.DONE
    )
    return queryset.filter(~Exists(done))


register_portfolio_filter(
    PortfolioFilter(
        name="dossier",
        label="Dossier",
        choices=[("none", "Never generated")],
        apply=lambda queryset, value: without_dossier(queryset),
    )
)


@register_overview_panel("reports", order=60)
def reports_overview(user: Any) -> OverviewPanel | None:
    if not can(user, Perm.VIEW):
        return None
    from governance.inventory.selectors import deployments_for

    jobs = reports_for(user).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in JobStatus.values}
    )
    live = deployments_for(user).exclude(status=DeploymentStatus.RETIRED)
    missing = without_dossier(live).count()
    listing = reverse("reports:report_list")
    portfolio = reverse("dashboard:portfolio")
    latest = list(reports_for(user).order_by("-created_at")[:5])
    return OverviewPanel(
        title="Reports",
        help="Signed PDF dossiers and summaries, generated in the background.",
        numbers=[
            PanelNumber(
                "waiting for a worker",
                jobs[JobStatus.QUEUED],
                f"{listing}?{urlencode({'status': JobStatus.QUEUED})}",
            ),
            PanelNumber(
                "being generated",
                jobs[JobStatus.RUNNING],
                f"{listing}?{urlencode({'status': JobStatus.RUNNING})}",
            ),
            PanelNumber(
                "failed",
                jobs[JobStatus.FAILED],
                f"{listing}?{urlencode({'status': JobStatus.FAILED})}",
                "bad",
            ),
            PanelNumber(
                "live deployments without a dossier",
                missing,
                f"{portfolio}?{urlencode({'dossier': 'none', 'live': 'yes'})}",
                "warn",
            ),
        ],
        rows=[
            (
                report.title,
                reverse("reports:report_detail", kwargs={"pk": report.pk}),
                f"{report.get_status_display().lower()}, {report.created_at:%Y-%m-%d}",
            )
            for report in latest
        ],
        empty="No report has been requested yet.",
    )
