"""A missing requirement in force becomes exactly one finding, by action or by the sweep."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from governance.core.errors import Conflict
from governance.findings.models import Finding
from governance.ledger.models import LedgerEvent
from governance.obligations.models import DeploymentObligation, ObligationSummary
from governance.obligations.services import (
    obligation_gap_raise,
    obligations_gap_sweep,
    obligations_refresh,
)
from tests.factories import RequirementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _swept(settings: Any) -> None:
    # The sweep covers the test framework alone, not the shipped library's requirements.
    settings.OBLIGATIONS_GAP_SWEEP_FRAMEWORKS = ["swept-law"]


def _missing(deployment: Any) -> DeploymentObligation:
    requirement = RequirementFactory(
        framework__slug="swept-law", ref="EU-AIA Art 26(6)", evidence_rules=[{"kind": "ledger"}]
    )
    obligations_refresh(deployment_ids=[deployment.pk])
    return DeploymentObligation.objects.get(deployment=deployment, requirement=requirement)


def test_missing_requirement_becomes_exactly_one_finding(deployment: Any, officer: Any) -> None:
    row = _missing(deployment)
    first = obligation_gap_raise(obligation=row, actor=officer)
    again = obligation_gap_raise(obligation=row, actor=officer)
    assert first == again
    ObligationSummary.objects.filter(deployment=deployment).update(tier="IV")
    assert obligations_gap_sweep() == 0
    [finding] = Finding.objects.all()
    assert finding.source_kind == "obligation_gap"
    assert finding.automatic
    assert "EU-AIA Art 26(6)" in finding.title
    assert "Audit trail" in finding.description
    assert LedgerEvent.objects.filter(action="obligation.gap_raised").count() == 1


def test_daily_sweep_raises_gaps_of_high_tier_deployments_once(
    deployment: Any, settings: Any
) -> None:
    settings.OBLIGATIONS_GAP_SWEEP_TIERS = ["III", "IV"]
    _missing(deployment)
    assert obligations_gap_sweep() == 0  # no tier recorded: not swept
    ObligationSummary.objects.filter(deployment=deployment).update(tier="III")
    assert obligations_gap_sweep() == 1
    assert obligations_gap_sweep() == 0
    assert Finding.objects.count() == 1
    event = LedgerEvent.objects.get(action="obligation.gap_raised")
    assert event.actor_id == ""  # the system


def test_sweep_is_off_when_no_tier_is_named(deployment: Any, settings: Any) -> None:
    settings.OBLIGATIONS_GAP_SWEEP_TIERS = []
    _missing(deployment)
    ObligationSummary.objects.filter(deployment=deployment).update(tier="IV")
    assert obligations_gap_sweep() == 0


def test_met_requirement_is_not_a_gap(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory(applies_from=None, applicability={"when": None})
    requirement.evidence_rules = []
    obligations_refresh(deployment_ids=[deployment.pk])
    row = DeploymentObligation.objects.get(deployment=deployment, requirement=requirement)
    DeploymentObligation.objects.filter(pk=row.pk).update(status="met")
    with pytest.raises(Conflict):
        obligation_gap_raise(obligation=row, actor=officer)
    assert not Finding.objects.exists()


def test_one_action_on_the_page_raises_it(client: Any, deployment: Any, officer: Any) -> None:
    row = _missing(deployment)
    client.force_login(officer)
    page = client.get(reverse("obligations:obligation_detail", kwargs={"pk": row.pk}))
    assert b"Raise a finding for this gap" in page.content
    url = reverse("obligations:obligation_raise_finding", kwargs={"pk": row.pk})
    response = client.post(url)
    finding = Finding.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("findings:detail", kwargs={"pk": finding.pk})
    client.post(url)
    assert Finding.objects.count() == 1
    page = client.get(reverse("obligations:obligation_detail", kwargs={"pk": row.pk}))
    assert b"This gap is a finding" in page.content


def test_auditor_cannot_raise(client: Any, deployment: Any, auditor: Any) -> None:
    row = _missing(deployment)
    client.force_login(auditor)
    url = reverse("obligations:obligation_raise_finding", kwargs={"pk": row.pk})
    assert client.post(url).status_code == 403
    assert not Finding.objects.exists()
