from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audits.bias.models import BiasAudit, BiasAuditResult
from governance.core.admin import ReadOnlyAdmin


class BiasAuditResultInline(admin.TabularInline):
    model = BiasAuditResult
    fields = (
        "dimension",
        "category",
        "n",
        "selected",
        "rate",
        "impact_ratio",
        "flagged",
        "excluded",
    )
    readonly_fields = fields
    can_delete = False
    extra = 0
    max_num = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BiasAudit)
class BiasAuditAdmin(ReadOnlyAdmin):
    list_display = (
        "model_version",
        "deployment",
        "audit_type",
        "status",
        "audit_date",
        "auditor_name",
    )
    list_filter = ("status", "audit_type", "data_source")
    list_select_related = ("model_version__system", "deployment__model_version__system")
    search_fields = ("auditor_name", "auditor_organisation", "model_version__system__name")
    inlines = (BiasAuditResultInline,)


@admin.register(BiasAuditResult)
class BiasAuditResultAdmin(ReadOnlyAdmin):
    list_display = ("audit", "dimension", "category", "n", "selected", "impact_ratio", "flagged")
    list_select_related = ("audit",)
    list_filter = ("flagged", "excluded")
