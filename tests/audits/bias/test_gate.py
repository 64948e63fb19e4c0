"""The deployment gate and the freshness rules (LL144 §5-301(a)), and the due-soon list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from audits.bias import selectors, services
from governance.approvals.gate_checks import failing_reasons, registered_checks
from governance.core.dates import add_months
from governance.inventory.models import Deployment
from tests.factories import (
    AISystemFactory,
    BiasAuditFactory,
    DeploymentFactory,
    ModelVersionFactory,
    user_with_roles,
)

pytestmark = pytest.mark.django_db


def _employment_deployment() -> Deployment:
    system = AISystemFactory(annex_iii_area="employment")
    return DeploymentFactory(model_version=ModelVersionFactory(system=system))


def _loaded(deployment: Deployment) -> Deployment:
    return Deployment.objects.select_related("model_version__system").get(pk=deployment.pk)


def _years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return add_months(today, -12 * years) - dt.timedelta(days=days)


@pytest.fixture
def actor() -> Any:
    return user_with_roles("compliance_officer")


@pytest.fixture(autouse=True)
def _fixed_today(monkeypatch: Any) -> None:
    # Freshness is about calendar days; a fixed "today" keeps leap days out of the examples.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(2026, 6, 15))


def test_check_is_registered_under_its_name() -> None:
    assert "bias_audit" in registered_checks()


def test_gate_blocks_employment_deployment_until_a_fresh_independent_audit_is_final(
    actor: Any,
) -> None:
    deployment = _employment_deployment()
    assert "bias audit missing" in failing_reasons(_loaded(deployment))
    audit = BiasAuditFactory(actor=actor, deployment=deployment)
    # A draft does not count.
    assert "bias audit missing" in failing_reasons(_loaded(deployment))
    services.bias_audit_finalize(audit=audit, actor=actor)
    assert not [r for r in failing_reasons(_loaded(deployment)) if "bias audit" in r]


def test_flagged_deployment_needs_an_audit_whatever_its_area(actor: Any) -> None:
    deployment = DeploymentFactory(requires_independent_bias_audit=True)
    assert registered_checks()["bias_audit"](_loaded(deployment)) == ["bias audit missing"]
    plain = DeploymentFactory()
    assert registered_checks()["bias_audit"](_loaded(plain)) == []


def test_internal_audit_never_satisfies_the_gate(actor: Any) -> None:
    deployment = _employment_deployment()
    BiasAuditFactory(actor=actor, deployment=deployment, attests_no_employment=False, finalize=True)
    assert registered_checks()["bias_audit"](_loaded(deployment)) == ["bias audit missing"]


def test_audit_older_than_a_year_is_stale_from_the_day_after_its_anniversary(actor: Any) -> None:
    deployment = _employment_deployment()
    check = registered_checks()["bias_audit"]
    exactly_one_year = _years_ago(1)
    BiasAuditFactory(
        actor=actor,
        deployment=deployment,
        audit_date=exactly_one_year,
        data_period_end=exactly_one_year,
        data_period_start=exactly_one_year - dt.timedelta(days=90),
        finalize=True,
    )
    # Exactly one year old is not *more than* one year old.
    assert check(_loaded(deployment)) == []

    older = _employment_deployment()
    audit_date = _years_ago(1, days=1)
    BiasAuditFactory(
        actor=actor,
        deployment=older,
        audit_date=audit_date,
        data_period_end=audit_date,
        data_period_start=audit_date - dt.timedelta(days=90),
        finalize=True,
    )
    stale_since = services.stale_since(audit_date)
    assert stale_since == timezone.localdate()
    assert check(_loaded(older)) == [f"bias audit stale since {stale_since:%Y-%m-%d}"]


def test_a_newer_final_audit_replaces_a_stale_one(actor: Any) -> None:
    deployment = _employment_deployment()
    old = _years_ago(2)
    BiasAuditFactory(
        actor=actor,
        deployment=deployment,
        audit_date=old,
        data_period_start=old - dt.timedelta(days=90),
        data_period_end=old,
        finalize=True,
    )
    assert registered_checks()["bias_audit"](_loaded(deployment))[0].startswith(
        "bias audit stale since"
    )
    BiasAuditFactory(actor=actor, deployment=deployment, finalize=True)
    assert registered_checks()["bias_audit"](_loaded(deployment)) == []


def test_gate_check_runs_a_constant_number_of_queries(
    actor: Any, django_assert_max_num_queries: Any
) -> None:
    deployment = _employment_deployment()
    for _ in range(3):
        BiasAuditFactory(actor=actor, deployment=deployment, finalize=True)
    loaded = _loaded(deployment)
    with django_assert_max_num_queries(1):
        assert registered_checks()["bias_audit"](loaded) == []


def test_audits_due_within_thirty_days_are_listed_for_the_dashboard(actor: Any) -> None:
    soon = _employment_deployment()
    later = _employment_deployment()
    stale = _employment_deployment()
    today = timezone.localdate()
    due_soon_date = today - dt.timedelta(days=345)  # next due in about 20 days
    for deployment, audit_date in (
        (soon, due_soon_date),
        (later, today - dt.timedelta(days=100)),
        (stale, _years_ago(1, days=10)),
    ):
        BiasAuditFactory(
            actor=actor,
            deployment=deployment,
            audit_date=audit_date,
            data_period_start=audit_date - dt.timedelta(days=90),
            data_period_end=audit_date,
            finalize=True,
        )
    items = selectors.audits_due_within(30)
    assert [i["deployment"].pk for i in items] == [stale.pk, soon.pk]
    assert items[0]["stale"] and items[0]["days_overdue"] > 0
    assert not items[1]["stale"] and 0 < items[1]["days_to_due"] <= 30
