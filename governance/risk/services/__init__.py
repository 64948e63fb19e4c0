"""Every write of the risk room, one module per subject."""

from governance.risk.services.assessments import (
    risk_assessment_create,
    risk_assessment_discard,
    risk_assessment_mark_stale,
    risk_assessment_submit,
    risk_assessment_update,
)
from governance.risk.services.methodologies import methodologies_load, methodology_load
from governance.risk.services.register import (
    risk_accept,
    risk_close,
    risk_create,
    risk_delete,
    risk_reopen,
    risk_update,
)

__all__ = [
    "methodologies_load",
    "methodology_load",
    "risk_accept",
    "risk_assessment_create",
    "risk_assessment_discard",
    "risk_assessment_mark_stale",
    "risk_assessment_submit",
    "risk_assessment_update",
    "risk_close",
    "risk_create",
    "risk_delete",
    "risk_reopen",
    "risk_update",
]
