"""Lists of other rooms brought to the common standard: filters, sorting, pages, safe CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.models import ApprovalRequest
from tests.factories import user_with_roles
from tests.factories.approvals import ready_deployment
from tests.factories.risk import load_shipped

pytestmark = pytest.mark.django_db


def _rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_approval_queue_sorts_pages_and_exports(client: Client) -> None:
    reviewer = user_with_roles(Role.REVIEWER)
    made = []
    for hours in (3, 30, 90):
        deployment, requester, _ = ready_deployment("I")
        request = approvals.approval_request_create(deployment=deployment, actor=requester)
        started = timezone.now() - dt.timedelta(hours=hours)
        ApprovalRequest.objects.filter(pk=request.pk).update(stage_started_at=started)
        made.append(request)
    client.force_login(reviewer)
    url = reverse("approvals:queue")
    oldest_first = [r["approval"].pk for r in client.get(url).context["rows"]]
    assert oldest_first == [made[2].pk, made[1].pk, made[0].pk]
    newest_first = [r["approval"].pk for r in client.get(url, {"sort": "-waiting"}).context["rows"]]
    assert newest_first == list(reversed(oldest_first))
    exported = _rows(client.get(url, {"format": "csv"}))
    assert [row["request_id"] for row in exported] == [str(pk) for pk in oldest_first]
    assert [row["overdue"] for row in exported] == ["True", "False", "False"]
    assert b"Export CSV" in client.get(url).content


def test_approval_queue_keeps_a_constant_query_count(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(user_with_roles(Role.REVIEWER))
    deployment, requester, _ = ready_deployment("I")
    approvals.approval_request_create(deployment=deployment, actor=requester)
    with django_assert_max_num_queries(15) as small:
        b"".join(client.get(reverse("approvals:queue"), {"format": "csv"}).streaming_content)
    for _ in range(4):
        deployment, requester, _ = ready_deployment("I")
        approvals.approval_request_create(deployment=deployment, actor=requester)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = b"".join(client.get(reverse("approvals:queue"), {"format": "csv"}).streaming_content)
    assert body.count(b"\n") == 6


def test_methodology_list_filters_sorts_and_exports(client: Client) -> None:
    load_shipped()
    client.force_login(user_with_roles(Role.AUDITOR))
    url = reverse("risk:methodology_list")
    impact = client.get(url, {"kind": "impact"}).context["objects"]
    assert [m.slug for m in impact] == ["impact"]
    by_slug = [m.slug for m in client.get(url, {"sort": "-slug"}).context["objects"]]
    assert by_slug == ["impact", "fria", "eu-ai-act", "dpia"]
    exported = _rows(client.get(url, {"format": "csv"}))
    assert {row["slug"] for row in exported} == {"impact", "fria", "eu-ai-act", "dpia"}
    assert all(len(row["sha256"]) == 64 for row in exported)
