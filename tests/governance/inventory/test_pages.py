from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from governance.accounts.roles import Role
from governance.inventory.forms import MetricsField
from governance.inventory.models import AISystem, Deployment
from governance.ledger.models import LedgerEvent
from tests.factories import (
    AISystemFactory,
    DeploymentFactory,
    ModelVersionFactory,
    user_with_roles,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_requester(client, requester):  # type: ignore[no-untyped-def]
    client.force_login(requester)
    return client


@pytest.fixture
def as_auditor(client, auditor):  # type: ignore[no-untyped-def]
    client.force_login(auditor)
    return client


LIST_PAGES = [
    "inventory:system_list",
    "inventory:dataset_list",
    "inventory:model_version_list",
    "inventory:deployment_list",
    "ledger:event_list",
]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_lists_render_empty_states(as_requester, name) -> None:  # type: ignore[no-untyped-def]
    response = as_requester.get(reverse(name))
    assert response.status_code == 200
    assert b'class="empty-state"' in response.content


@pytest.mark.parametrize("name", LIST_PAGES)
def test_lists_export_csv(as_auditor, name) -> None:  # type: ignore[no-untyped-def]
    DeploymentFactory()
    response = as_auditor.get(reverse(name), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_csv_export_neutralises_formulas(as_auditor) -> None:  # type: ignore[no-untyped-def]
    DeploymentFactory(region='=HYPERLINK("http://evil")')
    body = b"".join(as_auditor.get(reverse("inventory:deployment_list"), {"format": "csv"}))
    assert b"'=HYPERLINK" in body


@pytest.mark.parametrize("sort", ["nonsense", "-", ""])
def test_unknown_sort_key_pages_in_the_default_order(as_auditor, sort) -> None:  # type: ignore[no-untyped-def]
    AISystemFactory.create_batch(30)  # two pages of 25; the list counts versions per system
    url = reverse("inventory:system_list")
    first = as_auditor.get(url, {"sort": sort})
    second = as_auditor.get(url, {"sort": sort, "page": 2})
    assert first.context["sort"] == "name" and first.context["page"].object_list.ordered
    names = [s.name for s in first.context["objects"]] + [s.name for s in second.context["objects"]]
    assert names == sorted(AISystem.objects.values_list("name", flat=True))


def test_anonymous_is_sent_to_login(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("inventory:deployment_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_auditor_sees_no_write_controls_and_cannot_open_forms(as_auditor) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    systems_before = AISystem.objects.count()
    page = as_auditor.get(reverse("inventory:deployment_detail", args=[deployment.pk]))
    assert page.status_code == 200
    assert b"Edit configuration" not in page.content and b"Change status" not in page.content
    listing = as_auditor.get(reverse("inventory:deployment_list"))
    assert b"Register deployment" not in listing.content
    assert as_auditor.get(reverse("inventory:deployment_create")).status_code == 403
    response = as_auditor.post(reverse("inventory:system_create"), {"name": "x"})
    assert response.status_code == 403
    assert AISystem.objects.count() == systems_before


def test_system_form_shows_field_errors_and_saves_nothing(as_requester) -> None:  # type: ignore[no-untyped-def]
    response = as_requester.post(
        reverse("inventory:system_create"),
        {
            "name": "",
            "purpose": "",
            "sourcing": "vendor",
            "annex_iii_area": "none",
        },
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not AISystem.objects.exists()


def test_vendor_without_name_is_a_form_error(as_requester) -> None:  # type: ignore[no-untyped-def]
    response = as_requester.post(
        reverse("inventory:system_create"),
        {
            "name": "Bot",
            "purpose": "Chat",
            "sourcing": "vendor",
            "annex_iii_area": "none",
        },
    )
    assert b"needs a vendor name" in response.content
    assert not AISystem.objects.exists()


def test_register_deployment_through_the_form(as_requester) -> None:  # type: ignore[no-untyped-def]
    version = ModelVersionFactory()
    response = as_requester.post(
        reverse("inventory:deployment_create"),
        {
            "model_version": version.pk,
            "environment": "prod-eu",
            "hosting": "cloud",
            "region": "eu-west-1",
            "rollout_pattern": "canary",
            "traffic_percent": "",
        },
    )
    assert response.status_code == 200
    assert b"need a traffic percentage" in response.content
    response = as_requester.post(
        reverse("inventory:deployment_create"),
        {
            "model_version": version.pk,
            "environment": "prod-eu",
            "hosting": "cloud",
            "region": "eu-west-1",
            "rollout_pattern": "canary",
            "traffic_percent": "5",
        },
    )
    deployment = Deployment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:deployment_detail", args=[deployment.pk])
    assert LedgerEvent.objects.filter(action="deployment.created").count() == 1


def test_illegal_transition_on_the_page_shows_the_reason(as_requester) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    response = as_requester.post(
        reverse("inventory:deployment_transition", args=[deployment.pk]), {"to": "active"}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_history_tab_lists_the_deployments_events(as_requester, requester) -> None:  # type: ignore[no-untyped-def]
    from governance.inventory.services import deployment_update

    deployment = DeploymentFactory()
    deployment_update(deployment=deployment, actor=requester, fields={"description": "hello"})
    page = as_requester.get(reverse("inventory:deployment_history", args=[deployment.pk]))
    assert b"<code>deployment.updated</code>" in page.content
    filtered = as_requester.get(
        reverse("inventory:deployment_history", args=[deployment.pk]), {"action": "nothing"}
    )
    # The action list offers this deployment's actions; the events table shows none of them.
    assert b"<code>deployment.updated</code>" not in filtered.content


def test_deployment_pages_have_constant_query_counts(client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    user = user_with_roles(Role.REVIEWER)
    client.force_login(user)
    first = DeploymentFactory()
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("inventory:deployment_list"))
    for _ in range(15):
        DeploymentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("inventory:deployment_list"))
    # The overview tab also shows the gate's verdict and the checklist (dashboard panels).
    with django_assert_max_num_queries(22):
        client.get(reverse("inventory:deployment_detail", args=[first.pk]))


def test_metrics_nested_thousands_deep_get_a_form_error_not_a_crash() -> None:
    with pytest.raises(ValidationError, match="Line 2: write 'name = number'"):
        MetricsField().clean("auc = 0.9\nf1 = " + "[" * 2000 + "]" * 2000)
