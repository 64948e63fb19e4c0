from django.dispatch import Signal

# Sent inside the transaction that changed a deployment's material fingerprint.
# Arguments: deployment, actor, before (fingerprint), after (fingerprint).
# Risk marks the current assessment stale; approvals invalidates pending and approved requests.
deployment_material_change = Signal()

# Sent inside the transaction after any status transition.
# Arguments: deployment, actor, from_status, to_status, reason.
deployment_transitioned = Signal()
