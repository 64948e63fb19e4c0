"""E-mails about incident clocks, sent after the transaction that claimed the reminder."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.monitoring.models import Incident

logger = logging.getLogger(__name__)


def _recipients(incident: Incident) -> list[str]:
    officers = (
        User.objects.filter(is_active=True, role_grants__role=Role.COMPLIANCE_OFFICER)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    emails = set(officers)
    if incident.created_by.email:
        emails.add(incident.created_by.email)
    return sorted(emails)


def incident_reminder_send(*, incident: Incident, overdue: bool) -> None:
    """Tell compliance officers and the reporter how long is left to report to the authority."""
    try:
        recipients = _recipients(incident)
        if not recipients:
            logger.warning("incident clock reminder but nobody has an e-mail address")
            return
        due = incident.report_due_at
        link = settings.SITE_URL + reverse("monitoring:incident_detail", kwargs={"pk": incident.pk})
        state = "is overdue" if overdue else f"is due by {due:%Y-%m-%d %H:%M} UTC"
        send_mail(
            subject=f"Serious incident report {state}: {incident.title}",
            message=(
                f"The report of the serious incident “{incident.title}” on "
                f"{incident.deployment} to the market surveillance authority {state} "
                f"(EU AI Act Art 73; {incident.get_serious_category_display()}).\n\n{link}\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:
        # The reminder is claimed and ledgered; the overview still shows the clock.
        logger.exception("could not e-mail the incident clock reminder")
