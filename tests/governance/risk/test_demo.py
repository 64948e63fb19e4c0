"""The demo data: assessments that make sense for each demo system, loaded idempotently."""

from __future__ import annotations

import pytest

from governance.accounts.demo import ensure_demo_users
from governance.inventory import demo as inventory_demo
from governance.ledger.models import LedgerEvent
from governance.risk import demo
from governance.risk.models import Methodology, Risk, RiskAcceptance, RiskAssessment
from governance.risk.selectors import current_assessment

pytestmark = pytest.mark.django_db


def test_demo_gives_every_demo_deployment_a_fitting_assessment_and_is_idempotent() -> None:
    users = ensure_demo_users()
    inventory_demo.seed(users)
    demo.seed(users)
    counts = (RiskAssessment.objects.count(), Risk.objects.count(), LedgerEvent.objects.count())
    demo.seed(users)
    assert (
        RiskAssessment.objects.count(),
        Risk.objects.count(),
        LedgerEvent.objects.count(),
    ) == counts
    assert Methodology.objects.count() == 4  # impact, EU classification, FRIA, DPIA
    classes = {}
    for assessment in RiskAssessment.objects.select_related("deployment__model_version__system"):
        assert assessment.status == "submitted"
        current = current_assessment(assessment.deployment)
        assert current is not None and not current.is_stale
        classes[assessment.deployment.model_version.system.name] = (
            assessment.eu_class,
            assessment.tier,
        )
    assert classes["Credit risk scorer"] == ("high", "III")
    assert classes["CV screening assistant"] == ("high", "III")
    assert classes["Customer support chatbot"][0] == "limited"
    assert classes["Card fraud detector"][0] == "minimal"
    acceptance = RiskAcceptance.objects.get()
    assert acceptance.executive_required and acceptance.accepted_by.username == "executive"
