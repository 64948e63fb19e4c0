from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from governance.accounts.permissions import Perm, perm_required
from governance.core.views import list_page
from governance.ledger.describe import describe_events
from governance.ledger.filters import HistoryFilter, LedgerEventFilter
from governance.ledger.models import LedgerEvent

CSV_COLUMNS = [
    ("seq", lambda e: e.seq),
    ("timestamp_utc", lambda e: e.ts.isoformat()),
    ("actor", lambda e: e.actor_name),
    ("action", lambda e: e.action),
    ("description", lambda e: getattr(e, "sentence", "")),
    ("subject_type", lambda e: e.subject_type),
    ("subject_id", lambda e: e.subject_id),
    ("deployment_id", lambda e: e.deployment_id),
    ("data", lambda e: e.data),
    ("prev_hash", lambda e: e.prev_hash),
    ("hash", lambda e: e.hash),
]


def history_page(
    request: HttpRequest, *, events: Any, template: str, context: dict[str, Any]
) -> HttpResponseBase:
    """The History tab of any object page: its ledger events, filterable by action and person."""
    return list_page(
        request,
        queryset=events,
        template=template,
        filterset_class=HistoryFilter,
        csv_columns=CSV_COLUMNS,
        csv_name="history.csv",
        page_size=50,
        context=context,
        page_rows=describe_events,
    )


@perm_required(Perm.VIEW)
def event_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=LedgerEvent.objects.order_by("-seq"),
        template="ledger/event_list.html",
        filterset_class=LedgerEventFilter,
        csv_columns=CSV_COLUMNS,
        csv_name="audit-log.csv",
        page_size=50,
        page_rows=describe_events,
    )
