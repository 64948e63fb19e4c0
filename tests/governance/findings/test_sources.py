"""Findings raised by other rooms: finalised bias audits and risks above the appetite."""

from __future__ import annotations

from typing import Any

import pytest

from audits.bias.findings import raise_findings_for
from governance.accounts.roles import Role
from governance.findings.choices import SourceKind
from governance.findings.models import Finding
from governance.findings.services import finding_raise_automatic
from governance.ledger.models import LedgerEvent
from governance.risk.services import risk_create, risk_update
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.bias import csv_bytes, grouped_rows

pytestmark = pytest.mark.django_db

# Women are selected at 0.2, men at 0.5 (impact ratio 0.4, significant); both races alike.
# Failing categories: Female (sex), Female × White and Female × Black (intersections).
DISPARATE_CSV = csv_bytes(
    "sex,race_ethnicity,selected",
    grouped_rows(
        {
            ("Female", "White"): (50, 10),
            ("Female", "Black"): (50, 10),
            ("Male", "White"): (50, 25),
            ("Male", "Black"): (50, 25),
        }
    ),
)
# The same ratio on ten people each: below 0.80, but not significant.
SMALL_CSV = csv_bytes(
    "sex,selected",
    grouped_rows({("Female",): (10, 2), ("Male",): (10, 5)}),
)


@pytest.fixture
def actor() -> Any:
    return user_with_roles(Role.COMPLIANCE_OFFICER)


def test_finalising_a_bias_audit_raises_one_finding_per_failing_category(actor: Any) -> None:
    audit = BiasAuditFactory(csv=DISPARATE_CSV, actor=actor, finalize=True)
    findings = Finding.objects.filter(source_kind=SourceKind.BIAS_AUDIT).order_by("title")
    flagged = audit.results.filter(flagged=True, excluded=False)
    assert {f.source_ref for f in findings} == {str(r.pk) for r in flagged}
    assert findings.count() == 3
    assert {r.is_intersection for r in flagged} == {True, False}
    assert all(f.severity == "high" and f.automatic for f in findings)
    assert all(f.deployment_id == audit.deployment_id for f in findings)
    assert LedgerEvent.objects.filter(action="finding.raised").count() == 3


def test_a_failing_category_that_is_not_significant_is_medium(actor: Any) -> None:
    BiasAuditFactory(csv=SMALL_CSV, actor=actor, finalize=True)
    finding = Finding.objects.get(source_kind=SourceKind.BIAS_AUDIT)
    assert finding.severity == "medium"
    assert "0.400" in finding.description


def test_raising_again_for_the_same_audit_duplicates_nothing(actor: Any) -> None:
    audit = BiasAuditFactory(csv=DISPARATE_CSV, actor=actor, finalize=True)
    before = LedgerEvent.objects.count()
    assert raise_findings_for(audit, actor=actor) == []
    assert Finding.objects.count() == 3
    assert LedgerEvent.objects.count() == before


def test_the_database_keeps_one_automatic_finding_per_source(actor: Any) -> None:
    from django.db import IntegrityError, transaction

    finding = finding_raise_automatic(
        deployment=DeploymentFactory(),
        source_kind=SourceKind.MONITORING_ALERT,
        source_ref="alert-1",
        severity="high",
        title="Drift above threshold",
        description="",
        owner=actor,
    )
    assert finding is not None
    copy = Finding.objects.get(pk=finding.pk)
    copy.pk = None
    copy._state.adding = True
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def _risk(deployment: Any, actor: Any, likelihood: int, impact: int) -> Any:
    return risk_create(
        deployment=deployment,
        actor=actor,
        category="fairness",
        title="Unequal error rates",
        description="Error rates differ by age band.",
        inherent_likelihood=5,
        inherent_impact=5,
        treatment="mitigate",
        control_description="Threshold per band.",
        residual_likelihood=likelihood,
        residual_impact=impact,
        owner=actor,
    )


def test_a_risk_above_the_appetite_raises_one_finding_however_often_it_is_saved(
    actor: Any,
) -> None:
    deployment = DeploymentFactory()
    risk = _risk(deployment, actor, 3, 5)  # 15 > appetite 14
    finding = Finding.objects.get(source_kind=SourceKind.RISK_REGISTER)
    assert finding.source_ref == str(risk.pk) and finding.severity == "high"
    assert finding.owner == actor
    risk_update(risk=risk, actor=actor, fields={"residual_impact": 4, "residual_likelihood": 5})
    assert Finding.objects.filter(source_kind=SourceKind.RISK_REGISTER).count() == 1


def test_a_risk_within_the_appetite_raises_nothing_until_it_exceeds_it(
    actor: Any, settings: Any
) -> None:
    deployment = DeploymentFactory()
    risk = _risk(deployment, actor, 2, 5)  # 10
    assert not Finding.objects.exists()
    risk_update(risk=risk, actor=actor, fields={"residual_likelihood": 5})  # 25: critical
    assert Finding.objects.get().severity == "critical"
    settings.FINDINGS_RISK_APPETITE = 25
    _risk(DeploymentFactory(), actor, 5, 5)
    assert Finding.objects.count() == 1
