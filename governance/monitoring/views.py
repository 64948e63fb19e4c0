"""Pages of the monitoring room (the Monitoring tab lives in tabs.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render

from governance.accounts.permissions import Perm, perm_required
from governance.core.views import list_page
from governance.monitoring import selectors


@perm_required(Perm.VIEW)
def incident_list(request: HttpRequest) -> HttpResponseBase:
    incidents = selectors.incidents_for(request.user).order_by("-aware_at")
    return list_page(
        request,
        queryset=incidents,
        template="monitoring/incident_list.html",
        context={"clocks": list(selectors.open_incident_clocks()[:20])},
    )


@perm_required(Perm.VIEW)
def incident_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    incident = get_object_or_404(
        selectors.incidents_for(request.user).prefetch_related("actions__actor"), pk=pk
    )
    return render(request, "monitoring/incident_detail.html", {"incident": incident})
