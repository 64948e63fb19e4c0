"""Who hears of an incident's Art 73 clock, and how: the in-app inbox inside the transaction
that claimed the reminder, the e-mail after it commits. Both go to the same people."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.monitoring.models import Incident
from governance.notifications.models import NotificationKind
from governance.notifications.services import notifications_create

logger = logging.getLogger(__name__)


def compliance_officers() -> list[User]:
    return list(
        User.objects.filter(is_active=True, role_grants__role=Role.COMPLIANCE_OFFICER).distinct()
    )


def clock_recipients(incident: Incident, officers: Sequence[User]) -> list[User]:
    """The compliance officers and the incident's reporter, each once, if still active."""
    people = {user.pk: user for user in [*officers, incident.created_by] if user.is_active}
    return list(people.values())


def _state(incident: Incident, overdue: bool) -> str:
    return "is overdue" if overdue else f"is due by {incident.report_due_at:%Y-%m-%d %H:%M} UTC"


def _link(incident: Incident) -> str:
    return reverse("monitoring:incident_detail", kwargs={"pk": incident.pk})


def incident_clock_notify(
    *, incident: Incident, reminder: int, overdue: bool, recipients: Sequence[User]
) -> None:
    """The reminder in each recipient's inbox, once per reminder (inside the claim)."""
    notifications_create(
        recipients=recipients,
        kind=NotificationKind.INCIDENT_CLOCK,
        title=f"The authority's report of the serious incident “{incident.title}” on "
        f"{incident.deployment} {_state(incident, overdue)}",
        link=_link(incident),
        subject=incident,
        deployment=incident.deployment_id,
        dedup_key=f"incident:{incident.pk}:reminder:{reminder}",
    )


def incident_reminder_send(
    *, incident: Incident, overdue: bool, recipients: Sequence[User]
) -> None:
    """E-mail the recipients how long is left to report to the authority (after commit)."""
    try:
        emails = sorted({user.email for user in recipients if user.email})
        if not emails:
            logger.warning("incident clock reminder but nobody has an e-mail address")
            return
        state = _state(incident, overdue)
        send_mail(
            subject=f"Serious incident report {state}: {incident.title}",
            message=(
                f"The report of the serious incident “{incident.title}” on "
                f"{incident.deployment} to the market surveillance authority {state} "
                f"(EU AI Act Art 73; {incident.get_serious_category_display()}).\n\n"
                f"{settings.SITE_URL}{_link(incident)}\n"
            ),
            from_email=None,
            recipient_list=emails,
        )
    except Exception:
        # The reminder is claimed and ledgered; the overview still shows the clock.
        logger.exception("could not e-mail the incident clock reminder")
