from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import user_with_roles


@pytest.mark.django_db
def test_model_version_form_names_the_artifact_fields_in_words(client: Client) -> None:
    client.force_login(user_with_roles("requester"))
    body = client.get(reverse("inventory:model_version_create")).content.decode()
    assert "Artifact location (URI)" in body and "Artifact SHA-256" in body
    assert "Artifact uri" not in body and "Artifact sha256" not in body
