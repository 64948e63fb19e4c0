"""Global search over systems, model versions, deployments and people."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.accounts.roles import Role
from tests.factories import AISystemFactory, DeploymentFactory, ModelVersionFactory, user_with_roles

pytestmark = pytest.mark.django_db

URL = "/search/"


@pytest.fixture
def viewer(client: Client) -> Client:
    client.force_login(user_with_roles(Role.AUDITOR))
    return client


def _sections(client: Client, q: str) -> dict[str, Any]:
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    return {section.key: section for section in response.context["sections"]}


def test_finds_systems_versions_deployments_and_people(viewer: Client) -> None:
    system = AISystemFactory(name="Fraud sentinel")
    version = ModelVersionFactory(system=system, version_label="4.2")
    deployment = DeploymentFactory(model_version=version, environment="prod-sentinel")
    person = user_with_roles(Role.REVIEWER, username="sentinel.keeper", first_name="Sam")
    AISystemFactory(name="Unrelated")
    found = _sections(viewer, "sentinel")
    assert [o.pk for o in found["systems"].objects] == [system.pk]
    assert [o.pk for o in found["versions"].objects] == [version.pk]
    assert [o.pk for o in found["deployments"].objects] == [deployment.pk]
    assert [o.pk for o in found["people"].objects] == [person.pk]


def test_people_are_found_by_their_full_name(viewer: Client) -> None:
    maya = user_with_roles(Role.REQUESTER, first_name="Maya", last_name="Patel")
    user_with_roles(Role.REQUESTER, first_name="Maya", last_name="Other")
    assert [o.pk for o in _sections(viewer, "maya patel")["people"].objects] == [maya.pk]


def test_each_section_links_to_its_list_showing_the_same_number(viewer: Client) -> None:
    for n in range(10):
        system = AISystemFactory(name=f"Pricing engine {n}")
        DeploymentFactory(model_version=ModelVersionFactory(system=system))
        user_with_roles(Role.REQUESTER, username=f"pricing{n}")
    found = _sections(viewer, "pricing")
    for key in ("systems", "versions", "deployments", "people"):
        section = found[key]
        assert section.count == 10 and len(section.objects) == 8, key
        listed = viewer.get(section.more_url)
        assert listed.context["page"].paginator.count == 10, key


def test_search_box_is_in_the_top_bar_of_every_page(viewer: Client) -> None:
    page = viewer.get(reverse("inventory:system_list"))
    assert b'role="search"' in page.content and b'action="/search/"' in page.content


def test_htmx_gets_only_the_results(viewer: Client) -> None:
    AISystemFactory(name="Claims triage")
    partial = viewer.get(URL, {"q": "claims"}, HTTP_HX_REQUEST="true")
    assert partial.content.lstrip().startswith(b'<div id="search-results"')
    assert b"Claims triage" in partial.content and b"<html" not in partial.content


def test_empty_long_and_hostile_queries_are_harmless(viewer: Client) -> None:
    AISystemFactory(name="<script>alert(1)</script>")
    assert _sections(viewer, "   ") == {}
    assert viewer.get(URL, {"q": "x" * 5000}).status_code == 200
    page = viewer.get(URL, {"q": "<script>"})
    assert b"<script>alert(1)</script>" not in page.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.content


def test_search_query_count_does_not_grow_with_matches(
    viewer: Client, django_assert_max_num_queries: Any
) -> None:
    # One match in every section, so every section's related reads already happen.
    DeploymentFactory(model_version=ModelVersionFactory(system=AISystemFactory(name="Match one")))
    user_with_roles(Role.REVIEWER, username="match.maker")
    with django_assert_max_num_queries(20) as small:
        viewer.get(URL, {"q": "match"})
    for n in range(12):
        system = AISystemFactory(name=f"Match {n}")
        DeploymentFactory(model_version=ModelVersionFactory(system=system))
        user_with_roles(Role.REVIEWER, username=f"match{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        viewer.get(URL, {"q": "match"})
