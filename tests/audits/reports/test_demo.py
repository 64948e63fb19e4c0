"""The demo seed asks for one dossier and one conformity self-assessment, so the reports page
is not empty for a newcomer."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from audits.reports.models import JobStatus, Report
from governance.accounts.models import User
from governance.ledger.models import LedgerEvent

pytestmark = pytest.mark.django_db


def test_the_demo_requests_one_dossier_through_the_report_service_once(client: Any) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    [report, self_assessment] = Report.objects.order_by("created_at")
    assert self_assessment.kind == "conformity_self_assessment"
    assert self_assessment.deployment == report.deployment
    assert report.kind == "deployment_dossier" and report.deployment is not None
    assert report.deployment.environment == "prod-eu"
    assert report.status == JobStatus.QUEUED  # a worker renders it
    assert report.requested_by.username == "compliance"
    assert LedgerEvent.objects.filter(action="report.requested", subject_id=str(report.pk)).exists()
    call_command("seed_demo", stdout=io.StringIO())
    assert Report.objects.count() == 2
    client.force_login(User.objects.get(username="requester"))
    page = client.get(reverse("reports:report_list")).content.decode()
    assert report.title in page and "No reports match" not in page
