"""Every write of the approvals room, split by subject."""

from governance.approvals.services.policies import policy_create_version
from governance.approvals.services.requests import (
    approval_request_create,
    approval_request_withdraw,
    approvals_expire_due,
    approvals_invalidate,
)
from governance.approvals.services.signoffs import expected_meaning, signoff_record

__all__ = [
    "approval_request_create",
    "approval_request_withdraw",
    "approvals_expire_due",
    "approvals_invalidate",
    "expected_meaning",
    "policy_create_version",
    "signoff_record",
]
