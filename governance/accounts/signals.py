from django.dispatch import Signal

# Sent inside the transaction that deactivated a user or removed one of their roles, so
# rooms that depend on a person's standing (accountable ownership) react atomically.
# Arguments: user, actor, removed_roles (frozenset[str]), deactivated (bool), successor (the
# person chosen to take over what the user owned, or None: it is then flagged as orphaned).
user_access_reduced = Signal()
