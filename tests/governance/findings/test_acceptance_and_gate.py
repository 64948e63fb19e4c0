"""Risk acceptance (re-authenticated signatures, expiry) and the findings' effect on the gate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from governance.accounts.roles import Role
from governance.approvals.gate import gate_evaluate
from governance.approvals.gate_checks import GateFacts
from governance.core.errors import InvalidInput, PermissionRefused
from governance.dashboard.standing import standings_for
from governance.findings import services
from governance.findings.choices import FindingState
from governance.findings.gate import open_findings_check
from governance.findings.models import FindingRiskSignoff
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.approvals import ready_deployment
from tests.factories.findings import raise_finding, sign_acceptance

pytestmark = pytest.mark.django_db


def _actions(finding: Any) -> list[str]:
    return list(
        LedgerEvent.objects.filter(subject_id=str(finding.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_high_finding_risk_is_accepted_by_one_compliance_signature() -> None:
    finding = raise_finding(severity="high")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    signoff = sign_acceptance(finding, officer, Role.COMPLIANCE_OFFICER)
    finding.refresh_from_db()
    assert finding.state == FindingState.RISK_ACCEPTED
    assert finding.risk_accepted_until == signoff.expires_on
    assert len(signoff.signature_hash) == 64
    assert _actions(finding)[-2:] == ["finding.risk_signed", "finding.risk_accepted"]


def test_critical_finding_needs_compliance_and_executive() -> None:
    finding = raise_finding(severity="critical")
    sign_acceptance(finding, user_with_roles(Role.COMPLIANCE_OFFICER), Role.COMPLIANCE_OFFICER)
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN  # one of two signatures
    with pytest.raises(InvalidInput, match="already signed"):
        sign_acceptance(finding, user_with_roles(Role.COMPLIANCE_OFFICER), Role.COMPLIANCE_OFFICER)
    with pytest.raises(InvalidInput, match="compliance officer, executive"):
        sign_acceptance(finding, user_with_roles(Role.LEGAL), Role.LEGAL)
    sign_acceptance(finding, user_with_roles(Role.EXECUTIVE), Role.EXECUTIVE)
    finding.refresh_from_db()
    assert finding.state == FindingState.RISK_ACCEPTED
    assert "finding.risk_accepted" in _actions(finding)


def test_one_person_cannot_sign_for_two_roles() -> None:
    finding = raise_finding(severity="critical")
    both = user_with_roles(Role.COMPLIANCE_OFFICER, Role.EXECUTIVE)
    sign_acceptance(finding, both, Role.COMPLIANCE_OFFICER)
    with pytest.raises(PermissionRefused, match="at most once"):
        sign_acceptance(finding, both, Role.EXECUTIVE)
    assert "finding.risk_signoff_refused" in _actions(finding)


def test_signing_as_a_role_one_does_not_hold_is_refused() -> None:
    finding = raise_finding(severity="high")
    with pytest.raises(PermissionRefused, match="do not hold"):
        sign_acceptance(finding, user_with_roles(Role.EXECUTIVE), Role.COMPLIANCE_OFFICER)


def test_requester_cannot_accept_risk_on_own_deployment() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER, Role.REQUESTER)
    finding = raise_finding(severity="high", deployment=DeploymentFactory(created_by=officer))
    with pytest.raises(PermissionRefused, match="independent"):
        sign_acceptance(finding, officer, Role.COMPLIANCE_OFFICER)
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN
    assert not FindingRiskSignoff.objects.exists()
    refused = LedgerEvent.objects.get(action="finding.risk_signoff_refused")
    assert refused.payload["code"] == "permission_denied"


def test_wrong_password_is_refused_and_ledgered_like_a_signoff() -> None:
    finding = raise_finding(severity="high")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    with pytest.raises(PermissionRefused, match="password"):
        sign_acceptance(finding, officer, Role.COMPLIANCE_OFFICER, password="wrong")
    event = LedgerEvent.objects.get(action="security.reauthentication_failed")
    assert event.payload["purpose"] == "finding_risk_acceptance"
    assert not FindingRiskSignoff.objects.exists()


def test_acceptance_needs_a_rationale_and_a_bounded_expiry() -> None:
    finding = raise_finding(severity="high")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    today = timezone.localdate()
    with pytest.raises(InvalidInput, match="after today"):
        sign_acceptance(finding, officer, Role.COMPLIANCE_OFFICER, expires_on=today)
    with pytest.raises(InvalidInput, match="at the latest"):
        sign_acceptance(
            finding, officer, Role.COMPLIANCE_OFFICER, expires_on=today + dt.timedelta(days=400)
        )
    with pytest.raises(InvalidInput, match="why"):
        sign_acceptance(finding, officer, Role.COMPLIANCE_OFFICER, rationale=" ")


def test_expired_acceptance_reopens_the_finding_once() -> None:
    finding = raise_finding(severity="high")
    sign_acceptance(finding, user_with_roles(Role.COMPLIANCE_OFFICER), Role.COMPLIANCE_OFFICER)
    finding.refresh_from_db()
    until = finding.risk_accepted_until
    assert services.finding_acceptances_expire(today=until - dt.timedelta(days=1)) == 0
    assert services.finding_acceptances_expire(today=until) == 1
    assert services.finding_acceptances_expire(today=until) == 0  # idempotent
    finding.refresh_from_db()
    assert finding.state == FindingState.REOPENED and finding.risk_accepted_until is None
    event = LedgerEvent.objects.get(action="finding.reopened", subject_id=str(finding.pk))
    assert "expired" in event.payload["reason"] and event.actor_id == ""
    # The old signatures belong to the previous round: a new acceptance needs new ones.
    assert finding.acceptance_round == 2


# --- The gate --------------------------------------------------------------------------


def test_an_open_high_finding_closes_a_tier_iii_gate_and_is_named() -> None:
    deployment, _, owner = ready_deployment("III")
    finding = raise_finding(deployment=deployment, severity="high", owner=owner, title="No DPIA")
    reasons = gate_evaluate(deployment).reasons
    assert f"open high finding: No DPIA ({finding.pk})" in reasons


def test_an_open_high_finding_leaves_a_tier_i_gate_but_a_critical_one_closes_it() -> None:
    deployment, _, owner = ready_deployment("I")
    raise_finding(deployment=deployment, severity="high", owner=owner)
    assert open_findings_check(deployment, GateFacts(deployment)) == []
    critical = raise_finding(deployment=deployment, severity="critical", owner=owner, title="Leak")
    assert open_findings_check(deployment, GateFacts(deployment)) == [
        f"open critical finding: Leak ({critical.pk})"
    ]


def test_resolved_but_unverified_still_blocks_and_accepted_risk_does_not() -> None:
    deployment, _, owner = ready_deployment("III")
    finding = raise_finding(deployment=deployment, severity="high", owner=owner)
    services.finding_start_remediation(finding=finding, actor=owner)
    services.finding_resolve(finding=finding, actor=owner, note="Done.")
    assert open_findings_check(deployment, GateFacts(deployment))
    other = raise_finding(deployment=DeploymentFactory(), severity="high")
    sign_acceptance(other, user_with_roles(Role.COMPLIANCE_OFFICER), Role.COMPLIANCE_OFFICER)
    assert open_findings_check(other.deployment, GateFacts(other.deployment)) == []


def test_the_blocking_severities_come_from_the_tier_policy(admin_user: Any) -> None:
    from governance.approvals.models import ApprovalPolicy
    from governance.approvals.services import policy_create_version

    deployment, _, owner = ready_deployment("I")
    raise_finding(deployment=deployment, severity="medium", owner=owner, title="Docs")
    assert open_findings_check(deployment, GateFacts(deployment)) == []
    current = ApprovalPolicy.objects.get(tier="I", is_current=True)
    policy_create_version(
        tier="I",
        stages=[dict(s) for s in current.stages.values(*_STAGE_KEYS)],
        recertification_months=24,
        actor=admin_user,
        blocking_finding_severities=["medium", "high", "critical"],
    )
    assert len(open_findings_check(deployment, GateFacts(deployment))) == 1


_STAGE_KEYS = ("name", "required_role", "quorum", "sla_hours", "escalation_role")


def test_gate_check_runs_a_constant_number_of_queries(django_assert_max_num_queries: Any) -> None:
    deployment, _, owner = ready_deployment("III")
    for n in range(10):
        raise_finding(deployment=deployment, severity="high", owner=owner, title=f"F{n}")
    facts = GateFacts(deployment)
    with django_assert_max_num_queries(3):  # findings, policies, the current assessment
        assert len(open_findings_check(deployment, facts)) == 10


def test_dashboard_standing_gives_the_gates_own_words() -> None:
    deployment, _, owner = ready_deployment("III")
    raise_finding(deployment=deployment, severity="high", owner=owner, title="Gap")
    deployment = (
        type(deployment).objects.select_related("model_version__system").get(pk=deployment.pk)
    )
    standing = standings_for([deployment])[0]
    assert standing.gate_reasons == gate_evaluate(deployment).reasons


def test_policy_api_sets_and_carries_over_the_blocking_severities(admin_user: Any) -> None:
    from rest_framework.test import APIClient

    from governance.approvals.defaults import ensure_default_policies

    ensure_default_policies()
    client = APIClient()
    client.force_authenticate(admin_user)
    stage = {
        "name": "Peer review",
        "required_role": "reviewer",
        "quorum": 1,
        "sla_hours": 48,
        "escalation_role": "compliance_officer",
    }
    body = {"tier": "II", "recertification_months": 12, "stages": [stage]}
    kept = client.post("/api/v1/approval-policies/", body, format="json")
    assert kept.status_code == 201, kept.content
    assert kept.json()["blocking_finding_severities"] == ["critical"]
    changed = client.post(
        "/api/v1/approval-policies/",
        {**body, "blocking_finding_severities": ["high", "critical"]},
        format="json",
    )
    assert changed.json()["blocking_finding_severities"] == ["critical", "high"]
    bad = client.post(
        "/api/v1/approval-policies/",
        {**body, "blocking_finding_severities": ["dire"]},
        format="json",
    )
    assert bad.status_code == 400 and "blocking_finding_severities" in bad.json()
