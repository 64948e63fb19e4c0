"""Demo approvals: real requests and re-authenticated sign-offs by the demo users.

Everything goes through the services, so the demo ledger, gate answers and dashboards show
what the product would have recorded. Deployments that already have a request are left alone.
"""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from governance.accounts.demo import DEMO_PASSWORD
from governance.approvals import services
from governance.approvals.defaults import ensure_default_policies
from governance.approvals.models import ApprovalRequest
from governance.approvals.services.signoffs import current_stage
from governance.inventory.models import Deployment
from governance.inventory.services import deployment_transition

# environment → (requester, [(signer, decision, comment or conditions)], then "live"/"approved")
PLAN: dict[str, dict[str, Any]] = {
    "prod-eu": {
        "requester": "requester",
        "signers": ["reviewer", "compliance", "legal", "executive"],
        "conditions": {"executive": "Quarterly review of decline rates by age band."},
        "end": "active",
    },
    "prod-eu-canary": {"requester": "requester", "signers": ["reviewer"], "end": "pending"},
    "prod-us-nyc": {
        "requester": "engineer2",
        "signers": ["reviewer2", "compliance2", "legal", "executive"],
        "conditions": {"compliance2": "Publish the bias audit summary before go-live."},
        "end": "active",
    },
    "prod-global": {
        "requester": "engineer2",
        "first": ("reviewer", "request_changes", "Attach the hand-over-to-human test results."),
        "signers": ["reviewer2", "compliance"],
        "conditions": {"reviewer2": "A/B split at most 50 % until CSAT is confirmed."},
        "end": "approved",
    },
    "edge-pos": {
        "requester": "engineer2",
        "signers": ["reviewer2", "compliance2"],
        "end": "active",
    },
}


def _sign(approval: ApprovalRequest, signer: Any, decision: str, text: str = "") -> None:
    approval.refresh_from_db()
    stage = current_stage(approval)
    if stage is None:
        return
    services.signoff_record(
        request=approval,
        signer=signer,
        decision=decision,
        meaning=services.expected_meaning(approval, stage, decision),
        comment=text if decision != "approve" else "",
        conditions=text if decision == "approve" else "",
        password=DEMO_PASSWORD,
        http_request=RequestFactory().post("/"),
    )


def seed(users: dict[str, Any]) -> None:
    # The data migration ships the policies; a database emptied since (tests) gets them back.
    ensure_default_policies()
    for environment, plan in PLAN.items():
        deployment = Deployment.objects.filter(environment=environment).first()
        if deployment is None or deployment.approval_requests.exists():
            continue
        requester = users[plan["requester"]]
        if "first" in plan:
            signer, decision, comment = plan["first"]
            first = services.approval_request_create(deployment=deployment, actor=requester)
            _sign(first, users[signer], decision, comment)
            deployment.refresh_from_db()
        approval = services.approval_request_create(
            deployment=deployment, actor=requester, reason="Demo: ready for review."
        )
        for name in plan["signers"]:
            _sign(approval, users[name], "approve", plan.get("conditions", {}).get(name, ""))
        if plan["end"] == "active":
            deployment.refresh_from_db()
            deployment_transition(
                deployment=deployment, to_status="active", actor=requester, reason="rolled out"
            )
