from django.contrib import admin

from governance.core.admin import ReadOnlyAdmin
from governance.liability.models import (
    AccountabilityAssignment,
    AIActRoleShift,
    Contract,
    Ownership,
    OwnershipOffer,
    Party,
)


@admin.register(Party)
class PartyAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "email", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "email", "contact_name")


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = ("reference", "party", "ends_on", "insurance_expires_on")
    list_select_related = ("party",)
    search_fields = ("reference", "title", "party__name")


@admin.register(AccountabilityAssignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("party", "raci", "scope", "deployment", "system", "ended_at")
    list_filter = ("raci", "scope")
    list_select_related = ("party", "deployment__model_version__system", "system")


@admin.register(OwnershipOffer)
class OwnershipOfferAdmin(ReadOnlyAdmin):
    list_display = ("deployment", "to_user", "offered_by", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("deployment__model_version__system", "to_user", "offered_by")


@admin.register(Ownership)
class OwnershipAdmin(ReadOnlyAdmin):
    list_display = ("deployment", "printed_name", "accepted_at", "ended_at", "end_cause")
    list_filter = ("end_cause",)
    list_select_related = ("deployment__model_version__system",)


@admin.register(AIActRoleShift)
class AIActRoleShiftAdmin(ReadOnlyAdmin):
    list_display = ("deployment", "trigger", "from_role", "to_role", "created_at")
    list_select_related = ("deployment__model_version__system",)
