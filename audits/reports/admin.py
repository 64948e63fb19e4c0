from django.contrib import admin

from audits.reports.models import Export, Report
from governance.core.admin import ReadOnlyAdmin


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "status", "requested_by", "created_at", "completed_at")
    list_filter = ("kind", "status")
    search_fields = ("title", "file_sha256", "evidence_sha256")
    exclude = ("evidence",)


@admin.register(Export)
class ExportAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "status", "requested_by", "created_at", "completed_at")
    list_filter = ("status",)
    search_fields = ("recipient", "file_sha256")
