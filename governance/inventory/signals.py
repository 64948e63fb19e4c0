from django.dispatch import Signal

# Sent inside the transaction that changed a deployment's material fingerprint.
# Arguments: deployment, actor, before (fingerprint), after (fingerprint).
# Risk marks the current assessment stale; approvals invalidates pending and approved requests.
deployment_material_change = Signal()

# Sent inside the transaction after any status transition.
# Arguments: deployment, actor, from_status, to_status, reason.
deployment_transitioned = Signal()

# Sent inside the transaction that changed an AI system's record (not its deployments).
# Arguments: system, actor, changed (the names of the fields that changed).
# The obligations room re-decides which requirements apply to the system's deployments:
# the Annex III point, public-service use and New York City hiring use are facts of its rules.
ai_system_changed = Signal()
