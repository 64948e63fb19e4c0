"""The bulk standing: the gate's verdict for many deployments at once, and the checklist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from governance.accounts.roles import Role
from governance.accounts.services import user_deactivate
from governance.approvals import services as approvals
from governance.approvals.gate import gate_evaluate
from governance.approvals.models import ApprovalRequest
from governance.dashboard.standing import standing_of, standings_for
from governance.inventory import services as inventory
from governance.inventory.models import Deployment
from tests.factories import (
    AISystemFactory,
    BiasAuditFactory,
    DeploymentFactory,
    ModelVersionFactory,
    user_with_roles,
)
from tests.factories.approvals import approve_fully, assess, ready_deployment, sign

pytestmark = pytest.mark.django_db


def _loaded(*deployments: Any) -> list[Deployment]:
    ids = [d.pk for d in deployments]
    rows = Deployment.objects.select_related("model_version__system").in_bulk(ids)
    return [rows[pk] for pk in ids]


def _approved(tier: str = "II", **fields: Any) -> Deployment:
    deployment, requester, _ = ready_deployment(tier, **fields)
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    return deployment


def _audited_employment_deployment(audit_date: dt.date) -> Deployment:
    system = AISystemFactory(annex_iii_area="employment")
    deployment, _, _ = ready_deployment("III", model_version=ModelVersionFactory(system=system))
    BiasAuditFactory(
        actor=user_with_roles(Role.COMPLIANCE_OFFICER),
        deployment=deployment,
        audit_date=audit_date,
        data_period_start=audit_date - dt.timedelta(days=90),
        data_period_end=audit_date,
        finalize=True,
    )
    return deployment


def _scenarios() -> dict[str, Deployment]:
    """One deployment in each situation the gate distinguishes."""
    today = timezone.localdate()
    scenarios: dict[str, Deployment] = {"bare draft": DeploymentFactory()}
    scenarios["ready, never requested"] = ready_deployment("I")[0]
    pending, requester, _ = ready_deployment("II")
    request = approvals.approval_request_create(deployment=pending, actor=requester)
    sign(request, user_with_roles(Role.REVIEWER))
    scenarios["pending at stage 2"] = pending
    scenarios["approved"] = _approved("II")
    expired = _approved("I")
    ApprovalRequest.objects.filter(deployment=expired).update(
        expires_at=timezone.now() - dt.timedelta(days=1)
    )
    scenarios["approval past its date"] = expired
    changed = _approved("II")
    inventory.deployment_update(
        deployment=changed,
        actor=user_with_roles(Role.REQUESTER),
        fields={"region": "eu-central-1"},
    )
    scenarios["materially changed after approval"] = changed
    orphaned = _approved("II")
    owner = orphaned.ownerships.get().user
    user_deactivate(user=owner, actor=user_with_roles(Role.ADMIN), reason="left")
    scenarios["owner left after approval"] = orphaned
    blocked = DeploymentFactory()
    assess(blocked, "I", user_with_roles(Role.REQUESTER), eu_prohibited=["social_scoring"])
    scenarios["blocked tier"] = blocked
    scenarios["bias audit missing"] = ready_deployment(
        "III",
        model_version=ModelVersionFactory(system=AISystemFactory(annex_iii_area="employment")),
    )[0]
    scenarios["bias audit fresh"] = _audited_employment_deployment(today - dt.timedelta(days=30))
    scenarios["bias audit stale"] = _audited_employment_deployment(today - dt.timedelta(days=400))
    retired = _approved("I")
    inventory.deployment_transition(
        deployment=retired,
        to_status="retired",
        actor=user_with_roles(Role.ADMIN),
        reason="replaced",
    )
    scenarios["retired"] = retired
    return scenarios


def test_bulk_standing_gives_the_gates_own_verdict_and_reasons_in_every_situation() -> None:
    scenarios = _scenarios()
    deployments = _loaded(*scenarios.values())
    standings = standings_for(deployments)
    for (name, _), deployment, standing in zip(
        scenarios.items(), deployments, standings, strict=True
    ):
        gate = gate_evaluate(deployment)
        assert standing.gate_reasons == gate.reasons, name
        assert standing.gate_allowed is gate.allowed, name
    verdicts = {name: s.gate_allowed for name, s in zip(scenarios, standings, strict=True)}
    assert verdicts["approved"] and verdicts["bias audit fresh"] is False  # never requested
    assert not verdicts["materially changed after approval"]
    assert sum(verdicts.values()) == 1


def test_bulk_standing_runs_the_same_number_of_queries_for_three_or_thirty_deployments(
    django_assert_max_num_queries: Any,
) -> None:
    first = [_approved("II"), ready_deployment("I")[0], DeploymentFactory()]
    with django_assert_max_num_queries(12) as few:
        standings_for(_loaded(*first))
    more = first + [_approved("I") for _ in range(4)] + [DeploymentFactory() for _ in range(23)]
    loaded = _loaded(*more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        standings = standings_for(loaded)
    assert len(standings) == 30


def test_checklist_of_a_new_draft_lists_every_step_with_where_it_is_done() -> None:
    deployment = DeploymentFactory()
    standing = standing_of(_loaded(deployment)[0])
    items = {item.key: item for item in standing.checklist}
    assert list(items) == ["assessment", "owner", "approval_request"]
    assert not any(item.done for item in standing.checklist)
    assert items["assessment"].url == f"/deployments/{deployment.pk}/risk/"
    assert items["owner"].url == f"/deployments/{deployment.pk}/accountability/"
    assert items["approval_request"].url == f"/deployments/{deployment.pk}/approvals/"
    assert items["approval_request"].detail == "no approval has been requested"


def test_checklist_names_each_approval_stage_and_the_sla_of_the_current_one() -> None:
    deployment, requester, owner = ready_deployment("II")
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    sign(request, user_with_roles(Role.REVIEWER))
    standing = standing_of(_loaded(deployment)[0])
    rows = [(item.key, item.label, item.done) for item in standing.checklist]
    assert rows == [
        ("assessment", "Risk assessment submitted and current", True),
        ("owner", "Accountable owner accepted", True),
        ("approval_request", "Approval requested", True),
        ("stage_1", "Sign-off: Peer review (Reviewer)", True),
        ("stage_2", "Sign-off: Compliance review (Compliance officer)", False),
    ]
    assert standing.checklist[4].detail.startswith("due in ")
    assert standing.checklist[4].url == f"/approvals/{request.pk}/"
    assert standing.checklist[1].detail == owner.display_name
    assert standing.sla is not None and not standing.sla.overdue


def test_checklist_of_an_approved_deployment_is_done_until_the_approval_expires() -> None:
    deployment = _approved("I")
    standing = standing_of(_loaded(deployment)[0])
    assert standing.outstanding == [] and standing.gate_allowed
    assert standing.checklist[-1].key == "approval_valid"
    ApprovalRequest.objects.filter(deployment=deployment).update(
        expires_at=timezone.now() - dt.timedelta(hours=1)
    )
    later = standing_of(_loaded(deployment)[0])
    assert [item.key for item in later.outstanding] == ["approval_valid"]
    assert later.outstanding[0].detail.startswith("expired on ")


def test_checklist_asks_for_a_fresh_independent_bias_audit_where_one_is_required() -> None:
    today = timezone.localdate()
    stale = _audited_employment_deployment(today - dt.timedelta(days=400))
    fresh = _audited_employment_deployment(today - dt.timedelta(days=10))
    plain = ready_deployment("I")[0]
    by_pk = {s.deployment.pk: s for s in standings_for(_loaded(stale, fresh, plain))}
    stale_item = next(i for i in by_pk[stale.pk].checklist if i.key == "bias_audit")
    assert not stale_item.done and stale_item.detail.startswith("bias audit stale since")
    assert stale_item.url == f"/deployments/{stale.pk}/bias-audits/"
    fresh_item = next(i for i in by_pk[fresh.pk].checklist if i.key == "bias_audit")
    assert fresh_item.done and "days left" in fresh_item.detail
    assert "bias_audit" not in [i.key for i in by_pk[plain.pk].checklist]
