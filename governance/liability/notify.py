"""Emails about accountability, sent after the transaction that caused them has committed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from governance.accounts.models import User
from governance.accounts.roles import Role

logger = logging.getLogger(__name__)


def compliance_officer_emails() -> list[str]:
    return sorted(
        User.objects.filter(is_active=True, role_grants__role=Role.COMPLIANCE_OFFICER)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def notify_compliance_of_orphans(
    *, deployment_ids: Sequence[Any], former_owner: str, cause: str
) -> None:
    """Tell compliance officers which deployments have nobody accountable any more."""
    try:
        _send_orphan_notice(deployment_ids, former_owner, cause)
    except Exception:
        # The orphaning is committed and ledgered; a mail or lookup failure after commit must
        # not turn the request that caused it into an error; the matrix's "orphaned" filter
        # and the gate still show the orphaned deployments.
        logger.exception("could not email compliance officers about orphaned deployments")


def _send_orphan_notice(deployment_ids: Sequence[Any], former_owner: str, cause: str) -> None:
    from governance.inventory.models import Deployment

    recipients = compliance_officer_emails()
    if not recipients:
        logger.warning("orphaned deployments but no compliance officer has an email address")
        return
    deployments = Deployment.objects.filter(pk__in=deployment_ids).select_related(
        "model_version__system"
    )
    lines = [
        f"- {d}: {settings.SITE_URL}"
        + reverse("liability:deployment_accountability", kwargs={"pk": d.pk})
        for d in deployments
    ]
    body = (
        f"{former_owner} is no longer accountable for the deployments below because {cause}.\n"
        "They have no accepted accountable owner now, so the deployment gate stays closed "
        "for them until someone accepts an ownership offer.\n\n" + "\n".join(lines) + "\n"
    )
    send_mail(
        subject=f"{len(lines)} deployment(s) orphaned: no accountable owner",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
