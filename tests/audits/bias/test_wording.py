from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import BiasAuditFactory, user_with_roles

pytestmark = pytest.mark.django_db


def test_a_selection_audit_has_a_readable_title() -> None:
    audit = BiasAuditFactory(audit_type="selection")
    assert str(audit) == f"Selection-rate bias audit of {audit.audit_date:%Y-%m-%d}"
    assert "(selected or not)" not in str(audit)


def test_audit_page_heading_uses_the_readable_title(client: Client) -> None:
    audit = BiasAuditFactory(audit_type="selection")
    client.force_login(user_with_roles("auditor"))
    body = client.get(reverse("bias:audit_detail", args=[audit.pk])).content.decode()
    assert "<h1>Selection-rate bias audit" in body


def test_independent_filter_defaults_to_any(client: Client) -> None:
    client.force_login(user_with_roles("auditor"))
    body = client.get(reverse("bias:audit_list")).content.decode()
    assert '<option value="" selected>any</option>' in body
    assert "Unknown" not in body
