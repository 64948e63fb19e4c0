"""Every write of the liability room, by subject; import from here."""

from governance.liability.services.ai_act import ai_act_role_shift_record
from governance.liability.services.assignments import assignment_create, assignment_end
from governance.liability.services.ownership import (
    default_statement,
    offer_check_recipient,
    offer_orphans_to,
    ownership_offer_accept,
    ownership_offer_create,
    ownership_offer_decline,
    ownership_offer_withdraw,
    ownership_orphans_recheck,
    ownerships_orphan_for_user,
    react_to_access_reduced,
    user_qualifies,
)
from governance.liability.services.parties import (
    contract_create,
    contract_update,
    party_create,
    party_delete,
    party_update,
)

__all__ = [
    "ai_act_role_shift_record",
    "assignment_create",
    "assignment_end",
    "contract_create",
    "contract_update",
    "default_statement",
    "offer_check_recipient",
    "offer_orphans_to",
    "ownership_offer_accept",
    "ownership_offer_create",
    "ownership_offer_decline",
    "ownership_offer_withdraw",
    "ownership_orphans_recheck",
    "ownerships_orphan_for_user",
    "party_create",
    "party_delete",
    "party_update",
    "react_to_access_reduced",
    "user_qualifies",
]
