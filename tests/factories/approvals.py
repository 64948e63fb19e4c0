"""Helpers that bring a deployment to the point where approval can be requested."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from governance.accounts.roles import Role
from governance.approvals import services
from governance.approvals.defaults import ensure_default_policies
from governance.approvals.models import ApprovalRequest, Decision, SignOff
from governance.approvals.services.signoffs import current_stage
from governance.risk.models import Methodology, RiskAssessment
from governance.risk.services import risk_assessment_create
from tests.factories.accounts import PASSWORD, user_with_roles
from tests.factories.inventory import DeploymentFactory
from tests.factories.liability import make_owner
from tests.factories.risk import EU_MINIMAL, load_generated, load_shipped

RISK_POINTS_FOR_TIER = {"I": 2, "II": 4, "III": 6, "IV": 8}


def tiered_methodology() -> Methodology:
    """A generated methodology (8 risk questions of 0/5 points, 2 mitigation) linked to the
    shipped EU questionnaire, so a test can pick the impact level directly."""
    load_shipped()
    return load_generated(slug="tiered", eu=("eu-ai-act", "1"))


def answers_for(tier: str, **eu: Any) -> dict[str, Any]:
    n = RISK_POINTS_FOR_TIER.get(tier, 0)
    answers: dict[str, Any] = {f"q{i:03d}": "o5" if i < n else "o0" for i in range(8)}
    answers.update({"q008": "o0", "q009": "o0"})
    answers.update({**EU_MINIMAL, **eu})
    return answers


def assess(deployment: Any, tier: str, actor: Any, **eu: Any) -> RiskAssessment:
    return risk_assessment_create(
        deployment=deployment,
        methodology=tiered_methodology(),
        actor=actor,
        answers=answers_for(tier, **eu),
        submit=True,
    )


def ready_deployment(tier: str = "II", **fields: Any) -> tuple[Any, Any, Any]:
    """A draft deployment with a submitted assessment of `tier` and an accepted owner.

    Returns (deployment, requester, owner). The model version's author is a third person.
    """
    ensure_default_policies()
    requester = user_with_roles(Role.REQUESTER)
    owner = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory(**fields)
    assess(deployment, tier, requester)
    make_owner(deployment, owner)
    deployment.refresh_from_db()
    return deployment, requester, owner


def sign(
    approval: ApprovalRequest,
    signer: Any,
    decision: str = Decision.APPROVE,
    *,
    comment: str = "",
    conditions: str = "",
    password: str = PASSWORD,
    stage_order: int | None = None,
) -> SignOff:
    approval.refresh_from_db()
    stage = current_stage(approval)
    meaning = services.expected_meaning(approval, stage, decision) if stage else "x"
    return services.signoff_record(
        request=approval,
        signer=signer,
        decision=decision,
        meaning=meaning,
        comment=comment,
        conditions=conditions,
        password=password,
        http_request=RequestFactory().post("/"),
        stage_order=stage_order,
    )


def signers_for(approval: ApprovalRequest) -> list[list[Any]]:
    """Fresh, independent people for every stage of the request's policy (quorum included)."""
    return [
        [user_with_roles(stage.required_role) for _ in range(stage.quorum)]
        for stage in approval.policy.stages.order_by("order")
    ]


def approve_fully(approval: ApprovalRequest) -> ApprovalRequest:
    for people in signers_for(approval):
        for person in people:
            sign(approval, person)
    approval.refresh_from_db()
    return approval
