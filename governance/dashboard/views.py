"""The role homes, the portfolio list, gate decisions, people and the global search."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from governance.accounts.models import User
from governance.accounts.permissions import Perm, can, perm_required
from governance.accounts.roles import Role
from governance.approvals import selectors as approvals
from governance.core.views import list_page
from governance.dashboard import selectors
from governance.dashboard.filters import GateDecisionFilter, PeopleFilter, PortfolioFilter
from governance.dashboard.panels import home_panels, overview_panels
from governance.dashboard.search import MAX_QUERY_LENGTH, search
from governance.dashboard.standing import standings_for
from governance.inventory.choices import DeploymentStatus
from governance.inventory.selectors import deployments_for
from governance.ledger.selectors import latest_check, recent_events
from governance.liability import selectors as liability
from governance.liability.choices import Raci
from governance.risk.charts import heat_map_svg
from governance.risk.selectors import heat_map_counts, risks_for

# Which home `/` shows: the first of these whose roles the person holds.
OVERVIEW_ROLES = frozenset({Role.COMPLIANCE_OFFICER, Role.EXECUTIVE, Role.AUDITOR, Role.ADMIN})
SIGNER_ROLES = frozenset({Role.REVIEWER, Role.LEGAL})

# (key, label, URL name, permission): the homes offered in the switcher above each home.
HOMES = [
    ("overview", "Compliance overview", "dashboard:overview", Perm.VIEW),
    ("reviewer", "My reviews", "dashboard:reviewer_home", Perm.APPROVAL_SIGN),
    ("requester", "My deployments", "dashboard:requester_home", Perm.INVENTORY_EDIT),
]
REQUESTER_PAGE_SIZE = 10
QUEUE_LIMIT = 50


def home_for(user: Any) -> str:
    roles = user.roles
    if roles & OVERVIEW_ROLES:
        return "overview"
    if roles & SIGNER_ROLES:
        return "reviewer"
    if Role.REQUESTER in roles:
        return "requester"
    return "overview"


def _homes(request: HttpRequest, current: str) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": label, "url": reverse(name), "active": key == current}
        for key, label, name, perm in HOMES
        if can(request.user, perm)
    ]


@login_required
def home(request: HttpRequest) -> HttpResponseBase:
    """`/`: the home of the person's main role, without a redirect."""
    if not can(request.user, Perm.VIEW):
        return render(request, "core/no_roles.html", status=403)
    page = {"overview": overview, "reviewer": reviewer_home, "requester": requester_home}
    return page[home_for(request.user)](request)


def _portfolio_url(**params: str | int) -> str:
    return f"{reverse('dashboard:portfolio')}?{urlencode(params)}"


