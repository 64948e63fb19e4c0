from django.contrib import admin

from governance.core.admin import ReadOnlyAdmin
from governance.inventory.models import AISystem, Dataset, Deployment, ModelVersion


@admin.register(AISystem)
class AISystemAdmin(ReadOnlyAdmin):
    list_display = ("name", "business_unit", "sourcing", "annex_iii_area", "created_at")
    list_filter = ("annex_iii_area", "sourcing")
    search_fields = ("name", "business_unit", "vendor_name")


@admin.register(Dataset)
class DatasetAdmin(ReadOnlyAdmin):
    list_display = ("name", "legal_basis", "retention_days", "created_at")
    search_fields = ("name",)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("system", "version_label", "artifact_sha256", "created_at")
    list_select_related = ("system",)
    search_fields = ("system__name", "version_label")


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("model_version", "environment", "status", "rollout_pattern", "created_at")
    list_filter = ("status", "hosting", "rollout_pattern")
    list_select_related = ("model_version__system",)
    search_fields = ("environment", "model_version__system__name")
