from django.dispatch import Signal

# Sent inside the transaction that changes a deployment's accountable owner: the acceptance
# of an offer (a transfer or a first owner), or orphaning when the owner is deactivated or
# loses their qualifying role. Receivers (approvals invalidates its requests) change their
# records in the same transaction, so both commit or roll back together.
# Arguments: deployment, previous (User or None), current (User or None), actor (User or
# None for the system), cause (plain words).
accountable_owner_changed = Signal()
