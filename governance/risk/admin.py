from django.contrib import admin

from governance.core.admin import ReadOnlyAdmin
from governance.risk.models import Methodology, Risk, RiskAcceptance, RiskAssessment, StaleMark


@admin.register(Methodology)
class MethodologyAdmin(ReadOnlyAdmin):
    list_display = ("slug", "version", "kind", "title", "sha256", "created_at")
    list_filter = ("kind",)
    search_fields = ("slug", "title", "sha256")


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = (
        "deployment",
        "methodology",
        "status",
        "level",
        "eu_class",
        "tier",
        "submitted_at",
    )
    list_filter = ("status", "tier", "eu_class")
    list_select_related = ("deployment__model_version__system", "methodology")
    search_fields = ("deployment__model_version__system__name", "deployment__environment")


@admin.register(StaleMark)
class StaleMarkAdmin(ReadOnlyAdmin):
    list_display = ("assessment", "fingerprint_before", "fingerprint_after", "created_at")
    list_select_related = ("assessment__methodology",)


@admin.register(Risk)
class RiskAdmin(ReadOnlyAdmin):
    list_display = ("title", "deployment", "category", "residual_score", "status", "owner")
    list_filter = ("category", "status", "treatment")
    list_select_related = ("deployment__model_version__system", "owner")
    search_fields = ("title", "deployment__model_version__system__name")


@admin.register(RiskAcceptance)
class RiskAcceptanceAdmin(ReadOnlyAdmin):
    list_display = (
        "risk",
        "accepted_by_name",
        "residual_score",
        "executive_required",
        "created_at",
    )
    list_select_related = ("risk",)
