from typing import Any

from django.contrib import admin

from governance.approvals.models import (
    ApprovalPolicy,
    ApprovalRequest,
    GateDecision,
    PolicyStage,
    SignOff,
)
from governance.core.admin import ReadOnlyAdmin


class StageInline(admin.TabularInline):
    model = PolicyStage
    extra = 0
    can_delete = False
    readonly_fields = ("order", "name", "required_role", "quorum", "sla_hours", "escalation_role")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(ReadOnlyAdmin):
    """Policies are versioned through the Approval policies page, never edited in place."""

    list_display = ("tier", "version", "is_current", "recertification_months", "created_at")
    list_filter = ("tier", "is_current")
    inlines = (StageInline,)


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = ("deployment", "tier", "status", "current_stage", "created_at", "expires_at")
    list_filter = ("status", "tier")
    list_select_related = ("deployment__model_version__system",)


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    list_display = ("printed_name", "decision", "signed_as", "signed_at", "request")
    list_filter = ("decision", "signed_as")


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdmin):
    list_display = ("deployment", "allowed", "asked_by", "asked_at")
    list_filter = ("allowed",)
