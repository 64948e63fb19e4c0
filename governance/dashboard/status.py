"""The system status page: the ledger's last integrity check, the broker and the database,
and a button that queues a verification now."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from governance.accounts.permissions import Perm, perm_required


@perm_required(Perm.VIEW)
def system_status(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    from governance.ledger.selectors import latest_check

    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    return render(
        request,
        "dashboard/status.html",
        {
            "ledger_check": latest_check(),
            "broker": broker,
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        },
    )


@require_POST
@perm_required(Perm.LEDGER_VERIFY)
def ledger_verify_now(request: HttpRequest) -> HttpResponse:
    from governance.ledger.tasks import verify_ledger_task

    try:
        # Full, not incremental: someone asking for a check wants every event re-read.
        verify_ledger_task.delay(full=True)
    except Exception:
        messages.error(request, "The task queue is not reachable; the check was not queued.")
    else:
        messages.success(request, "Verification queued: the result appears here in a moment.")
    return redirect("dashboard:status")
