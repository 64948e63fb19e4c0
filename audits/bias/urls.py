from django.urls import path

from audits.bias import views

app_name = "bias"

urlpatterns = [
    path("bias-audits/", views.audit_list, name="audit_list"),
    path("bias-audits/new/", views.audit_upload, name="audit_upload"),
    path("bias-audits/new/preview/", views.audit_upload_preview, name="audit_upload_preview"),
    path("bias-audits/<uuid:pk>/", views.audit_detail, name="audit_detail"),
    path("bias-audits/<uuid:pk>/edit/", views.audit_edit, name="audit_edit"),
    path("bias-audits/<uuid:pk>/exclusions/", views.audit_exclusions, name="audit_exclusions"),
    path("bias-audits/<uuid:pk>/finalize/", views.audit_finalize, name="audit_finalize"),
    path("bias-audits/<uuid:pk>/discard/", views.audit_discard, name="audit_discard"),
    path("bias-audits/<uuid:pk>/verify/", views.audit_verify, name="audit_verify"),
    path("bias-audits/<uuid:pk>/data.csv", views.audit_download, name="audit_download"),
    path("bias-audits/<uuid:pk>/summary/", views.audit_summary, name="audit_summary"),
    path(
        "bias-audits/<uuid:pk>/summary/print/",
        views.audit_summary_print,
        name="audit_summary_print",
    ),
    path("deployments/<uuid:pk>/bias-audits/", views.deployment_audits, name="deployment_audits"),
]