@perm_required(Perm.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    """Compliance overview: what is at risk, overdue or blocked, each figure a link."""
    now = timezone.now()
    figures = selectors.overview(request.user, now)
    risk_url = reverse("risk:portfolio")
    heat_map = heat_map_svg(
        heat_map_counts(risks_for(request.user)),
        title="Residual risk, all deployments",
        chart_id="overview-heat-map",
        link=lambda likelihood, impact: (
            f"{risk_url}?{urlencode({'likelihood': str(likelihood), 'impact': str(impact)})}"
        ),
    )
    since = (now - dt.timedelta(days=selectors.GATE_DENIAL_DAYS)).date()
    return render(
        request,
        "dashboard/overview.html",
        {
            "homes": _homes(request, "overview"),
            "o": _linked(figures),
            "heat_map": heat_map,
            "panels": overview_panels(request.user),
            "links": {
                "pending": _portfolio_url(approval="pending"),
                "sla": _portfolio_url(sla="breached"),
                "orphaned": _portfolio_url(orphaned="yes"),
                "blocked": _portfolio_url(tier="blocked", live="yes"),
                "denials": (
                    f"{reverse('dashboard:gate_decisions')}?"
                    f"{urlencode({'allowed': 'no', 'days': str(selectors.GATE_DENIAL_DAYS)})}"
                ),
            },
            "denials_since": since,
            "recent_events": recent_events(limit=8),
            "ledger_check": latest_check(),
        },
    )


def _linked(figures: Any) -> Any:
    """Give every figure of the overview the URL of the filtered list behind it."""
    labels = dict(figures.statuses)
    for row in figures.tier_rows:
        row["url"] = _portfolio_url(tier=row["tier"])
        row["links"] = [
            {
                "count": count,
                "status_label": labels[status],
                "url": _portfolio_url(tier=row["tier"], status=status),
            }
            for status, count in row["cells"]
        ]
    figures.status_links = [
        {"count": count, "url": _portfolio_url(status=status)}
        for (status, _), count in zip(figures.statuses, figures.status_totals, strict=True)
    ]
    for bucket in figures.waiting:
        bucket["url"] = _portfolio_url(waiting=bucket["key"])
    for horizon in figures.expiring:
        horizon["url"] = _portfolio_url(expires_within=horizon["days"])
        horizon["label"] = f"Approvals expiring within {horizon['days']} days"
    figures.denials_label = f"Gate denials in the last {selectors.GATE_DENIAL_DAYS} days"
    return figures


@perm_required(Perm.APPROVAL_SIGN)
def reviewer_home(request: HttpRequest) -> HttpResponse:
    """What awaits my signature (oldest first), what I decided, what I am accountable for."""
    user = request.user
    queue = approvals.queue_for(user)
    rows = [
        # `stage_sla_hours` is the queue's annotation of the current stage's SLA.
        {"approval": a, "sla": approvals.sla_state(a.stage_started_at, a.stage_sla_hours)}
        for a in cast(Any, queue[:QUEUE_LIMIT])
    ]
    accountable = liability.involving_person(
        deployments_for(user), user, Raci.ACCOUNTABLE
    ).order_by("model_version__system__name", "environment")
    return render(
        request,
        "dashboard/reviewer_home.html",
        {
            "homes": _homes(request, "reviewer"),
            "rows": rows,
            "queue_count": queue.count() if len(rows) == QUEUE_LIMIT else len(rows),
            "recent": approvals.recent_decisions(user),
            "accountable": standings_for(list(accountable[:20])),
            "accountable_count": accountable.count(),
            "matrix_url": (
                f"{reverse('liability:matrix')}?"
                f"{urlencode({'person': str(user.pk), 'raci': Raci.ACCOUNTABLE.value})}"
            ),
            "offers": list(liability.inbox_for(user)[:10]),
            "panels": home_panels(user),
        },
    )


@perm_required(Perm.INVENTORY_EDIT)
def requester_home(request: HttpRequest) -> HttpResponse:
    """My deployments, each with what still stands between it and an open gate."""
    user = cast(User, request.user)
    mine = (
        deployments_for(user)
        .filter(created_by=user)
        .exclude(status=DeploymentStatus.RETIRED)
        .order_by("-created_at", "pk")
    )
    page = Paginator(mine, REQUESTER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/requester_home.html",
        {
            "homes": _homes(request, "requester"),
            "page": page,
            "standings": standings_for(list(page.object_list)),
            "all_url": _portfolio_url(registered_by=user.get_username(), live="yes"),
            "offers": list(liability.inbox_for(user)[:10]),
            "panels": home_panels(user),
        },
    )


# --- Lists ------------------------------------------------------------------------------


def _date(value: Any) -> str:
    return value.date().isoformat() if value else ""


PORTFOLIO_CSV = [
    ("deployment_id", lambda s: s.deployment.pk),
    ("system", lambda s: s.deployment.model_version.system.name),
    ("version", lambda s: s.deployment.model_version.version_label),
    ("environment", lambda s: s.deployment.environment),
    ("status", lambda s: s.deployment.status),
    ("tier", lambda s: s.tier),
    ("gate", lambda s: "open" if s.gate_allowed else "closed"),
    ("gate_reasons", lambda s: "; ".join(s.gate_reasons)),
    ("accountable_owner", lambda s: s.owner.get_username() if s.owner else ""),
    ("accountable_owner_name", lambda s: s.owner.display_name if s.owner else ""),
    ("approval", lambda s: s.latest_request.status if s.latest_request else ""),
    ("approval_expires", lambda s: _date(s.approval.expires_at) if s.approval else ""),
    ("pending_stage", lambda s: s.latest_request.current_stage if s.sla else ""),
    ("sla", lambda s: s.sla.label if s.sla else ""),
    ("outstanding", lambda s: "; ".join(item.label for item in s.outstanding)),
]


@perm_required(Perm.VIEW)
def portfolio(request: HttpRequest) -> HttpResponseBase:
    """Every deployment with its tier, gate, owner and approval, filtered across rooms."""
    return list_page(
        request,
        queryset=selectors.portfolio_for(request.user),
        template="dashboard/portfolio.html",
        filterset_class=PortfolioFilter,
        sort_fields={
            "system": "model_version__system__name",
            "environment": "environment",
            "status": "status",
            "tier": "risk_tier",
            "expires": "approval_expires_at",
            "changed": "status_changed_at",
            "created": "created_at",
        },
        default_sort="system",
        csv_columns=PORTFOLIO_CSV,
        csv_name="portfolio.csv",
        page_rows=standings_for,
    )


GATE_CSV = [
    ("asked_at", lambda g: g.asked_at.isoformat()),
    ("deployment_id", lambda g: g.deployment_id),
    ("system", lambda g: g.deployment.model_version.system.name),
    ("environment", lambda g: g.deployment.environment),
    ("allowed", lambda g: g.allowed),
    ("reasons", lambda g: "; ".join(g.reasons)),
    ("fingerprint", lambda g: g.fingerprint),
    ("asked_by", lambda g: g.asked_by.get_username() if g.asked_by else ""),
]


@perm_required(Perm.VIEW)
def gate_decisions(request: HttpRequest) -> HttpResponseBase:
    """Every answer the deployment gate gave: who asked, about what, and why it said no."""
    return list_page(
        request,
        queryset=selectors.gate_decisions_for(request.user),
        template="dashboard/gate_decisions.html",
        filterset_class=GateDecisionFilter,
        sort_fields={"asked": "asked_at"},
        default_sort="-asked",
        csv_columns=GATE_CSV,
        csv_name="gate-decisions.csv",
    )


PEOPLE_CSV = [
    ("username", lambda u: u.get_username()),
    ("name", lambda u: u.get_full_name()),
    ("email", lambda u: u.email),
    ("roles", lambda u: "; ".join(sorted(u.roles))),
    ("active", lambda u: u.is_active),
    ("accountable_for", lambda u: u.owned),
]


@perm_required(Perm.VIEW)
def people(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.people_for(request.user),
        template="dashboard/people.html",
        filterset_class=PeopleFilter,
        sort_fields={"name": "last_name", "username": "username", "owned": "owned"},
        default_sort="username",
        csv_columns=PEOPLE_CSV,
        csv_name="people.csv",
        context={"matrix_url": reverse("liability:matrix")},
    )


@perm_required(Perm.VIEW)
def search_page(request: HttpRequest) -> HttpResponse:
    """Global search; htmx asks for the results part alone while the person types."""
    text = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    sections = search(request.user, text)
    context = {"q": text, "sections": sections, "total": sum(s.count for s in sections)}
    template = (
        "dashboard/_search_results.html"
        if request.headers.get("HX-Request") == "true"
        else "dashboard/search.html"
    )
    return render(request, template, context)
