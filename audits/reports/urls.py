from django.urls import path

from audits.reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/request/", views.report_request, name="report_request"),
    path("reports/<uuid:pk>/", views.report_detail, name="report_detail"),
    path("reports/<uuid:pk>/progress/", views.report_progress, name="report_progress"),
    path("reports/<uuid:pk>/download/", views.report_download, name="report_download"),
    path("reports/<uuid:pk>/regenerate/", views.report_regenerate, name="report_regenerate"),
    path("deployments/<uuid:pk>/reports/", views.deployment_reports, name="deployment_reports"),
    path("verify/", views.verify, name="verify"),
    path("exports/", views.export_list, name="export_list"),
    path("exports/<uuid:pk>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:pk>/progress/", views.export_progress, name="export_progress"),
    path("exports/<uuid:pk>/download/", views.export_download, name="export_download"),
]
