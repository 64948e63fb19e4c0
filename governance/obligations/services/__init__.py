"""Every write of the obligations room."""

from governance.obligations.services.assertions import assertion_sign, assertion_withdraw
from governance.obligations.services.documents import (
    evidence_document_upload,
    evidence_link_create,
    evidence_link_remove,
)
from governance.obligations.services.gaps import obligation_gap_raise, obligations_gap_sweep
from governance.obligations.services.refresh import (
    obligations_expire_assertions,
    obligations_refresh,
    obligations_refresh_all,
)

__all__ = [
    "assertion_sign",
    "assertion_withdraw",
    "evidence_document_upload",
    "evidence_link_create",
    "evidence_link_remove",
    "obligation_gap_raise",
    "obligations_expire_assertions",
    "obligations_gap_sweep",
    "obligations_refresh",
    "obligations_refresh_all",
]
